"""`fwupdate idrac repo-update` / `fwupdate idrac vmedia-update`: repository-mode and
virtual-media delivery to one node by hand (docs/delivery.md).

    fwupdate idrac repo-update FLEET.toml NODE (--repo FOLDER|Catalog.xml|SUU.iso | --share URL)
                               [--scan-only] [--no-reboot] [--no-rewrite] [serve options]
    fwupdate idrac vmedia-update FLEET.toml NODE (--iso FILE.iso | --iso-url URL --expect CID=VER)
                               [serve options] [--wait S]

`--repo` is served by fwupdate's own read-only file server for the command's lifetime (catalog
rewritten so the iDRAC uses this share, packages straight out of a folder or ISO); `--share`
points the iDRAC at an existing HTTP/HTTPS/NFS/CIFS/FTP share.  `--iso` serves the ISO file and
reads its catalog to know which versions to expect; `--iso-url` uses an ISO the iDRAC can already
reach and needs `--expect`.  Both take the ad hoc `--idrac URL ...` options of `fwupdate idrac`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fwupdate.app.delivery import (
    HandTarget,
    RepoScan,
    RepoUpdateRequest,
    VmediaUpdateRequest,
    repo_update,
    vmedia_update,
)
from fwupdate.cli.idrac_cmd import FleetArg, NodeArg, idrac_app, say
from fwupdate.cli.options import (
    AdvertiseOpt,
    CaBundleOpt,
    FingerprintOpt,
    FormatOpt,
    IdracOpt,
    InsecureOpt,
    PasswordEnvOpt,
    PasswordFileOpt,
    ServeAddressOpt,
    ServeCertOpt,
    ServeKeyOpt,
    ServePortOpt,
    TimeoutOpt,
    TimeScaleOpt,
    UserOpt,
    access,
    file_server,
)
from fwupdate.cli.output import OutputFormat, emit
from fwupdate.errors import BadInputError


def _parse_expect(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        cid, sep, ver = v.partition("=")
        if not sep or not cid.strip() or not ver.strip():
            raise BadInputError(f"--expect {v!r}: use COMPONENT_ID=VERSION (e.g. 159=2.12.1)")
        out[cid.strip()] = ver.strip()
    return out


def _emit(fmt: OutputFormat, doc: dict[str, object], rows: list[dict[str, object]],
          title: str) -> None:
    emit(
        fmt, document=doc, rows=rows,
        columns=("node", "mode", "name", "component_id", "before", "after", "expected"),
        title=title,
    )


def repo_update_cmd(
    fleet_file: FleetArg = None,
    node: NodeArg = None,
    repo: Annotated[
        Path | None,
        typer.Option("--repo", help="Repository to serve: folder, Catalog.xml or SUU .iso."),
    ] = None,
    share: Annotated[
        str | None,
        typer.Option("--share", help="Existing share URL (http/https/nfs/cifs/ftp) instead."),
    ] = None,
    scan_only: Annotated[
        bool, typer.Option("--scan-only", help="Only list what the iDRAC would apply.")
    ] = False,
    no_reboot: Annotated[
        bool, typer.Option("--no-reboot", help="Do not let the iDRAC reboot the host.")
    ] = False,
    no_rewrite: Annotated[
        bool, typer.Option("--no-rewrite", help="Serve the catalog unchanged (baseLocation kept).")
    ] = False,
    job_timeout: Annotated[
        float | None, typer.Option("--job-timeout", min=1, help="Device seconds per job.")
    ] = None,
    idrac: IdracOpt = None,
    user: UserOpt = "root",
    password_env: PasswordEnvOpt = None,
    password_file: PasswordFileOpt = None,
    ca_bundle: CaBundleOpt = None,
    fingerprint: FingerprintOpt = None,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = None,
    serve_address: ServeAddressOpt = "127.0.0.1",
    serve_port: ServePortOpt = 0,
    serve_cert: ServeCertOpt = None,
    serve_key: ServeKeyOpt = None,
    advertise: AdvertiseOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    time_scale: TimeScaleOpt = 1.0,
) -> None:
    """Let the iDRAC update itself from a repository (iDRAC9 InstallFromRepository)."""
    conn = access(idrac, user, password_env, password_file, ca_bundle, fingerprint, insecure,
                  timeout)
    done = repo_update(RepoUpdateRequest(
        target=HandTarget(fleet_file, node, conn, "auto", time_scale),
        repo=repo, share=share, scan_only=scan_only, reboot=not no_reboot,
        rewrite=not no_rewrite, job_timeout=job_timeout,
        serve=file_server(serve_address, serve_port, serve_cert, serve_key, advertise),
    ), say=say)
    title = "Repository scan" if isinstance(done, RepoScan) else "Repository update"
    _emit(fmt, done.document(), done.rows(), title)


def vmedia_update_cmd(
    fleet_file: FleetArg = None,
    node: NodeArg = None,
    iso: Annotated[
        Path | None, typer.Option("--iso", help="Update ISO to serve (SUU / bootable).")
    ] = None,
    iso_url: Annotated[
        str | None, typer.Option("--iso-url", help="ISO URL the iDRAC can reach instead.")
    ] = None,
    expect: Annotated[
        list[str] | None,
        typer.Option("--expect", help="COMPONENT_ID=VERSION to wait for (repeatable)."),
    ] = None,
    wait: Annotated[
        float, typer.Option("--wait", min=1, help="Device seconds to wait for the versions.")
    ] = 7200.0,
    idrac: IdracOpt = None,
    user: UserOpt = "root",
    password_env: PasswordEnvOpt = None,
    password_file: PasswordFileOpt = None,
    ca_bundle: CaBundleOpt = None,
    fingerprint: FingerprintOpt = None,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = None,
    serve_address: ServeAddressOpt = "127.0.0.1",
    serve_port: ServePortOpt = 0,
    serve_cert: ServeCertOpt = None,
    serve_key: ServeKeyOpt = None,
    advertise: AdvertiseOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    time_scale: TimeScaleOpt = 1.0,
) -> None:
    """Attach an update ISO by virtual media, boot it once, wait for the versions, detach."""
    conn = access(idrac, user, password_env, password_file, ca_bundle, fingerprint, insecure,
                  timeout)
    result = vmedia_update(VmediaUpdateRequest(
        target=HandTarget(fleet_file, node, conn, "auto", time_scale),
        iso=iso, iso_url=iso_url, expected=_parse_expect(expect or []), wait=wait,
        serve=file_server(serve_address, serve_port, serve_cert, serve_key, advertise),
    ), say=say)
    _emit(fmt, result.document(), result.rows(), "Virtual-media update")


def register(app: typer.Typer) -> None:
    """Adds the commands to the `fwupdate idrac` group (registered by idrac_cmd)."""
    idrac_app.command("repo-update")(repo_update_cmd)
    idrac_app.command("vmedia-update")(vmedia_update_cmd)
