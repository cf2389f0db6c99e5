"""Read, follow, list and delete iDRAC jobs.

- `get_job`: the DMTF Task first (the `Location` an update returned); a Task that 404s (Dell
  purges them, and an iDRAC reset loses them) is looked up in the Dell Jobs collection
  (`Manager.Links.Oem.Dell.Jobs`) and then in the DMTF JobService.
- `follow_job`: bounded polling, at least `Timing.poll_interval` apart and never sooner than the
  iDRAC's Retry-After; transport errors, 5xx and 401 while the iDRAC restarts are waited out
  until the deadline; a job never found (past a short grace for just-created jobs) fails.
- `clear_job_queue`: `DellJobService.DeleteJobQueue` (JID_CLEARALL) where the iDRAC links that
  service (iDRAC9+); one DELETE per job on iDRAC7/8, which answer 405 SYS402 to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fwupdate.dell import JID_CLEARALL, JID_CLEARALL_FORCE
from fwupdate.errors import (
    DeviceError,
    FwupdateError,
    JobFailedError,
    UnsupportedOperationError,
)
from fwupdate.idrac.job_models import JobRef, JobStatus, find_jid
from fwupdate.idrac.job_wait import JobPoll, ProgressFn, wait_for_job
from fwupdate.idrac.models import Capabilities
from fwupdate.idrac.redfish import errors as rerr
from fwupdate.idrac.redfish.transport import RedfishResponse, RedfishTransport
from fwupdate.idrac.timing import Timing

log = logging.getLogger(__name__)

class JobNotFoundError(DeviceError):
    """The job is in none of the places an iDRAC keeps jobs."""


def status_from_doc(doc: Mapping[str, Any], *, jid: str, source: str) -> JobStatus:
    """A Task (with or without `Oem.Dell`) or a Dell/DMTF job document -> JobStatus."""
    oem = doc.get("Oem")
    dell = oem.get("Dell") if isinstance(oem, Mapping) else None
    dell_state = _s(dell, "JobState") if isinstance(dell, Mapping) else None
    if source == "dmtf-jobs":  # DMTF Job.JobState takes TaskState-like values
        job_state = dell_state
        task_state = _s(doc, "TaskState") or _s(doc, "JobState")
    else:  # a Task (Dell state under Oem.Dell) or a Dell job document (JobState at the top)
        job_state = dell_state or _s(doc, "JobState")
        task_state = _s(doc, "TaskState")
    percent = _i(dell, "PercentComplete") if isinstance(dell, Mapping) else None
    if percent is None:
        percent = _i(doc, "PercentComplete")
    message = None
    ids: list[str] = []
    for src in (dell, doc):
        if not isinstance(src, Mapping):
            continue
        mid = _s(src, "MessageId")
        if mid and rerr.short_message_id(mid) not in ids:
            ids.append(rerr.short_message_id(mid))
        message = message or _s(src, "Message")
    for mid in rerr.message_ids(doc):
        if mid not in ids:
            ids.append(mid)
    if message is None:
        message = rerr.device_message(doc)
    state = job_state or task_state or "Unknown"
    name = (_s(dell, "Name") if isinstance(dell, Mapping) else None) or _s(doc, "Name")
    job_type = (_s(dell, "JobType") if isinstance(dell, Mapping) else None) or _s(doc, "JobType")
    return JobStatus(
        jid=_s(doc, "Id") or jid,
        state=state,
        job_state=job_state,
        task_state=task_state,
        percent=percent,
        message=message,
        message_ids=tuple(ids),
        name=name,
        job_type=job_type,
        source=source,
    )


def _s(doc: Any, key: str) -> str | None:
    v = doc.get(key) if isinstance(doc, Mapping) else None
    return v if isinstance(v, str) and v else None


def _i(doc: Any, key: str) -> int | None:
    v = doc.get(key) if isinstance(doc, Mapping) else None
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return int(v)
    return None


def _task_uri(caps: Capabilities, ref: JobRef) -> str | None:
    if ref.task_uri:
        return ref.task_uri
    if caps.task_service_uri:
        return f"{caps.task_service_uri.rstrip('/')}/Tasks/{ref.jid}"
    return None


def _lookup(
    t: RedfishTransport, caps: Capabilities, ref: JobRef, *, step: str, attempts: int | None
) -> tuple[JobStatus, RedfishResponse]:
    places: list[tuple[str, str]] = []
    task = _task_uri(caps, ref)
    if task:
        places.append(("task", task))
    if caps.jobs_uri:
        places.append(("dell-jobs", f"{caps.jobs_uri.rstrip('/')}/{ref.jid}"))
    if caps.dmtf_jobs_uri:
        places.append(("dmtf-jobs", f"{caps.dmtf_jobs_uri.rstrip('/')}/{ref.jid}"))
    if not places:
        raise UnsupportedOperationError(
            "this iDRAC links neither a TaskService nor a Jobs collection", host=t.host, step=step
        )
    for source, uri in places:
        resp = t.get(uri, step=step, ok=(200, 202, 404), attempts=attempts)
        if resp.status == 404:
            log.debug("%s: %s not at %s", t.name, ref.jid, uri)
            continue
        doc = resp.json()
        if not doc:  # a task monitor answering 202 without a body: still running
            return JobStatus(jid=ref.jid, state="Running", task_state="Running"), resp
        return status_from_doc(doc, jid=ref.jid, source=source), resp
    raise JobNotFoundError(
        f"job {ref.jid} is in no Task or Jobs collection (vanished or never created)",
        host=t.host,
        step=step,
    )


def get_job(
    t: RedfishTransport, caps: Capabilities, job: JobRef | str, *, step: str = "read job"
) -> JobStatus:
    ref = job if isinstance(job, JobRef) else JobRef(job)
    return _lookup(t, caps, ref, step=step, attempts=None)[0]


@dataclass
class _RedfishJobProbe:
    """One Redfish job read for `job_wait.wait_for_job`: Task, then the Jobs collections."""

    t: RedfishTransport
    caps: Capabilities
    ref: JobRef
    timing: Timing
    stops: frozenset[str]
    raise_on_failure: bool
    step: str
    grace_end: float
    seen: bool = False
    missing: int = 0  # consecutive polls that found the job nowhere

    def read(self) -> JobPoll:
        try:
            status, resp = _lookup(self.t, self.caps, self.ref, step=self.step, attempts=1)
        except JobNotFoundError as exc:
            # A just-created job may not be visible yet; a half-started iDRAC may 404 briefly.
            self.missing += 1
            if (self.seen and self.missing >= self.timing.required_successes) or (
                not self.seen and self.timing.monotonic() >= self.grace_end
            ):
                raise
            return JobPoll(error=exc)
        except (UnsupportedOperationError, JobFailedError):
            raise
        except FwupdateError as exc:
            # The iDRAC may be restarting (its own update): refused connections, TLS errors,
            # 401, 500, 503 are normal for minutes.  Keep polling until the deadline.
            return JobPoll(error=exc)
        self.seen = True
        self.missing = 0
        return JobPoll(status=status, retry_after=resp.retry_after)

    def done(self, status: JobStatus) -> bool:
        if status.terminal:
            if status.failed and self.raise_on_failure:
                # The error appends its message id itself; name any further ids here.
                first = status.message_ids[0] if status.message_ids else None
                text = f"job {status.jid} {status.state}"
                if status.message:
                    text += f": {status.message}"
                if len(status.message_ids) > 1:
                    text += f" (also {', '.join(status.message_ids[1:])})"
                raise JobFailedError(text, host=self.t.host, step=self.step, message_id=first)
            return True
        return status.state in self.stops


def follow_job(
    t: RedfishTransport,
    caps: Capabilities,
    job: JobRef | str,
    *,
    timing: Timing | None = None,
    timeout: float | None = None,
    stop_on: Iterable[str] = (),
    on_progress: ProgressFn | None = None,
    raise_on_failure: bool = True,
    step: str = "follow job",
) -> JobStatus:
    """Poll until the job is terminal (or in one of `stop_on`, e.g. "Scheduled").

    `timeout` and the poll interval are device seconds (`timing.scale` applies).  Raises
    JobFailedError for a failed job (message id = the device's first), WaitTimeoutError when
    the deadline passes, JobNotFoundError when the job stays missing past the creation grace.
    """
    tm = timing or t.timing
    ref = job if isinstance(job, JobRef) else JobRef(job)
    probe = _RedfishJobProbe(t, caps, ref, tm, frozenset(stop_on), raise_on_failure, step,
                             grace_end=tm.deadline(tm.job_create_grace))  # fmt: skip
    status = wait_for_job(probe, jid=ref.jid, timing=tm,
                          timeout=timeout if timeout is not None else tm.job_timeout,
                          host=t.host, name=t.name, step=step, on_progress=on_progress)  # fmt: skip
    if status is None:  # only a probe that accepts a vanished job gets None; this one does not
        raise JobNotFoundError(f"job {ref.jid} vanished", host=t.host, step=step)
    return status


# --- job queue ----------------------------------------------------------------------------


def _jobs_collection(caps: Capabilities, host: str, step: str) -> str:
    uri = caps.jobs_uri or caps.dmtf_jobs_uri
    if not uri:
        raise UnsupportedOperationError("this iDRAC links no Jobs collection", host=host, step=step)
    return uri


def list_jobs(t: RedfishTransport, caps: Capabilities) -> tuple[JobStatus, ...]:
    """Every job in the iDRAC's job queue (Dell Jobs collection, or DMTF JobService)."""
    step = "list jobs"
    uri = _jobs_collection(caps, t.host, step)
    source = "dell-jobs" if caps.jobs_uri else "dmtf-jobs"
    if caps.expand_supported:
        resp = t.get(uri, step=step, args={"$expand": "*($levels=1)"}, ok=(200, 400, 403, 500, 501))
        got = resp.json().get("Members") if resp.status == 200 else None
        if isinstance(got, list) and all(isinstance(m, dict) and "Id" in m for m in got):
            return tuple(status_from_doc(m, jid=str(m["Id"]), source=source) for m in got)
    doc = t.get_json(uri, step=step)
    out: list[JobStatus] = []
    for m in doc.get("Members") or []:
        link = m.get("@odata.id") if isinstance(m, dict) else None
        if not isinstance(link, str):
            continue
        jid = find_jid(link) or link.rsplit("/", 1)[-1]
        jdoc = t.get(link, step=step, ok=(200, 404)).json()
        if jdoc:
            out.append(status_from_doc(jdoc, jid=jid, source=source))
    return tuple(out)


def delete_job(t: RedfishTransport, caps: Capabilities, jid: str) -> None:
    step = f"delete job {jid}"
    uri = _jobs_collection(caps, t.host, step)
    t.delete(f"{uri.rstrip('/')}/{jid}", step=step)


def clear_job_queue(t: RedfishTransport, caps: Capabilities, *, force: bool = False) -> int:
    """Empty the job queue; returns how many jobs were in it.

    `force` (JID_CLEARALL_FORCE) also restarts LC services; only DellJobService offers it.
    """
    step = "clear job queue"
    jobs = list_jobs(t, caps)
    if not jobs:
        return 0
    service = caps.oem_service("DellJobService")
    if service:
        target = f"{service.rstrip('/')}/Actions/DellJobService.DeleteJobQueue"
        body = {"JobID": JID_CLEARALL_FORCE if force else JID_CLEARALL}
        try:
            t.post(target, body, step=step)
            return len(jobs)
        except UnsupportedOperationError as exc:
            log.info("%s: DeleteJobQueue refused (%s); deleting one by one", t.name, exc)
    elif force:
        raise UnsupportedOperationError(
            "JID_CLEARALL_FORCE needs DellJobService (iDRAC9+); this iDRAC does not link it",
            host=t.host,
            step=step,
        )
    failed: list[str] = []
    first: FwupdateError | None = None
    for job in jobs:
        try:
            delete_job(t, caps, job.jid)
        except FwupdateError as exc:
            failed.append(job.jid)
            first = first or exc
    if failed:
        raise DeviceError(
            f"could not delete {len(failed)} of {len(jobs)} jobs ({', '.join(failed[:5])}"
            f"{', ...' if len(failed) > 5 else ''}): {first}",
            host=t.host,
            step=step,
            message_id=first.message_id if first else None,
        )
    return len(jobs)
