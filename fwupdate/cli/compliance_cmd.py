"""`fwupdate compliance`: what each node runs against what the bundle wants, without touching
anything.

    fwupdate compliance FLEET.toml --catalog SOURCE [--bundle FILE] [--inventory FILE]
                        [--lm-image FILE] [--only SEL] [--skip SEL]
                        [--format table|json|csv|html] [--out FILE]

Exit codes: 0 every node evaluated (compliant or not); 3 some nodes could not be read (status
`unknown`); 1 none could; 2 bad input (unknown model, catalog without the system, bad bundle).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fwupdate.app.compliance import (
    ComplianceRequest,
    ComplianceResult,
    component_row,
    evaluate,
)
from fwupdate.cli.output import OutputFormat, ReportFormat, emit
from fwupdate.errors import BadInputError, ExitCode
from fwupdate.fleet.loader import MAX_CONCURRENCY
from fwupdate.observe import jsonlog
from fwupdate.plan.compliance import FleetCompliance
from fwupdate.plan.models import Status

COMPONENT_COLUMNS = (
    "node",
    "component",
    "kind",
    "current",
    "target",
    "action",
    "criticality",
    "reboot",
    "package",
    "match",
    "note",
)
CSV_COLUMNS = ("node", "pair", "node_status", *COMPONENT_COLUMNS[1:])
NODE_COLUMNS = (
    "node",
    "pair",
    "status",
    "model",
    "idrac",
    "upgrades",
    "urgent",
    "reboot",
    "errors",
)


def compliance(
    fleet_file: Annotated[Path, typer.Argument(help="Fleet file (TOML, docs/fleet.md).")],
    catalog: Annotated[
        str, typer.Option("--catalog", help="Catalog.xml, repository folder, SUU ISO or URL.")
    ],
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="Policy bundle (TOML); default: latest.")
    ] = None,
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", help="Saved inventory JSON instead of reading devices."),
    ] = None,
    lm_image: Annotated[
        Path | None, typer.Option("--lm-image", help="LoadMaster patch image to compare with.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Only these components/nodes.")
    ] = None,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Skip components/nodes.")] = None,
    report_fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="table, json, csv or html.")
    ] = ReportFormat.table,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="With --format html: write the page here (atomically)."),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-c", min=1, max=MAX_CONCURRENCY, help="Devices read at once."
        ),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify iDRAC certificates (live reads).")
    ] = False,
) -> None:
    """Per node and component: current, target, action, criticality, reboot, package."""
    if out is not None and report_fmt is not ReportFormat.html:
        raise BadInputError("--out is for --format html; redirect table, json or csv output")
    result = evaluate(ComplianceRequest(
        fleet_file=fleet_file, catalog=catalog, bundle=bundle, lm_image=lm_image,
        inventory=inventory, only=tuple(only or ()), skip=tuple(skip or ()),
        concurrency=concurrency, insecure=insecure,
    ))
    _render(report_fmt, result, out)
    fc = result.compliance
    unknown = [n for n in fc.nodes if n.status is Status.UNKNOWN]
    for n in unknown:
        jsonlog.line(f"fwupdate: {n.node}: {'; '.join(n.errors)}", level="error", node=n.node)
    if unknown and len(unknown) == len(fc.nodes):
        raise typer.Exit(int(ExitCode.FAILURE))
    if unknown:
        raise typer.Exit(int(ExitCode.PARTIAL))


def _render(report_fmt: ReportFormat, result: ComplianceResult, out: Path | None) -> None:
    fc, doc = result.compliance, result.document
    pairs = {n.node: (None if n.standalone else n.group) for n in fc.nodes}
    status = {n.node: n.status.value for n in fc.nodes}
    if report_fmt is ReportFormat.html:
        from fwupdate.report.html import compliance_html, write_html

        write_html(compliance_html(doc), out)
    elif (fmt := report_fmt.output()) is OutputFormat.json:
        emit(fmt, document=doc, rows=[], columns=())
    elif fmt is OutputFormat.csv:
        rows = [
            {**component_row(r), "pair": pairs[r.node], "node_status": status[r.node]}
            for n in fc.nodes
            for r in n.rows
        ]
        emit(fmt, document=doc, rows=rows, columns=CSV_COLUMNS)
    else:
        rows = [component_row(r) for n in fc.nodes for r in n.rows]
        emit(fmt, document=doc, rows=rows, columns=COMPONENT_COLUMNS, title="Compliance")
        node_rows = [
            {
                "node": n.node,
                "pair": pairs[n.node],
                "status": n.status.value,
                "model": n.model,
                "idrac": n.idrac_version,
                "upgrades": sum(1 for r in n.rows if r.planned),
                "urgent": sum(1 for r in n.rows if r.planned and r.criticality == "Urgent"),
                "reboot": "yes"
                if any(r.planned and r.reboot == "host-reboot" for r in n.rows)
                else "no",
                "errors": "; ".join(n.errors),
            }
            for n in fc.nodes
        ]
        emit(fmt, document=doc, rows=node_rows, columns=NODE_COLUMNS, title="Nodes")
        print(f"fleet: {fc.status.value} ({_counts(fc)})")


def _counts(fc: FleetCompliance) -> str:
    return ", ".join(f"{v} {k}" for k, v in fc.counts().items() if v)


def register(app: typer.Typer) -> None:
    app.command("compliance")(compliance)
