"""The maintenance window as a wall-clock deadline for the executor, the check before every
step that takes a node down, and the hint to continue on a later night."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Protocol

from fwupdate.errors import BadInputError
from fwupdate.plan.models import Impact, Step
from fwupdate.plan.window import parse_window
from fwupdate.run.journal import DONE, FAILED, STARTED, Journal, StepRecord


def window_end(text: str, now: datetime | None = None) -> float:
    """Epoch seconds at which `21:00-05:30` ends, given that we are inside it now (local time).
    Outside the window -> BadInputError naming when it starts."""
    start, length = parse_window(text)
    now = now or datetime.now().astimezone()
    sh, sm = (int(x) for x in start.split(":"))
    for days in (0, -1):
        begin = (now + timedelta(days=days)).replace(hour=sh, minute=sm, second=0,
                                                      microsecond=0)
        end = begin + timedelta(seconds=length)
        if begin <= now < end:
            return end.timestamp()
    raise BadInputError(f"--window {text}: outside the window now; it starts at {start}")


def stop_at(text: str, now: datetime | None = None) -> float:
    """`--stop-at 05:30` (next occurrence, local time) or an ISO 8601 date-time."""
    now = now or datetime.now().astimezone()
    try:
        if len(text) <= 5 and ":" in text:
            h, m = (int(x) for x in text.split(":"))
            t = now.replace(hour=h, minute=m, second=0, microsecond=0)
            if t <= now:
                t += timedelta(days=1)
            return t.timestamp()
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise BadInputError(f"--stop-at {text!r}: use HH:MM or an ISO 8601 date-time") from None
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return dt.timestamp()


# --- the window during the run (issue 11 defect 8) -----------------------------------------------

class _Window(Protocol):
    @property
    def window_end(self) -> float | None: ...

    def real(self, device_seconds: float) -> float: ...


def fits(settings: _Window, device_seconds: float) -> bool:
    """Does work of `device_seconds` (time-scaled) still end before the window end?"""
    end = settings.window_end
    return end is None or time.time() + settings.real(device_seconds) <= end


# Notes that change nothing on a device: reads (identity, drift, the VS baseline), a config
# backup, bookkeeping, and `reboot-requested` -- journaled before the handover's notes and before
# the `power-reset` note that precedes every power change, so on its own it proves that nothing
# was sent (chaos seed 404 --intensity 3 night 18: a reboot resumed after the last safe start).
_NOTES_ONLY = frozenset({"intent", "outcome", "drift-check", "identity-check", "vs-baseline",
                         "roles-at-start", "lm-backup", "reboot-requested", "window", "group",
                         "left-behind"})


def node_down(step: Step) -> bool:
    """Steps that take the node (its service or its iDRAC) down: host reboot, LoadMaster
    reboot, repository / virtual-media delivery, CPLD, iDRAC update."""
    return step.takes_node_down or Impact.IDRAC_RESET in step.impact


def touched(journal: Journal, rec: StepRecord) -> bool:
    """A started step whose device may already be acting (a job, a power change, a handover
    noted): it is finished, not stopped, whatever the window says."""
    if rec.state not in (STARTED, FAILED):
        return False
    return any(e.kind not in _NOTES_ONLY for e in journal.events(step_id=rec.step_id))


def any_touched(journal: Journal) -> bool:
    """Does the run have a step in flight whose device may be acting (see `touched`)?"""
    return any(touched(journal, r) for r in journal.steps() if r.state == STARTED)


def stop_reason(step: Step, device_s: float, real_s: float, left_s: float,
                states: dict[str, StepRecord]) -> str:
    armed = sorted(sid for sid, r in states.items()
                   if r.kind == "firmware_stage" and r.state == DONE)
    text = (f"window: {step.node} needs ~{device_s:.0f} device s ({real_s:.1f} s here) for "
            f"{step.kind.value} and its other remaining steps, {left_s:.1f} s left; stopped "
            f"before it, both units up")
    if armed and step.kind.value == "host_reboot":
        text += f"; {len(armed)} staged job(s) stay scheduled for its next reboot"
    return text


def resume_hint(run: str, spec: str | None) -> str:
    """How to continue a run the window stopped: with a new window (the old end is spent)."""
    again = spec if spec and (spec.startswith("--window ") or len(spec) <= len("--stop-at HH:MM")) \
        else "--stop-at HH:MM"
    return (f"continue on a later night with a new window: fwupdate resume {run} {again} "
            f"(or --window HH:MM-HH:MM)")
