"""Crashes at the worst moments, made deterministic: the process dies right after the Active
unit handed its role over (before the host reboot was sent), and right after an iDRAC returned
a job id (before anything waited for it).  Resume must converge without a second job, a second
flash or an outage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from runsim import LM_PACE, at_target, duplicate_jobs, flashed_twice, night

from fwupdate.run import session, steps_idrac
from fwupdate.run.context import RunSettings
from fwupdate.run.journal import Journal

pytestmark = pytest.mark.integration

SCALE = 800.0


class Crash(BaseException):
    """Stands for SIGKILL: nothing after it runs, the journal keeps what was committed."""


def test_crash_after_handover_and_after_job_creation(demo_inputs, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    real_send = steps_idrac._send_reboot
    real_install = steps_idrac._install
    crashed: list[str] = []

    def send(rt: Any, step: Any, idrac: Any, jids: list[str]) -> None:
        if step.node == "lb3a" and "reboot" not in crashed:
            crashed.append("reboot")
            raise Crash
        real_send(rt, step, idrac, jids)

    def install(rt: Any, step: Any, idrac: Any, cid: Any) -> Any:
        job = real_install(rt, step, idrac, cid)
        if step.node == "lb3b" and "install" not in crashed:
            crashed.append("install")
            raise Crash
        return job

    monkeypatch.setattr(steps_idrac, "_send_reboot", send)
    monkeypatch.setattr(steps_idrac, "_install", install)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = tmp_path / "runs"
        with pytest.raises(Crash):
            session.start(n.plan_path, n.fleet, runs_dir=runs, settings=settings,
                          repo=n.inputs.repo, lm_image=n.inputs.lm_image, run_id="c")
        assert crashed == ["install"]
        journal = runs / "c.db"
        with pytest.raises(Crash):
            session.resume(journal, settings=settings)
        assert crashed == ["install", "reboot"]
        with Journal.open(journal) as j:
            handed = j.events(kind="handover")
            assert [e.node for e in handed] == ["lb3a"]
            assert j.events(kind="reboot-sent")[-1].node == "lb3b"
        result = session.resume(journal, settings=settings)
        assert [g.status for g in result.groups] == ["done"]
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []
        assert n.availability("pair-3") == (0, 1)
