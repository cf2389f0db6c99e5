"""Use case: the report document of a run (finished, stopped or still in progress), from its
journal (fwupdate.report.run_report; docs/reports.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.report.run_report import build_run_report
from fwupdate.run import runlock
from fwupdate.run.journal import RESUME, RUN_START, Journal
from fwupdate.run.session import resolve_run

RUNS_DIR = Path("fwupdate-runs")


@dataclass(frozen=True)
class ReportRequest:
    run: str  # run id or journal file
    runs_dir: Path = RUNS_DIR


@dataclass(frozen=True)
class RunReport:
    journal: Path
    document: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.document["status"])


def run_report(req: ReportRequest) -> RunReport:
    path = resolve_run(req.run, req.runs_dir)
    with Journal.open(path) as journal:
        doc = build_run_report(journal, alive=_alive(path, journal))
    return RunReport(path, doc)


def _alive(path: Path, journal: Journal) -> bool:
    """Does a process still work on the run?  Its lock says so (released by the kernel when the
    process dies); a journal from before locks: its last process id, when on this host."""
    held = runlock.is_held(path)
    if held is not None:
        return held
    notes = [e.data for e in journal.events() if e.kind in (RUN_START, RESUME)]
    return bool(notes) and runlock.process_alive(notes[-1].get("pid"), notes[-1].get("host"))
