"""An HA pair of simulated LoadMasters and its shared address.

Roles follow Kemp's model (loadmaster-api.md §4): one Active unit owns the shared address, the
Standby takes over when the Active one goes away, a restarting unit comes back Standby unless it
is the preferred host (`haprefered` = its HA mode) -- then it takes over at once.

Takeover timing (the simulator's model, [inferred]):
- abrupt loss (host reset / power-off through the iDRAC, no graceful flag): the Standby takes
  over `3 * hatimeout` simulated seconds later; until then the shared address drops every
  connection and the availability record shows an interval that is not serving ("failover").
- orderly reboot/shutdown through the API: the unit stops advertising at once, keeps serving
  while it shuts down, and releases the shared address at the moment the Standby takes over
  (after the same `3 * hatimeout`), so the shared address never goes dark.

Every change of any unit's power or role is written to the event log as `lm.availability`
(device `<pair>-shared`), from which `availability.py` builds intervals.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.http import DROP, Drop, Request, Response
from fwupdate.sim.loadmaster.availability import AVAILABILITY_EVENT, Interval, availability
from fwupdate.sim.loadmaster.state import Power, Role
from fwupdate.sim.loadmaster.unit import LoadMasterUnit
from fwupdate.sim.loadmaster.versions import enforces_partner_secret
from fwupdate.sim.loadmaster.vs import VsTable, default_services, services_from

DEFAULT_SECRET = "sim-partner-secret"  # a simulator default, documented


class HaPair:
    def __init__(
        self,
        name: str,
        units: tuple[LoadMasterUnit, LoadMasterUnit],
        ctx: SimContext,
        *,
        preferred: int = 0,
        hatimeout: int = 1,
        active: int = 0,
        vs_count: int = 2,
        subvs: int = 0,
        secret_boundary: bool = True,
        commsecret: str | None = None,
        virtual_services: list[Mapping[str, Any]] | None = None,
    ) -> None:
        self.name = name
        self.units = units
        self.ctx = ctx
        self.lock = threading.RLock()
        self.vs = VsTable(
            services_from(virtual_services)
            if virtual_services is not None
            else default_services(vs_count, subvs=subvs)
        )
        self.preferred = preferred
        self.hatimeout = hatimeout
        self.hawait = 0
        self.vhid = 1 + (sum(map(ord, name)) % 254)
        self.secret_boundary = secret_boundary
        self.shared_name = f"{name}-shared"
        self.shared: SharedAddress | None = None
        self._last: dict[str, Any] | None = None
        self._last_vs: dict[str, list[str]] | None = None
        self._takeover_pending = False
        self._split_forced = False
        for i, u in enumerate(units):
            u.attach(self, hamode=i + 1)
            if commsecret is not None:
                u.commsecret = commsecret
        if secret_boundary and any(enforces_partner_secret(u.version) for u in units):
            # A pair already past the boundary was configured with a matching secret.
            for u in units:
                u.commsecret = u.commsecret or DEFAULT_SECRET
        now = ctx.clock.now()
        with self.lock:
            for i, u in enumerate(units):
                u.role = Role.ACTIVE if i == active else Role.STANDBY
                u.active_since = now if i == active else None
            self.record("start")

    # --- queries --------------------------------------------------------------------------------

    def partner(self, unit: LoadMasterUnit) -> LoadMasterUnit:
        return self.units[1] if unit is self.units[0] else self.units[0]

    def serving_units(self) -> list[LoadMasterUnit]:
        """Units that own the shared address now (two during a split)."""
        with self.lock:
            return [
                u
                for u in self.units
                if u.role is Role.ACTIVE and u.power in (Power.UP, Power.STOPPING)
            ]

    def has_serving_unit(self) -> bool:
        return bool(self.serving_units())

    def takeover_seconds(self) -> float:
        return 3.0 * self.hatimeout

    def link_ok(self) -> bool:
        """Can the units talk to each other (config sync, HA state)?  A unit flagged by the
        secret-mismatch fault cannot; past the Partner Shared Secret boundary both units need
        the same non-empty secret, "including if only one side is providing" one [doc PSS]."""
        a, b = self.units
        if a.link_broken or b.link_broken:
            return False
        if self.secret_boundary and (
            enforces_partner_secret(a.version) or enforces_partner_secret(b.version)
        ):
            return bool(a.commsecret) and a.commsecret == b.commsecret
        return True

    def availability(self) -> tuple[Interval, ...]:
        return availability(self.ctx.events, self.name)

    # --- settings (synchronised to both units) --------------------------------------------------

    def set_param(self, name: str, value: int) -> str | None:
        """Apply an HA `set`; returns an error text (INVENTED wording) or None."""
        limits = {"haprefered": (0, 2), "hatimeout": (1, 5), "hawait": (0, 200), "havhid": (1, 255)}
        lo, hi = limits[name]
        if not lo <= value <= hi:
            return f"Invalid value for {name} (allowed {lo}-{hi})"
        with self.lock:
            if name == "haprefered":
                self.preferred = value  # acts only when a unit restarts [doc KR §3.22.4]
            elif name == "hatimeout":
                self.hatimeout = value
            elif name == "hawait":
                self.hawait = value
            else:
                self.vhid = value
        return None

    # --- transitions (called with self.lock held) ----------------------------------------------

    def unit_up(self, unit: LoadMasterUnit) -> None:
        other = self.partner(unit)
        now = self.ctx.clock.now()
        other_active = other.role is Role.ACTIVE and other.power is not Power.DOWN
        if unit.pacified or not self.link_ok():
            unit.role = Role.PASSIVE
            unit.active_since = None
            if not self.link_ok():
                unit.emit("lm.partner_link", up=False, reason=self._link_reason())
        elif (unit.faults.split_after_reboot or self._split_forced) and other_active:
            unit.faults.split_after_reboot = False  # one-shot
            unit.role = Role.ACTIVE
            unit.active_since = now
            unit.emit("lm.split", partner=other.name)
        elif other_active and other.power is Power.UP and self.preferred == unit.hamode:
            other.role = Role.STANDBY  # the preferred host takes over when it restarts
            other.active_since = None
            unit.role = Role.ACTIVE
            unit.active_since = now
        elif other_active:
            unit.role = Role.STANDBY
            unit.active_since = None
        else:
            unit.role = Role.ACTIVE
            unit.active_since = now
        self.record("unit up")

    def unit_down(self, unit: LoadMasterUnit, *, was_active: bool, orderly: bool) -> None:
        other = self.partner(unit)
        takeover = False
        if was_active and other.power is Power.UP and other.role is Role.STANDBY:
            if orderly:
                other.role = Role.ACTIVE  # handover at the instant the unit releases the address
                other.active_since = self.ctx.clock.now()
            else:
                self._takeover_pending = takeover = True
        # the gap is recorded before the takeover is scheduled: the takeover comes exactly
        # hatimeout after the recorded loss, however slowly this thread runs
        self.record("unit down")
        if takeover:
            self.ctx.clock.call_later(self.takeover_seconds(), lambda: self._takeover(other))

    def _takeover(self, unit: LoadMasterUnit) -> None:
        with self.lock:
            self._takeover_pending = False
            if (
                unit.power is Power.UP
                and unit.role is Role.STANDBY
                and not self.serving_units()
            ):
                unit.role = Role.ACTIVE
                unit.active_since = self.ctx.clock.now()
                unit.emit("lm.takeover", after=self.takeover_seconds())
            self.record("takeover")

    def reevaluate_link(self) -> None:
        """After a secret change: a Passive (not pacified) unit rejoins, a Standby may drop out."""
        with self.lock:
            ok = self.link_ok()
            for u in self.units:
                if u.power is not Power.UP:
                    continue
                if ok and u.role is Role.PASSIVE and not u.pacified:
                    other = self.partner(u)
                    if other.role is Role.ACTIVE and other.power is not Power.DOWN:
                        u.role = Role.STANDBY
                    else:
                        u.role = Role.ACTIVE
                        u.active_since = self.ctx.clock.now()
                    u.emit("lm.partner_link", up=True)
                elif not ok and u.role is Role.STANDBY:
                    u.role = Role.PASSIVE
                    u.emit("lm.partner_link", up=False, reason=self._link_reason())
            self.record("partner link")

    def _link_reason(self) -> str:
        if any(u.link_broken for u in self.units):
            return "partner shared secret mismatch"
        return "partner shared secret missing or different past the 7.2.54.10/7.2.59.4 boundary"

    # --- faults on the pair ---------------------------------------------------------------------

    def set_split(self, on: bool = True) -> None:
        """HA split: every running, non-pacified unit claims the shared address (both Active)."""
        with self.lock:
            self._split_forced = on
            now = self.ctx.clock.now()
            running = [u for u in self.units if u.power is Power.UP]
            if on:
                for u in running:
                    if u.role is not Role.ACTIVE and not u.pacified:
                        u.role = Role.ACTIVE
                        u.active_since = now
                        u.emit("lm.split", partner=self.partner(u).name)
            else:
                active = [u for u in running if u.role is Role.ACTIVE]
                if len(active) > 1:
                    newest = max(active, key=lambda u: u.active_since or 0.0)
                    newest.role = Role.STANDBY
                    newest.active_since = None
            self.record("split" if on else "split healed")

    def set_vs_down(self, index: int, down: bool = True) -> None:
        with self.lock:
            if down:
                self.vs.forced_down.add(index)
            else:
                self.vs.forced_down.discard(index)
            self.ctx.events.emit(self.shared_name, "lm.vs_forced", pair=self.name, index=index,
                                 down=down)  # fmt: skip
            self.record_vs()

    def vs_statuses(self) -> dict[str, list[str]]:
        """VS nicknames by status as the serving unit's health checks see them now."""
        with self.lock:
            down: set[int] = set()
            for u in self.serving_units():
                down |= u.faults.vs_down_when_active
            serving = self.has_serving_unit()
            out: dict[str, list[str]] = {"Up": [], "Down": [], "Disabled": []}
            for vs in self.vs.services:
                out[self.vs.status(vs, down, serving)].append(vs.nickname)
            return out

    def record_vs(self) -> None:
        """`lm.vs_status` whenever the statuses change (the first one is the baseline)."""
        snap = self.vs_statuses()
        if snap == self._last_vs:
            return
        self._last_vs = snap
        self.ctx.events.emit(self.shared_name, "lm.vs_status", pair=self.name, up=snap["Up"],
                             down=snap["Down"], disabled=snap["Disabled"])  # fmt: skip

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            vs = self.vs_statuses()
            return {"units": {u.name: u.snapshot() for u in self.units},
                    "active": [u.name for u in self.serving_units()],
                    "vs_up": vs["Up"], "vs_down": vs["Down"]}  # fmt: skip

    # --- availability record --------------------------------------------------------------------

    def record(self, reason: str) -> None:
        units = {u.name: f"{u.power.value}/{u.role.value if u.role else '-'}" for u in self.units}
        active = [u.name for u in self.serving_units()]
        up = [u.name for u in self.units if u.power is not Power.DOWN]
        serving = bool(active)
        if serving:
            state = "split" if len(active) > 1 else "ok"
        elif self._takeover_pending:
            state = "failover"
        else:
            state = "outage"
        snap: dict[str, Any] = {
            "units": units,
            "active": active,
            "up": up,
            "serving": serving,
            "state": state,
        }
        self.record_vs()
        if snap == self._last:
            return
        self._last = snap
        self.ctx.events.emit(self.shared_name, AVAILABILITY_EVENT, pair=self.name, cause=reason,
                             **snap)  # fmt: skip


