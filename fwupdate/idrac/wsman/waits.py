"""Bounded waits over WS-Man: clearing the queue, the probes of the shared job, LC and restart
waits (fwupdate.idrac.job_wait, lc_ready, restart_wait: the iDRAC going away and coming back).

Every wait is `Timing.poll_until`: a timeout and a poll interval in *device seconds*
(`Timing.scale` turns them into wall-clock seconds, so tests run at the simulator's
time-scale).  While an iDRAC updates itself it drops connections, answers with non-WS-Man pages
or refuses requests for minutes: those are waited out (logged), never mistaken for an answer.
Wrong credentials and TLS failures are not waited out: they will not fix themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fwupdate.errors import (
    NOT_WAITED_OUT,
    DeviceError,
    JobFailedError,
    WaitTimeoutError,
)
from fwupdate.idrac.job_models import JobStatus
from fwupdate.idrac.job_wait import JobPoll, wait_for_job
from fwupdate.idrac.lc_ready import LcReadiness, LcWaits, wait_lc_ready
from fwupdate.idrac.models import Transport
from fwupdate.idrac.restart_wait import VersionWant, wait_answers_in_a_row
from fwupdate.idrac.timing import Timing
from fwupdate.idrac.wsman.dcim import WsmanIdrac, WsmanJob

log = logging.getLogger(__name__)



def job_status(job: WsmanJob) -> JobStatus:
    """A DCIM_LifecycleJob as the client layer's JobStatus (Dell JobState spelling)."""
    state = "".join(w[:1].upper() + w[1:] for w in job.status.split())
    percent: int | None = None
    if job.percent and job.percent.strip().isdigit():
        percent = int(job.percent.strip())
    return JobStatus(
        jid=job.job_id,
        state=state,
        job_state=state,
        percent=percent,
        message=job.message,
        message_ids=(job.message_id,) if job.message_id else (),
        name=job.name,
        source=Transport.WSMAN.value,
    )


def lc_readiness(idrac: WsmanIdrac) -> LcReadiness:
    """GetRemoteServicesAPIStatus as the probe of `lc_ready.wait_lc_ready` (ready = Status 0 and
    LCStatus 0, idrac-wsman.md §2.10)."""
    st = idrac.lc_status()
    return LcReadiness(st.ready, st.describe(), Transport.WSMAN, st.message_id)


@dataclass
class _WsmanJobProbe:
    """One DCIM_LifecycleJob read for `job_wait.wait_for_job`."""

    idrac: WsmanIdrac
    job_id: str
    stop_on: frozenset[str]
    vanished_ok: bool
    step: str
    outage: bool = False  # the iDRAC failed to answer at least once (it may have restarted)
    job: WsmanJob | None = None  # the last read, in WS-Man spelling

    def read(self) -> JobPoll:
        try:
            self.job = self.idrac.job(self.job_id)
        except NOT_WAITED_OUT:
            raise
        except DeviceError as exc:
            if "does not exist" in exc.message:
                if self.vanished_ok and self.outage:
                    log.info("%s: job %s is gone after the iDRAC restarted", self.idrac.host,
                             self.job_id)  # fmt: skip
                    return JobPoll(gone=True)
                raise DeviceError(
                    f"job {self.job_id} does not exist", host=self.idrac.host, step=self.step
                ) from None
            self.outage = True
            return JobPoll(error=exc)
        return JobPoll(status=job_status(self.job))

    def done(self, status: JobStatus) -> bool:
        job = self.job
        if job is None:
            return False
        if job.failed:
            raise JobFailedError(
                f"job {job.job_id} {job.status}: {job.message or 'no message'}",
                host=self.idrac.host,
                step=self.step,
                message_id=job.message_id,
            )
        return job.succeeded or job.status in self.stop_on or status.state in self.stop_on


def wait_job(
    idrac: WsmanIdrac,
    job_id: str,
    timing: Timing,
    *,
    timeout: float | None = None,
    stop_on: frozenset[str] = frozenset(),
    on_progress: Callable[[JobStatus], None] | None = None,
    vanished_ok: bool = False,
    step: str = "follow job",
) -> JobStatus | None:
    """Poll a DCIM_LifecycleJob until terminal (or a state in `stop_on`, e.g. "Downloaded";
    WS-Man ("Ready for Execution") and Dell ("ReadyForExecution") spellings both match).

    Raises JobFailedError (message id from the job) for a failed job.  With `vanished_ok`, a
    job that cannot be found any more after the iDRAC went away returns None (an iDRAC reset may
    lose its job store; the caller then verifies by version).
    """
    probe = _WsmanJobProbe(idrac, job_id, stop_on, vanished_ok, step)
    return wait_for_job(probe, jid=job_id, timing=timing,
                        timeout=timeout if timeout is not None else timing.job_timeout,
                        host=idrac.host, name=idrac.host, step=step,
                        on_progress=on_progress)  # fmt: skip


def wait_version(
    read_version: Callable[[], str],
    timing: Timing,
    *,
    host: str,
    expected: str | None,
    previous: str,
    step: str = "wait for the iDRAC",
) -> str:
    """Wait until the iDRAC answers `timing.required_successes` times in a row with the new
    firmware version (`expected`, or anything but `previous` when the image's version is not
    known).  Outages on the way (the iDRAC resets itself) are expected and waited out
    (`restart_wait.wait_answers_in_a_row`, shared with Redfish)."""
    return wait_answers_in_a_row(read_version, timing, host=host, step=step,
                                 want=VersionWant(expected, previous))  # fmt: skip


def clear_queue(
    idrac: WsmanIdrac, timing: Timing, waits: LcWaits, *, step: str = "clear job queue"
) -> int:
    """DeleteJobQueue(JID_CLEARALL), let LC settle, wait until ready and the queue reads empty.
    Returns how many jobs were in the queue (0: nothing sent)."""
    jobs = idrac.jobs()
    if not jobs:
        return 0
    idrac.delete_job_queue()
    timing.pause(waits.queue_clear_settle)
    wait_lc_ready(lambda: lc_readiness(idrac), timing, waits, host=idrac.host, step=step)
    left: list[WsmanJob] = []
    def queue_empty() -> int | None:
        left[:] = idrac.jobs()
        return None if left else len(jobs)

    try:
        return timing.poll_until("job queue empty", queue_empty,
                                 timeout=waits.queue_clear_timeout,
                                 interval=waits.lc_poll_interval, host=idrac.host, step=step,
                                 tolerate=())  # fmt: skip
    except WaitTimeoutError:
        raise DeviceError(
            f"{len(left)} job(s) still queued after JID_CLEARALL "
            f"({', '.join(j.job_id for j in left[:5])})",
            host=idrac.host,
            step=step,
        ) from None
