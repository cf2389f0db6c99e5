"""One simulated Kemp LoadMaster unit (bare metal on an R320) speaking API v1 over HTTPS.

Behaviour follows loadmaster-api.md; where the notes have no vendor text (error messages of
installpatch, shapes of vstotals/addapikey, ...) the simulator invents one and says so in a
comment marked INVENTED.  All device delays are simulated seconds (SimClock); the API rate limit
is in real seconds (ratelimit.py).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qs

from fwupdate.sim import http
from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.http import DROP, Drop, Request, Response
from fwupdate.sim.loadmaster import answers
from fwupdate.sim.loadmaster.answers import El, fields
from fwupdate.sim.loadmaster.patchfile import (
    PLATFORM,
    PatchFormatError,
    PatchInfo,
    inspect_patch,
)
from fwupdate.sim.loadmaster.ratelimit import ApiRateLimit
from fwupdate.sim.loadmaster.state import Power, Role, UnitFaults
from fwupdate.sim.loadmaster.vs import VsTable, default_services
from fwupdate.sim.routes import RouteTable

SIM_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z: simulated time 0 as a Unix time
PACIFY_REBOOTS = 3  # more than this many boots ...
PACIFY_WINDOW = 300.0  # ... within this many simulated seconds pacifies the unit [doc HA-MODE]
MAX_API_KEYS = 16  # per user; more deletes the oldest [doc KR §2.3.2]
MAX_URL = 1024  # [doc KR §2.1]

UnitCommand = Callable[["LoadMasterUnit", Request, dict[str, str]], Response | Drop]
"""An API command's handler (the table is fwupdate/sim/loadmaster/routes.py)."""


class HaLink(Protocol):
    """What a unit needs of its HA pair (pair.HaPair implements it; pair.py imports this module,
    never the other way round)."""

    @property
    def name(self) -> str: ...
    @property
    def lock(self) -> threading.RLock: ...
    @property
    def vs(self) -> VsTable: ...
    @property
    def units(self) -> tuple[LoadMasterUnit, LoadMasterUnit]: ...
    @property
    def preferred(self) -> int: ...
    @property
    def hatimeout(self) -> int: ...
    @property
    def hawait(self) -> int: ...
    @property
    def vhid(self) -> int: ...

    def set_param(self, name: str, value: int) -> str | None: ...
    def takeover_seconds(self) -> float: ...
    def record(self, reason: str) -> None: ...
    def unit_up(self, unit: LoadMasterUnit) -> None: ...
    def unit_down(self, unit: LoadMasterUnit, *, was_active: bool, orderly: bool) -> None: ...
    def set_vs_down(self, index: int, down: bool = True) -> None: ...
    def set_split(self, on: bool = True) -> None: ...
    def serving_units(self) -> list[LoadMasterUnit]: ...
    def has_serving_unit(self) -> bool: ...
    def reevaluate_link(self) -> None: ...


