"""Each injected fault of the simulated iDRAC, from Python and over the /sim control endpoint."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from idrac_support import FAST, Rf, error_ids, exe_dup, node, wait_for

from fwupdate.sim.idrac import faults

SIMPLE = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
RESET = "/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset"


def _scheduled_bios(rf: Rf, tmp_path: Path) -> str:
    loc = rf.push(exe_dup(tmp_path, "159", "2.9.0")).headers["Location"]
    r = rf.post(SIMPLE, json={"ImageURI": loc})
    assert r.status_code == 202, r.text
    return str(r.headers["Location"]).rsplit("/", 1)[1]


def test_busy_and_lc_busy(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    rf = Rf(sim, "i1")
    rf.dev.set_fault("busy", 2)
    codes = [rf.get("/redfish/v1/Managers").status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    rf.dev.set_fault("lc-busy", "LC068")
    loc = rf.push(exe_dup(tmp_path, "159", "2.9.0")).headers["Location"]
    r = rf.post(SIMPLE, json={"ImageURI": loc})
    assert r.status_code == 400 and error_ids(r) == ["IDRAC.1.6.LC068"]
    assert rf.post(SIMPLE, json={"ImageURI": loc}).status_code == 202  # only the next one


def test_job_fail_and_task_vanish(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    rf = Rf(sim, "i1")
    rf.dev.set_fault("job-fail", "RED007")
    rf.dev.set_fault("task-vanish")
    jid = _scheduled_bios(rf, tmp_path)
    assert rf.get(f"/redfish/v1/TaskService/Tasks/{jid}").status_code == 404  # before 1st poll
    rf.wait_job(jid, "Scheduled")
    assert rf.post(RESET, json={"ResetType": "ForceRestart"}).status_code == 204
    failed = rf.wait_job(jid, "Failed")
    assert failed["MessageId"] == "RED007"
    assert rf.state.component_version("bios") == "2.4.2"


def test_stuck_scheduled(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    rf = Rf(sim, "i1")
    rf.dev.set_fault("stuck-scheduled")
    jid = _scheduled_bios(rf, tmp_path)
    rf.wait_job(jid, "Scheduled")
    rf.post(RESET, json={"ResetType": "ForceRestart"})
    wait_for(lambda: sim.events.records(device="i1", event="host_up"), what="host up")
    assert rf.job(jid)["JobState"] == "Scheduled"


def test_latency_and_drops(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65"))
    rf = Rf(sim, "i1")
    rf.dev.set_fault("latency", "0.05")
    t0 = time.monotonic()
    assert rf.get("/redfish/v1").status_code == 200
    assert time.monotonic() - t0 >= 0.05  # the injected wait happened (lower bound only)
    rf.dev.set_fault("drop", 2)
    for _ in range(2):
        with pytest.raises(requests.exceptions.ConnectionError):
            rf.get("/redfish/v1")
    assert rf.get("/redfish/v1").status_code == 200
    rf.dev.clear_faults()
    assert rf.dev.transport_faults.latency == 0


def test_slow_and_never_return(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("a", "r320-idrac7-2.65"), node("b", "r320-idrac7-2.65"))
    slow, never = Rf(sim, "a"), Rf(sim, "b")
    slow.dev.set_fault("slow-return", 600)
    never.dev.set_fault("never-return")
    for rf in (slow, never):
        r = rf.post(
            "/redfish/v1/Managers/iDRAC.Embedded.1/Actions/Manager.Reset",
            json={"ResetType": "GracefulRestart"},
        )
        assert r.status_code == 204
    (ev,) = sim.events.records(device="a", event="idrac_reset")
    assert ev["outage"] == 600
    wait_for(slow.state.reachable, what="slow iDRAC back")  # 600 sim-s = 0.6 s
    assert slow.get("/redfish/v1").status_code == 200
    assert not never.state.reachable()
    with pytest.raises(requests.exceptions.ConnectionError):
        never.get("/redfish/v1")


def test_control_endpoint(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65"))
    rf = Rf(sim, "i1")
    bad = rf.anon.post(rf.url + "/sim/fault", json={"kind": "busy", "arg": 1}, timeout=10)
    assert bad.status_code == 401
    r = rf.post("/sim/fault", json={"kind": "busy", "arg": 1})
    assert r.status_code == 200 and r.json()["faults"] == {"busy": 1}
    assert rf.post("/sim/fault", json={"kind": "nonsense"}).status_code == 400
    assert rf.get("/redfish/v1/Managers").status_code == 503
    rf.post("/sim/fault", json={"kind": "job-fail", "arg": "RED007,1"})
    assert rf.delete("/sim/fault").json()["faults"] == {}
    state = rf.get("/sim/state").json()
    assert state["state"]["components"]["bios"]["version"] == "2.4.2"
    assert state["lc_status"]["Status"] == "Ready"


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("idrac-2:slow-return=600", ("idrac-2", "slow-return", "600")),
        ("idrac-1:task-vanish", ("idrac-1", "task-vanish", None)),
        ("idrac-1:lc-busy=LC068", ("idrac-1", "lc-busy", "LC068")),
    ],
)
def test_fault_spec_parsing(spec: str, parsed: tuple[str, str, str | None]) -> None:
    assert faults.split_spec(spec) == parsed


@pytest.mark.parametrize("spec", ["idrac-1", "idrac-1:explode", "idrac-1:busy", "x:busy=-1"])
def test_fault_spec_errors(spec: str) -> None:
    with pytest.raises(faults.FaultSpecError):
        _name, kind, arg = faults.split_spec(spec)
        faults.check(kind, arg)
