"""`fwupdate repo mirror`: a verified offline repository from a Dell catalog (docs/signatures.md).

    fwupdate repo mirror --catalog URL|FILE --to DIR
                         (--fleet FLEET.toml | --inventory SAVED.json | --model R320 ...
                          | --system-id 04F7 ...) [--bundle BUNDLE.toml]
                         [--iso FILE] [--concurrency 4] [--signatures require|warn|off]
                         [--format table|json]

`--fleet` reads each iDRAC's identity live (the inventory code, read-only); `--inventory` takes
the system ids from a saved `fwupdate inventory --out` file (isolated networks).  `--bundle`
narrows each component to its newest version, the bundle's pins and stepping stones (what was
left out is listed with its reason) and gives the signature policy unless `--signatures` does.

Exit 0 when every package was mirrored or was already there; 3 when some were skipped (each
named with its reason); 2 for bad input (catalog signature under require, no component).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from fwupdate.app import inputs as plan_inputs
from fwupdate.catalog.systems import normalize_system_id, system_id_for_model
from fwupdate.cli.output import OutputFormat, emit, is_tty
from fwupdate.errors import BadInputError, ExitCode
from fwupdate.plan.mirror_select import select_components
from fwupdate.repo.mirror import DEFAULT_MAX_BYTES, MirrorOptions, mirror
from fwupdate.sigpolicy import SignaturePolicy

repo_app = typer.Typer(
    name="repo", help="Build verified offline repositories.", no_args_is_help=True
)


@repo_app.command("mirror")
def mirror_cmd(
    catalog: Annotated[str, typer.Option("--catalog", help="Catalog file or https URL.")],
    to: Annotated[Path, typer.Option("--to", help="Repository folder to build or refresh.")],
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Keep packages for this model (R320).")
    ] = None,
    system_id: Annotated[
        list[str] | None, typer.Option("--system-id", help="Keep packages for this system id.")
    ] = None,
    iso: Annotated[
        Path | None, typer.Option("--iso", help="Also pack the repository as an update ISO.")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=32)] = 4,
    fleet: Annotated[
        Path | None, typer.Option("--fleet", help="Keep packages for this fleet (read live).")
    ] = None,
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", help="Keep packages for the systems of a saved inventory."),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Newest versions plus the bundle's pins and stones only."),
    ] = None,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Size cap for a package the catalog "
                          "gives no size for.")
    ] = DEFAULT_MAX_BYTES,
    signatures: Annotated[
        SignaturePolicy | None,
        typer.Option("--signatures", help="require, warn or off (default: the bundle's, else "
                     "require)."),
    ] = None,
    ca_bundle: Annotated[
        str | None, typer.Option("--ca-bundle", help="CA bundle for a private https mirror.")
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Fetch the catalog and its signature, keep the wanted systems' packages, verify each one
    (size, MD5, signature) and write a rewritten catalog; re-runs fetch only what changed."""
    policy = plan_inputs.read_bundle(bundle).policy if bundle is not None else None
    ids = {normalize_system_id(s) for s in system_id or ()}
    ids |= {system_id_for_model(m) for m in model or ()}
    ids |= _fleet_ids(fleet, inventory, concurrency)
    if not ids and policy is not None:
        ids = set(policy.systems)
    if not ids:
        raise BadInputError(
            "repo mirror: give --fleet, --inventory, --model or --system-id (which systems)"
        )
    mode = signatures or (policy.signatures if policy is not None else SignaturePolicy.REQUIRE)
    opts = MirrorOptions(
        frozenset(ids), mode.value, concurrency, ca_bundle=ca_bundle, max_bytes=max_bytes
    )
    choose = None
    if policy is not None:
        choose = partial(select_components, system_ids=sorted(ids), policy=policy)
    with _progress() as progress:
        result = mirror(catalog, to, opts, iso=iso, progress=progress, choose=choose)
    rows = [i.as_dict() for i in result.items]
    doc = {
        "folder": result.folder,
        "catalog": result.catalog,
        "catalog_signature": result.catalog_signature,
        "iso": result.iso,
        "system_ids": sorted(ids),
        "packages": rows,
        "other_systems": result.other_systems,
        "warnings": list(result.warnings),
    }
    emit(fmt, document=doc, rows=rows, columns=["path", "status", "reason"], title="Mirror")
    for w in result.warnings:
        typer.echo(f"fwupdate: warning: {w}", err=True)
    if result.other_systems:
        typer.echo(
            f"fwupdate: {result.other_systems} catalog component(s) left out: for none of "
            f"the system ids {', '.join(sorted(ids))}",
            err=True,
        )
    skipped = [i for i in result.items if i.status == "skipped"]
    for i in skipped:
        typer.echo(f"fwupdate: {i.path}: skipped: {i.reason}", err=True)
    if skipped:
        raise typer.Exit(int(ExitCode.PARTIAL))


class _Bar:
    """A rich progress bar on stderr (bytes of the packages to mirror)."""

    def __init__(self, progress: Any) -> None:
        self._p = progress
        self._task: Any = None

    def begin(self, total_bytes: int, packages: int) -> None:
        self._task = self._p.add_task(f"mirroring {packages} package(s)", total=total_bytes)

    def advance(self, nbytes: int) -> None:
        if self._task is not None and nbytes:
            self._p.advance(self._task, nbytes)


@contextmanager
def _progress() -> Iterator[_Bar | None]:
    """A bar on a terminal only: never in a pipe, a log or a test."""
    if not is_tty(sys.stderr):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn())  # fmt: skip
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as p:
        yield _Bar(p)


def _fleet_ids(fleet: Path | None, inventory: Path | None, concurrency: int) -> set[str]:
    """The system ids of a fleet read live, or of a saved inventory; a node without an identity
    is named on stderr (its packages are chosen only if another node shares its system)."""
    if fleet is None and inventory is None:
        return set()
    if fleet is not None and inventory is not None:
        raise BadInputError("repo mirror: give --fleet or --inventory, not both")
    if inventory is not None:
        inventories = plan_inputs.read_saved_inventory(inventory).inventories
    else:
        from fwupdate.fleet.loader import load_fleet
        from fwupdate.idrac.fleet_inventory import inventory_nodes

        nodes = list(load_fleet(fleet or Path()).nodes())
        inventories = {i.name: i for i in inventory_nodes(nodes, concurrency=concurrency)}
    for name, inv in sorted(inventories.items()):
        if not inv.ok:
            why = inv.errors[0] if inv.errors else "no iDRAC identity"
            typer.echo(f"fwupdate: {name}: system id unknown ({why}); not chosen", err=True)
    ids = plan_inputs.system_ids(inventories)
    if not ids:
        raise BadInputError(f"{inventory or fleet}: no node with a known system id")
    return ids


def register(app: typer.Typer) -> None:
    app.add_typer(repo_app, name="repo")
