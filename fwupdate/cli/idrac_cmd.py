"""`fwupdate idrac ...`: drive one iDRAC by hand (the executor does the same through the facade).

    fwupdate idrac update-self FLEET.toml NODE --image FILE [options]
    fwupdate idrac update-self --idrac URL --user U --password-env VAR --image FILE
                               [--ca-bundle F | --fingerprint SHA256 | --insecure]
                               [--serve-address ADDR] [--serve-port N]
                               [--serve-cert F --serve-key F] [--advertise HOST]
                               [--transport auto|wsman|redfish] [--timeout S]
                               [--expect-version V] [--as-is] [--clear-queue]
                               [--allow-stone-skip]
    fwupdate idrac lc-status  (FLEET.toml [NODE...] | --idrac URL ...) [--format ...]
    fwupdate idrac clear-jobs (FLEET.toml NODE | --idrac URL ...)

`update-self` installs ONE iDRAC image (one stepping stone): a DUP (`.EXE` or `.BIN`) has its
bare `payload/firmimg.d7` extracted to a private temporary folder first (`--as-is` serves a
Windows DUP unchanged); the iDRAC pulls it from fwupdate's own file server (WS-Man) or gets it
pushed (Redfish >= 2.60).  An image that skips one of the planner's stepping stones is refused
(exit 2, naming the next stone) unless `--allow-stone-skip`.  Walkthrough:
docs/walkthrough-idrac7-bootstrap.md.  Errors are one line with host, step and message id;
exit 1 for a device failure, 2 for bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from fwupdate.app.delivery import (
    HandTarget,
    PreparedImage,
    UpdateSelfRequest,
    clear_jobs,
    lc_status,
    update_self,
)
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
from fwupdate.idrac.capabilities import transport_choice
from fwupdate.idrac.facade import IdracUpdateResult

idrac_app = typer.Typer(
    name="idrac",
    help="Drive one iDRAC by hand: self-update one step, LC status, clear the job queue.",
    no_args_is_help=True,
)

FleetArg = Annotated[
    Path | None, typer.Argument(help="Fleet file (TOML, docs/fleet.md).", show_default=False)
]
NodeArg = Annotated[str | None, typer.Argument(help="Node of the fleet file.", show_default=False)]
TransportOpt = Annotated[
    str,
    typer.Option(
        "--transport", help="auto (per operation, docs/transports.md), wsman or redfish."
    ),
]


def say(line: str) -> None:
    """A line for the operator, on stderr."""
    print(f"fwupdate: {line}", file=sys.stderr)


def _result_rows(r: IdracUpdateResult, image: PreparedImage) -> dict[str, Any]:
    return {
        "node": r.node,
        "host": r.host,
        "transport": str(r.transport),
        "from_version": r.from_version,
        "to_version": r.to_version,
        "job_id": r.job_id,
        "changed": r.changed,
        "lc_before": r.lc_before,
        "lc_after": r.lc_after,
        "image": image.described,
        "seconds": round(r.seconds, 1),
        "redfish_update": r.capabilities.redfish_update,
    }


# --- commands --------------------------------------------------------------------------------


@idrac_app.command("update-self")
def update_self_cmd(
    fleet_file: FleetArg = None,
    node: NodeArg = None,
    image: Annotated[
        Path | None,
        typer.Option("--image", help="iDRAC DUP (.EXE/.BIN) or bare firmimg.d7 to install."),
    ] = None,
    idrac: IdracOpt = None,
    user: UserOpt = "root",
    password_env: PasswordEnvOpt = None,
    password_file: PasswordFileOpt = None,
    ca_bundle: CaBundleOpt = None,
    fingerprint: FingerprintOpt = None,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = None,
    transport: TransportOpt = "auto",
    serve_address: ServeAddressOpt = "127.0.0.1",
    serve_port: ServePortOpt = 0,
    serve_cert: ServeCertOpt = None,
    serve_key: ServeKeyOpt = None,
    advertise: AdvertiseOpt = None,
    expect_version: Annotated[
        str | None,
        typer.Option("--expect-version", help="Version the image installs (default: from it)."),
    ] = None,
    as_is: Annotated[
        bool, typer.Option("--as-is", help="Install a Windows DUP unchanged (no extraction).")
    ] = False,
    clear_queue: Annotated[
        bool, typer.Option("--clear-queue", help="Clear unfinished jobs first (JID_CLEARALL).")
    ] = False,
    allow_stone_skip: Annotated[
        bool,
        typer.Option(
            "--allow-stone-skip",
            help="Send an image that skips (or downgrades across) a stepping stone anyway; "
            "real iDRACs can brick.",
        ),
    ] = False,
    fmt: FormatOpt = OutputFormat.table,
    time_scale: TimeScaleOpt = 1.0,
) -> None:
    """Install one iDRAC firmware image (one stepping stone) and wait until it runs."""
    if image is None:
        raise BadInputError("--image FILE is required")
    conn = access(idrac, user, password_env, password_file, ca_bundle, fingerprint, insecure,
                  timeout)
    done = update_self(UpdateSelfRequest(
        target=HandTarget(fleet_file, node, conn, transport_choice(transport), time_scale),
        image=image,
        serve=file_server(serve_address, serve_port, serve_cert, serve_key, advertise),
        expect_version=expect_version, as_is=as_is, clear_queue=clear_queue,
        allow_stone_skip=allow_stone_skip,
    ), say=say)
    row = _result_rows(done.result, done.image)
    columns = ("node", "transport", "from_version", "to_version", "job_id", "lc_after", "seconds")
    emit(fmt, document=row, rows=[row], columns=columns, title="iDRAC self-update")


@idrac_app.command("lc-status")
def lc_status_cmd(
    fleet_file: FleetArg = None,
    nodes: Annotated[list[str] | None, typer.Argument(help="Nodes (default: all).")] = None,
    idrac: IdracOpt = None,
    user: UserOpt = "root",
    password_env: PasswordEnvOpt = None,
    password_file: PasswordFileOpt = None,
    ca_bundle: CaBundleOpt = None,
    fingerprint: FingerprintOpt = None,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = None,
    transport: TransportOpt = "auto",
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Is the Lifecycle Controller ready for remote updates? (exit 1 if any is not)."""
    conn = access(idrac, user, password_env, password_file, ca_bundle, fingerprint, insecure,
                  timeout)
    statuses = lc_status(fleet_file, nodes or [], conn, transport=transport_choice(transport),
                          say=say)
    rows: list[dict[str, Any]] = [
        {"node": s.node, "ready": s.status.ready, "detail": s.status.detail,
         "message_id": s.status.message_id, "transport": str(s.status.transport)}
        for s in statuses
    ]
    emit(fmt, document={"nodes": rows}, rows=rows,
         columns=("node", "ready", "detail", "message_id", "transport"),
         title="Lifecycle Controller status")
    if not all(r["ready"] for r in rows):
        raise typer.Exit(1)


@idrac_app.command("clear-jobs")
def clear_jobs_cmd(
    fleet_file: FleetArg = None,
    node: Annotated[str | None, typer.Argument(help="Node of the fleet file.")] = None,
    idrac: IdracOpt = None,
    user: UserOpt = "root",
    password_env: PasswordEnvOpt = None,
    password_file: PasswordFileOpt = None,
    ca_bundle: CaBundleOpt = None,
    fingerprint: FingerprintOpt = None,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = None,
    transport: TransportOpt = "auto",
    time_scale: TimeScaleOpt = 1.0,
) -> None:
    """Delete every job in the queue (JID_CLEARALL), then wait until LC is ready again."""
    conn = access(idrac, user, password_env, password_file, ca_bundle, fingerprint, insecure,
                  timeout)
    done = clear_jobs(HandTarget(fleet_file, node, conn, transport_choice(transport),
                                 time_scale), say=say)
    print(f"{done.node}: cleared {done.cleared} job(s); the job queue is empty")


def register(app: typer.Typer) -> None:
    app.add_typer(idrac_app, name="idrac")
