"""`fwupdate report RUN [--format table|json|csv|html] [--out FILE]`: what each node went
through, durations, failovers, failures with message ids, what is left (document:
fwupdate.report.run_report; the HTML page with its timeline: fwupdate.report.html_run)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fwupdate.cli.output import OutputFormat, ReportFormat, emit
from fwupdate.errors import BadInputError
from fwupdate.report.run_report import build_run_report
from fwupdate.run.journal import Journal
from fwupdate.run.session import resolve_run

COLUMNS = ["pair", "node", "kind", "state", "attempts", "duration_s", "change", "message_id",
           "error"]


def report(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id or journal file.")],
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Where run journals live.")] = Path(
        "fwupdate-runs"),
    report_fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table, json, csv or html.")
    ] = ReportFormat.table,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="With --format html: write the page here (atomically)."),
    ] = None,
) -> None:
    """Report on a run (finished, stopped or in progress)."""
    if out is not None and report_fmt is not ReportFormat.html:
        raise BadInputError("--out is for --format html; redirect table, json or csv output")
    path = resolve_run(run_ref, runs_dir)
    with Journal.open(path) as journal:
        doc = build_run_report(journal)
    if report_fmt is ReportFormat.html:
        from fwupdate.report.html import run_html, write_html

        write_html(run_html(doc), out)
        return
    fmt = report_fmt.output()
    rows = []
    for s in doc["steps"]:
        change = ""
        if s.get("from_version") or s.get("to_version"):
            change = f"{s.get('from_version') or '?'} -> {s.get('to_version') or '?'}"
        rows.append({**s, "pair": s.get("pair") or "", "node": s.get("node") or "",
                     "change": change})
    emit(fmt, document=doc, rows=rows, columns=COLUMNS, title=f"Run {doc['run_id']}")
    if fmt is OutputFormat.table:
        for g in doc["groups"]:
            typer.echo(f"{g['group']}: {g.get('status')}  failovers {g['failovers']}"
                       f"/{g['planned_failovers']} planned"
                       + (f"  {g['error']}" if g.get("error") else ""))
        left = doc["remaining"]
        typer.echo(f"left for the next night: {len(left)} step(s)" if left else
                   "nothing left")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
