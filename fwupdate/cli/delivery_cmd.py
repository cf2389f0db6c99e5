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
from typing import Annotated, Any

import typer

from fwupdate.cli.idrac_cmd import (
    AdvertiseOpt,
    CaBundleOpt,
    FingerprintOpt,
    FleetArg,
    FormatOpt,
    IdracOpt,
    InsecureOpt,
    NodeArg,
    PasswordEnvOpt,
    PasswordFileOpt,
    ServeAddressOpt,
    ServeCertOpt,
    ServeKeyOpt,
    ServePortOpt,
    TimeoutOpt,
    TimeScaleOpt,
    UserOpt,
    _facade,
    _named_errors,
    _server,
    _targets,
    _warn_loopback,
    idrac_app,
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


def _emit(fmt: OutputFormat, doc: dict[str, Any], rows: list[dict[str, Any]], title: str) -> None:
    emit(
        fmt, document=doc, rows=rows,
        columns=("node", "mode", "name", "component_id", "before", "after", "expected"),
        title=title,
    )


def repo_update(
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
    from fwupdate.idrac.share import share_from_url
    from fwupdate.repo import serve_repository
    from fwupdate.run.delivery import run_repository_update

    if (repo is None) == (share is None):
        raise BadInputError("give exactly one of --repo PATH or --share URL")
    targets = _targets(
        fleet_file, [node] if node else [], idrac=idrac, user=user, password_env=password_env,
        password_file=password_file, ca_bundle=ca_bundle, fingerprint=fingerprint,
        insecure=insecure, timeout=timeout, need_node=True, max_nodes=1,
    )
    t = targets[0]
    server = _server(serve_address, serve_port, serve_cert, serve_key, advertise)
    if repo is not None:
        _warn_loopback(advertise or serve_address, t)
    with _named_errors(t), server, _facade(t, "auto", time_scale) as facade:
        if repo is not None:
            served = serve_repository(server, repo, rewrite=not no_rewrite)
            for change in served.rewrites:
                facade.progress(f"catalog rewritten: {change}")
            facade.progress(
                f"serving {len(served.packages)} package(s) from {served.kind} {repo}"
                + (f"; {len(served.missing)} named by the catalog are absent" if served.missing
                   else "")
            )
            params = served.share
        else:
            assert share is not None
            params = share_from_url(share)
        if scan_only:
            packages = facade.repo_update_list(params)
            rows = [
                {"node": t.name, "mode": "repository-scan", "name": p.display_name,
                 "component_id": p.component_id, "before": p.installed_version,
                 "after": None, "expected": p.version}
                for p in packages
            ]
            doc = {"node": t.name, "source": params.display, "nothing_to_do": not packages,
                   "packages": rows}
            if not packages:
                facade.progress("nothing to do: the server matches the catalog (SUP029)")
            _emit(fmt, doc, rows, "Repository scan")
            return
        result = run_repository_update(
            facade, params, reboot=not no_reboot, job_timeout=job_timeout
        )
    _emit(fmt, result.document(), result.rows(), "Repository update")


def vmedia_update(
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
    from fwupdate.catalog import load_catalog
    from fwupdate.run.delivery import expected_from_catalog, run_virtual_media_update

    if (iso is None) == (iso_url is None):
        raise BadInputError("give exactly one of --iso FILE or --iso-url URL")
    expected = _parse_expect(expect or [])
    if iso_url is not None and not expected:
        raise BadInputError("--iso-url needs --expect COMPONENT_ID=VERSION (what the ISO installs)")
    if iso is not None and not iso.is_file():
        raise BadInputError(f"--iso {iso}: no such file")
    targets = _targets(
        fleet_file, [node] if node else [], idrac=idrac, user=user, password_env=password_env,
        password_file=password_file, ca_bundle=ca_bundle, fingerprint=fingerprint,
        insecure=insecure, timeout=timeout, need_node=True, max_nodes=1,
    )
    t = targets[0]
    server = _server(serve_address, serve_port, serve_cert, serve_key, advertise)
    if iso is not None:
        _warn_loopback(advertise or serve_address, t)
    with _named_errors(t), server, _facade(t, "auto", time_scale) as facade:
        url = iso_url
        shown = iso_url
        if iso is not None:
            url = server.register(iso)
            shown = f"{server.base_url}/…/{iso.name}"
            if not expected:
                inv = facade.inventory()
                sid = inv.system.system_id if inv.system else None
                catalog = load_catalog(str(iso), system_id=sid, use_cache=False)
                expected = expected_from_catalog(inv, catalog)
                facade.progress(
                    "the ISO's catalog brings "
                    + (", ".join(f"{k}={v}" for k, v in sorted(expected.items())) or "nothing new")
                )
        assert url is not None
        result = run_virtual_media_update(
            facade, url, expected=expected, timeout=wait, display=shown
        )
    _emit(fmt, result.document(), result.rows(), "Virtual-media update")


def register(app: typer.Typer) -> None:
    """Adds the commands to the `fwupdate idrac` group (registered by idrac_cmd)."""
    idrac_app.command("repo-update")(repo_update)
    idrac_app.command("vmedia-update")(vmedia_update)
