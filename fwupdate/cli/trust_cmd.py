"""`fwupdate trust ...`: the certificates and OpenPGP keys signatures are checked against.

Contract (docs/signatures.md): `import FILE` (PEM certificate or armoured OpenPGP public key),
`list [--format json]`, `remove ID`; the store is $FWUPDATE_TRUST_DIR or
$XDG_CONFIG_HOME/fwupdate/trust.  Nothing is ever fetched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fwupdate.cli.output import OutputFormat, emit
from fwupdate.trust import TrustEntry, TrustStore

trust_app = typer.Typer(
    name="trust",
    help="Manage the trusted certificates and OpenPGP keys (nothing is ever downloaded).",
    no_args_is_help=True,
)

COLUMNS = ["id", "kind", "name", "dell_known", "not_after"]


def _rows(entries: list[TrustEntry]) -> list[dict[str, object]]:
    return [e.as_dict() for e in entries]


@trust_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="PEM certificate or .asc OpenPGP public key.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Trust a root/intermediate certificate (Authenticode) or an OpenPGP key (.BIN, catalogs)."""
    store = TrustStore()
    entries = store.import_file(file)
    for e in entries:
        if e.kind == "openpgp" and not e.dell_known:
            typer.echo(
                f"note: {e.id} is not one of Dell's known signing keys; trusted because you "
                "imported it",
                err=True,
            )
    rows = _rows(entries)
    emit(fmt, document={"store": str(store.folder), "imported": rows}, rows=rows, columns=COLUMNS)


@trust_app.command("list")
def list_cmd(
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """List the trusted certificates and keys (dell_known: one of Dell's published keys)."""
    store = TrustStore()
    rows = _rows(store.entries())
    emit(fmt, document={"store": str(store.folder), "entries": rows}, rows=rows, columns=COLUMNS)


@trust_app.command("remove")
def remove_cmd(
    ident: Annotated[str, typer.Argument(metavar="ID", help="Id (or 8+ leading digits of it).")],
) -> None:
    """Stop trusting one certificate or key."""
    entry = TrustStore().remove(ident)
    typer.echo(f"removed {entry.kind} {entry.id} ({entry.name})")


def register(app: typer.Typer) -> None:
    app.add_typer(trust_app, name="trust")
