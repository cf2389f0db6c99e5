"""Lifecycle Controller readiness: one bounded wait for both transports.

The probe is the transport's own `GetRemoteServicesAPIStatus` (Redfish `DellLCService` on
iDRAC9, WS-Man `DCIM_LCService` on 12G/13G, idrac-wsman.md §2.10) turned into an `LcReadiness`;
the wait around it is `fwupdate.waits.poll_until` on `Timing.poll_until` (device seconds).  Answers
that are not ready and errors while LC settles are waited out (logged); wrong credentials and
TLS failures are not: they will not fix themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fwupdate.errors import (
    NOT_WAITED_OUT,
    FwupdateError,
    WaitTimeoutError,
    cause_text,
)
from fwupdate.idrac.models import Transport
from fwupdate.idrac.timing import Timing

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class LcWaits:
    """Waits Timing does not hold (device seconds)."""

    lc_ready_timeout: float = 1800.0  # [ASM] 30 min; dracclient 16 min was short on 12G/13G
    lc_poll_interval: float = 10.0  # dracclient polls every 10 s
    queue_clear_settle: float = 30.0  # after JID_CLEARALL the data manager restarts ([ASM] 30 s)
    queue_clear_timeout: float = 300.0  # the queue must read empty within this


@dataclass(frozen=True)
class LcReadiness:
    ready: bool
    detail: str  # "Status=0 LCStatus=0 ServerStatus=2" / "LCStatus=Ready Status=Ready"
    transport: Transport
    message_id: str | None = None


@dataclass
class _Seen:
    """What the wait saw last: the last answer and the error of the last probe (if it failed)."""

    answer: LcReadiness | None = None
    error: FwupdateError | None = None


def wait_lc_ready(
    probe: Callable[[], LcReadiness],
    timing: Timing,
    waits: LcWaits,
    *,
    host: str,
    step: str = "wait for LC ready",
) -> LcReadiness:
    """`probe()` every `lc_poll_interval` until LC is ready, for at most `lc_ready_timeout`."""
    seen = _Seen()

    def check() -> LcReadiness | None:
        try:
            now = probe()
        except NOT_WAITED_OUT:
            raise
        except FwupdateError as exc:
            seen.error = exc
            log.info("%s: %s: %s (still waiting)", host, step, exc)
            return None
        seen.error = None
        if now.ready:
            return now
        if now != seen.answer:
            log.info("%s: LC not ready: %s", host, now.detail)
        seen.answer = now
        return None

    try:
        return timing.poll_until("Lifecycle Controller ready", check,
                                 timeout=waits.lc_ready_timeout, interval=waits.lc_poll_interval,
                                 host=host, step=step, tolerate=())  # fmt: skip
    except WaitTimeoutError:
        raise _not_ready(seen, waits, host=host, step=step) from None


def _not_ready(seen: _Seen, waits: LcWaits, *, host: str, step: str) -> WaitTimeoutError:
    said = f"; last answer {seen.answer.detail}" if seen.answer else ""
    why = f"; last error: {cause_text(seen.error, host=host)}" if seen.error else ""
    return WaitTimeoutError(
        f"Lifecycle Controller not ready after {waits.lc_ready_timeout:g} s{said}{why}",
        host=host,
        step=step,
        message_id=seen.answer.message_id if seen.answer else None,
    )