class SharedAddress(SimDevice):
    """The pair's shared (virtual) address: answers from whichever unit is Active.

    With no Active unit every connection is dropped and logged (`lm.shared.dropped`); during a
    split the two Active units answer alternately (both claim the address).
    """

    kind = "loadmaster-shared"

    def __init__(self, name: str, ctx: SimContext, pair: HaPair) -> None:
        super().__init__(name, ctx, profile="lm-shared", node="")
        self.pair = pair
        self._rr = 0
        self._rr_lock = threading.Lock()

    def reachable(self) -> bool:
        if self.pair.has_serving_unit():
            return True
        self.emit("lm.shared.dropped", pair=self.pair.name)
        return False

    def snapshot(self) -> dict[str, Any]:
        return self.pair.snapshot()

    def handle(self, request: Request) -> Response | Drop:
        units = self.pair.serving_units()
        if not units:
            self.emit("lm.shared.dropped", pair=self.pair.name)
            return DROP
        with self._rr_lock:
            unit = units[self._rr % len(units)]
            self._rr += 1
        return unit.handle(request)


def pair_options(options: Mapping[str, Any], node_names: tuple[str, str]) -> dict[str, Any]:
    """PairSpec.options -> HaPair keyword arguments (unknown keys are an error)."""
    known = {"preferred", "hatimeout", "active", "vs_count", "subvs", "secret_boundary",
             "commsecret", "virtual_services"}  # fmt: skip
    unknown = set(options) - known
    if unknown:
        raise ValueError(f"unknown LoadMaster pair option(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    if "preferred" in options:
        out["preferred"] = int(options["preferred"])
    if "hatimeout" in options:
        out["hatimeout"] = int(options["hatimeout"])
    if "active" in options:
        act = options["active"]
        out["active"] = node_names.index(act) if isinstance(act, str) else int(act) - 1
    if "vs_count" in options:
        out["vs_count"] = int(options["vs_count"])
    if "subvs" in options:
        out["subvs"] = int(options["subvs"])
    if "secret_boundary" in options:
        out["secret_boundary"] = bool(options["secret_boundary"])
    if "commsecret" in options:
        out["commsecret"] = str(options["commsecret"])
    if "virtual_services" in options:
        vss = options["virtual_services"]
        if not isinstance(vss, list) or not all(isinstance(v, Mapping) for v in vss):
            raise ValueError("pair option virtual_services: expected a list of tables")
        out["virtual_services"] = list(vss)
    return out
