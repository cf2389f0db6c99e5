"""`fwupdate inventory`: what every iDRAC of a fleet (or one ad-hoc iDRAC) runs, read-only.

    fwupdate inventory FLEET.toml [--format table|json|csv] [--concurrency N] [--insecure]
                                  [--node NAME ...] [--out FILE]
    fwupdate inventory --idrac URL --user U --password-env VAR
                       [--ca-bundle F | --fingerprint SHA256 | --insecure]

Nodes with a LoadMaster in the fleet file also get its version, HA role, serial and Virtual
Services (the `loadmaster` object: what `plan --inventory` needs to order a pair offline).

Exit codes: 0 every node read; 3 some nodes (or LoadMasters) failed (their entries carry
`errors`); 1 all failed; 2 bad input.  JSON contract and formats: docs/inventory.md.  Passwords
never come from argv: `--password-env` names a variable, `--password-file` a 0600 file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from fwupdate.app.inventory import (
    InventoryRequest,
    InventoryResult,
    OnRead,
    inventory_targets,
    read_inventory,
)
from fwupdate.cli.options import (
    CaBundleOpt,
    FingerprintOpt,
    IdracOpt,
    InsecureOpt,
    PasswordEnvOpt,
    PasswordFileOpt,
    TimeoutOpt,
    TimeScaleOpt,
    UserOpt,
    access,
)
from fwupdate.cli.output import OutputFormat, emit, is_tty
from fwupdate.errors import BadInputError, ExitCode
from fwupdate.fleet.loader import MAX_CONCURRENCY
from fwupdate.fleet.models import Node
from fwupdate.idrac.models import NodeInventory
from fwupdate.observe import jsonlog

TABLE_COLUMNS = (
    "node",
    "pair",
    "generation",
    "idrac_version",
    "system",
    "service_tag",
    "bios",
    "power",
    "components",
    "status",
)
CSV_COLUMNS = (
    "node",
    "pair",
    "generation",
    "idrac_version",
    "system",
    "service_tag",
    "component",
    "name",
    "component_id",
    "version",
    "state",
    "updateable",
    "error",
)


class InventoryFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    prometheus = "prometheus"


def inventory(
    fleet_file: Annotated[
        Path | None, typer.Argument(help="Fleet file (TOML, docs/fleet.md).", show_default=False)
    ] = None,
    fmt: Annotated[
        InventoryFormat,
        typer.Option("--format", "-f", help="Output format: table, json, csv or prometheus "
                                            "(for node_exporter's textfile collector)."),
    ] = InventoryFormat.table,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-c", min=1, max=MAX_CONCURRENCY, help="iDRACs read at once."
        ),
    ] = None,
    insecure: InsecureOpt = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also save the JSON document here.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--node", help="Only this node (repeatable).")
    ] = None,
    idrac: IdracOpt = None,
    user: UserOpt = "root",
    password_env: PasswordEnvOpt = None,
    password_file: PasswordFileOpt = None,
    ca_bundle: CaBundleOpt = None,
    fingerprint: FingerprintOpt = None,
    timeout: TimeoutOpt = 30.0,
    auth: Annotated[
        str,
        typer.Option(
            "--auth", help="basic (default: no session needed to read) or session.", hidden=True
        ),
    ] = "basic",
    time_scale: TimeScaleOpt = 1.0,
) -> None:
    """Read identity and firmware inventory of every iDRAC (read-only)."""
    if auth not in ("basic", "session"):
        raise BadInputError("--auth: use basic or session")
    req = InventoryRequest(
        fleet_file=fleet_file,
        nodes=tuple(only or ()),
        access=access(idrac, user, password_env, password_file, ca_bundle, fingerprint,
                      insecure, timeout),
        concurrency=concurrency,
        auth="session" if auth == "session" else "basic",
        time_scale=time_scale,
        out=out,
    )
    targets = inventory_targets(req)
    _warn_unverified(targets.unverified)
    with _progress(len(targets.nodes)) as on_read:
        result = read_inventory(req, targets, on_read=on_read)
    _render(fmt, result)
    raise typer.Exit(_exit_code(result))


def _warn_unverified(unverified: Sequence[str]) -> None:
    if unverified:
        shown = ", ".join(unverified[:5]) + (", ..." if len(unverified) > 5 else "")
        jsonlog.line(
            f"fwupdate: warning: TLS certificate verification is OFF for {len(unverified)} "
            f"iDRAC(s) ({shown})"
        )


def _render(fmt: InventoryFormat, result: InventoryResult) -> None:
    document, results, pairs = result.document, result.results, result.pairs
    if fmt is InventoryFormat.prometheus:
        from fwupdate.observe.metrics import inventory_text  # the client: only when asked for

        sys.stdout.write(inventory_text(document))
    elif fmt is InventoryFormat.json:
        emit(OutputFormat.json, document=document, rows=[], columns=())
    elif fmt is InventoryFormat.csv:
        emit(OutputFormat.csv, document=document, rows=_component_rows(results, pairs),
             columns=CSV_COLUMNS)
    else:
        emit(OutputFormat.table, document=document, rows=_node_rows(results, pairs),
             columns=TABLE_COLUMNS, title="iDRAC inventory")


def _exit_code(result: InventoryResult) -> int:
    """Each failure as one line; 1 when every node failed, 3 when some did."""
    failed = result.failed
    for r in failed:
        for e in r.errors or ("not read",):
            jsonlog.line(f"fwupdate: {r.name}: {e}", level="error", node=r.name)
    for name in result.loadmasters_failed:
        jsonlog.line(f"fwupdate: {name}: LoadMaster: {result.loadmasters[name].error}",
                     level="error", node=name)
    if failed and len(failed) == len(result.results):
        return int(ExitCode.FAILURE)
    if failed or result.loadmasters_failed:
        return int(ExitCode.PARTIAL)
    return int(ExitCode.OK)


@contextmanager
def _progress(count: int) -> Iterator[OnRead | None]:
    """A transient progress bar on a terminal (more than one node), else nothing."""
    if not (is_tty(sys.stderr) and count > 1):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(file=sys.stderr), transient=True) as progress:
        task = progress.add_task("reading iDRACs", total=count)

        def advance(node: Node, inv: NodeInventory) -> None:
            progress.advance(task)

        yield advance


def _status(r: NodeInventory) -> str:
    if r.ok:
        return "ok"
    return r.errors[0] if r.errors else "not read"


def _node_rows(
    results: Sequence[NodeInventory], pairs: dict[str, str | None]
) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        rows.append(
            {
                "node": r.name,
                "pair": pairs.get(r.name),
                "generation": str(r.idrac.generation) if r.idrac else None,
                "idrac_version": r.idrac.firmware_version if r.idrac else None,
                "system": r.system.model if r.system else None,
                "service_tag": r.system.service_tag if r.system else None,
                "bios": r.system.bios_version if r.system else None,
                "power": r.system.power_state if r.system else None,
                "components": len(r.components),
                "status": _status(r),
            }
        )
    return rows


def _component_rows(
    results: Sequence[NodeInventory], pairs: dict[str, str | None]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for r in results:
        base = {
            "node": r.name,
            "pair": pairs.get(r.name),
            "generation": str(r.idrac.generation) if r.idrac else None,
            "idrac_version": r.idrac.firmware_version if r.idrac else None,
            "system": r.system.model if r.system else None,
            "service_tag": r.system.service_tag if r.system else None,
        }
        error = "; ".join(r.errors) if r.errors else None
        if not r.components:
            rows.append({**base, "error": error or "no components"})
        for c in r.components:
            rows.append(
                {
                    **base,
                    "component": c.id,
                    "name": c.name,
                    "component_id": c.component_id,
                    "version": c.version,
                    "state": c.state,
                    "updateable": c.updateable,
                    "error": error,
                }
            )
    return rows


def register(app: typer.Typer) -> None:
    app.command("inventory", no_args_is_help=False)(inventory)
