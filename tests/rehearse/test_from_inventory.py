"""(b) A simulated copy of a fleet from its saved inventory: same names, generations, firmware,
service tags, LoadMaster versions, HA roles and Virtual Services; `sim serve --from-inventory`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fwupdate.demo.scenario import fleet_spec
from fwupdate.sim.fleet import SimulatedFleet
from fwupdate.sim.from_inventory import copy_fleet, profile_for, spec_from_inventory

pytestmark = pytest.mark.integration


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """Everything but where the devices listen (and the LoadMaster's boot-dependent keys)."""
    out = {}
    for n in doc["nodes"]:
        n = json.loads(json.dumps(n))
        n["idrac"].pop("address")
        n["loadmaster"].pop("address")
        out[n["name"]] = n
    return out


def test_copy_reads_back_as_the_same_inventory(cli, tmp_path: Path) -> None:
    original = tmp_path / "original.json"
    spec = fleet_spec(("pair-1", "pair-3"))
    opts = dict(spec.pairs[1].options, virtual_services=[
        {"name": "shop", "address": "10.1.2.3", "port": "443", "status": "Up"},
        {"name": "legacy", "address": "10.1.2.4", "port": "8080", "status": "Down"}])
    spec = type(spec)(pairs=(spec.pairs[0], type(spec.pairs[1])(
        "pair-3", (spec.pairs[1].nodes[1], spec.pairs[1].nodes[0]), {**opts, "active": "lb3b"})))
    with SimulatedFleet(spec, workdir=tmp_path / "a", time_scale=1000.0) as sim:
        fleet = sim.write_fleet_file(tmp_path / "a.toml")
        r = cli("inventory", str(fleet), "--out", str(original), "--format", "json")
        assert r.code == 0, r
    sim_b, copy = copy_fleet(original, workdir=tmp_path / "b", time_scale=1000.0)
    with sim_b:
        assert copy.notes == ()
        fleet_b = sim_b.write_fleet_file(tmp_path / "b.toml")
        r = cli("inventory", str(fleet_b), "--format", "json")
        assert r.code == 0, r
    a, b = _comparable(json.loads(original.read_text())), _comparable(json.loads(r.out))
    assert a == b
    assert b["lb3b"]["loadmaster"]["ha_role"] == "active"
    assert [(v["name"], v["status"]) for v in b["lb3b"]["loadmaster"]["virtual_services"]] == [
        ("shop", "Up"), ("legacy", "Down")]
    assert b["lb1a"]["idrac"]["firmware_version"] == "1.57.57"


def test_notes_for_what_cannot_be_copied() -> None:
    doc = {"nodes": [
        {"name": "x1", "pair": "px", "idrac": {"model": "13G Monolithic",
                                               "firmware_version": "2.81.81.81"},
         "system": {"model": "PowerEdge R330", "service_tag": "ABC1234"},
         "components": [{"name": "Mystery Device", "component_id": "999", "version": "1"}],
         "loadmaster": {"address": "https://lm", "error": "connection refused"}},
        {"name": "x2", "idrac": {"firmware_version": None}},
    ]}
    copy = spec_from_inventory(doc)
    assert [n.name for n in copy.spec.standalone] == ["x2", "x1"]
    x1 = copy.spec.standalone[1]
    assert x1.idrac.profile == "r630-idrac8-2.75"
    assert x1.idrac.options["idrac"] == "2.81.81.81"
    assert x1.idrac.options["service_tag"] == "ABC1234"
    assert copy.notes == (
        "x2: iDRAC not read in the inventory; simulated with the default profile",
        "x1: PowerEdge R330 simulated as PowerEdge R630 (same generation)",
        "x1: component 'Mystery Device' is not simulated",
        "x1: LoadMaster not read in the inventory; simulated at its defaults",
        "px: 1 node(s) in the inventory; simulated standalone",
    )


@pytest.mark.parametrize(("gen", "version", "profile"), [
    (7, "1.66.65", "r320-idrac7-1.57"), (7, "2.50.50.50", "r320-idrac7-2.50"),
    (7, "2.63.60.62", "r320-idrac7-2.65"), (9, "4.00.00.00", "r640-idrac9-4.40"),
    (9, "7.00.00.00", "r640-idrac9-5.10")])
def test_profile_choice(gen: int, version: str, profile: str) -> None:
    assert profile_for(gen, version) == profile


def test_sim_serve_from_inventory_writes_a_fleet_file(tmp_path: Path) -> None:
    inv = tmp_path / "inv.json"
    inv.write_text(json.dumps({"nodes": [
        {"name": "lb-a1", "pair": "dc1", "idrac": {"model": "12G Monolithic",
                                                  "firmware_version": "2.65.65.65"},
         "system": {"model": "PowerEdge R320", "service_tag": "G2XBKY1"},
         "loadmaster": {"version": "7.2.48.3", "ha_role": "standby"}},
        {"name": "lb-a2", "pair": "dc1", "idrac": {"model": "12G Monolithic",
                                                  "firmware_version": "2.65.65.65"},
         "loadmaster": {"version": "7.2.48.3", "ha_role": "active"}}]}))
    fleet = tmp_path / "fleet.toml"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fwupdate", "sim", "serve", "--from-inventory", str(inv),
         "--fleet-out", str(fleet), "--workdir", str(tmp_path / "w"), "--duration", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 15
        while not fleet.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert fleet.exists(), proc.stderr.read() if proc.stderr else ""
        text = fleet.read_text()
        assert 'name = "dc1"' in text and 'name = "lb-a1"' in text and 'name = "lb-a2"' in text
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "lb-a1-idrac" in out and "node=lb-a1 pair=dc1" in out
