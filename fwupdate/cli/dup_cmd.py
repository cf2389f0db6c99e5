"""`fwupdate dup ...`: inspect, extract, verify Dell Update Packages; build synthetic repositories.

Contract (docs/dups.md): read commands take `--format table|json|csv`; errors (not a DUP, hash
mismatch, unsafe archive member, missing file) are one line on stderr with exit 2, and nothing
is left half-written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from fwupdate.catalog.models import Catalog, SoftwareComponent
from fwupdate.cli.output import OutputFormat, emit
from fwupdate.dup.build import build_firmware_image
from fwupdate.dup.extract import extract_dup
from fwupdate.dup.image import IDRAC_TARGETS
from fwupdate.dup.limits import DEFAULT_LIMITS, ExtractLimits, parse_size
from fwupdate.dup.reader import info_document, inspect_dup
from fwupdate.dup.repo import DEFAULT_DATE_TIME, build_repository, default_payload
from fwupdate.dup.verify import Verification, verify_against_component
from fwupdate.errors import BadInputError, FwupdateError
from fwupdate.trust import DEFAULT_ORGANISATION, verify_file

dup_app = typer.Typer(
    name="dup",
    help="Inspect, verify and safely extract Dell Update Packages (never executes them).",
    no_args_is_help=True,
)

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format: table, json or csv.")
]


def _limits(max_total: str | None, max_member: str | None) -> ExtractLimits:
    return ExtractLimits(
        max_total_bytes=parse_size(max_total) if max_total else DEFAULT_LIMITS.max_total_bytes,
        max_member_bytes=parse_size(max_member) if max_member else DEFAULT_LIMITS.max_member_bytes,
    )


def _load_catalog(source: str) -> Catalog:
    """Read a catalog through the catalog package's loader (the one catalog parser)."""
    from fwupdate.catalog import load_catalog

    return load_catalog(source)


def _catalog_component(file: Path, source: str) -> SoftwareComponent:
    """The catalog entry whose path ends in `file`'s name, from the catalog at `source`."""
    from fwupdate.catalog import find_component_by_filename

    component = find_component_by_filename(_load_catalog(source), file.name)
    if component is None:
        raise BadInputError(f"{file.name}: not listed in catalog {source}")
    return component


def _load_components(
    source: str, system_ids: tuple[str, ...]
) -> tuple[Catalog, list[SoftwareComponent]]:
    catalog = _load_catalog(source)
    wanted = {s.strip().upper() for s in system_ids}
    chosen = [
        c for c in catalog.components if not wanted or any(c.supports_system(s) for s in wanted)
    ]
    return catalog, chosen


@contextlib.contextmanager
def _os_errors(what: str) -> Iterator[None]:
    """Turn an OS error while writing (disk full, permission) into one clear line, exit 1."""
    try:
        yield
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise FwupdateError(f"{what}: {where}{exc.strerror or exc}") from None


def _verify(file: Path, source: str) -> Verification:
    if not file.is_file():
        raise BadInputError(f"{file}: no such file")
    return verify_against_component(file, _catalog_component(file, source))


def _verdict_text(sig: dict[str, Any]) -> str:
    detail = sig["signer"] if sig["status"] == "valid" else sig["reason"]
    return f"{sig['kind']} {sig['status']}: {detail}"


