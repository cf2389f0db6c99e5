"""Issue 11 defect 11: the report tells crashes, interruptions and resumes, and its top status
is honest (finished / partial / failed / interrupted / running), in JSON, CSV, table and HTML."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from report_support import parse

from fwupdate.report.html import run_html
from fwupdate.report.run_report import build_run_report
from fwupdate.run import runlock
from fwupdate.run.journal import RESUME, RUN_START, Journal

STEPS = [
    ("a/000-precheck", "a1", "a", "precheck"),
    ("a/001-idrac_update", "a1", "a", "idrac_update"),
    ("b/000-precheck", "b1", "b", "precheck"),
    ("b/001-idrac_update", "b1", "b", "idrac_update"),
    ("c/000-precheck", "c1", "c", "precheck"),
    ("c/001-idrac_update", "c1", "c", "idrac_update"),
]
PLAN = {"groups": [
    {"name": g, "standalone": False, "order": [f"{g}1"],
     "steps": [{"id": sid, "kind": kind, "estimated_seconds": 60}
               for sid, _n, p, kind in STEPS if p == g], "totals": {"failovers": 0}}
    for g in ("a", "b", "c")
]}
T0 = 1_796_083_200.0  # 2026-12-01 00:00:00 UTC (as in conftest.py)


class FakeClock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


START = {"pid": 4242, "host": "orchestrator", "command": ["fwupdate", "run", "plan.json",
                                                          "fleet.toml", "--yes"]}


def _journal(path: Path, clock: FakeClock) -> Journal:
    j = Journal.create(path, run_id="n1", plan=PLAN, steps=STEPS,
                       options={"started_at": T0}, now=clock)
    j.record(None, None, RUN_START, START)
    j.set_status("running")
    return j


def _step(j: Journal, clock: FakeClock, sid: str, ok: bool = True, finish: bool = True) -> None:
    j.intent(sid, {})
    clock.advance(60)
    if finish:
        j.outcome(sid, ok=ok, message_id=None if ok else "RED007",
                  error=None if ok else "signature check failed")
    clock.advance(5)


def _group(j: Journal, group: str, status: str) -> None:
    j.record(None, None, "group", {"group": group, "status": status, "step": None,
                                   "error": None, "message_id": None})


def _crashed(tmp_path: Path) -> Journal:
    """SIGKILL in the middle of a1's iDRAC update: no final status, nobody holds the lock."""
    clock = FakeClock()
    j = _journal(tmp_path / "n1.db", clock)
    _step(j, clock, "a/000-precheck")
    _step(j, clock, "a/001-idrac_update", finish=False)
    return j


def test_a_killed_run_is_interrupted_with_the_resume_hint(tmp_path: Path) -> None:
    with _crashed(tmp_path) as j:
        doc = build_run_report(j, now=T0 + 3600, alive=False)
    assert doc["status"] == "interrupted"
    assert doc["resume_hint"] == "fwupdate resume n1"
    assert [(i["kind"], i["pid"], i["host"]) for i in doc["interruptions"]] == [
        ("crash", 4242, "orchestrator")]
    assert doc["interruptions"][0]["at"] == T0 + 65  # the last thing the dead process wrote
    assert doc["resumes"] == []
    assert {n["node"]: n["status"] for n in doc["nodes"]}["a1"] == "interrupted"
    assert {g["group"]: g["status"] for g in doc["groups"]}["a"] == "interrupted"
    assert doc["started_by"]["command"] == START["command"]


def test_a_live_run_is_running_without_a_hint(tmp_path: Path) -> None:
    with _crashed(tmp_path) as j:
        doc = build_run_report(j, now=T0 + 3600, alive=True)
    assert doc["status"] == "running" and doc["resume_hint"] is None
    assert doc["interruptions"] == []
    assert {n["node"]: n["status"] for n in doc["nodes"]}["a1"] == "in_flight"


