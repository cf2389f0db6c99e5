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

import ipaddress
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from fwupdate.cli.adhoc import adhoc_idrac_endpoint
from fwupdate.cli.output import OutputFormat, emit
from fwupdate.errors import BadInputError, FwupdateError
from fwupdate.fileserver import FileServer
from fwupdate.fleet.loader import load_fleet
from fwupdate.fleet.models import Endpoint, Node, TlsSettings
from fwupdate.idrac.capabilities import TRANSPORT_CHOICES
from fwupdate.idrac.facade import IdracFacade, IdracUpdateResult
from fwupdate.idrac.timing import Timing
from fwupdate.plan.policy import R320_STEPPING_STONES
from fwupdate.plan.steppingstones import stone_guard

idrac_app = typer.Typer(
    name="idrac",
    help="Drive one iDRAC by hand: self-update one step, LC status, clear the job queue.",
    no_args_is_help=True,
)

FleetArg = Annotated[
    Path | None, typer.Argument(help="Fleet file (TOML, docs/fleet.md).", show_default=False)
]
IdracOpt = Annotated[
    str | None, typer.Option("--idrac", help="Ad hoc: the iDRAC URL (https://host[:port]).")
]
UserOpt = Annotated[str, typer.Option("--user", help="Ad hoc: iDRAC user name.")]
PasswordEnvOpt = Annotated[
    str | None,
    typer.Option("--password-env", help="Ad hoc: environment variable holding the password."),
]
PasswordFileOpt = Annotated[
    Path | None, typer.Option("--password-file", help="Ad hoc: 0600 file holding the password.")
]
CaBundleOpt = Annotated[
    Path | None, typer.Option("--ca-bundle", help="CA bundle that signed the iDRAC certificate.")
]
FingerprintOpt = Annotated[
    str | None, typer.Option("--fingerprint", help="Pinned SHA-256 fingerprint of the cert.")
]
InsecureOpt = Annotated[
    bool, typer.Option("--insecure", help="Do not verify the iDRAC certificate (reported).")
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", min=1, max=3600, help="Request timeout in seconds (default 30)."),
]
TransportOpt = Annotated[
    str,
    typer.Option(
        "--transport", help="auto (per operation, docs/transports.md), wsman or redfish."
    ),
]
TimeScaleOpt = Annotated[
    float,
    typer.Option(
        "--time-scale", min=0.001, hidden=True, help="Divide every wait (simulator rehearsals)."
    ),
]
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format: table, json or csv.")
]


@dataclass(frozen=True)
class Target:
    name: str
    endpoint: Endpoint


NodeArg = Annotated[str | None, typer.Argument(help="Node of the fleet file.", show_default=False)]
ServeAddressOpt = Annotated[
    str,
    typer.Option(
        "--serve-address", help="Address the file server listens on (the iDRAC must reach it)."
    ),
]
ServePortOpt = Annotated[
    int, typer.Option("--serve-port", min=0, max=65535, help="File server port (0: any).")
]
ServeCertOpt = Annotated[
    Path | None, typer.Option("--serve-cert", help="Serve over HTTPS with this certificate.")
]
ServeKeyOpt = Annotated[Path | None, typer.Option("--serve-key", help="Key of --serve-cert.")]
AdvertiseOpt = Annotated[
    str | None,
    typer.Option("--advertise", help="Host name/IP put in the URL (default: --serve-address)."),
]


def _server(address: str, port: int, cert: Path | None, key: Path | None,
            advertise: str | None) -> FileServer:
    if (cert is None) != (key is None):
        raise BadInputError("--serve-cert and --serve-key go together")
    return FileServer(address, port, advertise_host=advertise, certfile=cert, keyfile=key)