class LoadMasterUnit(SimDevice):
    kind = "loadmaster"

    def __init__(
        self,
        name: str,
        ctx: SimContext,
        *,
        node: str,
        profile: str,
        username: str,
        password: str,
        version: str = "7.2.48.3",
        previous_version: str | None = None,
        serial: str | None = None,
        boot_seconds: float = 120.0,
        shutdown_seconds: float = 3.0,
        api_enabled: bool = True,
        rate_limit: int = 30,
        rate_window: float = 3.0,
        commsecret: str | None = None,
        vs_count: int = 2,
        quirks: bool = True,
        hostname: str | None = None,
        known_patches: Mapping[str, str] | None = None,
        routes: RouteTable[UnitCommand],
    ) -> None:
        super().__init__(name, ctx, profile=profile, node=node)
        self.routes = routes
        self._own_lock = threading.RLock()
        self._username = username
        self._password = password
        self.version = version
        self.previous_version = previous_version
        self.serial = serial or str(1_000_000 + zlib.crc32(name.encode()) % 9_000_000)
        self.hostname = hostname or node
        self.boot_seconds = float(boot_seconds)
        self.shutdown_seconds = float(shutdown_seconds)
        self.api_enabled = api_enabled
        self.rate_limit = ApiRateLimit(rate_limit, rate_window, now=ctx.clock.now)
        self.commsecret = commsecret
        self.quirks = quirks
        self.known_patches = dict(known_patches or {})
        self.faults = UnitFaults()
        self.api_keys: list[str] = []
        # power / HA state (guarded by self.lock)
        self.power = Power.UP
        self.role: Role | None = Role.NOT_HA
        self.hamode = 0
        self.pair: HaLink | None = None
        self.boot_time = 0.0  # simulated time of the last boot
        self.active_since: float | None = 0.0
        self.booting = False
        self.boots: deque[float] = deque(maxlen=16)
        self.pacified = False
        self.link_broken = False
        self.staged: tuple[str, str] | None = None  # (version, "patch" | "restore")
        self.vs = VsTable(default_services(vs_count))
        self._gen = 0

    # --- plumbing ------------------------------------------------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """The pair's lock once the unit is in a pair (roles change on both units at once)."""
        return self.pair.lock if self.pair is not None else self._own_lock

    def attach(self, pair: HaLink, hamode: int) -> None:
        self.pair = pair
        self.hamode = hamode
        self.vs = pair.vs

    def reachable(self) -> bool:
        return self.power is not Power.DOWN

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"version": self.version, "power": self.power.value, "role": self.hastatus(),
                    "pair": self.pair.name if self.pair is not None else None}  # fmt: skip

    def now(self) -> float:
        return self.ctx.clock.now()

    def _schedule(self, delay: float, fn: Callable[[], None]) -> None:
        """Run `fn` under the lock after `delay` simulated s, unless the power state moved on."""
        gen = self._gen

        def run() -> None:
            with self.lock:
                if self._gen == gen:
                    fn()

        self.ctx.clock.call_later(delay, run)

    # --- request handling -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        if not self.rate_limit.allow():
            self.emit("lm.ratelimit_drop", path=request.path)
            return DROP
        if len(request.target) > MAX_URL:
            return answers.error(400, "Request URL too long")  # INVENTED text
        path = request.path.rstrip("/")
        if not path.startswith("/access/") or not self.api_enabled:
            return answers.not_found()
        params = self._params(request, path)
        if not self._authorized(request, params):
            self.emit("lm.auth_failed")
            # INVENTED text; status 401 as documented [code PY exceptions.py].
            return answers.error(
                401, "Authorization required", {"WWW-Authenticate": 'Basic realm="LoadMaster"'}
            )
        command = path[len("/access/") :].lower()
        found = self.routes.find(request.method, f"/access/{command}")
        if found is None or found.handler is None:
            return answers.error(405, "Unknown command")  # wording per PS Test-LmServerConnection
        return found.handler(self, request, params)

    def _params(self, request: Request, path: str) -> dict[str, str]:
        params = {k: v[0] for k, v in request.query.items() if v}
        ctype = (request.header("Content-Type") or "").lower()
        if (
            request.method == "POST"
            and not path.endswith("/installpatch")
            and "application/x-www-form-urlencoded" in ctype
            and 0 < request.body_length <= 64 * 1024
        ):
            form = parse_qs(request.body().decode("latin-1"), keep_blank_values=True)
            params.update({k: v[0] for k, v in form.items() if v})
        return params

    def _authorized(self, request: Request, params: Mapping[str, str]) -> bool:
        key = params.get("apikey")
        if key is not None:
            return key in self.api_keys
        cred = request.basic_auth()
        return cred is not None and cred == (self._username, self._password)

    # --- parameters -----------------------------------------------------------------------------

    def hastatus(self) -> str:
        return (self.role or Role.NOT_HA).value

    def param_values(self) -> dict[str, str]:
        pair = self.pair
        active = self.role is Role.ACTIVE and self.active_since is not None
        return {
            "version": self.version,
            "serialnumber": self.serial,
            "hostname": self.hostname,
            "hastatus": self.hastatus(),
            "hamode": str(self.hamode),
            "haprefered": str(pair.preferred if pair else 0),
            "hatimeout": str(pair.hatimeout if pair else 1),
            "hawait": str(pair.hawait if pair else 0),
            "havhid": str(pair.vhid if pair else 0),
            "hastyle": "1",
            "ha1hostname": pair.units[0].hostname if pair else "",
            "ha2hostname": pair.units[1].hostname if pair else "",
            # Format of boottime/activetime is [unknown]; the simulator answers Unix seconds.
            "boottime": str(int(SIM_EPOCH + self.boot_time)),
            "activetime": str(int(SIM_EPOCH + (self.active_since or 0.0))) if active else "0",
            "enableapi": "yes" if self.api_enabled else "no",
        }

    def cmd_get(self, request: Request, params: dict[str, str]) -> Response | Drop:
        name = params.get("param")
        if not name:
            return answers.error(400, "param: String Value missing")  # [doc KR §2.6] example
        with self.lock:
            values = self.param_values()
        key = name.lower()
        if key not in values:
            return answers.error(422, f"Unknown parameter: {name}")  # INVENTED text
        value = values[key]
        if self.quirks and key in ("version", "hamode"):
            value = f"\n{value}\n"  # values may carry newlines [doc KR §2.1 cachesize example]
        return answers.ok_data([El(name, value)])

    def cmd_set(self, request: Request, params: dict[str, str]) -> Response | Drop:
        name = (params.get("param") or "").lower()
        value = params.get("value")
        if not name or value is None:
            return answers.error(400, "param: String Value missing")
        with self.lock:
            err = self._set(name, value.strip())
        if err is not None:
            return answers.error(422, err)
        self.emit("lm.set", param=name, value=value)
        return answers.ok_text()

    def _set(self, name: str, value: str) -> str | None:
        """Apply one `set`; returns an (INVENTED) error text or None."""
        pair = self.pair
        if name == "hostname":
            self.hostname = value
            return None
        if name == "enableapi":
            self.api_enabled = value.lower() not in ("no", "0", "false", "n")
            return None
        if name in ("haprefered", "hatimeout", "hawait", "havhid"):
            if pair is None:
                return "HA is not configured"
            try:
                number = int(value)
            except ValueError:
                return f"Invalid value for {name}"
            return pair.set_param(name, number)
        if name in ("hamode", "hastyle"):
            return f"{name} changes need a reboot and are not simulated"
        return f"Unknown parameter: {name}"

    def cmd_getall(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            values = self.param_values()
        return answers.ok_data(fields(values.items()))

    def cmd_listapi(self, request: Request, params: dict[str, str]) -> Response | Drop:
        names = [r.pattern.removeprefix("/access/") for r in self.routes.routes]
        cmds = El("commands", children=[El("cmd", name) for name in names])
        return answers.ok_data([El("version", self.version), cmds])

    # --- firmware -------------------------------------------------------------------------------

    def cmd_installpatch(self, request: Request, params: dict[str, str]) -> Response | Drop:
        if request.method != "POST" or request.body_length == 0:
            return answers.error(400, "No patch file supplied")  # INVENTED text
        if self.faults.patch_refused:
            self.emit("lm.patch_refused", reason="fault")
            return answers.error(422, "Patch file verification failed")  # INVENTED text
        request.body_file.seek(0)
        try:
            info = inspect_patch(request.body_file, request.body_length)
        except PatchFormatError as exc:
            vouched = self._known_patch(request)
            if vouched is None:
                self.emit("lm.patch_refused", reason=str(exc))
                return answers.error(422, "Invalid patch file")  # INVENTED text
            info = vouched
        if info.platform != PLATFORM:
            self.emit("lm.patch_refused", reason=f"platform {info.platform}")
            return answers.error(422, "Invalid patch file for this platform")  # INVENTED text
        with self.lock:
            if self.power is not Power.UP:
                return answers.error(422, "A reboot is in progress")  # INVENTED text
            if info.version == self.version:
                self.emit("lm.patch_refused", reason="already installed")
                return answers.error(422, "Patch already installed")  # INVENTED text
            self.staged = (info.version, "patch")
        self.emit("lm.installpatch", staged=info.version, size=info.size)
        # The appliance's own success text is not documented (PS prints its own) [code PS].
        return answers.ok_text()

    def _known_patch(self, request: Request) -> PatchInfo | None:
        """A real Kemp patch (not the simulator's format) vouched for by its SHA-256: option
        `known_patches` = {sha256: version}, set by a rehearsal from its plan."""
        if not self.known_patches:
            return None
        request.body_file.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: request.body_file.read(1024 * 1024), b""):
            digest.update(chunk)
        version = self.known_patches.get(digest.hexdigest())
        return None if version is None else PatchInfo(version, PLATFORM, request.body_length)

    def cmd_getpreviousversion(self, request: Request, params: dict[str, str]) -> Response | Drop:
        return answers.ok_data([El("PreviousVersion", self.previous_version or "")])

    def cmd_restorepatch(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            if not self.previous_version:
                return answers.error(422, "No previous version to restore")  # INVENTED text
            self.staged = (self.previous_version, "restore")
        self.emit("lm.restorepatch", staged=self.previous_version)
        return answers.ok_text()

    # --- reboot / shutdown ----------------------------------------------------------------------

    def cmd_reboot(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            if self.power is not Power.UP:
                return answers.error(422, "A reboot is in progress")  # INVENTED text
            self.emit("lm.reboot", cause="api")
            self._stop(orderly=True, then_boot=True, boot_seconds=None)
        return answers.ok_text()

    def cmd_shutdown(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            if self.power is not Power.UP:
                return answers.error(422, "A reboot is in progress")  # INVENTED text
            self.emit("lm.shutdown", cause="api")
            self._stop(orderly=True, then_boot=False, boot_seconds=None)
        return answers.ok_text()

    def _stop(self, *, orderly: bool, then_boot: bool, boot_seconds: float | None) -> None:
        """Begin going down.  Orderly: services keep running for `shutdown_seconds` and, if this
        unit is active, until its partner has taken over (hatimeout); abrupt: down at once."""
        self._gen += 1
        if orderly and self.power is Power.UP:
            self.power = Power.STOPPING
            delay = self.shutdown_seconds
            if self.pair is not None and self.role is Role.ACTIVE:
                delay = max(delay, self.pair.takeover_seconds())
            self.emit("lm.stopping", seconds=delay)
            if self.pair is not None:
                self.pair.record("unit stopping")
            self._schedule(delay, lambda: self._down(True, then_boot, boot_seconds))
        elif self.power is not Power.DOWN:
            self._down(orderly, then_boot, boot_seconds)
        else:  # already down: a reset restarts the boot, an off cancels it
            self.booting = False
            if then_boot:
                self._begin_boot(boot_seconds)

    def _down(self, orderly: bool, then_boot: bool, boot_seconds: float | None) -> None:
        was_active = self.role is Role.ACTIVE
        self._gen += 1
        self.power = Power.DOWN
        self.role = None
        self.active_since = None
        self.booting = False
        self.emit("lm.down", orderly=orderly, was_active=was_active)
        if self.pair is not None:
            self.pair.unit_down(self, was_active=was_active, orderly=orderly)
        if then_boot:
            self._begin_boot(boot_seconds)

    def _begin_boot(self, boot_seconds: float | None) -> None:
        self.boots.append(self.now())
        if self.faults.never_returns:
            self.emit("lm.hung", reason="fault never_returns")
            return
        self.booting = True
        seconds = self.boot_seconds if boot_seconds is None else float(boot_seconds)
        self.emit("lm.booting", seconds=seconds)
        self._schedule(seconds, self._boot_done)

    def _boot_done(self) -> None:
        self.booting = False
        old = self.version
        if self.staged is not None:
            version, how = self.staged
            self.staged = None
            if self.faults.old_version:
                self.faults.old_version = False  # one-shot
                self.emit("lm.patch_not_applied", staged=version, reason="fault old_version")
            else:
                self.previous_version, self.version = old, version
                self.emit("lm.version_changed", old=old, new=version, how=how)
                self._patch_breaks_vs(how == "patch")
        now = self.now()
        self.boot_time = now
        recent = sum(1 for t in self.boots if now - t <= PACIFY_WINDOW)
        was_pacified = self.pacified
        self.pacified = recent > PACIFY_REBOOTS
        if self.pacified and not was_pacified:
            self.emit("lm.pacified", boots=recent, window=PACIFY_WINDOW)
        if self.faults.secret_mismatch:
            self.faults.secret_mismatch = False  # one-shot
            self.link_broken = True
            self.emit("lm.partner_link", up=False, reason="fault secret_mismatch")
        self.power = Power.UP
        if self.pair is not None:
            self.pair.unit_up(self)
        else:
            self.role = Role.NOT_HA
            self.active_since = now
        self.emit("lm.up", version=self.version, role=self.hastatus())

    def _patch_breaks_vs(self, patched: bool) -> None:
        """Fault vs_down_on_patch: the patched image takes those VSs Down; another image
        (restorepatch) brings them back."""
        if self.pair is None or not self.faults.vs_down_on_patch:
            return
        for index in sorted(self.faults.vs_down_on_patch):
            self.pair.set_vs_down(index, patched)

    # --- coupling with the host (iDRAC power events on the bus) ---------------------------------

    def on_host_event(self, event: str, data: dict[str, Any]) -> None:
        """Host power events from the node's iDRAC (fwupdate.sim.bus.host_topic):

        - "off": power lost; "reset": power cycled, the unit boots again (boot_seconds from
          the event, else its own).  Both are abrupt -- the LoadMaster cannot hand over the
          shared address, so its partner takes over after hatimeout -- unless the event says
          graceful=True (an ACPI shutdown the OS saw coming).
        - "on": the host powers on; the unit boots.
        - "graceful_shutdown": the OS was asked to shut down (ACPI); the unit stops in order
          (hands over the shared address) and stays down until "reset"/"on".
        """
        graceful = bool(data.get("graceful", False))
        boot = data.get("boot_seconds")
        boot_seconds = float(boot) if isinstance(boot, int | float) else None
        with self.lock:
            if event == "graceful_shutdown":
                self.emit("lm.host_event", host_event=event, graceful=True)
                if self.power is Power.UP:
                    self._stop(orderly=True, then_boot=False, boot_seconds=None)
            elif event == "off":
                self.emit("lm.host_event", host_event=event, graceful=graceful)
                self._stop(orderly=graceful, then_boot=False, boot_seconds=None)
            elif event == "reset":
                self.emit("lm.host_event", host_event=event, graceful=graceful)
                self._stop(orderly=graceful, then_boot=True, boot_seconds=boot_seconds)
            elif event == "on":
                self.emit("lm.host_event", host_event=event, graceful=graceful)
                if self.power is Power.DOWN and not self.booting:
                    self._gen += 1
                    self._begin_boot(boot_seconds)

    # --- virtual services -----------------------------------------------------------------------

    def _vs_down(self) -> set[int]:
        """VS indexes forced Down by the active unit's fault."""
        if self.pair is None:
            return set(self.faults.vs_down_when_active)
        down: set[int] = set()
        for u in self.pair.serving_units():
            down |= u.faults.vs_down_when_active
        return down

    def _serving(self) -> bool:
        return self.pair.has_serving_unit() if self.pair is not None else True

    def cmd_listvs(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            down, serving = self._vs_down(), self._serving()
            table = self.vs
            items = [table.render_vs(v, table.status(v, down, serving), down, serving)
                     for v in table.all()]  # fmt: skip
        return answers.ok_data(items)

    def cmd_showvs(self, request: Request, params: dict[str, str]) -> Response | Drop:
        key = params.get("vs")
        if not key:
            return answers.error(400, "vs: String Value missing")
        with self.lock:
            try:
                vs = self.vs.find(key, params.get("port"), params.get("prot"))
            except KeyError:
                return answers.error(422, "Unknown VS")  # text as PS reports it [code PS]
            down, serving = self._vs_down(), self._serving()
            el = self.vs.render_vs(vs, self.vs.status(vs, down, serving), down, serving)
        return answers.ok_data(el.children)

    def _totals(self) -> dict[str, int]:
        down, serving = self._vs_down(), self._serving()
        statuses = [self.vs.status(v, down, serving) for v in self.vs.services]
        pairs = zip(self.vs.services, statuses, strict=True)
        rs = [(r, s) for v, s in pairs for r in v.real_servers]
        return {
            "VSTotal": len(statuses),
            "VSUp": statuses.count("Up"),
            "VSDown": statuses.count("Down"),
            "VSDisabled": statuses.count("Disabled"),
            "RSTotal": len(rs),
            "RSUp": sum(1 for r, s in rs if s == "Up" and r.up and r.enabled),
            "RSDown": sum(1 for r, s in rs if r.enabled and not (s == "Up" and r.up)),
            "RSDisabled": sum(1 for r, _ in rs if not r.enabled),
        }

    def cmd_vstotals(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            totals = self._totals()
        return answers.ok_data(fields(totals.items()))  # element names INVENTED ([unknown])

    def cmd_stats(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            down, serving = self._vs_down(), self._serving()
            vss = [
                El(
                    "Vs",
                    children=fields(
                        [
                            ("VSAddress", v.address),
                            ("VSPort", v.port),
                            ("VSProt", v.protocol),
                            ("Index", v.index),
                            ("Status", self.vs.status(v, down, serving).lower()),
                            ("ActiveConns", 0),
                            ("ConnsPerSec", 0),
                            ("Enable", 1 if v.enabled else 0),
                        ]
                    ),
                )
                for v in self.vs.services
            ]
        stamp = El("Timestamp", str(int(SIM_EPOCH + self.now())))
        return answers.ok_data([*vss, stamp])

    # --- misc -----------------------------------------------------------------------------------

    def cmd_backup(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            doc = {
                "format": "fwupdate-simulator LoadMaster backup 1",
                "serial": self.serial,
                "hostname": self.hostname,
                "version": self.version,
                "hamode": self.hamode,
                "virtual_services": self.vs.config(),
                "taken_at": int(SIM_EPOCH + self.now()),
            }
        body = b"KEMP-LM-BACKUP\n" + json.dumps(doc, indent=1).encode() + b"\n"
        self.emit("lm.backup", size=len(body))
        return http.Response(
            200,
            body,
            {
                "Content-Type": "application/octet-stream",
                "Content-Disposition": f'attachment; filename="LMbackup-{self.hostname}"',
            },
        )

    def cmd_licenseinfo(self, request: Request, params: dict[str, str]) -> Response | Drop:
        return answers.ok_data(
            fields([("LicenseType", "Bare Metal"), ("SupportUntil", "2027-12-31")])
        )

    def cmd_showiface(self, request: Request, params: dict[str, str]) -> Response | Drop:
        iface = fields(
            [("Id", 0), ("IPAddress", "127.0.0.1/8"), ("Mtu", 1500), ("InterfaceType", "Port")]
        )
        return answers.ok_data([El("Interface", children=iface)])

    def _keys(self) -> Response:
        # Shape INVENTED: the notes only say addapikey "returns the key list".
        return answers.ok_data([El("apikeys", children=[El("apikey", k) for k in self.api_keys])])

    def cmd_addapikey(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            self.api_keys.append(secrets.token_hex(16))
            del self.api_keys[:-MAX_API_KEYS]
            return self._keys()

    def cmd_listapikeys(self, request: Request, params: dict[str, str]) -> Response | Drop:
        with self.lock:
            return self._keys()

    def cmd_delapikey(self, request: Request, params: dict[str, str]) -> Response | Drop:
        key = params.get("key")
        with self.lock:
            if not key or key not in self.api_keys:
                return answers.error(422, "Unknown API key")  # INVENTED text
            self.api_keys.remove(key)
        return answers.ok_text()

    def cmd_setlmcommsecret(self, request: Request, params: dict[str, str]) -> Response | Drop:
        secret = params.get("secret") or ""
        if not 8 <= len(secret) <= 127:  # rule from [doc PSS]; text INVENTED
            return answers.error(422, "The secret must be 8 to 127 characters long")
        with self.lock:
            self.commsecret = secret
            self.link_broken = False
            self.emit("lm.commsecret_set")
            if self.pair is not None:
                self.pair.reevaluate_link()
        return answers.ok_text()
