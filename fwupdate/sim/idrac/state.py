"""The transport-independent state of one simulated iDRAC and its host.

Redfish (redfish.py) and WS-Man (wsman*.py, another front-end) drive the same object: identity,
firmware components, uploaded ("Available") packages, the Lifecycle Controller job engine,
sessions, host power, iDRAC restarts and outages, and injected faults.  Every delay is in
simulated seconds on the shared SimClock; every change is written to the event log.

Thread model: HTTP requests arrive on many threads and timers fire on the clock thread; one
re-entrant lock guards the state.  Host power events are published on the bus after the lock is
released, so a LoadMaster reacting to them can never deadlock against this iDRAC.

The public API is summarised in docs/simulator.md ("For other device front-ends").
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import ipaddress
import json
import math
import os
import random
import shutil
import ssl
import threading
import urllib.parse
import urllib.request
import uuid as uuidlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fwupdate.sim.bus import host_topic
from fwupdate.sim.device import SimContext
from fwupdate.sim.idrac import faults as faultmod
from fwupdate.sim.idrac.jobs import Job, JobState, new_job_id
from fwupdate.sim.idrac.messages import message
from fwupdate.sim.idrac.model import Identity, InventoryItem, LcStatus, Rejected
from fwupdate.sim.idrac.profiles import (
    IDRAC_KEY,
    ComponentDef,
    Features,
    Hardware,
    Profile,
    RebootKind,
    Timings,
    features_for,
    get_profile,
    with_timings,
)
from fwupdate.sim.idrac.sessions import Session, SessionTable
from fwupdate.sim.idrac.stepping import refused_jump
from fwupdate.sim.idrac.uploads import PackageError, PackageInfo, inspect_package, known_image
from fwupdate.sim.idrac.versions import older

STATE_FORMAT = 1
MAX_DOWNLOAD = 4 * 1024**3
_TAG_ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXYZ"
# ComputerSystem.Reset to the state the host is already in: 409 PSU501 with these texts
# (as real iDRACs answer; docs/simulator.md)
_ALREADY = {
    ("On", "On"): "Server is already powered ON.",
    ("ForceOff", "Off"): "Server is already powered OFF.",
    ("GracefulShutdown", "Off"): "Server is already powered OFF.",
}
OPTION_KEYS = (
    "service_tag",
    "tasks_survive_reset",
    "scheduled_task_state",
    "timings",
    "features",
    "power",
    "session_cap",
    "virtual_media",  # read by virtual_media.py: auto | on | off
    "wsman_repository",  # read by wsman_repository.py: auto | on | off
    "network_shares",  # read by wsman_osd.py: {"nfs://host/export": "/local/folder", ...}
    "absent",  # component keys this machine lacks (a copy of a real fleet, from_inventory.py)
    "known_images",  # {sha256: version}: real iDRAC images a rehearsal vouches for (uploads.py)
)


@dataclass
class ComponentState:
    version: str
    previous: str | None


@dataclass
class Available:
    id: str  # Available-<cid>-<version>
    key: str
    component_id: str
    version: str
    filename: str
    path: str
    source: str
    kind: str  # windows-dup | image
    size: int


def _wall() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _derived(seed: str, n: int, alphabet: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:n])


def _mac(seed: str) -> str:
    d = hashlib.sha256(seed.encode()).digest()
    return "D0:67:E5:" + ":".join(f"{b:02X}" for b in d[:3])


def _without(hw: Hardware, absent: Any) -> Hardware:
    """`hw` without the component keys listed in the `absent` option (never the iDRAC)."""
    if not absent:
        return hw
    keys = {str(k) for k in absent}
    if IDRAC_KEY in keys:
        raise ValueError("option absent: the iDRAC itself cannot be absent")
    return replace(hw, components=tuple(c for c in hw.components if c.key not in keys))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class IdracState:
    def __init__(
        self,
        name: str,
        ctx: SimContext,
        profile: str | Profile,
        *,
        node: str = "",
        username: str = "root",
        password: str = "calvin",
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.ctx = ctx
        self.node = node or name
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        opts = dict(options or {})
        self.options: dict[str, Any] = opts  # raw device options (front-end modules read theirs)
        comp_keys = {c.key for c in self.profile.hardware.components}
        unknown = [k for k in opts if k not in comp_keys and k not in OPTION_KEYS]
        if unknown:
            raise ValueError(
                f"{name}: unknown iDRAC option(s) {', '.join(sorted(unknown))}; components: "
                f"{', '.join(sorted(comp_keys))}; settings: {', '.join(OPTION_KEYS)}"
            )
        self.hardware: Hardware = _without(
            with_timings(self.profile.hardware, opts.get("timings") or {}), opts.get("absent")
        )
        self._feature_overrides: dict[str, Any] = dict(opts.get("features") or {})
        self.tasks_survive_reset = bool(opts.get("tasks_survive_reset", False))
        self.scheduled_task_state = str(opts.get("scheduled_task_state", "Starting"))
        self.username = username
        self._password = password
        self.lock = threading.RLock()
        self._depth = 0
        self._outbox: list[tuple[str, dict[str, Any]]] = []
        self._rng = random.Random(f"idrac:{name}")
        self.workdir = Path(ctx.workdir) / "idrac" / name
        self.upload_dir = self.workdir / "uploads"
        self.faults = faultmod.Faults()
        self.transport_hook: Callable[[str, float | int], None] | None = None

        self.service_tag = str(opts.get("service_tag") or _derived(name, 7, _TAG_ALPHABET))
        self.uuid = str(uuidlib.UUID(bytes=hashlib.sha256(name.encode()).digest()[:16]))
        self.mac = _mac(f"{name}:idrac")
        self.host_mac = _mac(f"{name}:lom")

        self.components: dict[str, ComponentState] = {}
        for c in self.hardware.components:
            version, previous = c.version, c.previous
            if c.key == IDRAC_KEY:
                version, previous = self.profile.idrac_version, self.profile.idrac_previous
            version = str(self.profile.versions.get(c.key, version))
            if c.key in opts:
                version = str(opts[c.key])
                if c.key == IDRAC_KEY:
                    previous = None  # no rollback image older than an overridden version
            self.components[c.key] = ComponentState(version=version, previous=previous)
        self.available: dict[str, Available] = {}
        self._jobs: dict[str, Job] = {}
        self.sessions = SessionTable(int(opts.get("session_cap", 8)))

        self.power = "Off" if str(opts.get("power", "On")).lower() == "off" else "On"
        self._host_epoch = 0
        self._segments: list[tuple[float, str]] = [
            (0.0, "OutOfPOST" if self.power == "On" else "PoweredOff")
        ]
        self._idrac_epoch = 0
        self._down_until = 0.0
        self._lc_reload_until = 0.0

    # --- locking, timers, events ----------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                out: list[tuple[str, dict[str, Any]]] = []
                if self._depth == 0:
                    out, self._outbox = self._outbox, []
        for event, data in out:
            self.ctx.bus.publish(host_topic(self.node), event, **data)

    def _later(self, delay: float, fn: Callable[[], None]) -> None:
        def run() -> None:
            with self._locked():
                fn()

        self.ctx.clock.call_later(delay, run)

    def _job_later(self, delay: float, job: Job, fn: Callable[[Job], None]) -> None:
        """Run fn(job) later unless the job changed state or vanished meanwhile."""
        jid, epoch = job.id, job.epoch

        def run() -> None:
            j = self._jobs.get(jid)
            if j is not None and j.epoch == epoch:
                fn(j)

        self._later(delay, run)

    def emit(self, event: str, **fields: Any) -> None:
        self.ctx.events.emit(self.name, event, **fields)

    def now(self) -> float:
        return self.ctx.clock.now()

    @property
    def timings(self) -> Timings:
        return self.hardware.timings

    # --- identity and features ------------------------------------------------------------------

    @property
    def generation(self) -> int:
        return self.hardware.generation

    @property
    def firmware_version(self) -> str:
        return self.components[IDRAC_KEY].version

    @property
    def features(self) -> Features:
        f = features_for(self.generation, self.firmware_version)
        return replace(f, **self._feature_overrides) if self._feature_overrides else f

    def identity(self) -> Identity:
        with self._locked():
            fw = self.firmware_version
            bios = self.components["bios"].version if "bios" in self.components else ""
            return Identity(
                name=self.name,
                model=self.hardware.model,
                system_id=self.hardware.system_id,
                generation=self.generation,
                manager_model=self.hardware.manager_model,
                firmware_version=fw,
                lc_version=fw,
                bios_version=bios,
                service_tag=self.service_tag,
                express_service_code=str(int(self.service_tag, 36)),
                board_serial="CN" + _derived(self.name + ":ppid", 12, "0123456789ABCDEF"),
                uuid=self.uuid,
                mac=self.mac,
                host_mac=self.host_mac,
                power_state=self.power,
                host_name=f"{self.node}.sim.invalid",
            )

    def check_credentials(self, user: str, password: str) -> bool:
        import secrets

        return secrets.compare_digest(user.encode(), self.username.encode()) and (
            secrets.compare_digest(password.encode(), self._password.encode())
        )

    # --- inventory ------------------------------------------------------------------------------

    def _def(self, key: str) -> ComponentDef:
        return self.hardware.component(key)

    def _display_name(self, c: ComponentDef) -> str:
        return f"{c.name} - {self.host_mac}" if c.name_has_mac else c.name

    def _member_id(self, state: str, c: ComponentDef, version: str) -> str:
        base = f"{state}-{c.component_id}-{version}"
        if state != "Available" and self.features.fqdd_ids:
            base += f"__{c.fqdd}"
        return base

    def _item(self, state: str, c: ComponentDef, version: str, item_id: str) -> InventoryItem:
        prefix = {"Installed": "INSTALLED", "Previous": "PREVIOUS", "Available": "AVAILABLE"}
        return InventoryItem(
            id=item_id,
            state=state,
            key=c.key,
            name=self._display_name(c),
            component_id=c.component_id,
            version=version,
            updateable=c.updateable,
            component_type=c.component_type,
            fqdd=c.fqdd,
            instance_id=f"DCIM:{prefix[state]}#{c.wsman_tail}",
            reboot=c.reboot.value,
            vendor_id=c.vendor_id,
            device_id=c.device_id,
            sub_vendor_id=c.sub_vendor_id,
            sub_device_id=c.sub_device_id,
        )

    def inventory(self, *, include_available: bool = True) -> list[InventoryItem]:
        """Installed entries (profile order), then Previous (rollback) images, then uploads."""
        with self._locked():
            out: list[InventoryItem] = []
            for c in self.hardware.components:
                v = self.components[c.key].version
                out.append(self._item("Installed", c, v, self._member_id("Installed", c, v)))
            for c in self.hardware.components:
                prev = self.components[c.key].previous
                if prev:
                    out.append(
                        self._item("Previous", c, prev, self._member_id("Previous", c, prev))
                    )
            if include_available:
                for a in self.available.values():
                    out.append(self._item("Available", self._def(a.key), a.version, a.id))
            return out

    def inventory_item(self, item_id: str) -> InventoryItem | None:
        return next((i for i in self.inventory() if i.id == item_id), None)

    def inventory_etag(self) -> str:
        ids = "|".join(i.id for i in self.inventory())
        return hashlib.md5(ids.encode(), usedforsecurity=False).hexdigest()

    def component_version(self, key: str) -> str:
        return self.components[key].version

    # --- sessions -------------------------------------------------------------------------------

    def _expire_sessions(self) -> None:
        for s in self.sessions.expire(self.now(), self.timings.session_timeout_seconds):
            self.emit("session_closed", session=s.id, user=s.user, reason="timeout")

    def open_session(self, user: str, password: str) -> Session:
        with self._locked():
            if not self.check_credentials(user, password):
                self.emit("login_failed", user=user)
                raise Rejected("NoValidSession", "wrong user name or password", status=401)
            self._expire_sessions()
            s = self.sessions.open(user, self.now())
            if s is None:
                self.emit("session_refused", user=user, open=len(self.sessions))
                raise Rejected("RAC0218", status=503)
            self.emit("session_opened", session=s.id, user=user, open=len(self.sessions))
            return s

    def session_for_token(self, token: str) -> Session | None:
        with self._locked():
            self._expire_sessions()
            return self.sessions.by_token(token, self.now())

    def close_session(self, sid: str, reason: str = "logout") -> bool:
        with self._locked():
            s = self.sessions.close(sid)
            if s is not None:
                self.emit("session_closed", session=sid, user=s.user, reason=reason)
            return s is not None

    # --- faults ---------------------------------------------------------------------------------

    def set_fault(self, kind: str, arg: str | None = None) -> None:
        with self._locked():
            transport = faultmod.apply(self.faults, kind, arg)
            if transport is not None and self.transport_hook is not None:
                self.transport_hook(*transport)
            self.emit("fault_set", kind=kind, arg=arg)

    def clear_faults(self) -> None:
        with self._locked():
            self.faults = faultmod.Faults()
            if self.transport_hook is not None:
                for k in ("latency", "drop", "drop-every"):
                    self.transport_hook(k, 0)
            self.emit("fault_cleared")

    def consume_busy(self) -> bool:
        with self._locked():
            if self.faults.busy > 0:
                self.faults.busy -= 1
                self.emit("busy_answer", left=self.faults.busy)
                return True
            return False

    def _check_lc_busy(self) -> None:
        f = self.faults
        if f.lc_busy and f.lc_busy_count > 0:
            f.lc_busy_count -= 1
            self.emit("lc_busy_answer", message_id=f.lc_busy, left=f.lc_busy_count)
            raise Rejected(f.lc_busy, status=400)

    # --- reachability and LC readiness ----------------------------------------------------------

    def reachable(self) -> bool:
        return self.now() >= self._down_until

    def _server_status(self) -> str:
        if self.power == "Off":
            return "PoweredOff"
        now = self.now()
        current = "OutOfPOST"
        for start, status in self._segments:
            if start <= now:
                current = status
        return current

    def lc_status(self) -> LcStatus:
        """Ready only when the host is out of POST (or off), no job runs, and LC is not reloading
        after an iDRAC restart or a job-queue clear."""
        with self._locked():
            if not self.reachable():
                return LcStatus("NotReady", "NotInitialized", self._server_status(), "NotReady")
            if self.now() < self._lc_reload_until:
                lc = "ReloadingData"
            elif any(j.state == JobState.RUNNING for j in self._jobs.values()):
                lc = "InUse"
            else:
                lc = "Ready"
            server = self._server_status()
            rt = "Ready" if server in ("OutOfPOST", "PoweredOff") else "NotReady"
            status = "Ready" if lc == "Ready" and rt == "Ready" else "NotReady"
            return LcStatus(status, lc, server, rt)

    # --- uploads --------------------------------------------------------------------------------

    def _applicable(self, info: PackageInfo, filename: str) -> ComponentDef:
        sid = self.hardware.system_id
        if info.system_ids and sid not in info.system_ids:
            raise Rejected(
                "SUP0518",
                f"{filename} is for system(s) {', '.join(info.system_ids)}, "
                f"this is a {self.hardware.model} ({sid})",
            )
        for c in self.hardware.components:
            if c.component_id != "0" and c.component_id in info.component_ids:
                if (
                    c.key == IDRAC_KEY
                    and info.idrac_generations
                    and (self.generation not in info.idrac_generations)
                ):
                    raise Rejected(
                        "SUP0518",
                        f"{filename} holds an image for iDRAC"
                        f"{'/'.join(map(str, info.idrac_generations))}, "
                        f"this is an iDRAC{self.generation}",
                    )
                if not c.updateable:
                    raise Rejected("SUP0518", f"{c.name} is not updateable")
                return c
        ids = ", ".join(info.component_ids) or "none"
        raise Rejected("SUP0518", f"{filename}: no component of this system has ComponentID {ids}")

    def stage_upload(
        self, path: Path, filename: str, *, source: str, move: bool = False
    ) -> Available:
        """Inspect an uploaded file and keep it as an `Available-<cid>-<version>` entry.

        The file is copied (moved with move=True) into the device's upload folder.  Raises
        Rejected (400)
        for a Linux .BIN, an unreadable package, or one not applicable to this system."""
        path = Path(path)
        safe = os.path.basename(filename.replace("\\", "/")) or "upload.bin"
        size = path.stat().st_size
        try:
            info = inspect_package(path, safe)
        except PackageError as exc:
            vouched = known_image(path, safe, self.options.get("known_images") or {})
            if vouched is None:
                with self._locked():
                    self.emit("upload_rejected", filename=safe, message_id=exc.message_id)
                raise Rejected(exc.message_id, exc.detail) from None
            info = vouched
        with self._locked():
            try:
                comp = self._applicable(info, safe)
            except Rejected as exc:
                self.emit("upload_rejected", filename=safe, message_id=exc.message_id)
                raise
            aid = f"Available-{comp.component_id}-{info.version}"
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            dest = self.upload_dir / f"{aid}--{safe}"
            old = self.available.pop(aid, None)
            if old is not None and old.path != str(dest):
                with contextlib.suppress(OSError):
                    os.unlink(old.path)
            if move:
                shutil.move(str(path), dest)
            else:
                shutil.copyfile(path, dest)
            avail = Available(
                id=aid,
                key=comp.key,
                component_id=comp.component_id,
                version=info.version,
                filename=safe,
                path=str(dest),
                source=source,
                kind=info.kind,
                size=size,
            )
            self.available[aid] = avail
            self.emit(
                "upload",
                filename=safe,
                available_id=aid,
                component=comp.key,
                version=info.version,
                size=size,
                source=source,
                kind=info.kind,
            )
            return copy.copy(avail)

    def delete_available(self, aid: str) -> None:
        with self._locked():
            a = self.available.pop(aid, None)
            if a is None:
                raise Rejected("SUP024", f"no Available entry {aid}", status=404)
            with contextlib.suppress(OSError):
                os.unlink(a.path)
            self.emit("available_deleted", available_id=aid)

    # --- jobs: creation -------------------------------------------------------------------------

    @property
    def jobs(self) -> dict[str, Job]:
        """A snapshot {JID: Job copy} of the job queue (Dell Jobs collection, WS-Man jobs)."""
        with self._locked():
            return {jid: copy.copy(j) for jid, j in self._jobs.items()}

    def job(self, jid: str) -> Job | None:
        with self._locked():
            j = self._jobs.get(jid)
            return copy.copy(j) if j is not None else None

    def _new_job(
        self, *, prefix: str = "JID", name: str, job_type: str, source: str, **about: Any
    ) -> Job:
        """A new job (Downloading); logs `job_created` exactly once per job id."""
        jid = new_job_id(self._rng, prefix, set(self._jobs))
        msg = message("RED003")
        job = Job(
            id=jid,
            name=name,
            job_type=job_type,
            state=JobState.DOWNLOADING.value,
            message=msg.text,
            message_id=msg.id,
            created=self.now(),
            created_wall=_wall(),
            source=source,
            task_visible=not self.faults.task_vanish,
        )
        self._jobs[jid] = job
        self.emit("job_created", job=jid, job_type=job_type, source=source, **about)
        return job

    def _pending_for(self, key: str) -> Job | None:
        return next(
            (
                j
                for j in self._jobs.values()
                if j.component_key == key and not j.terminal and not j.is_reboot_job
            ),
            None,
        )

    def _bind(
        self, job: Job, comp: ComponentDef, to_version: str, *, rollback: bool = False
    ) -> None:
        """Fill in what the job installs and decide now whether it will fail."""
        current = self.components[comp.key].version
        job.component_key = comp.key
        job.component_id = comp.component_id
        job.from_version = current
        job.to_version = to_version
        job.reboot = comp.reboot.value
        job.name = (
            "Firmware Update: iDRAC with Lifecycle Controller"
            if comp.key == IDRAC_KEY
            else f"Firmware {'Rollback' if rollback else 'Update'}: {comp.name}"
        )
        if rollback:
            job.job_type = "FirmwareRollback"
        if comp.key == IDRAC_KEY and not rollback:
            reason = refused_jump(self.generation, current, to_version)
            if reason:
                job.fail_with, job.fail_detail = "RED007", reason
        f = self.faults
        if job.fail_with is None and f.job_fail and (f.job_fail_count is None or f.job_fail_count):
            job.fail_with, job.fail_detail = f.job_fail, "injected fault job-fail"
            if f.job_fail_count is not None:
                f.job_fail_count -= 1
        self.emit(
            "job_target",
            job=job.id,
            component=comp.key,
            component_id=comp.component_id,
            from_version=current,
            to_version=to_version,
            source=job.source,
            filename=job.filename,
            install_upon=job.install_upon,
        )

    def install_available(
        self,
        available_id: str,
        *,
        source: str,
        install_upon: str = "NextReboot",
        auto_schedule: bool = True,
    ) -> Job:
        """Create the update job for an Available (or Previous = rollback) entry.

        install_upon: "Now" | "NowAndReboot" | "NextReboot" (DellUpdateService.Install); for
        HOST components "NowAndReboot" also reboots the host once the job is scheduled.
        auto_schedule: HOST jobs go Downloaded -> Scheduled by themselves (Redfish); False
        leaves them Downloaded until setup_job_queue() (WS-Man InstallFromURI)."""
        with self._locked():
            self._check_lc_busy()
            aid = available_id.rsplit("/", 1)[-1]
            avail = self.available.get(aid)
            rollback_of: InventoryItem | None = None
            if avail is None:
                rollback_of = next(
                    (i for i in self.inventory() if i.id == aid and i.state == "Previous"), None
                )
                if rollback_of is None:
                    raise Rejected("SUP024", f"no Available or Previous entry {aid!r}")
            key = avail.key if avail is not None else rollback_of.key  # type: ignore[union-attr]
            pending = self._pending_for(key)
            if pending is not None:
                raise Rejected("RED014", f"job {pending.id} is already pending for {key}")
            comp = self._def(key)
            job = self._new_job(
                name=f"Firmware Update: {comp.name}",
                job_type="FirmwareUpdate",
                source=source,
                available_id=aid,
            )
            job.install_upon = install_upon
            job.available_id = aid
            job.filename = avail.filename if avail is not None else None
            if avail is not None:
                job.message = f"Downloading the {avail.filename} update package."
                self._bind(job, comp, avail.version)
            else:
                self._bind(job, comp, rollback_of.version, rollback=True)  # type: ignore[union-attr]
            self._job_later(
                self.timings.job_step_seconds, job, lambda j: self._downloaded(j, auto_schedule)
            )
            return copy.copy(job)

    def install_image(
        self,
        data_path: Path,
        filename: str,
        *,
        source: str,
        install_upon: str = "NextReboot",
        auto_schedule: bool = False,
    ) -> Job:
        """stage_upload + install_available in one call (WS-Man InstallFromURI of a file the
        front-end already has).  Raises Rejected for refused packages."""
        avail = self.stage_upload(data_path, filename, source=source)
        return self.install_available(
            avail.id, source=source, install_upon=install_upon, auto_schedule=auto_schedule
        )

    def install_from_uri(
        self,
        uri: str,
        *,
        source: str,
        install_upon: str = "NextReboot",
        auto_schedule: bool = True,
        protocols: tuple[str, ...] = ("HTTP", "HTTPS"),
    ) -> Job:
        """Pull an image over HTTP(S) and install it (Redfish SimpleUpdate with a remote ImageURI,
        WS-Man InstallFromURI).  The job starts Downloading at once; download or package errors
        fail the job (RED006 / RED008 / SUP0518).  Only loopback hosts are fetched from."""
        parsed = urllib.parse.urlsplit(uri)
        scheme = parsed.scheme.upper()
        if scheme not in protocols:
            raise Rejected("RED005", f"transfer protocol {parsed.scheme or '?'} not supported")
        if scheme not in ("HTTP", "HTTPS"):
            raise Rejected("SIM001", f"{scheme} pulls are not simulated")
        if not parsed.hostname or not _is_loopback(parsed.hostname):
            raise Rejected("RED005", "the simulator only pulls from loopback addresses")
        filename = os.path.basename(urllib.parse.unquote(parsed.path)) or "download.bin"
        with self._locked():
            self._check_lc_busy()
            job = self._new_job(
                name=f"Firmware Update: {filename}",
                job_type="FirmwareUpdate",
                source=source,
                uri=uri,
            )
            job.install_upon = install_upon
            job.filename = filename
            job.message = f"Downloading the {filename} update package."
            jid = job.id
        threading.Thread(
            target=self._download,
            args=(jid, uri, filename, auto_schedule),
            name=f"sim-{self.name}-pull",
            daemon=True,
        ).start()
        return copy.copy(job)

    def _download(self, jid: str, uri: str, filename: str, auto_schedule: bool) -> None:
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.upload_dir / f".pull-{jid}"
        error: tuple[str, str] | None = None
        try:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # an iDRAC does not verify the share's certificate
            req = urllib.request.Request(uri, headers={"User-Agent": "iDRAC-sim"})  # noqa: S310
            with (
                urllib.request.urlopen(req, timeout=30, context=ctx) as resp,  # noqa: S310
                tmp.open("wb") as out,
            ):
                total = 0
                while chunk := resp.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_DOWNLOAD:
                        raise OSError("image too large")
                    out.write(chunk)
        except (OSError, ValueError) as exc:
            error = ("RED006", f"download of {uri} failed: {exc}")
        with self._locked():
            job = self._jobs.get(jid)
            if job is None or job.state != JobState.DOWNLOADING:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                return
            if error is None:
                try:
                    avail = self.stage_upload(tmp, filename, source=job.source, move=True)
                    pending = self._pending_for(avail.key)
                    if pending is not None:
                        raise Rejected("RED014", f"job {pending.id} is already pending")
                    job.available_id = avail.id
                    self._bind(job, self._def(avail.key), avail.version)
                except Rejected as exc:
                    error = (exc.message_id, exc.detail or "")
            if error is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                self._fail(job, error[0], error[1])
                return
            self._job_later(
                self.timings.download_seconds, job, lambda j: self._downloaded(j, auto_schedule)
            )

    # --- jobs: state machine --------------------------------------------------------------------

    def _set(
        self,
        job: Job,
        state: JobState,
        msg_id: str,
        *,
        text: str | None = None,
        percent: int | None = None,
    ) -> None:
        job.state = state.value
        job.message_id = msg_id
        job.message = text or message(msg_id).text
        if percent is not None:
            job.percent = percent
        job.epoch += 1
        if job.terminal:
            job.completed_wall = _wall()
        self.emit(
            "job_state",
            job=job.id,
            state=state.value,
            message_id=msg_id,
            component=job.component_key,
        )
        if job.terminal:
            self._purge_task_later(job)

    def _purge_task_later(self, job: Job) -> None:
        """iDRAC9 drops a finished Task from TaskService after a while (features); the Dell
        Jobs (and JobService) views keep the job."""
        retention = self.features.task_retention_seconds
        if retention is None or not job.task_visible:
            return

        def purge(j: Job) -> None:
            if j.task_visible:
                j.task_visible = False
                self.emit("task_purged", job=j.id, after=retention)

        self._job_later(retention, job, purge)

    def _fail(self, job: Job, msg_id: str, detail: str = "") -> None:
        m = message(msg_id)
        self._set(job, JobState.FAILED, m.id, text=m.text, percent=100)
        if detail:
            self.emit("job_failed", job=job.id, message_id=m.id, detail=detail)

    def _downloaded(self, job: Job, auto_schedule: bool) -> None:
        self._set(job, JobState.DOWNLOADED, "RED002", percent=0)
        if job.reboot in (RebootKind.NONE.value, RebootKind.IDRAC.value):
            self._job_later(self.timings.job_step_seconds, job, self._start_direct)
        elif auto_schedule:
            self._job_later(self.timings.job_step_seconds, job, self._schedule)

    def _schedule(self, job: Job) -> None:
        self._set(job, JobState.SCHEDULED, "JCP001", percent=0)
        if job.install_upon == "NowAndReboot":
            self._host_restart("reset", reason=f"{job.id} NowAndReboot")

    def _duration(self, job: Job) -> float:
        if job.fail_with == "RED007":
            return self.timings.signature_check_seconds
        if job.component_key == IDRAC_KEY:
            return self.timings.idrac_flash_seconds
        return self._def(job.component_key or "").apply_seconds

    def _start_direct(self, job: Job) -> None:
        self._set(job, JobState.RUNNING, "PR20", percent=10)
        self._job_later(self._duration(job), job, self._finish)

    def _finish(self, job: Job) -> None:
        if job.fail_with:
            self._fail(job, job.fail_with, job.fail_detail or "")
            self._drop_available(job)
            return
        key = job.component_key or ""
        comp = self._def(key)
        state = self.components[key]
        old, new = state.version, job.to_version or state.version
        self._set(job, JobState.COMPLETED, "RED001", percent=100)
        self.emit(
            "flashed",
            job=job.id,
            component=key,
            component_id=comp.component_id,
            from_version=old,
            to_version=new,
        )
        self._drop_available(job)
        if comp.reboot == RebootKind.IDRAC:
            self._later(
                self.timings.idrac_reset_delay_seconds,
                lambda: self._idrac_reset("firmware-update", new_version=new),
            )
            return
        if key == "cpld":
            self._virtual_ac_cycle(job, new)
            return
        self._apply_version(key, new)

    def _virtual_ac_cycle(self, job: Job, new: str) -> None:
        """A CPLD update ends with a virtual AC cycle (idrac-redfish.md §4.5): the host loses
        power, the iDRAC restarts (unreachable, sessions gone), then the host powers on and
        boots; the new CPLD version shows only after the cycle."""
        self.emit("virtual_ac_cycle", job=job.id, to_version=new)
        self._power_off(reason="virtual AC cycle")  # the boot in progress never completes
        self._idrac_reset("virtual-ac-cycle")
        outage = self._down_until - self.now()
        if not math.isfinite(outage):
            return

        def power_back() -> None:
            self._apply_version("cpld", new)
            self._host_restart("on", reason=f"{job.id} virtual AC cycle")

        self._later(outage + self.timings.job_step_seconds, power_back)

    def _apply_version(self, key: str, new: str) -> None:
        st = self.components[key]
        if st.version != new:
            old = st.version
            if self._def(key).rollback:
                st.previous = st.version
            st.version = new
            # the device's own version history (read by fwupdate.check, I6)
            self.emit("component_version", component=key,
                      component_id=self._def(key).component_id, from_version=old,
                      to_version=new)  # fmt: skip

    def _drop_available(self, job: Job) -> None:
        if job.available_id and job.available_id in self.available:
            a = self.available.pop(job.available_id)
            with contextlib.suppress(OSError):
                os.unlink(a.path)

    # --- jobs: queue management -----------------------------------------------------------------

    def delete_job(self, jid: str) -> None:
        """DELETE .../Jobs/<JID>, DeleteJobQueue(<JID>).  A running job cannot be deleted."""
        with self._locked():
            job = self._jobs.get(jid)
            if job is None:
                raise Rejected("SUP011", f"no job {jid}")
            if job.state == JobState.RUNNING:
                raise Rejected("SUP0529", f"{jid} is running")
            del self._jobs[jid]
            self.emit("job_deleted", job=jid, state=job.state)

    def clear_jobs(self, *, force: bool = False) -> int:
        """JID_CLEARALL (everything not running) or JID_CLEARALL_FORCE (everything); LC then
        reloads for clear_queue[_force]_seconds and reports not ready."""
        with self._locked():
            gone = [jid for jid, j in self._jobs.items() if force or j.state != JobState.RUNNING]
            for jid in gone:
                del self._jobs[jid]
            delay = (
                self.timings.clear_queue_force_seconds
                if force
                else self.timings.clear_queue_seconds
            )
            self._lc_reload_until = max(self._lc_reload_until, self.now() + delay)
            self.emit("job_queue_cleared", force=force, jobs=gone)
            return len(gone)

    def start_repository_job(self, url: str) -> str:
        """A `RepositoryUpdate` job (Downloading the catalog at `url`); refused while the LC is
        busy.  The repository engine (repository.py) ends it with `finish_job`."""
        with self._locked():
            self._check_lc_busy()
            job = self._new_job(
                name="Repository Update", job_type="RepositoryUpdate", source="repository", uri=url
            )
            job.message = "Downloading the catalog."
            return job.id

    def finish_job(self, jid: str, msg_id: str, detail: str = "") -> None:
        """End a job the state does not drive itself: Completed for RED001/SUP029, else Failed
        with `msg_id` (`detail` appended to its message).  A job already over stays as it is."""
        with self._locked():
            job = self._jobs.get(jid)
            if job is None or job.terminal:
                return
            if msg_id in ("RED001", "SUP029"):
                self._set(job, JobState.COMPLETED, msg_id, percent=100)
            else:
                self._fail(job, msg_id, detail)
                if detail:  # the iDRAC names the package in its job message
                    job.message = f"{job.message} ({detail})"

    def create_reboot_job(self, reboot_type: int = 3) -> Job:
        """A RID_ reboot job (1 power cycle, 2 graceful, 3 graceful then forced); it runs when
        setup_job_queue() names it."""
        if reboot_type not in (1, 2, 3):
            raise Rejected("RAC004", f"RebootJobType {reboot_type}")
        with self._locked():
            kind = {1: "RebootPowerCycle", 2: "RebootNoForce", 3: "RebootForce"}[reboot_type]
            job = self._new_job(
                prefix="RID",
                name=f"Reboot{reboot_type}",
                job_type=kind,
                source="reboot-job",
                reboot_type=reboot_type,
            )
            job.reboot_type = reboot_type
            self._set(job, JobState.REBOOT_PENDING, "RED029")
            return copy.copy(job)

    def setup_job_queue(
        self, job_ids: list[str] | tuple[str, ...], start: str = "TIME_NOW"
    ) -> None:
        """Schedule Downloaded jobs; a reboot job in the list reboots the host now."""
        with self._locked():
            self._check_lc_busy()
            jobs = []
            for jid in job_ids:
                j = self._jobs.get(jid)
                if j is None or j.terminal:
                    raise Rejected("JCP022", f"invalid job id {jid}")
                jobs.append(j)
            reboot = None
            for j in jobs:
                if j.is_reboot_job:
                    reboot = j
                elif j.state == JobState.DOWNLOADED:
                    self._set(j, JobState.SCHEDULED, "JCP001", percent=0)
            self.emit("job_queue_setup", jobs=list(job_ids), start=start)
            if reboot is not None:
                self._set(reboot, JobState.SCHEDULED, "JCP001")
                reboot_job = reboot

                def run_reboot() -> None:
                    if reboot_job.state != JobState.SCHEDULED.value:
                        return
                    if self.power == "Off" and reboot_job.reboot_type != 1:
                        self._set(
                            reboot_job,
                            JobState.REBOOT_FAILED,
                            "RED004",
                            text="Unable to reboot: the server is powered off.",
                        )
                        return
                    self._set(reboot_job, JobState.REBOOT_COMPLETED, "RED030", percent=100)
                    self._host_restart(
                        "reset" if self.power == "On" else "on", reason=reboot_job.id
                    )

                self._later(self.timings.job_step_seconds, run_reboot)

    # --- host power -----------------------------------------------------------------------------

    @property
    def power_state(self) -> str:
        return self.power

    def host_reset(self, kind: str) -> None:
        """ComputerSystem.Reset: On, ForceOff, ForceRestart, GracefulShutdown, GracefulRestart,
        PushPowerButton, PowerCycle, Nmi.  Publishes host power events on the node's bus topic."""
        with self._locked():
            self.emit("host_reset_requested", reset_type=kind, power=self.power)
            already = _ALREADY.get((kind, self.power))
            if already is not None:
                # a real iDRAC refuses a reset to the state the host is in: 409 PSU501
                raise Rejected("PSU501", status=409, text=already)
            if kind == "On":
                self._host_restart("on", reason=kind)
            elif kind == "ForceOff":
                self._power_off(reason=kind)
            elif kind == "GracefulShutdown":
                self._graceful_off(kind)
            elif kind in ("ForceRestart", "PowerCycle"):
                self._host_restart("reset" if self.power == "On" else "on", reason=kind)
            elif kind == "GracefulRestart":
                if self.power == "Off":
                    self._host_restart("on", reason=kind)
                else:
                    epoch = self._host_epoch

                    def restart() -> None:
                        if self._host_epoch == epoch:
                            self._host_restart("reset", reason=kind)

                    self._later(self.timings.graceful_shutdown_seconds, restart)
            elif kind == "PushPowerButton":
                if self.power == "Off":
                    self._host_restart("on", reason=kind)
                else:
                    self._graceful_off(kind)
            elif kind == "Nmi":
                self.emit("host_nmi")
            else:
                raise Rejected("ActionParameterValueNotInList", f"ResetType {kind}")

    def _graceful_off(self, reason: str) -> None:
        if self.power == "Off":
            return
        epoch = self._host_epoch

        def off() -> None:
            if self._host_epoch == epoch:
                self._power_off(reason=reason)

        self._later(self.timings.graceful_shutdown_seconds, off)

    def _interrupt_host_jobs(self) -> None:
        for j in self._jobs.values():
            if j.state == JobState.RUNNING and j.reboot == RebootKind.HOST.value:
                self._fail(j, "RED004", "host power changed while the update ran")

    def _power_off(self, *, reason: str) -> None:
        if self.power == "Off":
            return
        self._host_epoch += 1
        self._interrupt_host_jobs()
        self.power = "Off"
        self._segments = [(self.now(), "PoweredOff")]
        self.emit("host_power", state="off", reason=reason)
        self._outbox.append(("off", {}))

    def _host_restart(self, event: str, *, reason: str) -> None:
        """Power on or reset the host: POST, run Scheduled jobs inside LC, reboot, POST + CSIOR."""
        self._host_epoch += 1
        epoch = self._host_epoch
        self._interrupt_host_jobs()
        self.power = "On"
        t = self.timings
        now = self.now()
        segments: list[tuple[float, str]] = [(now, "InPOST")]
        runnable = (
            []
            if self.faults.stuck_scheduled
            else sorted(
                (
                    j
                    for j in self._jobs.values()
                    if j.state == JobState.SCHEDULED
                    and not j.is_reboot_job
                    and j.reboot == RebootKind.HOST.value
                ),
                key=lambda j: j.created,
            )
        )
        post_start = now
        if runnable:
            cursor = now + t.lc_entry_seconds
            segments.append((cursor, "AutomatedTaskExecution"))
            for j in runnable:
                self._later(cursor - now, self._host_job_starter(j.id, epoch))
                cursor += self._duration(j)
            segments.append((cursor, "InPOST"))
            post_start = cursor
        segments.append((post_start + 0.4 * t.post_seconds, "CollectingSystemInventory"))
        up_at = post_start + t.post_seconds
        segments.append((up_at, "OutOfPOST"))
        self._segments = segments
        boot_seconds = round(up_at - now, 3)
        self.emit(
            "host_power",
            state=event,
            reason=reason,
            boot_seconds=boot_seconds,
            jobs=[j.id for j in runnable],
        )
        self._outbox.append((event, {"boot_seconds": boot_seconds}))

        def up() -> None:
            if self._host_epoch == epoch:
                self.emit("host_up")

        self._later(up_at - now, up)

    def _host_job_starter(self, jid: str, epoch: int) -> Callable[[], None]:
        def start() -> None:
            j = self._jobs.get(jid)
            if self._host_epoch != epoch or j is None or j.state != JobState.SCHEDULED:
                return
            self._set(j, JobState.RUNNING, "PR20", percent=10)
            self._job_later(self._duration(j), j, self._finish)

        return start

    # --- iDRAC restarts -------------------------------------------------------------------------

    def idrac_reset(self, reason: str = "Manager.Reset") -> None:
        """Manager.Reset / racreset: sessions die, the iDRAC is unreachable for a while."""
        with self._locked():
            self._idrac_reset(reason)

    def _idrac_reset(self, reason: str, *, new_version: str | None = None) -> None:
        t = self.timings
        outage = t.idrac_update_outage_seconds if new_version else t.idrac_reset_outage_seconds
        if self.faults.slow_return is not None:
            outage = self.faults.slow_return
        never = self.faults.never_return
        self._idrac_epoch += 1
        epoch = self._idrac_epoch
        self._down_until = math.inf if never else self.now() + outage
        for s in self.sessions.clear():
            self.emit("session_closed", session=s.id, user=s.user, reason="idrac-reset")
        if not self.tasks_survive_reset:
            for j in self._jobs.values():
                j.task_visible = False
        self.emit(
            "idrac_reset", reason=reason, outage=None if never else outage, new_version=new_version
        )
        self.emit("reachability", reachable=False)
        if never:
            return

        def back() -> None:
            if self._idrac_epoch != epoch:
                return
            old = self.firmware_version
            if new_version:
                self._apply_version(IDRAC_KEY, new_version)
            reload = t.lc_reload_seconds
            if (
                new_version
                and self.generation == 7
                and older(old, "2.10.10.10")
                and not older(new_version, "2.10.10.10")
            ):
                reload = t.lc_first_enable_seconds
            self._lc_reload_until = self.now() + reload
            self.emit("reachability", reachable=True, firmware_version=self.firmware_version)

        self._later(outage, back)

    # --- persistence ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        with self._locked():
            return {
                "format": STATE_FORMAT,
                "device": self.name,
                "profile": self.profile.name,
                "hardware": self.hardware.key,
                "service_tag": self.service_tag,
                "power": self.power,
                "components": {k: asdict(v) for k, v in self.components.items()},
                "available": [asdict(a) for a in self.available.values()],
                "jobs": [j.to_json() for j in self._jobs.values()],
                "saved_wall": _wall(),
            }

    def snapshot(self) -> dict[str, Any]:
        """The device's final truth for an independent judge (`SimulatedFleet.state_dump`):
        power, service tag, installed components and every job with its target."""
        with self._locked():
            return {
                "power": self.power,
                "service_tag": self.service_tag,
                "firmware_version": self.firmware_version,
                "components": [
                    {"key": k, "component_id": self._def(k).component_id,
                     "name": self._display_name(self._def(k)), "version": v.version}
                    for k, v in self.components.items()
                ],
                "jobs": [
                    {"id": j.id, "state": j.state, "component": j.component_key,
                     "component_id": j.component_id, "to_version": j.to_version,
                     "reboot": j.reboot, "reboot_job": j.is_reboot_job}
                    for j in self._jobs.values()
                ],
            }  # fmt: skip

    def from_json(self, data: Mapping[str, Any]) -> None:
        """Restore a saved state (same hardware).  Jobs that were Downloading or Running are
        failed (RED004: the simulator stopped under them); sessions are not restored."""
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"{self.name}: unsupported state format {data.get('format')!r}")
        if data.get("hardware") != self.hardware.key:
            raise ValueError(
                f"{self.name}: state is for {data.get('hardware')!r}, device is "
                f"{self.hardware.key!r}"
            )
        with self._locked():
            comps = data.get("components") or {}
            for key, value in comps.items():
                if key in self.components:
                    self.components[key] = ComponentState(
                        version=str(value["version"]), previous=value.get("previous")
                    )
            self.service_tag = str(data.get("service_tag") or self.service_tag)
            self.power = "Off" if data.get("power") == "Off" else "On"
            self._segments = [(self.now(), "OutOfPOST" if self.power == "On" else "PoweredOff")]
            self.available = {}
            for a in data.get("available") or []:
                if Path(a["path"]).exists():
                    self.available[a["id"]] = Available(**a)
            self._jobs = {}
            for jd in data.get("jobs") or []:
                j = Job.from_json(jd)
                if j.state in (JobState.DOWNLOADING, JobState.RUNNING, JobState.NEW):
                    m = message("RED004")
                    j.state, j.message_id, j.message = JobState.FAILED.value, m.id, m.text
                self._jobs[j.id] = j
                if j.state == JobState.DOWNLOADED:  # pick up where the saved engine stopped
                    self._job_later(
                        self.timings.job_step_seconds,
                        j,
                        lambda job: self._downloaded(job, job.source.startswith("redfish")),
                    )
            self.emit("state_loaded", firmware_version=self.firmware_version)

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    def load(self, path: Path) -> None:
        self.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
