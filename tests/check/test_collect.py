"""The evidence collector and `fwupdate check`: a real journal file (WAL, still open), an event
log with a torn last line, a state dump, a report -- judged from the files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from night_factory import SCALE, T0, clean, plan

from fwupdate.check import collect, read_events, read_journal
from fwupdate.cli.main import main as cli_main
from fwupdate.plan import planfile
from fwupdate.run.journal import Journal

_OPEN: list[Journal] = []


def _site(tmp: Path) -> tuple[Path, Path, Path, Path]:
    ev = clean()
    p = plan()
    db = tmp / "runs" / "night.db"
    j = Journal.create(db, run_id="night", plan=planfile.to_dict(p),
                       steps=[(s.step_id, s.node, s.group, s.kind.value) for s in p.steps()],
                       options={"settings": {"time_scale": SCALE, "window_end": None}},
                       now=lambda: T0)  # fmt: skip
    for s in p.steps():
        j.intent(s.step_id, {"kind": s.kind.value})
        j.outcome(s.step_id, ok=True)
    j.record(None, None, "run-status", {"status": "finished"})
    _OPEN.append(j)  # left open: its last writes are still in the -wal file
    events = tmp / "events.jsonl"
    lines = [json.dumps(r) for r in ev.sim_events]
    events.write_text("\n".join(lines) + '\n{"seq": 999, "t": 1', encoding="utf-8")  # torn
    state = tmp / "sim-state.json"
    state.write_text(json.dumps(ev.sim_state), encoding="utf-8")
    report = tmp / "report.json"
    report.write_text(json.dumps(ev.report), encoding="utf-8")
    return db, events, state, report


def test_journal_rows_are_read_from_a_copy(tmp_path: Path) -> None:
    db, *_ = _site(tmp_path)
    assert db.with_name("night.db-wal").stat().st_size > 0
    before = {p.name: p.stat().st_mtime_ns for p in db.parent.iterdir()}
    rows = read_journal(db)
    assert len(rows.steps) == 10 and all(s["state"] == "done" for s in rows.steps)
    assert [e["kind"] for e in rows.events].count("intent") == 10
    assert json.loads(rows.meta["plan"])["groups"][0]["name"] == "pair-1"
    assert {p.name: p.stat().st_mtime_ns for p in db.parent.iterdir()} == before


def test_event_log_torn_last_line_ignored(tmp_path: Path) -> None:
    _, events, _, _ = _site(tmp_path)
    recs = read_events(events)
    assert recs and recs[-1]["seq"] == len(recs) - 1


def test_collect_and_judge_from_files(tmp_path: Path) -> None:
    from fwupdate.check import check_night

    db, events, state, report = _site(tmp_path)
    ev = collect(db, sim_events=events, sim_state=state,
                 report=json.loads(report.read_text()))  # fmt: skip
    assert ev.plan.groups[0].name == "pair-1"
    assert all(v.ok for v in check_night(ev))


def _check(db: Path, events: Path, state: Path, report: Path, capsys: Any) -> tuple[int, str]:
    rc = cli_main(["check", str(db), "--sim-events", str(events), "--sim-state", str(state),
                   "--report", str(report)])  # fmt: skip
    return rc, capsys.readouterr().out


def test_check_command_exit_codes(tmp_path: Path, capsys: Any) -> None:
    db, events, state, report = _site(tmp_path)
    rc, out = _check(db, events, state, report, capsys)
    assert rc == 0, out
    assert "verdict: all invariants hold" in out
    doc = json.loads(state.read_text())
    doc["devices"]["lb1a-idrac"]["power"] = "Off"
    state.write_text(json.dumps(doc))
    rc, out = _check(db, events, state, report, capsys)
    assert rc == 1
    assert "I7 FAIL" in out and "lb1a: host left powered off" in out


def test_check_command_missing_file_is_bad_input(tmp_path: Path, capsys: Any) -> None:
    db, events, _, _ = _site(tmp_path)
    rc = cli_main(["check", str(db), "--sim-events", str(events), "--sim-state",
                   str(tmp_path / "nope.json")])  # fmt: skip
    assert rc == 2
    assert "nope.json" in capsys.readouterr().err