def _targets(
    fleet_file: Path | None,
    nodes: list[str],
    *,
    idrac: str | None,
    user: str,
    password_env: str | None,
    password_file: Path | None,
    ca_bundle: Path | None,
    fingerprint: str | None,
    insecure: bool,
    timeout: float | None,
    max_nodes: int | None = None,
    need_node: bool = False,
) -> list[Target]:
    adhoc = [idrac, password_env, password_file, ca_bundle, fingerprint]
    if fleet_file is not None and any(v is not None for v in adhoc):
        raise BadInputError(
            "give a fleet file and node, or --idrac with its options, not both "
            "(--password-env/--password-file/--ca-bundle/--fingerprint belong to --idrac)"
        )
    if fleet_file is None:
        if nodes:
            raise BadInputError("a node name needs a fleet file before it")
        if idrac is None:
            raise BadInputError("give FLEET.toml NODE, or --idrac URL --user U --password-env VAR")
        endpoint = adhoc_idrac_endpoint(
            idrac, user=user, password_env=password_env, password_file=password_file,
            ca_bundle=ca_bundle, fingerprint=fingerprint, insecure=insecure, timeout=timeout,
        )
        return [Target(endpoint.url.split("://", 1)[-1], endpoint)]
    fleet = load_fleet(fleet_file)
    if need_node and not nodes:
        raise BadInputError(f"name the node of {fleet_file} to work on")
    if max_nodes is not None and len(nodes) > max_nodes:
        raise BadInputError(f"give at most {max_nodes} node name(s)")
    chosen: list[Node] = []
    for name in nodes or [n.name for n in fleet.nodes()]:
        try:
            chosen.append(fleet.node(name))
        except KeyError:
            raise BadInputError(f"no node named {name!r} in {fleet_file}") from None
    out = []
    for n in chosen:
        ep = n.idrac
        if insecure:
            ep = replace(ep, tls=TlsSettings(insecure=True))
        if timeout is not None:
            ep = replace(ep, timeout=timeout)
        out.append(Target(n.name, ep))
    return out


def _facade(t: Target, transport: str, time_scale: float) -> IdracFacade:
    if transport not in TRANSPORT_CHOICES:
        raise BadInputError(f"--transport: use one of {', '.join(TRANSPORT_CHOICES)}")
    facade = IdracFacade.for_endpoint(
        t.endpoint,
        name=t.name,
        transport=transport,  # type: ignore[arg-type]
        timing=Timing(scale=time_scale),
    )
    facade.progress = lambda msg: print(f"fwupdate: {t.name}: {msg}", file=sys.stderr)
    if t.endpoint.tls.insecure:
        print(
            f"fwupdate: warning: TLS certificate verification is OFF for {t.name}",
            file=sys.stderr,
        )
    return facade


@contextmanager
def _named_errors(t: Target) -> Iterator[None]:
    """Errors name the node as well as the address when they differ."""
    try:
        yield
    except FwupdateError as exc:
        if exc.host and t.name != exc.host and not exc.host.startswith(t.name):
            exc.host = f"{t.name} ({exc.host})"
        elif not exc.host:
            exc.host = t.name
        raise


# --- images ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedImage:
    path: Path  # the file to install
    version: str | None  # the version it installs, when known
    described: str  # "firmimg.d7 from iDRAC_...EXE" / "bare image" / "Windows DUP as is"


def prepare_image(image: Path, workdir: Path, *, as_is: bool = False) -> PreparedImage:
    """A DUP -> its bare `payload/firmimg.d7` (or .d9) extracted into `workdir`; a bare image
    as it is.  The version comes from the DUP's package.xml or the image's header."""
    from fwupdate.dup.detect import DupFormat, detect
    from fwupdate.dup.extract import extract_dup
    from fwupdate.dup.image import bare_image_generation
    from fwupdate.dup.reader import inspect_dup
    from fwupdate.dup.repo import is_idrac_component

    if not image.is_file():
        raise BadInputError(f"--image {image}: no such file")
    d = detect(image)
    if d.format is DupFormat.IMAGE:
        header = d.image_header
        if header is not None and not header.is_idrac:
            raise BadInputError(f"{image.name}: an image for {header.target}, not for an iDRAC")
        version = header.version if header is not None else None
        return PreparedImage(image, version, f"bare image {image.name}")
    info = inspect_dup(image)
    comp = info.component
    if comp is None or not is_idrac_component(comp):
        raise BadInputError(
            f"{image.name}: not an iDRAC package (component ids "
            f"{', '.join(comp.component_ids) if comp else 'none'})"
        )
    version = comp.vendor_version or None
    if as_is:
        if d.format is DupFormat.BIN:
            raise BadInputError(
                f"{image.name}: iDRACs accept no Linux .BIN package; drop --as-is to install "
                "the bare image inside it"
            )
        return PreparedImage(image, version, f"Windows DUP {image.name} as is")
    members = [
        m.path
        for m in info.members
        if m.path and m.path.startswith("payload/") and bare_image_generation(m.path)
    ]
    if not members:
        raise BadInputError(f"{image.name}: no payload/firmimg.d7 (or .d9) inside the package")
    result = extract_dup(image, workdir, members=[members[0]])
    extracted = Path(result.files[0].path)
    return PreparedImage(extracted, version, f"{extracted.name} from {image.name}")


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


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _warn_loopback(served_host: str, t: Target) -> None:
    """A real iDRAC cannot fetch from this machine's loopback address: say so up front."""
    idrac_host = urlsplit(t.endpoint.url).hostname or ""
    if _is_loopback(served_host) and not _is_loopback(idrac_host):
        print(
            f"fwupdate: warning: the file server is on {served_host}, which the iDRAC at "
            f"{idrac_host} cannot reach; give --serve-address (an address of this machine on "
            "the iDRAC network) if the image has to be served",
            file=sys.stderr,
        )


