"""The iDRAC coming back: one bounded wait for both transports.

After a reset or its own firmware update an iDRAC is back when it answers
`Timing.required_successes` times in a row, `idrac_probe_interval` apart (sushy's and ironic's
recipe), optionally with the wanted firmware version.  The probe is the transport's own (Redfish:
an unauthenticated service-root GET; WS-Man: the iDRAC view's version); the wait around it is
`fwupdate.waits.poll_until` (device seconds, scaled by `Timing`).  A probe that raises or reads
the wrong version breaks the streak; wrong credentials and TLS failures are not waited out.
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
from fwupdate.idrac.timing import Timing

log = logging.getLogger(__name__)


ALIVE = ""  # what a liveness probe returns for "it answered" (no version read)


@dataclass(frozen=True)
class VersionWant:
    """The firmware the iDRAC should come back with: `expected`, or (when the image's version is
    not known) anything but `previous`."""

    expected: str | None
    previous: str

    def met(self, version: str) -> bool:
        return version == self.expected if self.expected else version != self.previous

    def describe(self) -> str:
        return self.expected or f"anything but {self.previous}"


@dataclass
class _Streak:
    """What the wait saw: good answers in a row, the last version read, the last probe error."""

    good: int = 0
    seen: str | None = None
    error: FwupdateError | None = None


def wait_answers_in_a_row(
    probe: Callable[[], str | None],
    timing: Timing,
    *,
    host: str,
    step: str,
    want: VersionWant | None = None,
    timeout: float | None = None,
) -> str:
    """`probe()` until it gives `timing.required_successes` good answers in a row; returns the last.

    `probe` returns a version (or `ALIVE`), None when the iDRAC did not answer, or raises a
    FwupdateError (waited out, logged).  With `want`, only the wanted version is a good answer.
    `timeout` is in device seconds (default `timing.idrac_up_timeout`)."""
    limit = timing.idrac_up_timeout if timeout is None else timeout
    streak = _Streak()

    def check() -> str | None:
        answer = _read(probe, streak, host=host, step=step)
        good = answer is not None and (want is None or want.met(answer))
        streak.good = streak.good + 1 if good else 0
        return answer if streak.good >= timing.required_successes else None

    try:
        return timing.poll_until("the iDRAC answering", check, timeout=limit,
                                 interval=timing.idrac_probe_interval, host=host, step=step,
                                 tolerate=())  # fmt: skip
    except WaitTimeoutError:
        raise WaitTimeoutError(_not_back_text(streak, want, timing, limit, host=host), host=host,
                               step=step) from None  # fmt: skip


def _read(probe: Callable[[], str | None], streak: _Streak, *, host: str, step: str) -> str | None:
    """One probe: the answer (recorded as seen), or None after a non-fatal error (recorded)."""
    try:
        answer = probe()
    except NOT_WAITED_OUT:
        raise
    except FwupdateError as exc:
        streak.error = exc
        log.info("%s: %s: %s (still waiting)", host, step, exc)
        return None
    if answer is not None:
        streak.error = None
        if answer != ALIVE:
            streak.seen = answer
    return answer


def _not_back_text(
    streak: _Streak, want: VersionWant | None, timing: Timing, limit: float, *, host: str
) -> str:
    """Why the wait gave up, without contradicting itself: a version that was reached but not
    read `required_successes` times in a row is said so."""
    need = timing.required_successes
    within = f"within {limit:g} s"
    why = f"; last error: {cause_text(streak.error, host=host)}" if streak.error else ""
    if want is None:
        got = f"({streak.good} so far)"
        return f"the iDRAC did not answer {need} times in a row {within} {got}{why}"
    seen = streak.seen
    if seen is not None and want.met(seen):
        return (
            f"the iDRAC reported firmware {seen} but did not answer steadily {within} "
            f"({streak.good} of {need} reads in a row){why}"
        )
    now = f"; it reports {seen}" if seen else ""
    return f"the iDRAC did not come back with firmware {want.describe()} {within}{now}{why}"
