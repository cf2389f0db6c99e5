"""The maintenance window as a wall-clock deadline for the executor."""

from __future__ import annotations

from datetime import datetime, timedelta

from fwupdate.errors import BadInputError
from fwupdate.plan.window import parse_window


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
