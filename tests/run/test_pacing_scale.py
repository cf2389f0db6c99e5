"""Pacing and polling floors follow the time-scale only against the simulator."""

from __future__ import annotations

import pytest

from fwupdate.run.context import SIM_MIN_REAL_POLL, RunSettings


def test_real_devices_keep_the_safe_real_second_pacing() -> None:
    s = RunSettings()
    assert not s.simulated
    assert s.lm_interval == pytest.approx(0.25)
    assert s.poll_floor == pytest.approx(0.05)
    assert RunSettings(lm_min_interval=0.5).lm_interval == pytest.approx(0.5)


def test_pacing_follows_the_time_scale_against_the_simulator() -> None:
    s = RunSettings(time_scale=1000.0)
    assert s.simulated
    assert s.lm_interval == pytest.approx(0.25 / 1000)
    assert s.poll_floor == pytest.approx(SIM_MIN_REAL_POLL)
    assert s.min_real_poll > SIM_MIN_REAL_POLL