def _check_stones(facade: IdracFacade, image_version: str | None, *, allow: bool) -> None:
    """Refuse (exit 2, nothing sent) an image that skips the planner's next stepping stone."""
    current = facade.firmware_version()
    generation = str(facade.identity().generation)
    why = stone_guard(R320_STEPPING_STONES, generation, current, image_version)
    if why is None:
        return
    if not allow:
        raise BadInputError(why, host=facade.name, step="stepping stones")
    facade.progress(f"warning: {why}; sending it anyway (--allow-stone-skip)")


# --- commands --------------------------------------------------------------------------------


@idrac_app.command("update-self")
def update_self(
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
    server = _server(serve_address, serve_port, serve_cert, serve_key, advertise)
    targets = _targets(
        fleet_file,
        [node] if node else [],
        idrac=idrac,
        user=user,
        password_env=password_env,
        password_file=password_file,
        ca_bundle=ca_bundle,
        fingerprint=fingerprint,
        insecure=insecure,
        timeout=timeout,
        need_node=True,
        max_nodes=1,
    )
    t = targets[0]
    _warn_loopback(advertise or serve_address, t)
    with tempfile.TemporaryDirectory(prefix="fwupdate-idrac-") as work:
        prepared = prepare_image(image, Path(work), as_is=as_is)
        expected = expect_version or prepared.version
        with _named_errors(t), server, _facade(t, transport, time_scale) as facade:
            _check_stones(facade, expected, allow=allow_stone_skip)
            facade.progress(
                f"installing {prepared.described}"
                + (f" (version {expected})" if expected else " (version unknown)")
            )
            result = facade.update_idrac(
                prepared.path, fileserver=server, expected_version=expected,
                clear_queue=clear_queue,
            )
    row = _result_rows(result, prepared)
    columns = ("node", "transport", "from_version", "to_version", "job_id", "lc_after", "seconds")
    emit(fmt, document=row, rows=[row], columns=columns, title="iDRAC self-update")


@idrac_app.command("lc-status")
def lc_status(
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
    targets = _targets(
        fleet_file, nodes or [], idrac=idrac, user=user, password_env=password_env,
        password_file=password_file, ca_bundle=ca_bundle, fingerprint=fingerprint,
        insecure=insecure, timeout=timeout,
    )
    rows: list[dict[str, Any]] = []
    for t in targets:
        with _named_errors(t), _facade(t, transport, 1.0) as facade:
            st = facade.lc_status()
            rows.append(
                {
                    "node": t.name,
                    "ready": st.ready,
                    "detail": st.detail,
                    "message_id": st.message_id,
                    "transport": str(st.transport),
                }
            )
    emit(fmt, document={"nodes": rows}, rows=rows,
         columns=("node", "ready", "detail", "message_id", "transport"),
         title="Lifecycle Controller status")
    if not all(r["ready"] for r in rows):
        raise typer.Exit(1)


@idrac_app.command("clear-jobs")
def clear_jobs(
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
    targets = _targets(
        fleet_file, [node] if node else [], idrac=idrac, user=user, password_env=password_env,
        password_file=password_file, ca_bundle=ca_bundle, fingerprint=fingerprint,
        insecure=insecure, timeout=timeout, need_node=True, max_nodes=1,
    )
    t = targets[0]
    with _named_errors(t), _facade(t, transport, time_scale) as facade:
        jobs = facade.list_jobs()
        for j in jobs:
            facade.progress(f"queued: {j.describe()}")
        n = facade.clear_job_queue()
    print(f"{t.name}: cleared {n} job(s); the job queue is empty")


def register(app: typer.Typer) -> None:
    app.add_typer(idrac_app, name="idrac")
