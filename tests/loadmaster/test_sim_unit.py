"""The simulated LoadMaster over real HTTPS: API shapes, auth, errors, rate limit, patches."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from lm_support import (
    START_VERSION,
    TARGET_VERSION,
    TIME_SCALE,
    LmSim,
    node_spec,
    pair_spec,
)

from fwupdate.errors import DeviceUnreachableError
from fwupdate.sim.loadmaster import Power, apply_fault, build_patch, corrupt
from fwupdate.sim.loadmaster.ratelimit import ApiRateLimit

pytestmark = pytest.mark.integration

AUTH = ("bal", "1fourall")


def _get(sim: LmSim, node: str, cmd: str, auth: Any = AUTH, **params: str) -> requests.Response:
    url = f"{sim.unit(node).url}/access/{cmd}"
    return requests.get(url, params=params, auth=auth, verify=str(sim.ca), timeout=5)


def _post_patch(sim: LmSim, node: str, data: bytes) -> requests.Response:
    url = f"{sim.unit(node).url}/access/installpatch"
    return requests.post(url, data=data, auth=AUTH, verify=str(sim.ca), timeout=5)


def _wait(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_shapes_auth_and_errors(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim()
    r = _get(sim, "p1a", "get", param="version")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/xml")
    assert '<Response stat="200" code="ok">' in r.text
    assert f"<version>\n{START_VERSION}\n</version>" in r.text  # documented whitespace quirk
    assert "<hastatus>Standby</hastatus>" in _get(sim, "p1b", "get", param="hastatus").text
    r = _get(sim, "p1a", "get", auth=None, param="version")
    assert r.status_code == 401 and 'stat="401" code="fail"' in r.text
    assert _get(sim, "p1a", "get", auth=("bal", "wrong"), param="version").status_code == 401
    r = _get(sim, "p1a", "frobnicate")
    assert r.status_code == 405 and "<Error>Unknown command</Error>" in r.text
    r = _get(sim, "p1a", "get")
    assert r.status_code == 400 and "<Error>" in r.text
    assert _get(sim, "p1a", "get", param="nosuch").status_code == 422
    # API keys: created with Basic auth, then usable alone
    r = _get(sim, "p1a", "addapikey")
    key = r.text.split("<apikey>")[1].split("</apikey>")[0]
    assert _get(sim, "p1a", "get", auth=None, param="version", apikey=key).status_code == 200
    assert _get(sim, "p1a", "get", auth=None, param="version", apikey="bad").status_code == 401
    # API disabled: plain 404 for everything
    apply_fault(sim.fleet, "p1a", "api-disabled")
    r = _get(sim, "p1a", "get", param="version")
    assert r.status_code == 404 and "Response" not in r.text


def test_rate_limit_drops_the_31st_call_in_3_seconds(make_sim: Callable[..., LmSim]) -> None:
    # Kemp's numbers are the defaults; the test widens the window so a slow machine still
    # makes 31 calls within it (60 real seconds: the window is in device seconds).
    limit = ApiRateLimit()
    assert (limit.limit, limit.window) == (30, 3.0)
    sim = make_sim(pair_spec(a={"rate_limit": 30, "rate_window": 60.0 * TIME_SCALE}))
    with requests.Session() as s:
        s.auth = AUTH
        url = f"{sim.unit('p1a').url}/access/get"
        kw = {"params": {"param": "version"}, "timeout": 5, "verify": str(sim.ca)}
        codes = [s.get(url, **kw).status_code for _ in range(30)]  # type: ignore[arg-type]
        assert codes == [200] * 30
        with pytest.raises(requests.exceptions.ConnectionError):
            s.get(url, **kw)  # type: ignore[arg-type]
    assert sim.fleet.events.records(device="p1a-lm", event="lm.ratelimit_drop")


def test_client_backs_off_and_retries_reads_never_writes(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim()
    apply_fault(sim.fleet, "p1a", "rate-limit", f"4/{0.4 * TIME_SCALE:g}")  # 0.4 real s
    client = sim.client("p1a", retry_backoff=0.25, get_retries=3)
    assert [client.serial() for _ in range(8)] == [sim.unit("p1a").serial] * 8
    assert sim.fleet.events.records(device="p1a-lm", event="lm.ratelimit_drop")
    # installpatch and reboot are never repeated on their own
    apply_fault(sim.fleet, "p1b", "rate-limit", "0")
    unit = sim.unit("p1b")
    image = sim.fleet.workdir / "p.patch"
    image.write_bytes(build_patch(TARGET_VERSION))
    unit.transport_faults.drop_next = 1
    before = unit.request_count
    with pytest.raises(DeviceUnreachableError, match="may or may not have staged"):
        sim.client("p1b").install_patch(image)
    assert unit.request_count == before + 1 and unit.staged is None
    unit.transport_faults.drop_next = 1
    with pytest.raises(DeviceUnreachableError):
        sim.client("p1b").reboot()
    assert unit.request_count == before + 2 and unit.power is Power.UP


def test_installpatch_validation_and_rollback(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim(standalone=(node_spec("solo"),))
    good = build_patch(TARGET_VERSION)
    refused = {
        "corrupt": corrupt(good),
        "platform": build_patch(TARGET_VERSION, platform="VMWARE"),
        "same": build_patch(START_VERSION),
        "not a patch": b"MZ\x90\x00" + b"\x00" * 200,
    }
    for why, data in refused.items():
        r = _post_patch(sim, "solo", data)
        assert r.status_code == 422, why
        assert 'code="fail"' in r.text and "<Error>" in r.text, why
    assert _post_patch(sim, "solo", b"").status_code == 400
    unit = sim.unit("solo")
    assert unit.staged is None
    apply_fault(sim.fleet, "solo", "patch-refused")
    assert _post_patch(sim, "solo", good).status_code == 422
    unit.faults.patch_refused = False
    r = _post_patch(sim, "solo", good)
    assert r.status_code == 200 and "<Success>" in r.text
    assert unit.version == START_VERSION and unit.staged == (TARGET_VERSION, "patch")
    client = sim.client("solo")
    assert client.previous_version() == ""
    client.reboot()
    assert _wait(lambda: unit.power is Power.UP and unit.version == TARGET_VERSION)
    assert client.previous_version() == START_VERSION
    client.restore_patch()
    client.reboot()
    assert _wait(lambda: unit.power is Power.UP and unit.version == START_VERSION)
    assert client.version() == START_VERSION


def test_listvs_vstotals_backup_and_vs_down(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim(pair_spec(vs_count=3))
    client = sim.client("p1b")
    vss = client.virtual_services()
    assert [(v.index, v.status, v.real_servers_up) for v in vss] == [
        ("1", "Up", 2), ("2", "Up", 2), ("3", "Up", 2)
    ]  # fmt: skip
    assert client.vs_totals()["vsup"] == "3"
    r = _get(sim, "p1a", "backup")
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.content.startswith(b"KEMP-LM-BACKUP")
    apply_fault(sim.fleet, "p1", "vs-down", "2")
    assert [v.status for v in sim.client("p1a").virtual_services()] == ["Up", "Down", "Up"]
    assert client.vs_totals()["vsdown"] == "1"


def test_pacified_after_more_than_3_reboots_in_5_minutes(make_sim: Callable[..., LmSim]) -> None:
    # A slower clock (1 real ms = 0.1 simulated s) keeps client overhead out of the 5-min window.
    sim = make_sim(pair_spec(b={"boot_seconds": 20}), time_scale=100.0)
    unit = sim.unit("p1b")
    client = sim.client("p1b")
    for _ in range(4):
        client.reboot()
        assert _wait(lambda: unit.power is Power.DOWN)
        assert _wait(lambda: unit.power is Power.UP)
    assert unit.pacified
    assert client.get_param("hastatus") == "Passive"
    assert sim.fleet.events.records(device="p1b-lm", event="lm.pacified")
    sim.unit("p1a").on_host_event("off", {})  # the active dies: a pacified unit never takes over
    assert _wait(lambda: any(i.state == "outage" for i in sim.pair().availability()))
    assert sim.pair().serving_units() == []
