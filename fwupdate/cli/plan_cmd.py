"""`fwupdate plan`: what exactly will happen tonight, in what order, how long, how many reboots,
and why — without touching a device's configuration.

    fwupdate plan FLEET.toml --catalog SOURCE --bundle FILE [--lm-image FILE]
                  [--inventory FILE] [--only SEL] [--skip SEL] [--allow-downgrade]
                  [--force-same] [--allow-standalone] [--concurrency N]
                  [--window 21:00-05:30] [--explain] [--format table|json] [--out plan.json]

The plan file (`--out`) is what `fwupdate apply` runs; its shape is in docs/planning.md. With
`--out` and `--format json` nothing is printed (the file is the document).
Exit codes: 0 planned; 3 planned, but some nodes were left out because they could not be read;
2 bad input (unknown model, catalog without the system, missing DUP, LoadMaster image that is
not a patch, contradictory policy, standalone node without --allow-standalone).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from fwupdate.app.plan import PlanRequest, PlanResult, make_plan
from fwupdate.cli.output import OutputFormat, emit
from fwupdate.errors import ExitCode
from fwupdate.fleet.loader import MAX_CONCURRENCY
from fwupdate.observe import jsonlog
from fwupdate.plan.estimate import format_duration
from fwupdate.plan.models import Plan, Step
from fwupdate.plan.window import clock_at

_MAC = re.compile(r"\s+-\s+(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}.*$")
STEP_COLUMNS = (
    "seq",
    "node",
    "kind",
    "component",
    "change",
    "package",
    "payload",
    "transport",
    "impact",
    "est",
    "rule",
)
TOTAL_COLUMNS = (
    "pair",
    "node",
    "role",
    "steps",
    "host_reboots",
    "failovers",
    "idrac_resets",
    "duration",
    "start",
    "end",
)


def _change(s: Step) -> str:
    if s.from_version is None and s.to_version is None:
        return ""
    return f"{s.from_version or '?'} -> {s.to_version or '?'}"


def _short(name: str) -> str:
    """Table label: the name before its first comma (`Dell OS Driver Pack, 15.07.07, A00`)."""
    return _MAC.sub("", name.split(",", 1)[0]).strip()


def step_row(s: Step) -> dict[str, Any]:
    return {
        "seq": s.seq,
        "node": s.node or f"[{s.group}]",
        "kind": s.kind.value,
        "component": _short(s.component.name) if s.component else "",
        "change": _change(s),
        "package": s.package.file_name if s.package else "",
        "payload": s.payload or "",
        "transport": s.transport or "",
        "impact": ", ".join(i.value for i in s.impact),
        "est": format_duration(s.estimated_seconds),
        "rule": s.rule,
        "reason": s.reason,
    }


def _total_rows(plan: Plan) -> list[dict[str, Any]]:
    starts = {e.group: e for e in plan.schedule.entries}
    origin = plan.schedule.window.start if plan.schedule.window else None

    def when(offset: int) -> str:
        return clock_at(origin, offset) if origin else f"+{format_duration(offset)}"

    rows: list[dict[str, Any]] = []
    for g in plan.groups:
        e = starts.get(g.name)
        offset = e.start_seconds if e else 0
        for n in g.nodes:
            steps = [s for s in g.steps if s.node == n.name]
            first = g.steps.index(steps[0]) if steps else 0
            begin = offset + sum(s.estimated_seconds for s in g.steps[:first])
            rows.append(
                {
                    "pair": g.name if not g.standalone else "(standalone)",
                    "node": n.name,
                    "role": n.role or "",
                    "steps": n.totals.steps,
                    "host_reboots": n.totals.host_reboots,
                    "failovers": n.totals.failovers,
                    "idrac_resets": n.totals.idrac_resets,
                    "duration": format_duration(n.totals.estimated_seconds),
                    "start": when(begin),
                    "end": when(begin + n.totals.estimated_seconds),
                }
            )
        rows.append(
            {
                "pair": g.name if not g.standalone else "(standalone)",
                "node": "= total",
                "role": "",
                "steps": g.totals.steps,
                "host_reboots": g.totals.host_reboots,
                "failovers": g.totals.failovers,
                "idrac_resets": g.totals.idrac_resets,
                "duration": format_duration(g.totals.estimated_seconds),
                "start": when(offset),
                "end": when(offset + g.totals.estimated_seconds),
            }
        )
    return rows


def summary_lines(plan: Plan) -> list[str]:
    t, sch = plan.totals, plan.schedule
    lines = [
        f"fleet: {len(plan.groups)} group(s), {t.steps} steps, {t.host_reboots} host reboot(s), "
        f"{t.failovers} failover(s), {t.idrac_resets} iDRAC reset(s), work "
        f"{format_duration(t.estimated_seconds)}",
        f"makespan at concurrency {sch.concurrency}: {format_duration(sch.makespan_seconds)} "
        f"(longest pair {format_duration(sch.critical_path_seconds)}, lower bound "
        f"{format_duration(sch.lower_bound_seconds)})",
    ]
    w = sch.window
    if w is not None:
        if w.fits:
            lines.append(f"window {w.window}: fits ({format_duration(w.length_seconds)} available)")
        else:
            lines.append(
                f"window {w.window}: does NOT fit; left for the next night: {', '.join(w.deferred)}"
            )
    return lines


def plan(
    fleet_file: Annotated[Path, typer.Argument(help="Fleet file (TOML, docs/fleet.md).")],
    catalog: Annotated[
        str, typer.Option("--catalog", help="Catalog.xml, repository folder, SUU ISO or URL.")
    ],
    bundle: Annotated[Path, typer.Option("--bundle", help="Policy bundle (TOML).")],
    lm_image: Annotated[
        Path | None, typer.Option("--lm-image", help="LoadMaster patch image (bare metal).")
    ] = None,
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", help="Saved inventory JSON instead of reading devices."),
    ] = None,
    repository: Annotated[
        Path | None,
        typer.Option("--repository", help="Folder holding the DUPs (default: the catalog's)."),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Only these components/nodes (bios, id:159, node:NAME...)."),
    ] = None,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Skip components/nodes.")] = None,
    allow_downgrade: Annotated[
        bool, typer.Option("--allow-downgrade", help="Plan downgrades to pinned versions.")
    ] = False,
    force_same: Annotated[
        bool, typer.Option("--force-same", help="Re-flash components already at the target.")
    ] = False,
    combine_reboots: Annotated[
        bool | None,
        typer.Option(
            "--combine-reboots/--separate-reboots",
            help="Override the bundle: LoadMaster image in the firmware reboot, or its own.",
        ),
    ] = None,
    allow_standalone: Annotated[
        bool,
        typer.Option(
            "--allow-standalone", help="Plan standalone nodes (their reboot is an outage)."
        ),
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", "-c", min=1, max=MAX_CONCURRENCY, help="Pairs at once."),
    ] = None,
    window: Annotated[
        str | None, typer.Option("--window", help="Maintenance window, e.g. 21:00-05:30.")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Print why each step is there.")
    ] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the plan file here.")
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify iDRAC certificates (live reads).")
    ] = False,
    allow_unsigned: Annotated[
        bool,
        typer.Option(
            "--allow-unsigned",
            help="Plan packages whose signature does not verify (recorded in the plan, the "
            "journal and the report).",
        ),
    ] = False,
    created_at: Annotated[
        str | None, typer.Option("--created-at", hidden=True, help="Fixed timestamp (tests).")
    ] = None,
) -> None:
    """Make the night's plan: ordered steps, reboots, failovers, durations, and why."""
    made = make_plan(PlanRequest(
        fleet_file=fleet_file, catalog=catalog, bundle=bundle, lm_image=lm_image,
        inventory=inventory, repository=repository, only=tuple(only or ()),
        skip=tuple(skip or ()), allow_downgrade=allow_downgrade, force_same=force_same,
        combine_reboots=combine_reboots, allow_standalone=allow_standalone,
        allow_unsigned=allow_unsigned, concurrency=concurrency, window=window,
        insecure=insecure, created_at=created_at, out=out,
    ))
    _render(made, fmt, explain=explain)
    for w in made.plan.warnings:
        jsonlog.line(f"fwupdate: warning: {w}")
    for s in made.plan.skipped:
        jsonlog.line(f"fwupdate: {s.node}: not planned: {s.reason}", node=s.node)
    if made.unreadable:
        raise typer.Exit(int(ExitCode.PARTIAL))


def _render(made: PlanResult, fmt: OutputFormat, *, explain: bool) -> None:
    result, out = made.plan, made.written
    if fmt is OutputFormat.json:
        if out is None:  # with --out the file is the document: nothing printed
            emit(fmt, document=made.document, rows=[], columns=())
    else:
        columns = (*STEP_COLUMNS, "reason") if explain and fmt is OutputFormat.csv else STEP_COLUMNS
        emit(
            fmt,
            document=None,  # tables and CSV print the rows only
            rows=[step_row(s) for s in result.steps()],
            columns=columns,
            title="Plan",
        )
        if fmt is OutputFormat.table:
            emit(fmt, document=None, rows=_total_rows(result), columns=TOTAL_COLUMNS,
                 title="Totals")  # fmt: skip
            for line in summary_lines(result):
                print(line)
            if explain:
                print("why each step is there:")
                for st in result.steps():
                    print(f"  {st.seq:>3} {st.rule:<3} {st.reason}")
                print("rules:")
                for rule, text in result.rules:
                    print(f"  {rule}: {text}")
            if out is not None:
                print(f"plan written to {out}")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