def _crash_resume_finish(tmp_path: Path, verdicts: dict[str, str]) -> Journal:
    clock = FakeClock()
    j = _journal(tmp_path / "n1.db", clock)
    _step(j, clock, "a/000-precheck")
    _step(j, clock, "a/001-idrac_update", finish=False)  # killed here
    clock.advance(600)
    j.record(None, None, RESUME, {**START, "pid": 5151, "command": ["fwupdate", "resume", "n1"]})
    j.set_status("running")
    for g, verdict in verdicts.items():
        for sid, _n, p, _k in STEPS:
            if p == g and j.step(sid).state != "done":
                _step(j, clock, sid, ok=verdict == "done")
                if verdict != "done":
                    break
        _group(j, g, verdict)
    j.set_status("finished")
    j.set_meta("finished_at", repr(clock.t))
    return j


@pytest.mark.parametrize(
    ("verdicts", "status"),
    [
        ({"a": "done", "b": "done", "c": "done"}, "finished"),
        ({"a": "done", "b": "failed", "c": "failed"}, "partial"),
        ({"a": "failed", "b": "failed", "c": "failed"}, "failed"),
    ],
)
def test_top_status_is_honest(tmp_path: Path, verdicts: dict[str, str], status: str) -> None:
    with _crash_resume_finish(tmp_path, verdicts) as j:
        doc = build_run_report(j, now=T0 + 9000, alive=False)
    assert doc["status"] == status
    assert [i["kind"] for i in doc["interruptions"]] == ["crash"]
    assert [(r["pid"], r["command"]) for r in doc["resumes"]] == [
        (5151, ["fwupdate", "resume", "n1"])]
    assert (doc["resume_hint"] is None) == (status == "finished")
    page = parse(run_html(doc))
    spans = [e for e in page.find("span") if e.attrs.get("class", "").startswith("st-")]
    assert spans[0].attrs["class"] == f"st-{status}"  # the header's colour follows the status
    marks = page.find("g", "run-mark")
    assert len(marks) == 2  # the crash and the resume, on the timeline
    text = page.find("table", "sessions")[0].text
    assert "crash" in text and "fwupdate resume n1" in text and "5151" in text


def test_a_signal_interruption_is_listed(tmp_path: Path, journal_path: Path) -> None:
    with Journal.open(journal_path) as j:  # the shared fixture: stopped by Ctrl-C / SIGTERM
        doc = build_run_report(j, now=T0 + 8 * 3600, alive=False)
    assert doc["status"] == "interrupted" and doc["resume_hint"] == "fwupdate resume night-1"
    assert [i["kind"] for i in doc["interruptions"]] == ["signal"]


def _cli_doc(cli: Any, path: Path, fmt: str = "json") -> Any:  # type: ignore[no-untyped-def]
    r = cli("report", str(path), "--format", fmt)
    assert r.code == 0, r
    return json.loads(r.out) if fmt == "json" else r.out


def test_cli_tells_a_dead_process_from_a_live_one(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    j = _crashed(tmp_path)
    j.close()
    path = tmp_path / "n1.db"
    with runlock.hold(path):  # a live process holds the run's lock
        assert _cli_doc(cli, path)["status"] == "running"
    assert runlock.is_held(path) is False  # released (as the kernel does on SIGKILL)
    doc = _cli_doc(cli, path)
    assert doc["status"] == "interrupted" and doc["resume_hint"] == "fwupdate resume n1"
    table = _cli_doc(cli, path, "table")
    assert "status: interrupted" in table and "resume with: fwupdate resume n1" in table
    assert "crash" in table
    rows = list(csv.DictReader(io.StringIO(_cli_doc(cli, path, "csv"))))
    assert [r["kind"] for r in rows if r["kind"] in ("run-start", "interruption", "resume")] == [
        "run-start", "interruption"]
    crash = next(r for r in rows if r["kind"] == "interruption")
    assert crash["state"] == "crash" and crash["at"].startswith("2026-12-01T00:01:05")
