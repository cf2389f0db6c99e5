"""Fleet makespan: pairs run in parallel up to a concurrency, nodes of a pair one after the other.

A list scheduler (longest group first, ties in plan order) assigns each group to the lane that
frees up first.  With a maintenance window (`21:00-05:30`, may cross midnight) a group that
would not finish inside the window is not started: it is left for the next night.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Sequence

from fwupdate.errors import BadInputError
from fwupdate.plan.models import Schedule, ScheduleEntry, WindowFit

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
DAY = 24 * 3600


def parse_window(text: str) -> tuple[str, int]:
    """`21:00-05:30` -> ("21:00", 30600): start and length in seconds (crossing midnight)."""
    parts = [p.strip() for p in text.split("-")]
    if len(parts) != 2 or not all(_HHMM.match(p) for p in parts):
        raise BadInputError(f"--window {text!r}: expected HH:MM-HH:MM, e.g. 21:00-05:30")
    (sh, sm), (eh, em) = ((int(x) for x in p.split(":")) for p in parts)
    start, end = sh * 3600 + sm * 60, eh * 3600 + em * 60
    if start == end:
        raise BadInputError(f"--window {text!r}: start and end are the same time")
    length = (end - start) % DAY
    return f"{sh:02d}:{sm:02d}", length


def _order(groups: Sequence[tuple[str, int]]) -> list[tuple[int, str, int]]:
    """Longest first; ties keep plan order (deterministic)."""
    indexed = [(i, name, dur) for i, (name, dur) in enumerate(groups)]
    return sorted(indexed, key=lambda x: (-x[2], x[0]))


def list_schedule(
    groups: Sequence[tuple[str, int]], concurrency: int, *, limit: int | None = None
) -> tuple[tuple[ScheduleEntry, ...], tuple[str, ...]]:
    """Assign groups to `concurrency` lanes; with `limit`, groups ending after it are deferred."""
    if concurrency < 1:
        raise BadInputError("concurrency must be at least 1")
    lanes: list[tuple[int, int]] = [(0, lane) for lane in range(concurrency)]
    heapq.heapify(lanes)
    entries: list[ScheduleEntry] = []
    deferred: list[str] = []
    for _i, name, dur in _order(groups):
        free_at, lane = lanes[0]
        if limit is not None and free_at + dur > limit:
            deferred.append(name)
            continue
        heapq.heapreplace(lanes, (free_at + dur, lane))
        entries.append(
            ScheduleEntry(group=name, slot=lane, start_seconds=free_at, end_seconds=free_at + dur)
        )
    return tuple(entries), tuple(deferred)


def build_schedule(
    groups: Sequence[tuple[str, int]], concurrency: int, window: str | None = None
) -> Schedule:
    entries, _ = list_schedule(groups, concurrency)
    makespan = max((e.end_seconds for e in entries), default=0)
    critical = max((d for _, d in groups), default=0)
    total = sum(d for _, d in groups)
    lower = max(critical, -(-total // concurrency))
    fit: WindowFit | None = None
    if window is not None:
        start, length = parse_window(window)
        _, deferred = list_schedule(groups, concurrency, limit=length)
        fit = WindowFit(
            window=window.strip(),
            start=start,
            length_seconds=length,
            fits=not deferred,
            deferred=deferred,
        )
    return Schedule(
        concurrency=concurrency,
        makespan_seconds=makespan,
        critical_path_seconds=critical,
        lower_bound_seconds=lower,
        entries=entries,
        window=fit,
    )


def clock_at(start: str, offset_seconds: int) -> str:
    """`clock_at("21:00", 5400)` -> `22:30` (wraps past midnight)."""
    h, m = (int(x) for x in start.split(":"))
    t = (h * 3600 + m * 60 + offset_seconds) % DAY
    return f"{t // 3600:02d}:{(t % 3600) // 60:02d}"
