"""Build the evidence of one night from files: the run journal, the simulator's event log and
state dump, the plan (from the journal) and the run report.

The journal is read with sqlite3 from a private copy (with its -wal file when present), so the
judge never changes the file it judges and never runs executor code.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from fwupdate.check.models import Evidence, JournalRows
from fwupdate.errors import BadInputError
from fwupdate.plan import planfile


def _decode(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def read_journal(path: Path) -> JournalRows:
    """Meta, steps and events of a run journal, read from a copy of its files."""
    if not path.is_file():
        raise BadInputError(f"{path}: no run journal")
    with tempfile.TemporaryDirectory(prefix="fwupdate-check-") as tmp:
        copy = Path(tmp) / "journal.db"
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        try:
            with closing(sqlite3.connect(copy)) as conn:
                conn.row_factory = sqlite3.Row
                meta = {r["key"]: r["value"] for r in conn.execute("SELECT key, value FROM meta")}
                steps = tuple(
                    {**dict(r), "outcome": _decode(r["outcome"])}
                    for r in conn.execute("SELECT * FROM steps ORDER BY seq")
                )
                events = tuple(
                    {**dict(r), "data": _decode(r["data"]) or {}}
                    for r in conn.execute("SELECT * FROM events ORDER BY id")
                )
        except sqlite3.DatabaseError as exc:
            raise BadInputError(f"{path}: unreadable run journal ({exc})") from None
    return JournalRows(meta, steps, events)


def read_events(path: Path) -> tuple[dict[str, Any], ...]:
    """The simulator's event log (JSON lines); a torn last line is ignored."""
    out: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return tuple(sorted(out, key=lambda r: int(r.get("seq", 0))))


def evidence(
    journal: JournalRows,
    *,
    sim_events: tuple[dict[str, Any], ...] | list[dict[str, Any]],
    sim_state: dict[str, Any],
    report: dict[str, Any],
    window_end: float | None = None,
    label: str = "",
    night_start: float | None = None,
) -> Evidence:
    plan_doc = journal.meta.get("plan")
    if not plan_doc:
        raise BadInputError("the run journal holds no plan")
    plan = planfile.from_dict(json.loads(plan_doc))
    return Evidence(plan, journal, tuple(sim_events), sim_state, report, window_end, label,
                    night_start)


def collect(
    journal_path: Path,
    *,
    sim_events: Path,
    sim_state: Path,
    report: dict[str, Any],
    window_end: float | None = None,
    label: str = "",
) -> Evidence:
    """Evidence from a run journal file, an event-log file and a state-dump file."""
    state = json.loads(sim_state.read_text(encoding="utf-8"))
    return evidence(read_journal(journal_path), sim_events=read_events(sim_events),
                    sim_state=state, report=report, window_end=window_end,
                    label=label)  # fmt: skip
