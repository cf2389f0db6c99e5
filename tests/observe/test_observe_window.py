"""The window ends mid-pair: `window_reached` is notified once, the metrics show the pair
stopped with the standby's steps done; the resume (metrics to a new file) finishes it."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from receiver import receiver
from runsim import LM_PACE, night

from fwupdate.run import session
from fwupdate.run.context import RunSettings
from fwupdate.run.executor import G_DONE, G_STOPPED, Executor

pytestmark = pytest.mark.integration

SCALE = 800.0


def _samples(path: Path) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(path.read_text()) for s in f.samples}


def test_window_reached_is_notified_and_the_metrics_follow_stop_and_resume(
        demo_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Executor, "_fits", lambda self, seconds: True)  # start it anyway
    m1, m2 = tmp_path / "stop.prom", tmp_path / "resume.prom"
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE,
                           window_end=time.time() - 1, metrics_file=str(m1))
    with receiver() as rec, night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        n.fleet.write_text(n.fleet.read_text() + f'\n[[notify.webhooks]]\nurl = "{rec.url}"\n')
        path, result = session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs",
                                     settings=settings, repo=n.inputs.repo,
                                     lm_image=n.inputs.lm_image, run_id="w")
        assert result.groups[0].status == G_STOPPED
        first = len(n.plan.node_steps("lb3b"))
        s = _samples(m1)
        pair = frozenset({("run", "w"), ("pair", "pair-3")})
        assert s[("fwupdate_pair_status", pair | {("status", "stopped")})] == 1
        assert 0 < s[("fwupdate_steps_done", pair)] < s[("fwupdate_steps", pair)]
        assert s[("fwupdate_steps_done", pair)] >= first
        result = session.resume(path, settings=replace(settings, window_end=None,
                                                       metrics_file=str(m2)))
        assert result.groups[0].status == G_DONE
    assert rec.events() == ["run_started", "window_reached", "run_finished",
                            "run_started", "pair_done", "run_finished"]
    assert [p["body"].get("resumed") for p in rec.posts if p["body"]["event"] == "run_started"
            ] == [False, True]
    s = _samples(m2)
    assert s[("fwupdate_steps_done", pair)] == s[("fwupdate_steps", pair)]
    assert s[("fwupdate_pair_status", pair | {("status", "done")})] == 1
    assert s[("fwupdate_run_status", frozenset({("run", "w"), ("status", "finished")}))] == 1
