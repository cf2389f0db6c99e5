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
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from fwupdate.cli.adhoc import adhoc_idrac_endpoint
from fwupdate.cli.output import OutputFormat, emit, is_tty
from fwupdate.errors import BadInputError, ExitCode
from fwupdate.fleet.loader import MAX_CONCURRENCY, load_fleet
from fwupdate.fleet.models import Fleet, Node
from fwupdate.idrac.fleet_inventory import inventory_nodes
from fwupdate.idrac.inventory_io import dump_inventory, inventory_document
from fwupdate.idrac.models import NodeInventory
from fwupdate.idrac.redfish.transport import AuthMode
from fwupdate.idrac.timing import Timing
from fwupdate.loadmaster.status_io import status_to_json
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
    insecure: Annotated[
        bool,
        typer.Option("--insecure", help="Do not verify iDRAC certificates (reported as such)."),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also save the JSON document here.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--node", help="Only this node (repeatable).")
    ] = None,
    idrac: Annotated[
        str | None, typer.Option("--idrac", help="Ad hoc: one iDRAC URL instead of a fleet.")
    ] = None,
    user: Annotated[str, typer.Option("--user", help="Ad hoc: iDRAC user name.")] = "root",
    password_env: Annotated[
        str | None,
        typer.Option("--password-env", help="Ad hoc: environment variable with the password."),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="Ad hoc: 0600 file with the password."),
    ] = None,
    ca_bundle: Annotated[
        Path | None, typer.Option("--ca-bundle", help="Ad hoc: CA bundle for the certificate.")
    ] = None,
    fingerprint: Annotated[
        str | None,
        typer.Option("--fingerprint", help="Ad hoc: pinned SHA-256 fingerprint of the cert."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, max=3600, help="Ad hoc: request timeout (s).")
    ] = 30.0,
    auth: Annotated[
        str,
        typer.Option(
            "--auth", help="basic (default: no session needed to read) or session.", hidden=True
        ),
    ] = "basic",
    time_scale: Annotated[
        float,
        typer.Option(
            "--time-scale", min=0.001, hidden=True, help="Divide waits (simulator rehearsals)."
        ),
    ] = 1.0,
) -> None:
    """Read identity and firmware inventory of every iDRAC (read-only)."""
    if auth not in ("basic", "session"):
        raise BadInputError("--auth: use basic or session")
    auth_mode: AuthMode = "session" if auth == "session" else "basic"
    nodes, pairs, default_concurrency = _targets(
        fleet_file,
        only=only or [],
        idrac=idrac,
        user=user,
        password_env=password_env,
        password_file=password_file,
        ca_bundle=ca_bundle,
        fingerprint=fingerprint,
        insecure=insecure,
        timeout=timeout,
    )
    unverified = [n.name for n in nodes if insecure or n.idrac.tls.insecure]
    if unverified:
        shown = ", ".join(unverified[:5]) + (", ..." if len(unverified) > 5 else "")
        jsonlog.line(
            f"fwupdate: warning: TLS certificate verification is OFF for {len(unverified)} "
            f"iDRAC(s) ({shown})"
        )
    results = _read(
        nodes,
        concurrency=concurrency or default_concurrency,
        auth=auth_mode,
        timing=Timing(scale=time_scale),
        insecure=insecure,
    )
    insecure_by_node = {n.name: n.name in unverified for n in nodes}
    addresses = {n.name: n.idrac.url for n in nodes}
    from fwupdate.cli.plan_inputs import read_loadmasters  # planning modules: only when used

    lm_statuses = read_loadmasters(nodes, concurrency=concurrency or default_concurrency)
    lms = {name: status_to_json(st) for name, st in lm_statuses.items()}
    if out is not None:
        dump_inventory(out, results, pairs=pairs, insecure=insecure_by_node, addresses=addresses,
                       loadmasters=lms)  # fmt: skip
    document = inventory_document(
        results, pairs=pairs, insecure=insecure_by_node, addresses=addresses, loadmasters=lms
    )
    if fmt is InventoryFormat.prometheus:
        from fwupdate.observe.metrics import inventory_text  # the client: only when asked for

        sys.stdout.write(inventory_text(document))
    elif fmt is InventoryFormat.json:
        emit(OutputFormat.json, document=document, rows=[], columns=())
    elif fmt is InventoryFormat.csv:
        emit(OutputFormat.csv, document=document, rows=_component_rows(results, pairs),
             columns=CSV_COLUMNS)
    else:
        emit(
            OutputFormat.table,
            document=document,
            rows=_node_rows(results, pairs),
            columns=TABLE_COLUMNS,
            title="iDRAC inventory",
        )
    failed = [r for r in results if not r.ok]
    for r in failed:
        for e in r.errors or ("not read",):
            jsonlog.line(f"fwupdate: {r.name}: {e}", level="error", node=r.name)
    lm_failed = sorted(name for name, st in lm_statuses.items() if st.error is not None)
    for name in lm_failed:
        jsonlog.line(f"fwupdate: {name}: LoadMaster: {lm_statuses[name].error}",
                     level="error", node=name)
    if failed and len(failed) == len(results):
        raise typer.Exit(int(ExitCode.FAILURE))
    if failed or lm_failed:
        raise typer.Exit(int(ExitCode.PARTIAL))


