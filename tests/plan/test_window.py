"""Makespan, lower bounds and maintenance windows."""

from __future__ import annotations

import pytest

from fwupdate.errors import BadInputError
from fwupdate.plan.window import build_schedule, clock_at, list_schedule, parse_window


@pytest.mark.parametrize(
    ("text", "start", "length"),
    [
        ("21:00-05:30", "21:00", 8 * 3600 + 1800),
        ("01:00-03:00", "01:00", 2 * 3600),
        ("9:05-9:04", "09:05", 24 * 3600 - 60),
        (" 22:00 - 23:15 ", "22:00", 4500),
    ],
)
def test_parse_window(text: str, start: str, length: int) -> None:
    assert parse_window(text) == (start, length)


@pytest.mark.parametrize("text", ["21:00", "21-05", "25:00-01:00", "21:00-21:00", "9pm-5am"])
def test_bad_window(text: str) -> None:
    with pytest.raises(BadInputError):
        parse_window(text)


def test_list_schedule_longest_first() -> None:
    entries, deferred = list_schedule([("a", 10), ("b", 30), ("c", 20), ("d", 10)], 2)
    by = {e.group: e for e in entries}
    assert by["b"].start_seconds == 0 and by["c"].start_seconds == 0
    assert by["a"].start_seconds == 20 and by["d"].start_seconds == 30
    assert not deferred


def test_schedule_bounds_and_window() -> None:
    groups = [("p1", 3600), ("p2", 3600), ("p3", 3600), ("p4", 1800)]
    s = build_schedule(groups, 2, "21:00-22:45")
    assert s.makespan_seconds == 3600 + 3600
    assert s.critical_path_seconds == 3600
    assert s.lower_bound_seconds == 6300  # all the work over 2 lanes
    assert s.window is not None and not s.window.fits
    assert s.window.deferred == ("p3",)  # p4 still fits after p2: 1 h + 0.5 h < 1 h 45
    assert build_schedule(groups, 2, "21:00-23:00").window.fits
    s = build_schedule(groups, 4, "21:00-23:00")
    assert s.window.fits and s.makespan_seconds == 3600
    with pytest.raises(BadInputError):
        build_schedule(groups, 0)


def test_empty_schedule() -> None:
    s = build_schedule([], 8, "21:00-05:30")
    assert s.makespan_seconds == 0 and s.window.fits


def test_clock_at() -> None:
    assert clock_at("21:00", 5400) == "22:30"
    assert clock_at("23:30", 3600) == "00:30"
