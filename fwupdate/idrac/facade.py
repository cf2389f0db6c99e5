"""One iDRAC, one interface: Redfish where it works, WS-Man where it does not, per operation.

The executor (and `fwupdate idrac ...`) talks to `IdracFacade`; it never decides protocols.  The
choice is made per operation from the capabilities detected on the device (docs/transports.md
has the table), not from the firmware version:

    with IdracFacade.for_endpoint(node.idrac, name=node.name, timing=timing) as idrac:
        inv = idrac.inventory()                   # Redfish FirmwareInventory, else DCIM
        idrac.wait_lc_ready()                     # 12G/13G: WS-Man GetRemoteServicesAPIStatus
        idrac.clear_job_queue()                   # WS-Man JID_CLEARALL / DellJobService / DELETEs
        with FileServer(bind) as files:
            result = idrac.update_idrac(Path("firmimg.d7"), fileserver=files,
                                        expected_version="1.66.65")

`update_idrac` is the whole iDRAC self-update step: LC ready, queue check, install (Redfish push
or WS-Man InstallFromURI from the file server), follow the job through the iDRAC's own reset,
wait for N consecutive answers with the new version, LC ready again, detect capabilities again
(a new iDRAC firmware may have gained Redfish).  The lower-level calls (`install_image`,
`wait_job`, `reboot_host`, `wait_idrac_back_and_verify`) are public for the executor's other
component steps.  Every wait is bounded (Timing / LcWaits, device seconds, scaled).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from requests.adapters import HTTPAdapter

from fwupdate.dell import IDRAC_COMPONENT_ID
from fwupdate.errors import (
    AuthenticationError,
    BadInputError,
    DeviceError,
    FwupdateError,
    JobFailedError,
    TLSVerificationError,
    UnsupportedOperationError,
)
from fwupdate.fileserver import FileServer
from fwupdate.fleet.models import Endpoint, TlsSettings
from fwupdate.fleet.secrets import Credentials, resolve
from fwupdate.idrac.capabilities import (
    AUTO,
    Operation,
    TransportChoice,
    choose_transport,
    transport_choice,
)
from fwupdate.idrac.job_models import JobRef, JobStatus
from fwupdate.idrac.lc_ready import LcReadiness, LcWaits, wait_lc_ready
from fwupdate.idrac.models import (
    Capabilities,
    FirmwareComponent,
    Generation,
    IdracIdentity,
    NodeInventory,
    Transfer,
    Transport,
)
from fwupdate.idrac.redfish import repository, virtual_media
from fwupdate.idrac.redfish.client import RedfishClient
from fwupdate.idrac.redfish.transport import AuthMode
from fwupdate.idrac.repo_packages import RepoPackage
from fwupdate.idrac.share import ShareParameters, share_from_url
from fwupdate.idrac.timing import Timing
from fwupdate.idrac.wsman import osd as wsman_osd
from fwupdate.idrac.wsman import repository as wsman_repository
from fwupdate.idrac.wsman.client import WsmanClient, WsmanSettings, host_of
from fwupdate.idrac.wsman.dcim import WsmanIdrac
from fwupdate.idrac.wsman.waits import (
    clear_queue,
    job_status,
    lc_readiness,
    wait_job,
    wait_version,
)
from fwupdate.logsafe import register_secret
from fwupdate.tls import adapter_for

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]
# The delivery operations the table decides by generation (read from the identity).
_BY_GENERATION = frozenset({Operation.REPOSITORY, Operation.VIRTUAL_MEDIA, Operation.NETWORK_ISO})


# Redfish push transfers a step may name (Transfer.AUTO is the planner's, never sent)
TRANSFERS = tuple(t.value for t in Transfer if t is not Transfer.AUTO)


@dataclass(frozen=True)
class JobHandle:
    jid: str
    transport: Transport
    task_uri: str | None = None


@dataclass(frozen=True)
class IdracUpdateResult:
    node: str
    host: str
    transport: Transport
    from_version: str
    to_version: str
    job_id: str | None  # None: nothing to do (already at the version)
    lc_before: str | None
    lc_after: str | None
    seconds: float  # wall-clock seconds the step took
    capabilities: Capabilities

    @property
    def changed(self) -> bool:
        return self.job_id is not None


class IdracFacade:
    """Use as a context manager; one per iDRAC per run (it holds a Redfish session)."""

    def __init__(
        self,
        url: str,
        credentials: Credentials | Callable[[], Credentials],
        *,
        tls: TlsSettings | None = None,
        timeout: float = 30.0,
        name: str | None = None,
        transport: TransportChoice = AUTO,
        timing: Timing | None = None,
        lc_waits: LcWaits | None = None,
        wsman_settings: WsmanSettings | None = None,
        redfish_auth: AuthMode = "session",
    ) -> None:
        self.forced: TransportChoice = transport_choice(transport)
        self.url = url.rstrip("/")
        self.host = host_of(self.url)
        self.name = name or self.host
        self.tls = tls or TlsSettings()
        self.timeout = timeout
        self.timing = timing or Timing()
        self.lc_waits = lc_waits or LcWaits()
        self.wsman_settings = wsman_settings or WsmanSettings(
            timeout=timeout, retry_delay=self.timing.real(5.0)
        )
        self._credentials = credentials
        self._redfish_auth: AuthMode = redfish_auth
        self._rf: RedfishClient | None = None
        self._ws: WsmanIdrac | None = None
        self._pool: HTTPAdapter | None = None  # the one connection pool both clients use
        self._caps: Capabilities | None = None
        self._identity: IdracIdentity | None = None
        self.progress: ProgressFn = lambda _msg: None
        # told each Redfish ResetType just before it is sent (the executor journals it)
        self.on_host_reset: Callable[[str], None] | None = None

    @classmethod
    def for_endpoint(
        cls,
        endpoint: Endpoint,
        *,
        name: str | None = None,
        transport: TransportChoice = AUTO,
        timing: Timing | None = None,
        lc_waits: LcWaits | None = None,
        insecure: bool = False,
        redfish_auth: AuthMode = "session",
    ) -> IdracFacade:
        """A facade for a fleet-file endpoint; the password is read when it first connects."""
        what = f"{name} iDRAC" if name else endpoint.url
        return cls(
            endpoint.url,
            lambda: resolve(endpoint.credentials, what=what),
            tls=TlsSettings(insecure=True) if insecure else endpoint.tls,
            timeout=endpoint.timeout,
            name=name,
            transport=transport,
            timing=timing,
            lc_waits=lc_waits,
            redfish_auth=redfish_auth,
        )

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> IdracFacade:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._rf is not None:
            self._rf.close()
            self._rf = None
        if self._ws is not None:
            self._ws.client.close()
            self._ws = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _shared_pool(self) -> HTTPAdapter:
        """One connection pool for the iDRAC's Redfish and WS-Man clients: requests to one
        iDRAC go one at a time (host_lock), so one kept-alive connection serves both."""
        if self._pool is None:
            self._pool = adapter_for(self.tls, pool_connections=1, pool_maxsize=2)
        return self._pool

    def _creds(self) -> Credentials:
        c = self._credentials() if callable(self._credentials) else self._credentials
        register_secret(c.password)
        return c

    @property
    def redfish(self) -> RedfishClient:
        if self._rf is None:
            self._rf = RedfishClient.connect(
                self.url,
                self._credentials,
                tls=self.tls,
                timeout=self.timeout,
                auth=self._redfish_auth,
                timing=self.timing,
                name=self.name,
                adapter=self._shared_pool(),
            )
        return self._rf

    @property
    def wsman(self) -> WsmanIdrac:
        if self._ws is None:
            c = self._creds()
            client = WsmanClient(
                self.url,
                c.username,
                c.password,
                tls=self.tls,
                settings=self.wsman_settings,
                host=self.host,
                adapter=self._shared_pool(),
            )
            self._ws = WsmanIdrac(client)
        return self._ws

    # --- capabilities -------------------------------------------------------------------------

    def capabilities(self, *, refresh: bool = False) -> Capabilities:
        """Detected once (Redfish service documents, WS-Man Identify where needed)."""
        if self._caps is not None and not refresh:
            return self._caps
        if refresh:
            self._identity = None
            if self._rf is not None:  # a restarted iDRAC: new sessions, maybe a new service
                self._rf.close()
                self._rf = None
            if self._pool is not None:  # and new connections
                self._pool.close()
        caps = Capabilities()
        if self.forced != Transport.WSMAN:
            caps = self.redfish.probe(refresh=False)
            if caps.redfish:
                try:
                    self._identity = self.redfish.identity()
                except FwupdateError as exc:
                    log.info("%s: Redfish identity unreadable: %s", self.name, exc)
        need_wsman = (
            self.forced == Transport.WSMAN
            or not caps.redfish
            or not caps.redfish_update
            or caps.firmware_inventory_uri is None
            or self._identity is None
            or self._identity.generation in (Generation.IDRAC7, Generation.IDRAC8)
        )
        if need_wsman and self.forced != Transport.REDFISH:
            caps = replace(caps, wsman=self._probe_wsman(required=not caps.redfish))
        self._caps = caps
        log.info(
            "%s: capabilities: redfish=%s redfish_update=%s wsman=%s",
            self.name, caps.redfish, caps.redfish_update, caps.wsman,
        )
        return caps

    def _probe_wsman(self, *, required: bool) -> bool:
        try:
            info = self.wsman.client.identify()
        except (AuthenticationError, TLSVerificationError):
            if required:
                raise
            log.warning("%s: WS-Man refused us although Redfish did not", self.name)
            return False
        except FwupdateError as exc:
            if required:
                raise DeviceError(
                    f"no Redfish service and WS-Man does not answer either: {exc.message}",
                    host=self.host,
                    step="detect capabilities",
                    message_id=exc.message_id,
                ) from None
            log.info("%s: no WS-Man: %s", self.name, exc)
            return False
        log.debug("%s: WS-Man: %s", self.name, info.get("ProductVersion"))
        return True

    def transport_for(self, op: Operation, *, step: str | None = None) -> Transport:
        """The protocol for `op` (the table: fwupdate.idrac.capabilities.choose_transport)."""
        caps = self.capabilities()
        generation = None
        if op in _BY_GENERATION and caps.redfish:
            generation = self.identity().generation
        try:
            return choose_transport(op, caps, forced=self.forced, generation=generation,
                                    what=step)  # fmt: skip
        except UnsupportedOperationError as exc:
            where = step or str(op)
            raise UnsupportedOperationError(exc.message, host=self.host, step=where) from None

    # --- identity and inventory -----------------------------------------------------------------

    def identity(self) -> IdracIdentity:
        if self.transport_for(Operation.IDENTITY) is Transport.REDFISH:
            if self._identity is None:
                self._identity = self.redfish.identity()
            return self._identity
        if self._identity is None:
            self._identity, _ = self.wsman.identity(self.url)
        return self._identity

    def service_tag(self) -> str | None:
        """The service tag of the machine behind this iDRAC (Redfish System SKU / Dell OEM,
        WS-Man DCIM_SystemView.ServiceTag); None when the iDRAC does not say."""
        if self.transport_for(Operation.IDENTITY) is Transport.REDFISH:
            return self.redfish.system_identity().service_tag
        view = self.wsman.system_view()
        return (view.get("ServiceTag") or None) if view else None

    def firmware_version(self) -> str:
        """The iDRAC's running firmware, read now (not cached)."""
        if self.transport_for(Operation.IDENTITY) is Transport.REDFISH:
            return self.redfish.firmware_version()
        return self._wsman_version()

    def _wsman_version(self) -> str:
        card = self.wsman.idrac_card_view()
        version = card.get("FirmwareVersion") if card else None
        if not version:
            raise DeviceError(
                "DCIM_iDRACCardView has no FirmwareVersion", host=self.host, step="read version"
            )
        return version

    def inventory_member(self, member_id: str) -> FirmwareComponent | None:
        """One firmware inventory member by id, read now (one GET: a targeted read instead of
        a collection walk); None when the device has none by that id.  Redfish inventories
        only (`transport_for(Operation.INVENTORY)`)."""
        return self.redfish.inventory_member(member_id)

    def inventory(self, *, reuse_members: bool = False) -> NodeInventory:
        """The node's inventory; `reuse_members` re-reads a Redfish collection but only its
        new members (RedfishClient.inventory)."""
        caps = self.capabilities()
        if self.transport_for(Operation.INVENTORY) is Transport.REDFISH:
            inv = self.redfish.inventory(reuse_members=reuse_members)
            return replace(inv, capabilities=replace(inv.capabilities, wsman=caps.wsman))
        return self.wsman.inventory(self.name, self.url, caps)

    # --- LC readiness --------------------------------------------------------------------------

    def lc_status(self) -> LcReadiness:
        return self._lc_probe()()

    def _lc_probe(self) -> Callable[[], LcReadiness]:
        """GetRemoteServicesAPIStatus over the transport the table picks for LC status."""
        if self.transport_for(Operation.LC_STATUS) is Transport.WSMAN:
            return lambda: lc_readiness(self.wsman)
        return self._redfish_lc_status

    def _redfish_lc_status(self) -> LcReadiness:
        caps = self.capabilities()
        service = caps.oem_service("DellLCService")
        assert service is not None
        target = f"{service.rstrip('/')}/Actions/DellLCService.GetRemoteServicesAPIStatus"
        resp = self.redfish.transport.post(target, {}, step="LC status")
        body = resp.json()
        lc, status = body.get("LCStatus"), body.get("Status")
        ready = lc == "Ready" and status in ("Ready", None)
        detail = " ".join(f"{k}={body.get(k)}" for k in ("Status", "LCStatus", "RTStatus",
                                                          "ServerStatus") if k in body)
        return LcReadiness(ready, detail, Transport.REDFISH)

    def wait_lc_ready(self, *, step: str = "wait for LC ready") -> LcReadiness:
        """Until LC is ready (one bounded wait, fwupdate.idrac.lc_ready; the probe is the
        transport's)."""
        return wait_lc_ready(self._lc_probe(), self.timing, self.lc_waits, host=self.host,
                             step=step)  # fmt: skip

    def _lc_checks(self) -> bool:
        """LC readiness is checked around every update where the iDRAC can tell (12G/13G
        over WS-Man, iDRAC9 over Redfish)."""
        try:
            self.transport_for(Operation.LC_STATUS)
        except UnsupportedOperationError:
            return False
        return True

    # --- jobs -----------------------------------------------------------------------------------

    def list_jobs(self) -> tuple[JobStatus, ...]:
        if self.transport_for(Operation.JOBS) is Transport.WSMAN:
            return tuple(job_status(j) for j in self.wsman.jobs())
        return self.redfish.list_jobs()

    def unfinished_jobs(self) -> tuple[JobStatus, ...]:
        return tuple(j for j in self.list_jobs() if not j.terminal)

    def clear_job_queue(self) -> int:
        """Empty the job queue (JID_CLEARALL where possible), then wait for LC to be ready."""
        if self.transport_for(Operation.JOBS) is Transport.WSMAN:
            return clear_queue(self.wsman, self.timing, self.lc_waits)
        n = self.redfish.clear_job_queue()
        if n and self._lc_checks():
            self.timing.pause(self.lc_waits.queue_clear_settle)
            self.wait_lc_ready(step="clear job queue")
        return n

    def install_image(
        self,
        image: Path | str,
        *,
        fileserver: FileServer | None = None,
        component_id: str = IDRAC_COMPONENT_ID,
        transfer: str | None = None,
        now: bool = False,
    ) -> JobHandle:
        """Start installing `image` (a local file, or a URL the iDRAC can fetch).

        Redfish when the iDRAC offers it and `image` is a file, by `transfer` (TRANSFERS;
        None = http-push; `now`: the component applies at once, else at the next host
        reboot — docs/delivery.md, "iDRAC9 push transfers"); otherwise WS-Man
        InstallFromURI with the file served by `fileserver`, targeting the installed
        SoftwareIdentity of `component_id` (the iDRAC by default)."""
        transport = self.transport_for(Operation.INSTALL)
        if transport is Transport.REDFISH and isinstance(image, Path):
            ref = self._redfish_install(image, transfer, fileserver, now=now)
            return JobHandle(ref.jid, Transport.REDFISH, ref.task_uri)
        if transport is Transport.REDFISH:
            if self.forced == Transport.REDFISH:
                raise UnsupportedOperationError(
                    "a Redfish install of a remote URL (SimpleUpdate pull) is not supported "
                    "here; give a local file",
                    host=self.host,
                    step="install",
                )
            if not self.capabilities().wsman:
                raise UnsupportedOperationError(
                    "installing from a URL needs WS-Man here", host=self.host, step="install"
                )
        if isinstance(image, Path):
            if fileserver is None:
                raise BadInputError(
                    "a WS-Man install needs the file server to serve the image from "
                    "(--serve-address)"
                )
            url = fileserver.register(image)
        else:
            url = image
        target = self._wsman_target(component_id)
        self.progress(f"InstallFromURI {url.rsplit('/', 1)[-1]} -> {target}")
        jid = self.wsman.install_from_uri(url, target)
        return JobHandle(jid, Transport.WSMAN)

    def _redfish_install(
        self, image: Path, transfer: str | None, fileserver: FileServer | None, *, now: bool
    ) -> JobRef:
        kind = transfer or Transfer.HTTP_PUSH
        if kind not in TRANSFERS:
            raise BadInputError(f"transfer {kind!r}: use one of {', '.join(TRANSFERS)}")
        if kind == Transfer.MULTIPART:
            self.progress(f"MultipartUpload {image.name}")
            return self.redfish.multipart_push(image, apply_time="OnReset")
        if kind == Transfer.PULL:
            return self._redfish_pull(image, fileserver)
        uri = self.redfish.push_image(image)
        if kind == Transfer.DELL_INSTALL:
            self.progress(f"DellUpdateService.Install {uri.rsplit('/', 1)[-1]}")
            return self.redfish.install(
                uri, method="dell", install_upon="Now" if now else "NextReboot"
            )
        return self.redfish.install(uri)

    def _redfish_pull(self, image: Path, fileserver: FileServer | None) -> JobRef:
        """SimpleUpdate with ImageURI = fwupdate's file server (per-run token, masked in
        every message), TransferProtocol = the server's scheme."""
        if fileserver is None:
            raise BadInputError(
                "a pull install needs the file server to serve the image from (--serve-address)"
            )
        url = fileserver.register(image)
        shown = fileserver.display_url(url)
        self.progress(f"SimpleUpdate pull {shown}")
        try:
            return self.redfish.install(url, transfer_protocol=fileserver.scheme.upper())
        except FwupdateError as exc:  # the device may echo the ImageURI: never its token
            exc.message = exc.message.replace(url, shown)
            exc.args = (exc.message,)
            raise

    def _wsman_target(self, component_id: str) -> str:
        if component_id == IDRAC_COMPONENT_ID:
            return self.wsman.idrac_target()
        for inst in self.wsman.software_identities():
            iid = inst.get("InstanceID") or ""
            if inst.get("ComponentID") == component_id and iid.upper().startswith(
                "DCIM:INSTALLED"
            ):
                return iid
        raise DeviceError(
            f"no installed component with ComponentID {component_id}",
            host=self.host,
            step="find install target",
        )

    def wait_job(
        self,
        job: JobHandle,
        *,
        stop_on: Iterable[str] = (),
        timeout: float | None = None,
        idrac_update: bool = False,
        on_progress: Callable[[JobStatus], None] | None = None,
        step: str = "follow job",
    ) -> JobStatus | None:
        """Follow a job to a terminal state (or one of `stop_on`, WS-Man/Dell spelling).

        JobFailedError carries the job's message id (RED007...).  With `idrac_update`, the
        iDRAC may lose the job in its own reset: None is returned and the caller verifies the
        version instead."""
        if job.transport is Transport.REDFISH:
            return self.redfish.follow_job(
                JobRef(job.jid, job.task_uri),
                timeout=timeout,
                stop_on=tuple(stop_on),
                on_progress=on_progress,
            )
        return wait_job(
            self.wsman,
            job.jid,
            self.timing,
            timeout=timeout,
            stop_on=frozenset(stop_on),
            on_progress=on_progress,
            vanished_ok=idrac_update,
            step=step,
        )

    # --- host power ----------------------------------------------------------------------------

    def reboot_host(self) -> None:
        """Reboot the host now (staged jobs run in LC).  Redfish ComputerSystem.Reset where the
        iDRAC has it; WS-Man CreateRebootJob (graceful, then forced) + SetupJobQueue TIME_NOW."""
        if self.transport_for(Operation.HOST_REBOOT) is Transport.REDFISH:
            self.redfish.restart_host(on_reset=self.on_host_reset)
            return
        rid = self.wsman.create_reboot_job(3)
        self.wsman.setup_job_queue((rid,))
        wait_job(self.wsman, rid, self.timing, step="host reboot")

    def power_on_host(self) -> tuple[str, ...]:
        """Power the host on unless it is on; the reset types sent (`()` when it was on)."""
        if self.transport_for(Operation.HOST_REBOOT) is not Transport.REDFISH:
            raise UnsupportedOperationError(
                "powering the host on needs Redfish ComputerSystem.Reset here",
                host=self.host,
                step="host On",
            )
        return self.redfish.power_on(on_reset=self.on_host_reset)

    # --- iDRAC self-update ----------------------------------------------------------------------

    def wait_idrac_back_and_verify(
        self,
        *,
        previous_version: str,
        expected_version: str | None,
        transport: Transport,
    ) -> str:
        """Wait out the iDRAC's reset: N consecutive answers with the new firmware (or any other
        than `previous_version` when the image's version is unknown); capabilities are
        detected again afterwards.  Returns the running version."""
        if transport is Transport.REDFISH:
            version = self.redfish.wait_for_idrac_restart(
                previous_version=previous_version, expected_version=expected_version
            )
        else:
            version = wait_version(
                self._wsman_version,
                self.timing,
                host=self.host,
                expected=expected_version,
                previous=previous_version,
            )
        self.capabilities(refresh=True)
        return version

    def update_idrac(
        self,
        image: Path,
        *,
        fileserver: FileServer | None,
        expected_version: str | None = None,
        clear_queue: bool = False,
    ) -> IdracUpdateResult:
        """The iDRAC self-update step (one stepping stone).  See the module docstring."""
        started = time.monotonic()
        caps = self.capabilities()
        before = self.firmware_version()
        if expected_version is not None and before == expected_version:
            self.progress(f"iDRAC already runs {before}; nothing to do")
            return IdracUpdateResult(
                self.name, self.host, self.transport_for(Operation.INSTALL), before, before,
                None, None, None, time.monotonic() - started, caps,
            )
        lc_before: str | None = None
        if self._lc_checks():
            self.progress("waiting for the Lifecycle Controller to be ready")
            lc_before = self.wait_lc_ready(step="LC ready before update").detail
        pending = self.unfinished_jobs()
        if pending:
            if not clear_queue:
                ids = ", ".join(f"{j.jid} ({j.state})" for j in pending[:5])
                raise DeviceError(
                    f"{len(pending)} unfinished job(s) in the queue: {ids}; clear them first "
                    "(fwupdate idrac clear-jobs, or --clear-queue)",
                    host=self.host,
                    step="check job queue",
                )
            self.progress(f"clearing {len(pending)} unfinished job(s) (JID_CLEARALL)")
            self.clear_job_queue()
        job = self.install_image(image, fileserver=fileserver)
        self.progress(f"job {job.jid} created over {job.transport}")
        final = self.wait_job(
            job,
            idrac_update=True,
            on_progress=lambda s: self.progress(f"job {s.describe()}"),
            step=f"iDRAC update {before} -> {expected_version or '?'}",
        )
        self.progress(
            "waiting for the iDRAC to restart"
            if final is not None
            else "the iDRAC lost the job in its restart; verifying by version"
        )
        version = self.wait_idrac_back_and_verify(
            previous_version=before, expected_version=expected_version, transport=job.transport
        )
        self.progress(f"iDRAC back, running {version}")
        lc_after: str | None = None
        if self._lc_checks():
            lc_after = self.wait_lc_ready(step="LC ready after update").detail
            self.progress(f"Lifecycle Controller ready ({lc_after})")
        return IdracUpdateResult(
            node=self.name,
            host=self.host,
            transport=job.transport,
            from_version=before,
            to_version=version,
            job_id=job.jid,
            lc_before=lc_before,
            lc_after=lc_after,
            seconds=time.monotonic() - started,
            capabilities=self.capabilities(),
        )

    # --- repository and virtual-media delivery (docs/delivery.md) ------------------------------
    # iDRAC9/10: Redfish DellSoftwareInstallationService and VirtualMedia.  12G/13G: repository
    # update over WS-Man InstallFromRepository (UNVERIFIED on LC2, licence-gated: a device
    # without it gives UnsupportedOperationError); virtual media UnsupportedOperationError
    # (BootToNetworkISO takes NFS/CIFS shares only, and `Cd` boot-once is the physical drive).

    def _repository_transport(self, step: str) -> Transport:
        return self.transport_for(Operation.REPOSITORY, step=step)

    def _delivery_caps(self, step: str) -> Capabilities:
        self.transport_for(Operation.VIRTUAL_MEDIA, step=step)
        return self.capabilities()

    def update_from_repository(
        self, share: ShareParameters | str, *, reboot: bool = True
    ) -> RepositoryRun:
        """InstallFromRepository (ApplyUpdate) and wait for the repository job; then the
        package list with the jobs the iDRAC created (empty = nothing to do, SUP029).  The
        update jobs are not waited for: follow `run.jobs` with `wait_job`."""
        step = "repository update"
        transport = self._repository_transport(step)
        params = share_from_url(share) if isinstance(share, str) else share
        jid = self._install_from_repository(transport, params, apply=True, reboot=reboot)
        self.progress(f"repository job {jid} over {transport} ({params.display})")
        error: JobFailedError | None = None
        final: JobStatus | None = None
        try:
            final = self.wait_job(JobHandle(jid, transport), step=step)
        except JobFailedError as exc:  # e.g. one package with a wrong hash: others may run
            error = exc
            self.progress(f"repository job {jid} failed: {exc.message}")
        try:
            packages = self._repo_list(transport)
        except FwupdateError:
            if error is not None:
                raise error from None
            raise
        jobs = tuple(JobHandle(p.job_id, transport) for p in packages if p.job_id)
        return RepositoryRun(jid, final, packages, jobs, error)

    def _install_from_repository(
        self, transport: Transport, share: ShareParameters, *, apply: bool, reboot: bool
    ) -> str:
        if transport is Transport.WSMAN:
            return wsman_repository.install_from_repository(
                self.wsman, share, apply=apply, reboot=reboot
            )
        ref = repository.install_from_repository(
            self.redfish.transport, self.capabilities(), share, apply=apply, reboot=reboot
        )
        return ref.jid

    def _repo_list(self, transport: Transport) -> tuple[RepoPackage, ...]:
        if transport is Transport.WSMAN:
            return wsman_repository.repo_update_list(self.wsman)
        return repository.repo_update_list(self.redfish.transport, self.capabilities())

    def repo_update_list(self, share: ShareParameters | str) -> tuple[RepoPackage, ...]:
        """Scan only (ApplyUpdate False): what the iDRAC would apply; () = SUP029, up to date."""
        step = "scan repository"
        transport = self._repository_transport(step)
        params = share_from_url(share) if isinstance(share, str) else share
        jid = self._install_from_repository(transport, params, apply=False, reboot=False)
        self.wait_job(JobHandle(jid, transport), step=step)
        return self._repo_list(transport)

    def insert_virtual_media(self, iso_url: str) -> virtual_media.VirtualMediaState:
        caps = self._delivery_caps("insert virtual media")
        return virtual_media.insert(self.redfish.transport, caps, iso_url)

    def boot_once_virtual_cd(self) -> None:
        caps = self._delivery_caps("boot once to virtual CD")
        ident = self.identity()
        virtual_media.boot_once_cd(
            self.redfish.transport,
            caps,
            firmware_version=ident.firmware_version,
            generation=str(ident.generation),
        )

    def eject_virtual_media(self) -> bool:
        caps = self._delivery_caps("eject virtual media")
        return virtual_media.eject(self.redfish.transport, caps)

    def power_state(self) -> str:
        return self.redfish.power_state()

    # 12G/13G virtual media: WS-Man DCIM_OSDeploymentService.BootToNetworkISO (NFS/CIFS only).

    def uses_network_iso(self) -> bool:
        """True where virtual media means BootToNetworkISO (iDRAC7/8 reached over WS-Man)."""
        try:
            return self.transport_for(Operation.NETWORK_ISO) is Transport.WSMAN
        except UnsupportedOperationError:
            return False

    def boot_network_iso(self, url: str, *, md5: str | None = None) -> str:
        """BootToNetworkISO: the host reboots into the ISO at once; returns the OSD job id."""
        return wsman_osd.boot_to_network_iso(self.wsman, url, md5=md5)

    def network_iso_job(self, jid: str) -> wsman_osd.OsdJob:
        return wsman_osd.osd_job(self.wsman, jid)

    def detach_network_iso(self) -> None:
        wsman_osd.detach(self.wsman)

    def host_power(self) -> str:
        """PowerState over Redfish where it exists, else DCIM_SystemView over WS-Man."""
        if self.capabilities().redfish:
            return self.redfish.power_state()
        view = self.wsman.system_view()
        code = view.get("PowerState") if view is not None else None
        return {"2": "On", "8": "Off"}.get(code or "", code or "Unknown")


@dataclass(frozen=True)
class RepositoryRun:
    repository_job: str
    repository_status: JobStatus | None
    packages: tuple[RepoPackage, ...]  # () = nothing to do (SUP029)
    jobs: tuple[JobHandle, ...]  # the update jobs the iDRAC created
    error: JobFailedError | None = None  # the repository job failed (the others may still run)