def _targets(
    fleet_file: Path | None,
    *,
    only: Sequence[str],
    idrac: str | None,
    user: str,
    password_env: str | None,
    password_file: Path | None,
    ca_bundle: Path | None,
    fingerprint: str | None,
    insecure: bool,
    timeout: float,
) -> tuple[list[Node], dict[str, str | None], int]:
    adhoc_given = any(
        v is not None for v in (idrac, password_env, password_file, ca_bundle, fingerprint)
    )
    if fleet_file is not None and adhoc_given:
        raise BadInputError(
            "give a fleet file or --idrac with its options, not both "
            "(--password-env/--password-file/--ca-bundle/--fingerprint belong to --idrac)"
        )
    if fleet_file is None:
        if idrac is None:
            raise BadInputError("give a fleet file, or --idrac URL --user U --password-env VAR")
        endpoint = adhoc_idrac_endpoint(
            idrac, user=user, password_env=password_env, password_file=password_file,
            ca_bundle=ca_bundle, fingerprint=fingerprint, insecure=insecure, timeout=timeout,
        )
        name = endpoint.url.split("://", 1)[1]
        return [Node(name=name, idrac=endpoint)], {name: None}, 1
    fleet: Fleet = load_fleet(fleet_file)
    nodes = list(fleet.nodes())
    if only:
        known = {n.name for n in nodes}
        unknown = [o for o in only if o not in known]
        if unknown:
            raise BadInputError(f"--node: no node named {', '.join(unknown)} in {fleet_file}")
        nodes = [n for n in nodes if n.name in set(only)]
    return nodes, {n.name: n.pair for n in nodes}, fleet.concurrency


def _read(
    nodes: list[Node], *, concurrency: int, auth: AuthMode, timing: Timing, insecure: bool
) -> tuple[NodeInventory, ...]:
    progress_cm: AbstractContextManager[Any] = nullcontext()
    advance: Callable[[Node, NodeInventory], None] | None = None
    if is_tty(sys.stderr) and len(nodes) > 1:
        from rich.console import Console
        from rich.progress import Progress

        progress = Progress(console=Console(file=sys.stderr), transient=True)
        progress_cm = progress
        task = progress.add_task("reading iDRACs", total=len(nodes))

        def advance(node: Node, inv: NodeInventory) -> None:
            progress.advance(task)

    with progress_cm:
        return inventory_nodes(
            nodes,
            concurrency=concurrency,
            auth=auth,
            timing=timing,
            insecure=insecure,
            on_done=advance,
        )


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
