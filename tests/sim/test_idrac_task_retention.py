"""Finished Tasks vanish from TaskService on iDRAC9 (idrac-redfish.md §5.1, #275): within
seconds before 5.00 and on 7.00 (before 7.10.30), after about ten minutes on 5.x; the Dell Jobs
view keeps the job.  iDRAC7/8 keep Tasks until the iDRAC restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from idrac_support import Rf, exe_dup, node, wait_for

from fwupdate.sim.idrac.profiles import (
    TASK_RETENTION_LONG,
    TASK_RETENTION_SHORT,
    task_retention,
)

SIMPLE = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"


@pytest.mark.parametrize(
    ("generation", "version", "expected"),
    [
        (7, "2.65.65.65", None),
        (8, "2.75.75.75", None),
        (9, "4.40.00.00", TASK_RETENTION_SHORT),
        (9, "5.10.00.00", TASK_RETENTION_LONG),
        (9, "6.10.30.00", TASK_RETENTION_LONG),
        (9, "7.00.00.00", TASK_RETENTION_SHORT),
        (9, "7.00.30.00", TASK_RETENTION_SHORT),
        (9, "7.10.30.00", TASK_RETENTION_LONG),
    ],
)
def test_retention_by_version(generation: int, version: str, expected: float | None) -> None:
    assert task_retention(generation, version) == expected


def _diagnostics_job(rf: Rf, tmp_path: Path) -> str:
    dup = exe_dup(tmp_path, "25806", "4301A40", systems=("0716",))
    loc = rf.push(dup).headers["Location"]
    r = rf.post(SIMPLE, json={"ImageURI": loc})
    assert r.status_code == 202, r.text
    return str(r.headers["Location"]).rsplit("/", 1)[1]


def test_idrac9_440_task_vanishes_seconds_after_completion(  # type: ignore[no-untyped-def]
    make_idrac_sim, tmp_path: Path
) -> None:
    sim = make_idrac_sim(node("i9", "r640-idrac9-4.40"))
    rf = Rf(sim, "i9")
    jid = _diagnostics_job(rf, tmp_path)
    assert rf.get(f"/redfish/v1/TaskService/Tasks/{jid}").status_code == 200  # while it runs
    rf.wait_job(jid, "Completed")
    purged = wait_for(lambda: sim.events.records(device="i9", event="task_purged"),
                      what="task purged")
    assert purged[0]["job"] == jid and purged[0]["after"] == TASK_RETENTION_SHORT
    assert rf.get(f"/redfish/v1/TaskService/Tasks/{jid}").status_code == 404
    tasks = rf.get("/redfish/v1/TaskService/Tasks").json()["Members"]
    assert all(not m["@odata.id"].endswith(jid) for m in tasks)
    assert rf.job(jid)["JobState"] == "Completed"  # the Dell job stays
    assert rf.get(f"/redfish/v1/JobService/Jobs/{jid}").status_code == 200


def test_idrac9_510_keeps_the_task_for_minutes(  # type: ignore[no-untyped-def]
    make_idrac_sim, tmp_path: Path
) -> None:
    sim = make_idrac_sim(node("i9", "r640-idrac9-5.10"), time_scale=100.0)
    rf = Rf(sim, "i9")
    jid = _diagnostics_job(rf, tmp_path)
    rf.wait_job(jid, "Completed")
    assert rf.get(f"/redfish/v1/TaskService/Tasks/{jid}").status_code == 200  # 600 s = 6 s here
    assert sim.events.records(device="i9", event="task_purged") == []


def test_idrac7_keeps_finished_tasks(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i7", "r320-idrac7-2.65"))
    rf = Rf(sim, "i7")
    loc = rf.push(exe_dup(tmp_path, "25806", "4247A1")).headers["Location"]
    jid = str(rf.post(SIMPLE, json={"ImageURI": loc}).headers["Location"]).rsplit("/", 1)[1]
    rf.wait_job(jid, "Completed")
    assert rf.get(f"/redfish/v1/TaskService/Tasks/{jid}").status_code == 200
    assert sim.events.records(device="i7", event="task_purged") == []
