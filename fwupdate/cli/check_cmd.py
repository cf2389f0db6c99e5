"""`fwupdate check RUN --sim-events FILE --sim-state FILE`: the independent night checker
(fwupdate.check, docs/guarantees.md) over a run journal and the simulator's evidence."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from fwupdate.check import all_ok, check_night, collect, render_text, to_doc
from fwupdate.errors import BadInputError, ExitCode
from fwupdate.report.run_report import build_run_report
from fwupdate.run.journal import Journal
from fwupdate.run.session import resolve_run


def _window_end(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise BadInputError(f"--window-end {text!r}: use an ISO 8601 date-time") from None


def check(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id or journal file.")],
    sim_events: Annotated[Path, typer.Option(
        "--sim-events", help="The simulator's event log (sim serve --event-log).")],
    sim_state: Annotated[Path, typer.Option(
        "--sim-state", help="The simulator's final state (sim serve --state-out).")],
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Where run journals live.")] = Path(
        "fwupdate-runs"),
    report_file: Annotated[Path | None, typer.Option(
        "--report", help="The run report (fwupdate report RUN --format json); default: built "
        "from the journal now.")] = None,
    window_end: Annotated[str | None, typer.Option(
        "--window-end", help="ISO date-time the window ended (default: the journal's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Verdicts as JSON.")] = False,
) -> None:
    """Judge a night from raw evidence: invariants I1-I8, every violation with its evidence."""
    path = resolve_run(run_ref, runs_dir)
    for f in (sim_events, sim_state):
        if not f.is_file():
            raise BadInputError(f"{f}: no such file")
    if report_file is not None:
        report = json.loads(report_file.read_text(encoding="utf-8"))
    else:
        with Journal.open(path) as journal:
            report = build_run_report(journal)
    ev = collect(path, sim_events=sim_events, sim_state=sim_state, report=report,
                 window_end=_window_end(window_end))  # fmt: skip
    verdicts = check_night(ev)
    if as_json:
        typer.echo(json.dumps(to_doc(verdicts), indent=2))
    else:
        typer.echo(render_text(verdicts))
    raise typer.Exit(0 if all_ok(verdicts) else int(ExitCode.FAILURE))


def register(app: typer.Typer) -> None:
    app.command("check")(check)
