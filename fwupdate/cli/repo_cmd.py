"""`fwupdate repo mirror`: a verified offline repository from a Dell catalog (docs/signatures.md).

    fwupdate repo mirror --catalog URL|FILE (--model R320 ... | --system-id 04F7 ...) --to DIR
                         [--iso FILE] [--concurrency 4] [--signatures require|warn|off]
                         [--format table|json]

Exit 0 when every package was mirrored or was already there; 3 when some were skipped (each
named with its reason); 2 for bad input (catalog signature under require, no component).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fwupdate.catalog.systems import normalize_system_id, system_id_for_model
from fwupdate.cli.output import OutputFormat, emit
from fwupdate.errors import BadInputError, ExitCode
from fwupdate.plan.policy import SignaturePolicy
from fwupdate.repo.mirror import MirrorOptions, mirror

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
    signatures: Annotated[
        SignaturePolicy, typer.Option("--signatures", help="require, warn or off.")
    ] = SignaturePolicy.REQUIRE,
    ca_bundle: Annotated[
        str | None, typer.Option("--ca-bundle", help="CA bundle for a private https mirror.")
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Fetch the catalog and its signature, keep the wanted systems' packages, verify each one
    (size, MD5, signature) and write a rewritten catalog; re-runs fetch only what changed."""
    ids = {normalize_system_id(s) for s in system_id or ()}
    ids |= {system_id_for_model(m) for m in model or ()}
    if not ids:
        raise BadInputError("repo mirror: give --model or --system-id (which systems to keep)")
    opts = MirrorOptions(frozenset(ids), signatures.value, concurrency, ca_bundle=ca_bundle)
    result = mirror(catalog, to, opts, iso=iso)
    rows = [i.as_dict() for i in result.items]
    doc = {
        "folder": result.folder,
        "catalog": result.catalog,
        "catalog_signature": result.catalog_signature,
        "iso": result.iso,
        "packages": rows,
        "warnings": list(result.warnings),
    }
    emit(fmt, document=doc, rows=rows, columns=["path", "status", "reason"], title="Mirror")
    for w in result.warnings:
        typer.echo(f"fwupdate: warning: {w}", err=True)
    skipped = [i for i in result.items if i.status == "skipped"]
    for i in skipped:
        typer.echo(f"fwupdate: {i.path}: skipped: {i.reason}", err=True)
    if skipped:
        raise typer.Exit(int(ExitCode.PARTIAL))


def register(app: typer.Typer) -> None:
    app.add_typer(repo_app, name="repo")
