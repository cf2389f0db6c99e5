"""Use cases: delivery by hand to one iDRAC (docs/delivery.md, docs/walkthrough-idrac7-
bootstrap.md) — install one iDRAC image (`idrac update-self`), read the Lifecycle Controller's
readiness, clear the job queue, let the iDRAC update from a repository, boot an update ISO by
virtual media.  Lines for the operator go to `say` (the CLI prefixes and prints them)."""

from __future__ import annotations

import ipaddress
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from fwupdate.app.targets import FileServerOptions, IdracAccess, Target, idrac_targets
from fwupdate.errors import BadInputError, FwupdateError
from fwupdate.fileserver import FileServer
from fwupdate.idrac.capabilities import AUTO, TransportChoice
from fwupdate.idrac.facade import IdracFacade, IdracUpdateResult
from fwupdate.idrac.lc_ready import LcReadiness
from fwupdate.idrac.repo_packages import RepoPackage
from fwupdate.idrac.share import ShareParameters
from fwupdate.idrac.timing import Timing
from fwupdate.plan.policy import R320_STEPPING_STONES
from fwupdate.plan.steppingstones import stone_guard
from fwupdate.run.delivery import DeliveryResult

Say = Callable[[str], None]  # one line for the operator, e.g. "lb-a1: rebooting"


def _silent(_line: str) -> None:
    """Lines nobody reads."""


@dataclass(frozen=True)
class HandTarget:
    """The one node (or ad hoc iDRAC) a hand command drives."""

    fleet_file: Path | None = None
    node: str | None = None
    access: IdracAccess = field(default_factory=IdracAccess)
    transport: TransportChoice = AUTO
    time_scale: float = 1.0

    def target(self) -> Target:
        nodes = [self.node] if self.node else []
        return idrac_targets(self.fleet_file, nodes, self.access, need_node=True,
                             max_nodes=1)[0]  # fmt: skip


def open_facade(t: Target, transport: TransportChoice, time_scale: float,
                say: Say) -> IdracFacade:  # fmt: skip
    """The facade for `t` (its progress lines go to `say`); warns when TLS is not verified."""
    facade = IdracFacade.for_endpoint(
        t.endpoint,
        name=t.name,
        transport=transport,
        timing=Timing(scale=time_scale),
    )
    facade.progress = lambda msg: say(f"{t.name}: {msg}")
    if t.endpoint.tls.insecure:
        say(f"warning: TLS certificate verification is OFF for {t.name}")
    return facade


@contextmanager
def named_errors(t: Target) -> Iterator[None]:
    """Errors name the node as well as the address when they differ."""
    try:
        yield
    except FwupdateError as exc:
        if exc.host and t.name != exc.host and not exc.host.startswith(t.name):
            exc.host = f"{t.name} ({exc.host})"
        elif not exc.host:
            exc.host = t.name
        raise


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_warning(served_host: str, t: Target) -> str | None:
    """A real iDRAC cannot fetch from this machine's loopback address: the warning, if so."""
    idrac_host = urlsplit(t.endpoint.url).hostname or ""
    if _is_loopback(served_host) and not _is_loopback(idrac_host):
        return (f"warning: the file server is on {served_host}, which the iDRAC at "
                f"{idrac_host} cannot reach; give --serve-address (an address of this machine "
                "on the iDRAC network) if the image has to be served")  # fmt: skip
    return None


# --- one iDRAC image ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedImage:
    path: Path  # the file to install
    version: str | None  # the version it installs, when known
    described: str  # "firmimg.d7 from iDRAC_...EXE" / "bare image" / "Windows DUP as is"


def prepare_image(image: Path, workdir: Path, *, as_is: bool = False) -> PreparedImage:
    """A DUP -> its bare `payload/firmimg.d7` (or .d9) extracted into `workdir` (the
    executor's procedure, fwupdate.dup.extract.extract_bare_image); a bare image as it is.
    The version comes from the DUP's package.xml or the image's header."""
    from fwupdate.dup.detect import DupFormat, detect
    from fwupdate.dup.extract import bare_image_member, extract_bare_image
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
    member = bare_image_member([m.path for m in info.members if m.path])
    extracted = extract_bare_image(image, workdir, member)
    return PreparedImage(extracted, version, f"{extracted.name} from {image.name}")


