"""The one bounded wait: poll a check until it returns a value, tolerating the errors a device
gives while it settles, and fail with WaitTimeoutError naming the last one.

The executor (RunContext.wait_for, device seconds scaled by the time-scale) and Kemp's HA
procedure outside a run (`lm upgrade-pair`, loadmaster/procedure.py PollWaiter) both wait
through this function; they differ only in their clock, their pause and what they tolerate."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fwupdate.errors import FwupdateError, WaitTimeoutError, cause_text

T = TypeVar("T")


def poll_until(
    what: str,
    check: Callable[[], T | None],
    *,
    timeout: float,
    host: str,
    step: str,
    clock: Callable[[], float],
    pause: Callable[[float], None],
    label: float | None = None,
    tolerate: tuple[type[BaseException], ...] = (FwupdateError,),
) -> T:
    """`check()` until it returns a value, for at most `timeout` seconds of `clock`.

    `pause(remaining)` sleeps between tries (bounded by what is left); `label` is the timeout
    as the message states it (device seconds where the clock is scaled)."""
    deadline = clock() + timeout
    last = ""
    while True:
        try:
            got = check()
            if got is not None:
                return got
        except tolerate as exc:
            last = f"; last error: {cause_text(exc, host=host)}"
        if clock() >= deadline:
            shown = timeout if label is None else label
            raise WaitTimeoutError(f"{what}: not reached within {shown:g} s{last}", host=host,
                                   step=step)  # fmt: skip
        pause(max(0.0, deadline - clock()))