@dup_app.command("inspect")
def inspect_cmd(
    file: Annotated[Path, typer.Argument(help="A .EXE or .BIN DUP, or a bare firmimg.d7/.d9.")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show package.xml fields, payload members, format, size, MD5 and SHA-256."""
    doc = info_document(inspect_dup(file))
    doc["signature"] = verify_file(file).as_dict()  # shown, never enforced here
    if fmt is OutputFormat.json:
        emit(fmt, document=doc, rows=[], columns=[])
        return
    if fmt is OutputFormat.csv:
        rows = doc.get("members", [])
        emit(fmt, document=doc, rows=rows, columns=["name", "size", "type", "problem"])
        return
    fields: list[dict[str, Any]] = [
        {"field": k, "value": doc[k]} for k in ("file", "format", "size", "md5", "sha256")
    ]
    if "image" in doc:
        fields += [{"field": k, "value": v} for k, v in doc["image"].items()]
        fields.append({"field": "signature", "value": _verdict_text(doc["signature"])})
        emit(fmt, document=doc, rows=fields, columns=["field", "value"], title="Bare image")
        return
    pkg = doc["package"]
    fields += [{"field": k, "value": v} for k, v in pkg.items() if k != "supported_systems"]
    fields.append({"field": "signature", "value": _verdict_text(doc["signature"])})
    fields.append(
        {
            "field": "supported_systems",
            "value": [
                f"{s['system_id']} {s['display'] or ''}".strip() for s in pkg["supported_systems"]
            ],
        }
    )
    fields.append({"field": "safe to extract", "value": doc["safe"]})
    fields += [{"field": "problem", "value": p} for p in doc["problems"]]
    emit(fmt, document=doc, rows=fields, columns=["field", "value"], title="Package")
    emit(
        fmt,
        document=doc,
        rows=doc["members"],
        columns=["name", "size", "type", "problem"],
        title="Members",
    )


@dup_app.command("extract")
def extract_cmd(
    file: Annotated[Path, typer.Argument(help="A .EXE or .BIN DUP.")],
    to: Annotated[Path, typer.Option("--to", help="Target folder (created if missing).")],
    member: Annotated[
        list[str] | None,
        typer.Option(
            "--member", help="Extract only this member (repeatable), e.g. payload/firmimg.d7."
        ),
    ] = None,
    all_files: Annotated[
        bool, typer.Option("--all", help="Extract every file, not only payload/ (package.xml too).")
    ] = False,
    verify_against: Annotated[
        str | None,
        typer.Option(
            "--verify-against",
            help="Catalog (file, folder or ISO) to check MD5/size against before extracting.",
        ),
    ] = None,
    max_total: Annotated[
        str | None,
        typer.Option("--max-total-size", help="Cap on all extracted bytes (default 2GiB)."),
    ] = None,
    max_member: Annotated[
        str | None, typer.Option("--max-member-size", help="Cap on one member (default 1GiB).")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Extract payload/ (or --member) into --to; refuses unsafe archives, writes nothing then."""
    limits = _limits(max_total, max_member)
    verified: Verification | None = None
    if verify_against:
        verified = _verify(file, verify_against)
    with _os_errors("extract"):
        result = extract_dup(file, to, members=member or None, all_files=all_files, limits=limits)
    rows = [{"member": f.member, "path": f.path, "size": f.size} for f in result.files]
    doc: dict[str, Any] = {"file": result.source, "target": result.target, "files": rows}
    if verified is not None:
        doc["verified"] = verified.as_dict()
    emit(fmt, document=doc, rows=rows, columns=["member", "path", "size"], title="Extracted")


@dup_app.command("verify")
def verify_cmd(
    file: Annotated[Path, typer.Argument(help="A DUP (or any file listed in the catalog).")],
    catalog: Annotated[
        str | None,
        typer.Option(
            "--catalog",
            help="Also check MD5/size against this catalog (file, folder or ISO).",
        ),
    ] = None,
    against: Annotated[
        str | None, typer.Option("--against", hidden=True, help="Old name of --catalog.")
    ] = None,
    signer_org: Annotated[
        str, typer.Option("--signer-org", help="Organisation an Authenticode signer must have.")
    ] = DEFAULT_ORGANISATION,
    allow_unsigned: Annotated[
        bool,
        typer.Option(
            "--allow-unsigned", help="Report the signature verdict but do not fail on it."
        ),
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Check the signature (Authenticode in an .EXE, FILE.sign beside anything else) against
    the trust store, and the catalog entry with --catalog; exit 2 unless everything verifies."""
    if catalog is not None and against is not None:
        raise BadInputError("dup verify: give the catalog once, with --catalog SOURCE")
    catalog = catalog or against  # --against: the old name, kept hidden
    v = _verify(file, catalog) if catalog else None
    verdict = verify_file(file, organisation=signer_org)
    doc: dict[str, Any] = v.as_dict() if v else {"file": str(file)}
    doc["signature"] = verdict.as_dict()
    rows = [{"field": k, "value": val} for k, val in doc.items() if k != "signature"]
    rows += [{"field": f"signature {k}", "value": val} for k, val in verdict.as_dict().items()]
    if verdict.ok or allow_unsigned:
        emit(fmt, document=doc, rows=rows, columns=["field", "value"], title="Verified")
    if not allow_unsigned:
        verdict.require()


@dup_app.command("build-repo")
def build_repo_cmd(
    source: Annotated[
        str, typer.Option("--from", help="Catalog whose components get a synthetic DUP each.")
    ],
    to: Annotated[Path, typer.Option("--to", help="Repository folder to write.")],
    system: Annotated[
        list[str] | None,
        typer.Option(
            "--system", help="Only components for this system id (repeatable), e.g. 04F7."
        ),
    ] = None,
    bundle_system: Annotated[
        list[str] | None,
        typer.Option(
            "--bundle-system", help="Write a SoftwareBundle for this system id (default 04F7)."
        ),
    ] = None,
    utf16: Annotated[
        bool, typer.Option("--utf16", help="Write Catalog.xml as UTF-16 with BOM (online style).")
    ] = False,
    payload_size: Annotated[
        str, typer.Option("--payload-size", help="Size of each payload.")
    ] = "64KiB",
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Rebuild a repository: a synthetic DUP per catalog component plus a matching Catalog.xml."""
    catalog, components = _load_components(source, tuple(system or ()))
    if not components:
        raise BadInputError(f"{source}: no components to build")
    size = parse_size(payload_size)
    with _os_errors("build-repo"):
        result = build_repository(
            to,
            components,
            payload_factory=lambda c: default_payload(c, size=size),
            bundle_system_ids=tuple(bundle_system or ("04F7",)),
            encoding="utf-16" if utf16 else "utf-8",
            date_time=catalog.manifest.date_time or DEFAULT_DATE_TIME,
        )
    rows = [
        {"path": c.path, "version": c.vendor_version, "size": c.size, "md5": c.hash_md5}
        for c in result.components
    ]
    doc = {"folder": result.folder, "catalog": result.catalog, "packages": rows}
    emit(fmt, document=doc, rows=rows, columns=["path", "version", "size", "md5"], title="Built")


@dup_app.command("build-image")
def build_image_cmd(
    to: Annotated[Path, typer.Option("--to", help="File to write, e.g. firmimg.d7.")],
    version: Annotated[str, typer.Option("--version", help="Version the image installs.")],
    target: Annotated[
        str, typer.Option("--target", help="|".join(IDRAC_TARGETS) + " or a token.")
    ] = "idrac7",
    size: Annotated[str, typer.Option("--size", help="Total image size.")] = "64KiB",
) -> None:
    """Write a synthetic bare iDRAC image (header `FWUPDATE-SIM-IMAGE <target> <version>`)."""
    with _os_errors("build-image"):
        path = build_firmware_image(to, target=target, version=version, size=parse_size(size))
    typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.add_typer(dup_app, name="dup")
