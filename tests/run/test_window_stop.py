"""The window ends while a pair is in progress: the pair stops at the next node boundary (the
standby done, the Active unit untouched and serving), and a resume finishes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from runsim import LM_PACE, at_target, night

from fwupdate.run import session
from fwupdate.run.context import RunSettings
from fwupdate.run.executor import G_DONE, G_STOPPED, Executor

pytestmark = pytest.mark.integration

SCALE = 800.0


def test_window_end_stops_pair_at_node_boundary(demo_inputs, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Executor, "_fits", lambda self, seconds: True)
    monkeypatch.setattr(Executor, "_window_over", lambda self: True)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        path, result = session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs",
                                     settings=settings, repo=n.inputs.repo,
                                     lm_image=n.inputs.lm_image, run_id="w")
        g = result.groups[0]
        assert g.status == G_STOPPED and "lb3b is done" in (g.error or "")
        assert not [r for r in n.records("job_created") if r["device"] == "lb3a-idrac"]
        assert n.sim.device("lb3a-lm").hastatus() == "Active"  # type: ignore[attr-defined]
        assert n.availability("pair-3") == (0, 0)
        monkeypatch.setattr(Executor, "_window_over", lambda self: False)
        result = session.resume(path, settings=settings)
        assert result.groups[0].status == G_DONE
        assert at_target(n) == []
        assert n.availability("pair-3") == (0, 1)
