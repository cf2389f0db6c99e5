"""`RedfishClient`: one iDRAC over Redfish, the API the executor and the transport facade call.

    with RedfishClient.for_endpoint(node.idrac, name=node.name, timing=timing) as c:
        caps = c.capabilities                 # detected on first use, then cached
        uri = c.push_image(Path("iDRAC.exe"))  # -> ".../FirmwareInventory/Available-25227-..."
        job = c.install(uri)                   # SimpleUpdate -> JobRef(jid, task_uri)
        st = c.follow_job(job, stop_on={"Scheduled"})
        if st.scheduled: c.restart_host(); c.follow_job(job)
        c.wait_for_idrac_restart(expected_version="2.65.65.65")   # iDRAC self-update

One session per client (per device per run), logged out by `close()`; every wait is bounded and
scaled by `Timing`.  A Redfish-less iDRAC (404 on /redfish/v1) is not an exception here:
`capabilities.redfish` is False and the WS-Man side takes over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from requests.adapters import HTTPAdapter

from fwupdate.errors import DeviceError, FwupdateError, UnsupportedOperationError
from fwupdate.fleet.models import Endpoint, TlsSettings
from fwupdate.fleet.secrets import Credentials, resolve
from fwupdate.idrac.capabilities import detect, link
from fwupdate.idrac.job_models import JobRef, JobStatus
from fwupdate.idrac.job_wait import ProgressFn
from fwupdate.idrac.models import (
    Capabilities,
    FirmwareComponent,
    IdracIdentity,
    NodeInventory,
    SystemIdentity,
)
from fwupdate.idrac.redfish import idrac_restart, jobs, power, update
from fwupdate.idrac.redfish.inventory import (
    idrac_identity,
    read_components,
    read_member,
    system_identity,
)
from fwupdate.idrac.redfish.transport import AuthMode, RedfishTransport
from fwupdate.idrac.timing import Timing

log = logging.getLogger(__name__)

DELL_MANAGER = "/redfish/v1/Managers/iDRAC.Embedded.1"
DELL_SYSTEM = "/redfish/v1/Systems/System.Embedded.1"


class RedfishClient:
    def __init__(self, transport: RedfishTransport, *, name: str | None = None) -> None:
        self.transport = transport
        self.name = name or transport.name
        self._caps: Capabilities | None = None
        # what probe() read, kept only as far as it is used again: the identities, and the
        # keys `detect` reads (the inventory's Allow header re-decides the push target)
        self._identity: IdracIdentity | None = None
        self._system_identity: SystemIdentity | None = None
        self._detect_docs: _DetectDocs | None = None
        self.notes: list[str] = []  # non-fatal problems met while probing (inventory errors)
        self._members: dict[str, Any] = {}  # inventory member URI -> component (last read)

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        url: str,
        credentials: Credentials | Callable[[], Credentials],
        *,
        tls: TlsSettings | None = None,
        timeout: float = 30.0,
        auth: AuthMode = "session",
        timing: Timing | None = None,
        name: str | None = None,
        adapter: HTTPAdapter | None = None,
    ) -> RedfishClient:
        """A client for `url` (not opened yet: use it as a context manager); `adapter`: a
        connection pool shared with the iDRAC's other client."""
        t = RedfishTransport(
            url, credentials, tls=tls, timeout=timeout, auth=auth, timing=timing, name=name,
            adapter=adapter,
        )
        return cls(t, name=name)

    @classmethod
    def for_endpoint(
        cls,
        endpoint: Endpoint,
        *,
        name: str | None = None,
        auth: AuthMode = "session",
        timing: Timing | None = None,
        insecure: bool = False,
    ) -> RedfishClient:
        """A client for a fleet-file endpoint; the password is read only when it connects.

        `insecure` (the operator's --insecure) turns verification off for this endpoint.
        """
        tls = TlsSettings(insecure=True) if insecure else endpoint.tls
        what = f"{name} iDRAC" if name else endpoint.url
        return cls.connect(
            endpoint.url,
            lambda: resolve(endpoint.credentials, what=what),
            tls=tls,
            timeout=endpoint.timeout,
            auth=auth,
            timing=timing,
            name=name,
        )

    # --- lifecycle ----------------------------------------------------------------------------

    def open(self) -> RedfishClient:
        self.probe()
        return self

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> RedfishClient:
        try:
            return self.open()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def host(self) -> str:
        return self.transport.host

    @property
    def timing(self) -> Timing:
        return self.transport.timing

    # --- discovery ----------------------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        return self._caps if self._caps is not None else self.probe()

    def probe(self, *, refresh: bool = False) -> Capabilities:
        """Read service root, Manager, System and UpdateService; decide the capabilities."""
        if self._caps is not None and not refresh:
            return self._caps
        t = self.transport
        self.notes = []
        try:
            root = t.refresh_root() if refresh and t.is_open else t.open()
        except UnsupportedOperationError:
            if t.root is None and t.is_redfish_missing:
                self._caps = Capabilities(redfish=False)
                return self._caps
            raise
        manager_uri, manager = self._find(root, "Managers", DELL_MANAGER, "read Manager")
        system_uri: str | None = None
        system: dict[str, Any] | None = None
        try:
            system_uri, system = self._find(root, "Systems", DELL_SYSTEM, "read System")
        except FwupdateError as exc:
            self.notes.append(str(exc))
        update_service: dict[str, Any] | None = None
        us_uri = link(root, "UpdateService")
        if us_uri:
            try:
                resp = t.get(us_uri, step="read UpdateService", ok=(200, 400, 404, 405))
                update_service = resp.json() if resp.status == 200 else None
            except FwupdateError as exc:
                self.notes.append(str(exc))
        self._identity = idrac_identity(t.url, root, manager)
        self._system_identity = system_identity(root, system) if system is not None else None
        self._detect_docs = _DetectDocs(_slim(manager), _slim(system), _slim(update_service))
        self._caps = detect(
            root=root,
            manager=manager,
            system=system,
            update_service=update_service,
            manager_uri=manager_uri,
            system_uri=system_uri,
        )
        return self._caps

    def _find(
        self, root: dict[str, Any], collection: str, well_known: str, step: str
    ) -> tuple[str, dict[str, Any]]:
        t = self.transport
        resp = t.get(well_known, step=step, ok=(200, 400, 404))
        if resp.status == 200 and resp.json():
            return well_known, resp.json()
        coll = link(root, collection)
        if not coll:
            raise DeviceError(f"the service root links no {collection}", host=t.host, step=step)
        members = t.get_json(coll, step=step).get("Members") or []
        first = members[0].get("@odata.id") if members and isinstance(members[0], dict) else None
        if not isinstance(first, str):
            raise DeviceError(f"{coll} lists no members", host=t.host, step=step)
        return first, t.get_json(first, step=step)

    def identity(self) -> IdracIdentity:
        caps = self.capabilities
        if not caps.redfish or self._identity is None:
            raise UnsupportedOperationError(
                "no Redfish service on this iDRAC", host=self.host, step="identity"
            )
        return self._identity

    def system_identity(self, *, refresh: bool = False) -> SystemIdentity:
        caps = self.capabilities
        if refresh and caps.system_uri:
            system = self.transport.get_json(caps.system_uri, step="read System")
            self._system_identity = system_identity(self.transport.root, system)
        return self._system_identity or system_identity(self.transport.root, None)

    def firmware_version(self) -> str:
        """The iDRAC's running version, read now (not cached)."""
        return idrac_restart.read_manager_version(self.transport, self.capabilities)

    def inventory_member(self, member_id: str) -> FirmwareComponent | None:
        """One FirmwareInventory member read now (one GET), None when the device has none by
        that id (inventory.read_member)."""
        uri = self.capabilities.firmware_inventory_uri
        if uri is None:
            return None
        return read_member(self.transport, uri, member_id)

    def inventory(self, *, reuse_members: bool = False) -> NodeInventory:
        """Identity, system and firmware components; non-fatal problems land in `errors`.

        `reuse_members`: read the collection and only the members not seen by this client's
        previous read (iDRAC7/8 member ids name the version: inventory.read_components)."""
        caps = self.capabilities
        if not caps.redfish:
            return NodeInventory(
                name=self.name,
                capabilities=caps,
                errors=(
                    f"{self.host}: no Redfish service (HTTP 404 on /redfish/v1); "
                    "this iDRAC needs WS-Man",
                ),
            )
        errors = list(self.notes)
        components: tuple[Any, ...] = ()
        if caps.firmware_inventory_uri:
            try:
                seen = self._members if reuse_members else {}
                components, member_errors, allow = read_components(
                    self.transport, caps.firmware_inventory_uri, use_expand=caps.expand_supported,
                    members_seen=seen,
                )
                self._members = seen
                errors.extend(member_errors)
                docs = self._detect_docs
                if allow is not None and self.transport.root is not None and docs is not None:
                    caps = self._caps = detect(
                        root=self.transport.root,
                        manager=docs.manager,
                        system=docs.system,
                        update_service=docs.update_service,
                        manager_uri=caps.manager_uri,
                        system_uri=caps.system_uri,
                        firmware_inventory_allow=allow,
                    )
            except FwupdateError as exc:
                errors.append(str(exc))
        else:
            version = self._identity.firmware_version if self._identity else "?"
            errors.append(
                f"{self.host}: firmware inventory: not offered over Redfish by this iDRAC "
                f"(firmware {version}); WS-Man is needed"
            )
        return NodeInventory(
            name=self.name,
            idrac=self.identity(),
            system=self.system_identity() if self._system_identity is not None else None,
            components=components,
            capabilities=caps,
            errors=tuple(errors),
        )

    # --- updates ------------------------------------------------------------------------------

    def push_image(self, image: Path) -> str:
        return update.push_image(self.transport, self.capabilities, image)

    def multipart_push(self, image: Path, *, apply_time: str = "OnReset") -> JobRef:
        return update.multipart_push(self.transport, self.capabilities, image,
                                     apply_time=apply_time)

    def install(
        self,
        image_uri: str,
        *,
        method: update.InstallMethod = "simple",
        install_upon: str = "NowAndReboot",
        transfer_protocol: str | None = None,
    ) -> JobRef:
        return update.install(
            self.transport,
            self.capabilities,
            image_uri,
            method=method,
            install_upon=install_upon,
            transfer_protocol=transfer_protocol,
        )

    # --- jobs -----------------------------------------------------------------------------------

    def job(self, job: JobRef | str) -> JobStatus:
        return jobs.get_job(self.transport, self.capabilities, job)

    def follow_job(
        self,
        job: JobRef | str,
        *,
        timeout: float | None = None,
        stop_on: Iterable[str] = (),
        on_progress: ProgressFn | None = None,
        raise_on_failure: bool = True,
    ) -> JobStatus:
        return jobs.follow_job(
            self.transport,
            self.capabilities,
            job,
            timeout=timeout,
            stop_on=stop_on,
            on_progress=on_progress,
            raise_on_failure=raise_on_failure,
        )

    def list_jobs(self) -> tuple[JobStatus, ...]:
        return jobs.list_jobs(self.transport, self.capabilities)

    def delete_job(self, jid: str) -> None:
        jobs.delete_job(self.transport, self.capabilities, jid)

    def clear_job_queue(self, *, force: bool = False) -> int:
        return jobs.clear_job_queue(self.transport, self.capabilities, force=force)

    # --- power and resets -----------------------------------------------------------------------

    def power_state(self) -> str:
        return power.power_state(self.transport, self.capabilities)

    def reset_host(self, reset_type: str) -> bool:
        """False when the host was already in that state (409 PSU501)."""
        return power.reset_system(self.transport, self.capabilities, reset_type)

    def restart_host(self, on_reset: power.OnReset | None = None) -> tuple[str, ...]:
        return power.restart_host(self.transport, self.capabilities, on_reset=on_reset)

    def power_on(self, on_reset: power.OnReset | None = None) -> tuple[str, ...]:
        return power.power_on(self.transport, self.capabilities, on_reset=on_reset)

    def reset_idrac(self) -> None:
        idrac_restart.reset_idrac(self.transport, self.capabilities)

    def wait_for_idrac_restart(
        self,
        *,
        previous_version: str | None = None,
        expected_version: str | None = None,
        already_down: bool = False,
    ) -> str:
        """Wait out an iDRAC restart, log in again, verify and return the running version.

        Capabilities are detected again afterwards: a new iDRAC firmware can offer more.
        """
        version = idrac_restart.wait_for_restart(
            self.transport,
            self.capabilities,
            previous_version=previous_version,
            expected_version=expected_version,
            already_down=already_down,
        )
        self.probe(refresh=True)
        return version


# the keys of the Manager, System and UpdateService documents that `detect` reads
_DETECT_KEYS = ("@odata.id", "Model", "FirmwareVersion", "Actions", "Links", "FirmwareInventory",
                "HttpPushUri", "MultipartHttpPushUri")


class _DetectDocs(NamedTuple):
    manager: dict[str, Any] | None
    system: dict[str, Any] | None
    update_service: dict[str, Any] | None


def _slim(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """`doc` with only the keys `detect` reads (a client keeps it for the whole run)."""
    return None if doc is None else {k: doc[k] for k in _DETECT_KEYS if k in doc}
