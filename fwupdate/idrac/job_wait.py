"""Follow a job until it is done: one bounded wait for both transports.

The wait is `fwupdate.waits.poll_until` (device seconds, scaled by `Timing`): polls at least
`Timing.poll_interval` apart (longer when the iDRAC asks with Retry-After), a change of state is
logged and handed to `on_progress`, and a timeout names the last state and the last error.  What
differs per transport is the `JobProbe` (redfish/jobs.py, wsman/waits.py): how to read the job
once, which failures are only the iDRAC settling (returned as `JobPoll.error`, waited out) and
which end the wait (raised), and when a state is final (`done` raises JobFailedError for a failed
job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fwupdate.errors import FwupdateError, WaitTimeoutError, cause_text
from fwupdate.idrac.job_models import JobStatus
from fwupdate.idrac.timing import Timing
from fwupdate.waits import poll_until

log = logging.getLogger(__name__)

ProgressFn = Callable[[JobStatus], None]


@dataclass(frozen=True)
class JobPoll:
    """One read of a job."""

    status: JobStatus | None = None
    error: FwupdateError | None = None  # a passing failure (the iDRAC settles): keep waiting
    gone: bool = False  # the job vanished and the probe accepts it: stop, the caller verifies
    retry_after: float | None = None  # device seconds the iDRAC asked to wait before the next


class JobProbe(Protocol):
    def read(self) -> JobPoll:
        """Read the job once; raise what must end the wait."""
        ...

    def done(self, status: JobStatus) -> bool:
        """Whether `status` ends the wait; raises JobFailedError for a failed job."""
        ...


@dataclass
class _Seen:
    last: JobStatus | None = None
    error: FwupdateError | None = None
    interval: float = 0.0  # device seconds until the next read


@dataclass(frozen=True)
class _Final:
    status: JobStatus | None  # None: the job is gone (JobPoll.gone)


def wait_for_job(
    probe: JobProbe,
    *,
    jid: str,
    timing: Timing,
    timeout: float,
    host: str,
    name: str,
    step: str,
    on_progress: ProgressFn | None = None,
) -> JobStatus | None:
    """Read the job until `probe.done` (or it is gone: None) for at most `timeout` device s."""
    seen = _Seen()

    def check() -> _Final | None:
        seen.interval = timing.poll_interval
        got = probe.read()
        if got.error is not None:
            seen.error = got.error
            log.info("%s: %s: %s (still waiting)", name, step, got.error)
            return None
        seen.error = None
        if got.gone or got.status is None:
            return _Final(None)
        if got.retry_after is not None:
            seen.interval = max(seen.interval, got.retry_after)
        if got.status != seen.last:
            log.info("%s: job %s", name, got.status.describe())
            if on_progress is not None:
                on_progress(got.status)
        seen.last = got.status
        return _Final(got.status) if probe.done(got.status) else None

    def pause(left: float) -> None:
        timing.sleep(min(timing.real(seen.interval), left))

    try:
        return poll_until(f"job {jid}", check, timeout=timing.real(timeout), host=host,
                          step=step, clock=timing.monotonic, pause=pause,
                          tolerate=()).status  # fmt: skip
    except WaitTimeoutError:
        raise _late(seen, jid, host=host, step=step) from None


def _late(seen: _Seen, jid: str, *, host: str, step: str) -> WaitTimeoutError:
    where = f"; last state {seen.last.describe()}" if seen.last else ""
    why = f"; last error: {cause_text(seen.error, host=host)}" if seen.error else ""
    return WaitTimeoutError(f"job {jid} did not finish in time{where}{why}", host=host, step=step)
