"""The window ends while a pair is in progress: the pair stops at the next node boundary (the
standby done, the Active unit untouched and serving), and a resume finishes it."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from runsim import LM_PACE, at_target, night

from fwupdate.cli.main import main as cli_main
from fwupdate.plan.models import StepKind
from fwupdate.run import executor, session
from fwupdate.run.context import RunSettings
from fwupdate.run.executor import G_DONE, G_STOPPED, Executor
from fwupdate.run.journal import Journal

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


def test_window_checked_before_each_node_down_step(demo_inputs, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11 defect 8: the window end comes closer while lb3b's steps run; before its host
    reboot (1140 device s = 1.4 s here) only 0.3 s are left, so the pair stops there: nothing
    rebooted after the end, both units up, and a later resume finishes it."""
    real_stage = executor.HANDLERS[StepKind.LM_STAGE]

    def stage(rt: Any, step: Any, resume: bool) -> dict[str, Any]:
        out = real_stage(rt, step, resume)
        if step.node == "lb3b":
            rt.ctx.settings = replace(rt.ctx.settings, window_end=time.time() + 0.3)
        return out

    monkeypatch.setitem(executor.HANDLERS, StepKind.LM_STAGE, stage)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        path, result = session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs",
                                     settings=settings, repo=n.inputs.repo,
                                     lm_image=n.inputs.lm_image, run_id="w8")
        g = result.groups[0]
        assert g.status == G_STOPPED and g.step == "pair-3/010-host_reboot", g
        assert g.window and "window" in (g.error or ""), g
        assert not [r for r in n.records("host_reset_requested") if r["device"] == "lb3b-idrac"]
        assert n.sim.device("lb3a-lm").hastatus() == "Active"  # type: ignore[attr-defined]
        assert n.sim.device("lb3b-lm").hastatus() == "Standby"  # type: ignore[attr-defined]
        assert n.availability("pair-3") == (0, 0)
        result = session.resume(path, settings=settings)
        assert result.groups[0].status == G_DONE
        assert at_target(n) == []
        assert n.availability("pair-3") == (0, 1)


def _iso(seconds: float) -> str:
    return (datetime.now().astimezone() + timedelta(seconds=seconds)).isoformat(
        timespec="seconds")


def test_deferred_pair_continues_on_a_later_night_with_a_new_window(
        demo_inputs, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 11 defect 9: the window leaves no room for the pair (deferred); the hint names a
    new window; a resume without one refuses (the old stop time is over) instead of deferring
    again; `run --resume RUN --stop-at ...` honours the new end and finishes the pair."""
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = str(tmp_path / "runs")
        soon = _iso(1)
        rc = cli_main(n.run_args("--yes", "--run-id", "w9", "--stop-at", soon, scale=SCALE))
        out = capsys.readouterr().out
        assert rc == 3, out
        assert "pair-3: deferred" in out
        assert f"fwupdate resume w9 --stop-at {soon}" not in out  # not the old, spent end
        assert "fwupdate resume w9 --stop-at HH:MM" in out, out
        time.sleep(max(0.0, datetime.fromisoformat(soon).timestamp() - time.time() + 0.1))
        rc = cli_main(["resume", "w9", "--runs-dir", runs, "--yes"])
        err = capsys.readouterr().err
        assert rc == 2 and "--window" in err and "--stop-at" in err, err
        assert not n.records("job_created")
        rc = cli_main(n.run_args("--yes", "--resume", "w9", "--stop-at", _iso(3600),
                                 scale=SCALE))
        out = capsys.readouterr().out
        assert rc == 0, out
        assert at_target(n) == []
        with Journal.open(tmp_path / "runs" / "w9.db") as j:
            assert [e.data.get("spec") for e in j.events(kind="window")][-1].startswith(
                "--stop-at ")
