"""`fwupdate report RUN [--format table|json|csv|html] [--out FILE]`: what each node went
through, durations, failovers, failures with message ids, what is left (document:
fwupdate.report.run_report; the HTML page with its timeline: fwupdate.report.html_run)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from fwupdate.app.report import ReportRequest, run_report
from fwupdate.cli.output import OutputFormat, ReportFormat, emit
from fwupdate.errors import BadInputError
from fwupdate.report.run_report import signature_line

COLUMNS = ["pair", "node", "kind", "state", "attempts", "duration_s", "change", "message_id",
           "error", "at"]


def _iso(t: float | None) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat() if t is not None else ""


def _run_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """CSV/table rows for the run itself: each process start / resume and each interruption."""
    rows: list[dict[str, Any]] = []
    for s in doc.get("sessions") or []:
        where = f"pid {s.get('pid') or '?'} on {s.get('host') or '?'}"
        rows.append({"kind": "run-start" if s["kind"] == "start" else "resume", "state": s["end"],
                     "node": "", "pair": "", "change": where, "at": _iso(s.get("at")),
                     "error": " ".join(s.get("command") or [])})
        if s["end"] in ("crash", "interrupted"):
            rows.append({"kind": "interruption", "pair": "", "node": "", "change": where,
                         "state": "crash" if s["end"] == "crash" else "signal",
                         "at": _iso(s.get("ended_at"))})
    return rows


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
    doc = run_report(ReportRequest(run_ref, runs_dir)).document
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
                     "change": change, "at": _iso(s.get("started_at"))})
    emit(fmt, document=doc, rows=rows + _run_rows(doc), columns=COLUMNS,
         title=f"Run {doc['run_id']}")
    if fmt is OutputFormat.table:
        typer.echo(f"status: {doc['status']}"
                   + (f" (journal: {doc['journal_status']})"
                      if doc["journal_status"] != doc["status"] else ""))
        for g in doc["groups"]:
            typer.echo(f"{g['group']}: {g.get('status')}  failovers {g['failovers']}"
                       f"/{g['planned_failovers']} planned"
                       + (f"  {g['error']}" if g.get("error") else ""))
        for lb in doc.get("left_behind") or []:
            typer.echo(f"left behind: {lb['node']}: {lb['detail']}")
        left = doc["remaining"]
        typer.echo(f"left for the next night: {len(left)} step(s)" if left else
                   "nothing left")
        typer.echo(signature_line(doc))
        if doc.get("resume_hint"):
            typer.echo(f"resume with: {doc['resume_hint']}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
