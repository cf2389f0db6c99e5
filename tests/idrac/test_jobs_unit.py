"""Following jobs (JobState first, Retry-After, vanished tasks), listing and clearing queues."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from fwupdate.errors import DeviceError, JobFailedError, UnsupportedOperationError, WaitTimeoutError
from fwupdate.idrac.job_models import JobRef, JobStatus
from fwupdate.idrac.redfish.client import RedfishClient
from fwupdate.idrac.redfish.jobs import JobNotFoundError, status_from_doc

from .conftest import MGR, FakeIdrac, Sleeps

Make = Callable[..., tuple[FakeIdrac, RedfishClient]]
JID = "JID_257309938313"
TASK = f"/redfish/v1/TaskService/Tasks/{JID}"
JOBS_12G = f"{MGR}/Jobs"
JOBS_9 = f"{MGR}/Oem/Dell/Jobs"


def task(task_state: str, job_state: str | None, msg: str = "", mid: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {"Id": JID, "TaskState": task_state, "PercentComplete": 0}
    if job_state is not None:
        doc["Oem"] = {
            "Dell": {
                "JobState": job_state,
                "Message": msg,
                "MessageId": mid,
                "PercentComplete": 100 if job_state == "Completed" else 0,
                "Name": "Firmware Update: BIOS",
            }
        }
    return doc


def dell_job(jid: str, state: str, mid: str = "RED001") -> dict[str, Any]:
    return {
        "@odata.id": f"{JOBS_12G}/{jid}",
        "Id": jid,
        "JobState": state,
        "Message": "Job completed successfully." if state == "Completed" else "x",
        "MessageId": mid,
        "JobType": "FirmwareUpdate",
        "Name": "Firmware Update: BIOS",
    }


def test_dell_jobstate_wins_over_taskstate() -> None:
    st = status_from_doc(
        task("Starting", "Scheduled", "Task successfully scheduled.", "IDRAC.2.5.JCP001"),
        jid=JID,
        source="task",
    )
    assert st.state == "Scheduled" and st.scheduled and not st.terminal
    assert st.message_ids == ("JCP001",)
    # TaskState says Completed while Dell says Running: not done
    st = status_from_doc(task("Completed", "Running"), jid=JID, source="task")
    assert not st.terminal
    # no Dell block: TaskState decides
    st = status_from_doc(
        {
            "Id": JID,
            "TaskState": "Exception",
            "Messages": [{"MessageId": "IDRAC.2.1.RED007", "Message": "sig"}],
        },
        jid=JID,
        source="task",
    )
    assert st.failed and st.message_ids == ("RED007",)


def test_follow_until_completed_respecting_retry_after(make_idrac: Make, sleeps: Sleeps) -> None:
    fake, client = make_idrac("12G")
    fake.queue(
        "GET",
        TASK,
        (200, {}, task("Running", "Downloading")),
        (202, {"Retry-After": "30"}, task("Running", "Scheduled", "", "JCP001")),
        (200, {}, task("Running", "Running")),
    )
    fake.docs[TASK] = task(
        "Completed", "Completed", "Job completed successfully.", "IDRAC.2.5.RED001"
    )
    seen: list[str] = []
    with client:
        st = client.follow_job(JobRef(JID, TASK), on_progress=lambda s: seen.append(s.state))
    assert st.succeeded and st.message_ids == ("RED001",)
    assert seen == ["Downloading", "Scheduled", "Running", "Completed"]
    assert sleeps.slept == [10.0, 30.0, 10.0]  # poll interval, then the longer Retry-After


def test_stop_on_scheduled(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.docs[TASK] = task("Starting", "Scheduled", "Task successfully scheduled.", "JCP001")
    with client:
        st = client.follow_job(JID, stop_on={"Scheduled"})
    assert st.scheduled


def test_failed_job_raises_with_message_id(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.docs[TASK] = task(
        "Exception", "Failed", "Unable to verify Update Package signature.", "IDRAC.2.1.RED007"
    )
    with client, pytest.raises(JobFailedError) as info:
        client.follow_job(JID)
    assert info.value.message_id == "RED007"
    assert "Unable to verify" in str(info.value) and JID in str(info.value)
    assert str(info.value).count("RED007") == 1  # the message id is named once
    with client:
        st = client.follow_job(JID, raise_on_failure=False)
    assert st.failed


def test_vanished_task_is_found_in_jobs_collection(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.docs[f"{JOBS_12G}/{JID}"] = dell_job(JID, "Completed")
    with client:
        st = client.follow_job(JobRef(JID, TASK))
    assert st.succeeded and st.source == "dell-jobs"
    assert fake.paths()[-2:] == [TASK, f"{JOBS_12G}/{JID}"]


def test_job_missing_everywhere_fails_after_grace(make_idrac: Make, sleeps: Sleeps) -> None:
    _fake, client = make_idrac("12G")
    with client, pytest.raises(JobNotFoundError, match="vanished or never created"):
        client.follow_job(JID)
    assert 0 < sum(sleeps.slept) <= 30.0 + 10.0


def test_transient_errors_are_waited_out(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.queue(
        "GET",
        TASK,
        requests.exceptions.ConnectionError("refused"),
        (503, {}, ""),
        (500, {}, {"error": {"message": "internal"}}),
    )
    fake.docs[TASK] = task("Completed", "Completed")
    with client:
        assert client.follow_job(JID).succeeded


def test_timeout_is_bounded(make_idrac: Make, sleeps: Sleeps) -> None:
    fake, client = make_idrac("12G")
    fake.docs[TASK] = task("Running", "Running")
    with client, pytest.raises(WaitTimeoutError, match="did not finish in time; last state"):
        client.follow_job(JID, timeout=60)
    assert sum(sleeps.slept) == pytest.approx(60.0)


def test_list_and_clear_queue_on_12g_deletes_one_by_one(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.docs[JOBS_12G] = {
        "Members": [{"@odata.id": f"{JOBS_12G}/JID_1"}, {"@odata.id": f"{JOBS_12G}/RID_2"}]
    }
    fake.docs[f"{JOBS_12G}/JID_1"] = dell_job("JID_1", "Scheduled", "JCP001")
    fake.docs[f"{JOBS_12G}/RID_2"] = dell_job("RID_2", "Completed", "RED030")
    for jid in ("JID_1", "RID_2"):
        fake.on("DELETE", f"{JOBS_12G}/{jid}", lambda c: (200, {}, ""))
    with client:
        jobs = client.list_jobs()
        assert [(j.jid, j.state) for j in jobs] == [("JID_1", "Scheduled"), ("RID_2", "Completed")]
        assert client.clear_job_queue() == 2
        with pytest.raises(UnsupportedOperationError, match="DellJobService"):
            client.clear_job_queue(force=True)
    assert fake.count("POST") == 1  # the session login only: no DeleteJobQueue on 12G
    assert fake.count("DELETE", f"{JOBS_12G}/JID_1") == 1
    assert fake.count("DELETE", f"{JOBS_12G}/RID_2") == 1


def test_clear_queue_reports_undeletable_jobs(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.docs[JOBS_12G] = {"Members": [{"@odata.id": f"{JOBS_12G}/JID_1"}]}
    fake.docs[f"{JOBS_12G}/JID_1"] = dell_job("JID_1", "Running")
    fake.on(
        "DELETE",
        f"{JOBS_12G}/JID_1",
        lambda c: (
            400,
            {},
            {
                "error": {
                    "@Message.ExtendedInfo": [
                        {"MessageId": "IDRAC.2.8.SUP035", "Message": "running"}
                    ]
                }
            },
        ),
    )
    with client, pytest.raises(DeviceError, match="could not delete 1 of 1 jobs") as info:
        client.clear_job_queue()
    assert info.value.message_id == "SUP035"


def test_clear_queue_on_idrac9_uses_delete_job_queue(make_idrac: Make) -> None:
    fake, client = make_idrac("14G")
    fake.docs[JOBS_9] = {"Members": [dell_job("JID_5", "Scheduled")]}
    target = f"{MGR}/Oem/Dell/DellJobService/Actions/DellJobService.DeleteJobQueue"
    fake.on("POST", target, lambda c: (200, {}, ""))
    with client:
        jobs = client.list_jobs()
        assert [j.jid for j in jobs] == ["JID_5"]
        assert client.clear_job_queue() == 1
    assert fake.paths()[-1] == JOBS_9  # listed through $expand: one GET
    (call,) = [c for c in fake.calls if c.path == target]
    assert call.body == {"JobID": "JID_CLEARALL"}
    assert fake.count("DELETE", f"{JOBS_9}/JID_5") == 0


def test_job_status_describe() -> None:
    st = JobStatus(jid="JID_1", state="Failed", percent=0, message="bad", message_ids=("RED007",))
    assert st.describe() == "JID_1 Failed 0%: bad [RED007]"
