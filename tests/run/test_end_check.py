"""The run's end point for I2 (docs/guarantees.md): a pair reported `done` has its baseline
Virtual Services read again at the end of the run (and of a resume).  A VS that went Down after
the pair finished makes it `degraded` -- journal, report, exit code, events -- and a resume that
finds it Up again reports the pair `done` (campaign seed 61 night 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from runsim import night

from fwupdate.plan.models import StepKind
from fwupdate.run import endcheck, executor
from fwupdate.run.journal import Journal
from fwupdate.sim.loadmaster import apply_fault

pytestmark = pytest.mark.integration

SCALE = 800.0


def _report(cli: Any, runs: Path, run: str, fmt: str = "json") -> Any:
    r = cli("report", run, "--runs-dir", str(runs), "--format", fmt)
    assert r.code == 0, r
    return json.loads(r.out) if fmt == "json" else r.out


def test_a_vs_down_after_the_pair_finished_is_reported_degraded_not_done(
        cli: Any, demo_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = executor.HANDLERS[StepKind.PAIR_POSTCHECK]
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:

        def postcheck(rt: Any, step: Any, resume: bool) -> Any:
            out = real(rt, step, resume)  # the pair healthy, its verdict next...
            apply_fault(n.sim, "pair-3", "vs-down", "2")  # ...and api goes Down after it
            return out

        monkeypatch.setitem(executor.HANDLERS, StepKind.PAIR_POSTCHECK, postcheck)
        r = cli(*n.run_args("--yes", "--run-id", "end", scale=SCALE))
        assert r.code == 3, r  # as for a failed pair among others: not 0
        assert "pair-3: degraded" in r.out, r.out
        assert "VS api" in r.out and "after the pair finished at" in r.out, r.out
        runs = tmp_path / "runs"
        with Journal.open(runs / "end.db") as j:
            verdicts = [e.data["status"] for e in j.events(kind="group")]
        assert verdicts == ["done", "degraded"]
        doc = _report(cli, runs, "end")
        assert doc["status"] == "partial"
        g = doc["groups"][0]
        assert g["status"] == "degraded" and "VS api" in g["error"], g
        assert all(s["state"] == "done" for s in doc["steps"])  # the steps themselves did run
        assert "pair-3: degraded" in _report(cli, runs, "end", "table")
        assert "st-degraded" in _report(cli, runs, "end", "html")

        # the VS is Up again: a resume reads it again and reports the pair done
        n.sim.shared["pair-3"].pair.set_vs_down(2, down=False)
        r = cli("resume", "end", "--runs-dir", str(runs), "--yes")
        assert r.code == 0, r
        doc = _report(cli, runs, "end")
        assert doc["groups"][0]["status"] == "done" and doc["status"] == "finished", doc


def test_a_pair_whose_services_stay_up_is_done_with_one_verdict(
        cli: Any, demo_inputs: Any, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        r = cli(*n.run_args("--yes", "--run-id", "ok", scale=SCALE))
        assert r.code == 0, r
        with Journal.open(tmp_path / "runs" / "ok.db") as j:
            assert [e.data["status"] for e in j.events(kind="group")] == ["done"]


def test_the_end_check_is_journaled_before_the_services_are_read_again(
        cli: Any, demo_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The `end-check` note marks the process's last look at the devices (after every group's
    verdict, before the first read): a change after it is outside what the run can report, and
    the campaign fires no fault after it (campaign seed 505 night 36)."""
    real = endcheck.services_lost
    notes_at_read: list[list[str]] = []

    def services_lost(rt: Any) -> list[str]:
        with Journal.open(tmp_path / "runs" / "note.db") as j:
            notes_at_read.append([e.kind for e in j.events()])
        return real(rt)

    monkeypatch.setattr(endcheck, "services_lost", services_lost)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        r = cli(*n.run_args("--yes", "--run-id", "note", scale=SCALE))
        assert r.code == 0, r
    assert len(notes_at_read) == 1 and notes_at_read[0][-2:] == ["group", "end-check"]
    with Journal.open(tmp_path / "runs" / "note.db") as j:
        note = j.events(kind="end-check")
        assert [e.data for e in note] == [{"pairs": ["pair-3"]}]
        assert [e.kind for e in j.events()][-2:] == ["end-check", "run-status"]
