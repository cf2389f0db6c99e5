"""The one LC-readiness wait both transports use (fwupdate.idrac.lc_ready), on a fake clock."""

from __future__ import annotations

import pytest

from fwupdate.errors import AuthenticationError, DeviceError, WaitTimeoutError
from fwupdate.idrac.lc_ready import LcReadiness, LcWaits, wait_lc_ready
from fwupdate.idrac.models import Transport
from fwupdate.idrac.timing import Timing

BUSY = LcReadiness(False, "Status=1 LCStatus=5", Transport.WSMAN, "LC061")
READY = LcReadiness(True, "Status=0 LCStatus=0", Transport.WSMAN)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s

    def timing(self) -> Timing:
        return Timing(sleep=self.sleep, monotonic=lambda: self.now)


def test_waits_out_busy_answers_and_errors_until_ready() -> None:
    clock = Clock()
    answers: list[object] = [BUSY, DeviceError("connection refused"), BUSY, READY]

    def probe() -> LcReadiness:
        got = answers.pop(0)
        if isinstance(got, Exception):
            raise got
        assert isinstance(got, LcReadiness)
        return got

    assert wait_lc_ready(probe, clock.timing(), LcWaits(), host="h") == READY
    assert clock.sleeps == [10.0, 10.0, 10.0]


def test_timeout_names_the_last_answer_and_its_message_id() -> None:
    clock = Clock()
    with pytest.raises(WaitTimeoutError, match="not ready after 60 s; last answer Status=1") as e:
        wait_lc_ready(lambda: BUSY, clock.timing(), LcWaits(lc_ready_timeout=60), host="h",
                      step="LC ready before update")  # fmt: skip
    assert e.value.message_id == "LC061"
    assert e.value.step == "LC ready before update"
    assert clock.now == pytest.approx(60.0)


def test_wrong_credentials_are_not_waited_out() -> None:
    clock = Clock()

    def probe() -> LcReadiness:
        raise AuthenticationError("401")

    with pytest.raises(AuthenticationError):
        wait_lc_ready(probe, clock.timing(), LcWaits(), host="h")
    assert clock.sleeps == []