def check_stones(facade: IdracFacade, image_version: str | None, *, allow: bool) -> None:
    """Refuse (exit 2, nothing sent) an image that skips the planner's next stepping stone."""
    current = facade.firmware_version()
    generation = str(facade.identity().generation)
    why = stone_guard(R320_STEPPING_STONES, generation, current, image_version)
    if why is None:
        return
    if not allow:
        raise BadInputError(why, host=facade.name, step="stepping stones")
    facade.progress(f"warning: {why}; sending it anyway (--allow-stone-skip)")


@dataclass(frozen=True)
class UpdateSelfRequest:
    target: HandTarget
    image: Path  # iDRAC DUP (.EXE/.BIN) or bare firmimg.d7
    serve: FileServerOptions = field(default_factory=FileServerOptions)
    expect_version: str | None = None  # default: from the image
    as_is: bool = False
    clear_queue: bool = False
    allow_stone_skip: bool = False


@dataclass(frozen=True)
class UpdateSelfResult:
    result: IdracUpdateResult
    image: PreparedImage


def update_self(req: UpdateSelfRequest, *, say: Say = _silent) -> UpdateSelfResult:
    """Install one iDRAC firmware image (one stepping stone) and wait until it runs."""
    server = req.serve.server()
    t = req.target.target()
    if (warning := loopback_warning(req.serve.served_host, t)) is not None:
        say(warning)
    with tempfile.TemporaryDirectory(prefix="fwupdate-idrac-") as work:
        prepared = prepare_image(req.image, Path(work), as_is=req.as_is)
        expected = req.expect_version or prepared.version
        with named_errors(t), server, open_facade(t, req.target.transport,
                                                  req.target.time_scale, say) as facade:
            check_stones(facade, expected, allow=req.allow_stone_skip)
            facade.progress(f"installing {prepared.described}"
                            + (f" (version {expected})" if expected else " (version unknown)"))
            result = facade.update_idrac(prepared.path, fileserver=server,
                                         expected_version=expected,
                                         clear_queue=req.clear_queue)  # fmt: skip
    return UpdateSelfResult(result, prepared)


# --- Lifecycle Controller and job queue --------------------------------------------------------


@dataclass(frozen=True)
class NodeLcStatus:
    node: str
    status: LcReadiness


def lc_status(fleet_file: Path | None, nodes: list[str], access: IdracAccess, *,
              transport: TransportChoice = AUTO, say: Say = _silent) -> tuple[NodeLcStatus, ...]:
    """Is each Lifecycle Controller ready for remote updates?"""
    out: list[NodeLcStatus] = []
    for t in idrac_targets(fleet_file, nodes, access):
        with named_errors(t), open_facade(t, transport, 1.0, say) as facade:
            out.append(NodeLcStatus(t.name, facade.lc_status()))
    return tuple(out)


@dataclass(frozen=True)
class ClearedJobs:
    node: str
    cleared: int


def clear_jobs(target: HandTarget, *, say: Say = _silent) -> ClearedJobs:
    """Delete every job in the queue (JID_CLEARALL), then wait until LC is ready again."""
    t = target.target()
    with named_errors(t), open_facade(t, target.transport, target.time_scale, say) as facade:
        for j in facade.list_jobs():
            facade.progress(f"queued: {j.describe()}")
        n = facade.clear_job_queue()
    return ClearedJobs(t.name, n)


# --- repository and virtual media --------------------------------------------------------------


@dataclass(frozen=True)
class RepoUpdateRequest:
    target: HandTarget
    repo: Path | None = None  # folder, Catalog.xml or SUU .iso, served by fwupdate
    share: str | None = None  # or an existing share URL the iDRAC reaches
    scan_only: bool = False
    reboot: bool = True
    rewrite: bool = True
    job_timeout: float | None = None
    serve: FileServerOptions = field(default_factory=FileServerOptions)


@dataclass(frozen=True)
class RepoScan:
    """What the iDRAC would apply from the repository (`--scan-only`)."""

    node: str
    source: str
    packages: tuple[RepoPackage, ...]

    def rows(self) -> list[dict[str, object]]:
        return [
            {"node": self.node, "mode": "repository-scan", "name": p.display_name,
             "component_id": p.component_id, "before": p.installed_version,
             "after": None, "expected": p.version}
            for p in self.packages
        ]

    def document(self) -> dict[str, object]:
        return {"node": self.node, "source": self.source, "nothing_to_do": not self.packages,
                "packages": self.rows()}


