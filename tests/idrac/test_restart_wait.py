"""The one 'the iDRAC answers N times in a row' wait both transports use
(fwupdate.idrac.restart_wait), on a fake clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fwupdate.errors import AuthenticationError, DeviceError, WaitTimeoutError
from fwupdate.idrac.restart_wait import ALIVE, VersionWant, wait_answers_in_a_row
from fwupdate.idrac.timing import Timing

HOST = "127.0.0.1:35725"
OLD, NEW = "2.60.60.60", "2.65.65.65"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s

    def timing(self, **kw: float) -> Timing:
        return Timing(sleep=self.sleep, monotonic=lambda: self.now, **kw)  # type: ignore[arg-type]


def _script(answers: list[str | Exception | None]) -> tuple[Callable[[], str | None], list[int]]:
    """A probe giving `answers` in turn (the last one forever); counts its calls."""
    calls = [0]

    def probe() -> str | None:
        got = answers[min(calls[0], len(answers) - 1)]
        calls[0] += 1
        if isinstance(got, Exception):
            raise got
        return got

    return probe, calls


def test_a_bad_answer_resets_the_streak() -> None:
    clock = Clock()
    refused = DeviceError("connection refused", host=HOST, step="read version")
    probe, calls = _script([NEW, NEW, refused, NEW, OLD, NEW, NEW, NEW])
    got = wait_answers_in_a_row(probe, clock.timing(), host=HOST, step="wait for the iDRAC",
                                want=VersionWant(NEW, OLD))  # fmt: skip
    assert got == NEW
    assert calls[0] == 8  # two good, error, one good, old version, then three in a row
    assert clock.sleeps == [10.0] * 7


def test_liveness_counts_answers_and_resets_on_silence() -> None:
    clock = Clock()
    probe, calls = _script([ALIVE, None, ALIVE, ALIVE, ALIVE])
    assert wait_answers_in_a_row(probe, clock.timing(), host=HOST, step="wait for iDRAC") == ALIVE
    assert calls[0] == 5


def test_unknown_target_version_accepts_anything_but_the_previous() -> None:
    clock = Clock()
    probe, _ = _script([OLD, "2.70", "2.70", "2.70"])
    got = wait_answers_in_a_row(probe, clock.timing(), host=HOST, step="s",
                                want=VersionWant(None, OLD))  # fmt: skip
    assert got == "2.70"


def test_timeout_names_count_versions_and_last_error() -> None:
    clock = Clock()
    refused = DeviceError("connection refused", host=HOST, step="read version")
    probe, _ = _script([OLD, refused])
    with pytest.raises(WaitTimeoutError) as ei:
        wait_answers_in_a_row(probe, clock.timing(idrac_up_timeout=60), host=HOST,
                              step="wait for the iDRAC", want=VersionWant(NEW, OLD))  # fmt: skip
    text = str(ei.value)
    assert ei.value.host == HOST and ei.value.step == "wait for the iDRAC"
    assert f"did not come back with firmware {NEW} within 60 s" in text
    assert f"it reports {OLD}" in text
    assert "last error: read version: connection refused" in text
    assert text.count(HOST) == 1, text
    assert clock.now == pytest.approx(60.0)


def test_timeout_of_a_reached_version_says_how_many_in_a_row() -> None:
    clock = Clock()
    probe, _ = _script([NEW, NEW, None])
    with pytest.raises(WaitTimeoutError, match=rf"reported firmware {NEW} but did not answer "
                       r"steadily within 30 s \(0 of 3 reads in a row\)"):  # fmt: skip
        wait_answers_in_a_row(probe, clock.timing(), host=HOST, step="s",
                              want=VersionWant(NEW, OLD), timeout=30)  # fmt: skip


def test_liveness_timeout_states_the_count() -> None:
    clock = Clock()
    probe, _ = _script([None, ALIVE, ALIVE, None])
    with pytest.raises(WaitTimeoutError, match=r"did not answer 3 times in a row within 900 s"):
        wait_answers_in_a_row(probe, clock.timing(), host=HOST, step="wait for iDRAC")
    assert clock.now == pytest.approx(900.0)


def test_wrong_credentials_are_not_waited_out() -> None:
    clock = Clock()
    probe, calls = _script([AuthenticationError("401", host=HOST)])
    with pytest.raises(AuthenticationError):
        wait_answers_in_a_row(probe, clock.timing(), host=HOST, step="s",
                              want=VersionWant(NEW, OLD))  # fmt: skip
    assert calls[0] == 1 and clock.sleeps == []
