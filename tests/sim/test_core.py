"""The simulator core: real HTTPS on loopback, CA verification, drops, events, fleet files."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest
import requests

from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.fleet import (
    Credentials,
    DeviceSpec,
    FleetSpec,
    NodeSpec,
    PairSpec,
    SimulatedFleet,
    register_kind,
)
from fwupdate.sim.http import DROP, Drop, Request, Response


class EchoDevice(SimDevice):
    kind = "echo"

    def __init__(self, name: str, ctx: SimContext) -> None:
        super().__init__(name, ctx, profile="echo")
        self.down = False

    def reachable(self) -> bool:
        return not self.down

    def handle(self, request: Request) -> Response | Drop:
        if request.path == "/drop":
            return DROP
        self.emit("request", method=request.method, path=request.path, size=request.body_length)
        return Response.json(200, {"path": request.path, "size": request.body_length})


def _factory(spec: DeviceSpec, node: NodeSpec, ctx: SimContext, cred: Credentials) -> SimDevice:
    return EchoDevice(spec.name, ctx)


register_kind("echo", _factory)


def _spec() -> FleetSpec:
    def node(n: str) -> NodeSpec:
        return NodeSpec(n, DeviceSpec(f"{n}-idrac", "echo", "echo"))

    return FleetSpec(pairs=(PairSpec("p1", (node("a"), node("b"))),), standalone=(node("c"),))


@pytest.fixture
def fleet(tmp_path: Path):  # type: ignore[no-untyped-def]
    with SimulatedFleet(_spec(), workdir=tmp_path, time_scale=100.0) as sim:
        yield sim


def test_https_verifies_against_sim_ca(fleet: SimulatedFleet) -> None:
    dev = fleet.device("a-idrac")
    r = requests.get(dev.url + "/x", verify=str(fleet.ca_bundle), timeout=5)
    assert r.json() == {"path": "/x", "size": 0}
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(dev.url + "/x", timeout=5)  # system CAs do not know the simulator


def test_upload_body_and_chunked(fleet: SimulatedFleet) -> None:
    dev = fleet.device("b-idrac")
    ca = str(fleet.ca_bundle)
    r = requests.post(dev.url + "/up", data=b"x" * 100_000, verify=ca, timeout=5)
    assert r.json()["size"] == 100_000
    r = requests.post(dev.url + "/up", data=iter([b"ab", b"cde"]), verify=ca, timeout=5)
    assert r.json()["size"] == 5
    assert [e["size"] for e in fleet.events.records(device="b-idrac")] == [100_000, 5]


def test_down_and_dropped_connections(fleet: SimulatedFleet) -> None:
    dev = fleet.device("c-idrac")
    ca = str(fleet.ca_bundle)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(dev.url + "/drop", verify=ca, timeout=5)
    dev.transport_faults.drop_next = 1
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(dev.url + "/x", verify=ca, timeout=5)
    assert requests.get(dev.url + "/x", verify=ca, timeout=5).status_code == 200
    assert isinstance(dev, EchoDevice)
    dev.down = True
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(dev.url + "/x", verify=ca, timeout=5)


def test_fleet_file_and_describe(fleet: SimulatedFleet, tmp_path: Path) -> None:
    path = fleet.write_fleet_file(tmp_path / "out" / "fleet.toml")
    data = tomllib.loads(path.read_text())
    assert [n["name"] for n in data["pairs"][0]["nodes"]] == ["a", "b"]
    assert data["nodes"][0]["idrac"] == fleet.device("c-idrac").url
    secret = path.parent / data["defaults"]["idrac"]["password_file"]
    assert secret.read_text().strip() == "calvin"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert "calvin" not in path.read_text()
    desc = json.loads(fleet.write_describe(tmp_path / "d.json").read_text())
    assert {d["name"] for d in desc["devices"]} == {"a-idrac", "b-idrac", "c-idrac"}
    assert all(len(d["fingerprint"]) == 64 for d in desc["devices"])
    assert Path(desc["ca_bundle"]).exists()


def test_clock_time_scale(tmp_path: Path) -> None:
    from fwupdate.sim.clock import SimClock

    clock = SimClock(1000.0)
    try:
        assert clock.real(60) == pytest.approx(0.06)
        import threading

        fired = threading.Event()
        clock.call_later(30, fired.set)  # 30 simulated s = 30 ms
        assert fired.wait(timeout=5)
    finally:
        clock.stop()
