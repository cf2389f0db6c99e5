"""I7 "the report says so" (issue 11): a pair stopped by a failure after its host was shut down
leaves the host powered off with its staged BIOS job armed; the run report names the node, says
"powered off" and the JID, and the independent checker (fwupdate.check) finds no I7 violation."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from runsim import LM_PACE, night

from fwupdate.check import check_night, evidence, read_journal
from fwupdate.errors import DeviceError
from fwupdate.plan.models import StepKind
from fwupdate.report.run_report import build_run_report
from fwupdate.run import executor, session, steps_idrac
from fwupdate.run.context import RunSettings
from fwupdate.run.journal import Journal

pytestmark = pytest.mark.integration

SCALE = 800.0


class Crash(BaseException):
    """Stands for SIGKILL."""


def test_report_names_a_host_left_off_and_its_armed_job(
        cli: Any, demo_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:

        def send(rt: Any, step: Any, idrac: Any, jids: list[str]) -> None:
            state = n.sim.device(f"{step.node}-idrac").state  # type: ignore[attr-defined]
            with state._locked():
                state._power_off(reason="shut down; the power On never came")
            raise DeviceError("host On refused", host=step.node, step=step.step_id)

        monkeypatch.setattr(steps_idrac, "_send_reboot", send)
        r = cli(*n.run_args("--yes", "--run-id", "off", scale=SCALE))
        assert r.code == 1, r
        assert "lb3b: left with the host powered Off" in r.err, r.err
        rep = cli("report", "off", "--runs-dir", str(tmp_path / "runs"), "--format", "json")
        doc = json.loads(rep.out)
        (left,) = doc["left_behind"]
        jobs = [j for j in n.sim.state_dump()["devices"]["lb3b-idrac"]["jobs"]
                if j.get("state") == "Scheduled"]
        assert jobs, n.sim.state_dump()["devices"]["lb3b-idrac"]
        assert left["node"] == "lb3b" and left["powered_off"] is True
        assert "host powered off" in left["detail"]
        assert {j["id"] for j in jobs} <= {a["jid"] for a in left["armed_jobs"]}
        text = cli("report", "off", "--runs-dir", str(tmp_path / "runs"))
        assert "left behind: lb3b: host powered off" in text.out
        ev = evidence(read_journal(tmp_path / "runs" / "off.db"), sim_events=n.sim.events.records(),
                      sim_state=n.sim.state_dump(), report=doc)
        (i7,) = [v for v in check_night(ev) if v.invariant == "I7"]
        assert i7.checked and not i7.violations, i7


def test_a_deferred_pair_reports_jobs_an_earlier_run_left_armed(
        demo_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Campaign seed 21 night 19: a run killed after staging lb3b's jobs, its journal lost,
    and a fresh run whose window leaves no room: the pair is deferred (nothing changed), and
    the report names the jobs still armed on lb3b (I7)."""

    def killed(rt: Any, step: Any, resume: bool) -> Any:
        raise Crash

    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        monkeypatch.setitem(executor.HANDLERS, StepKind.HOST_REBOOT, killed)
        with pytest.raises(Crash):
            session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs", settings=settings,
                          repo=n.inputs.repo, lm_image=n.inputs.lm_image, run_id="lost")
        armed = {j["id"] for j in n.sim.state_dump()["devices"]["lb3b-idrac"]["jobs"]
                 if j.get("state") == "Scheduled"}
        assert armed
        late = replace(settings, window_end=time.time() + 0.5)
        path, res = session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs",
                                  settings=late, repo=n.inputs.repo,
                                  lm_image=n.inputs.lm_image, run_id="fresh")
        assert res.groups[0].status == "deferred", res
        with Journal.open(path) as j:
            doc = build_run_report(j)
        (left,) = doc["left_behind"]
        assert left["node"] == "lb3b" and armed <= {a["jid"] for a in left["armed_jobs"]}
        ev = evidence(read_journal(path), sim_events=n.sim.events.records(),
                      sim_state=n.sim.state_dump(), report=doc)
        (i7,) = [v for v in check_night(ev) if v.invariant == "I7"]
        assert not i7.violations, i7