def repo_update(req: RepoUpdateRequest, *, say: Say = _silent) -> RepoScan | DeliveryResult:
    """Let the iDRAC update itself from a repository (iDRAC9 InstallFromRepository)."""
    from fwupdate.run.delivery import run_repository_update

    if (req.repo is None) == (req.share is None):
        raise BadInputError("give exactly one of --repo PATH or --share URL")
    t = req.target.target()
    server = req.serve.server()
    if req.repo is not None and (warning := loopback_warning(req.serve.served_host, t)):
        say(warning)
    with named_errors(t), server, open_facade(t, "auto", req.target.time_scale, say) as facade:
        params = _share(req, server, facade)
        if req.scan_only:
            packages = facade.repo_update_list(params)
            if not packages:
                facade.progress("nothing to do: the server matches the catalog (SUP029)")
            return RepoScan(t.name, params.display, packages)
        return run_repository_update(facade, params, reboot=req.reboot,
                                     job_timeout=req.job_timeout)  # fmt: skip


def _share(req: RepoUpdateRequest, server: FileServer, facade: IdracFacade) -> ShareParameters:
    """The share the iDRAC reads: `--repo` served (catalog rewritten) or `--share` as given."""
    from fwupdate.idrac.share import share_from_url
    from fwupdate.repo import serve_repository

    if req.repo is None:
        assert req.share is not None
        return share_from_url(req.share)
    served = serve_repository(server, req.repo, rewrite=req.rewrite)
    for change in served.rewrites:
        facade.progress(f"catalog rewritten: {change}")
    facade.progress(
        f"serving {len(served.packages)} package(s) from {served.kind} {req.repo}"
        + (f"; {len(served.missing)} named by the catalog are absent" if served.missing
           else "")
    )
    return served.share


@dataclass(frozen=True)
class VmediaUpdateRequest:
    target: HandTarget
    iso: Path | None = None  # served by fwupdate; its catalog says what to expect
    iso_url: str | None = None  # or an ISO the iDRAC reaches (needs `expected`)
    expected: dict[str, str] = field(default_factory=dict)  # component id -> version
    wait: float = 7200.0  # device seconds to wait for the versions
    serve: FileServerOptions = field(default_factory=FileServerOptions)


def vmedia_update(req: VmediaUpdateRequest, *, say: Say = _silent) -> DeliveryResult:
    """Attach an update ISO by virtual media, boot it once, wait for the versions, detach."""
    from fwupdate.run.delivery import run_virtual_media_update

    if (req.iso is None) == (req.iso_url is None):
        raise BadInputError("give exactly one of --iso FILE or --iso-url URL")
    if req.iso_url is not None and not req.expected:
        raise BadInputError("--iso-url needs --expect COMPONENT_ID=VERSION (what the ISO installs)")
    if req.iso is not None and not req.iso.is_file():
        raise BadInputError(f"--iso {req.iso}: no such file")
    t = req.target.target()
    server = req.serve.server()
    if req.iso is not None and (warning := loopback_warning(req.serve.served_host, t)):
        say(warning)
    with named_errors(t), server, open_facade(t, "auto", req.target.time_scale, say) as facade:
        url, shown, expected = req.iso_url, req.iso_url, dict(req.expected)
        if req.iso is not None:
            url = server.register(req.iso)
            shown = f"{server.base_url}/…/{req.iso.name}"
            expected = expected or _expected_from_iso(facade, req.iso)
        assert url is not None
        return run_virtual_media_update(facade, url, expected=expected, timeout=req.wait,
                                        display=shown)  # fmt: skip


def _expected_from_iso(facade: IdracFacade, iso: Path) -> dict[str, str]:
    """The versions the ISO's catalog brings to this node."""
    from fwupdate.catalog import load_catalog
    from fwupdate.run.delivery import expected_from_catalog

    inv = facade.inventory()
    sid = inv.system.system_id if inv.system else None
    catalog = load_catalog(str(iso), system_id=sid, use_cache=False)
    expected = expected_from_catalog(inv, catalog)
    facade.progress("the ISO's catalog brings "
                    + (", ".join(f"{k}={v}" for k, v in sorted(expected.items()))
                       or "nothing new"))  # fmt: skip
    return expected
