"""The HA view of a LoadMaster pair: who is Active, who is Standby, is the pair healthy.

Roles are read on each unit's direct address (`hastatus`; the shared address always answers
from the Active unit, so it cannot show the Standby) [doc HA-PARAMS, KR §3.24.1].  "Healthy"
(loadmaster-api.md §4.6, made concrete here):
- both units answer, their versions are known, both are in HA mode with different modes (1, 2);
- exactly one reports Active and the other Standby (Passive = not ready to take over);
- the shared address, if configured, answers from the Active unit (same serial number);
- given a baseline: every Virtual Service that was Up is still Up, matched by name (a SubVS,
  listed by `listvs` as its own entry without an address, under its parent's name).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fwupdate.errors import ConfigError, FwupdateError
from fwupdate.fleet.models import Pair
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.loadmaster.models import (
    HaRole,
    LoadMasterStatus,
    PairStatus,
    VirtualServiceHealth,
)
from fwupdate.loadmaster.models import (
    vs_baseline as vs_baseline,  # re-exported: the baseline's rules live in models (pure)
)
from fwupdate.loadmaster.models import (
    vs_keys as vs_keys,
)

PASSIVE_HINT = (
    "not ready to take over (pacified after more than 3 reboots in 5 minutes, or its partner "
    "connection failed: check that both units have the same Partner Shared Secret)"
)


def vs_label(vs: VirtualServiceHealth) -> str:
    name = f"{vs.name} " if vs.name else ""
    if vs.is_sub:
        return f"SubVS {name}(#{vs.index} of VS #{vs.parent})"
    return f"VS {name}({vs.address}:{vs.port})"


Baseline = PairStatus | Sequence[str] | None  # a snapshot, or the names Up (vs_baseline)


def _baseline_names(baseline: Baseline) -> tuple[str, ...] | None:
    if baseline is None:
        return None
    if isinstance(baseline, PairStatus):
        return vs_baseline(baseline.virtual_services)
    return tuple(baseline)


def vs_regressions(before: Sequence[str], now: Iterable[VirtualServiceHealth]) -> list[str]:
    """Virtual Services named in `before` (Up at the baseline) that are not Up (or gone) now."""
    current = vs_keys(now)
    out: list[str] = []
    for key in before:
        new = current.get(key)
        if new is None:
            out.append(f"VS {key} was Up and is gone")
        elif new.status.lower() != "up":
            out.append(f"{vs_label(new)} was Up, now {new.status}")
    return out


def vs_down(services: Iterable[VirtualServiceHealth]) -> list[str]:
    """Without a baseline (`lm status`): every enabled Virtual Service that is not Up."""
    return [f"{vs_label(v)} is {v.status}" for v in vs_keys(services).values()
            if v.status.lower() not in ("up", "disabled")]  # fmt: skip


def pair_problems(
    units: tuple[LoadMasterStatus, LoadMasterStatus],
    *,
    shared_reachable: bool | None = None,
    shared_serial: str | None = None,
    baseline: Baseline = None,
) -> list[str]:
    """Why a pair is not healthy (empty list: healthy).  Pure; see the module docstring."""
    problems: list[str] = []
    ok_units: list[LoadMasterStatus] = []
    for u in units:
        label = u.name or u.address
        if not u.reachable:
            problems.append(f"{label}: unreachable ({u.error or 'no answer'})")
        elif u.error:
            problems.append(f"{label}: {u.error}")
        elif not u.version:
            problems.append(f"{label}: firmware version unknown")
            ok_units.append(u)
        else:
            ok_units.append(u)
    for u in ok_units:
        label = u.name or u.address
        if u.ha_role is HaRole.PASSIVE:
            problems.append(f"{label} reports HA status Passive: {PASSIVE_HINT}")
        elif u.ha_role is HaRole.NOT_HA:
            problems.append(f"{label} is not in HA mode")
        elif u.ha_role is HaRole.UNKNOWN:
            problems.append(f"{label}: HA status unknown")
    if len(ok_units) == 2:
        actives = [u for u in ok_units if u.ha_role is HaRole.ACTIVE]
        if len(actives) == 0:
            problems.append("no unit reports Active")
        elif len(actives) == 2:
            problems.append("both units report Active (HA split: both claim the shared address)")
        a, b = ok_units
        if a.ha_mode and a.ha_mode == b.ha_mode:
            problems.append(f"both units have HA mode {a.ha_mode} (they must be 1 and 2)")
    active = active_unit(units)
    if shared_reachable is False:
        problems.append("the shared address does not answer")
    elif shared_serial and active is not None and active.serial and shared_serial != active.serial:
        problems.append(
            f"the shared address answers from serial {shared_serial}, not from the Active unit "
            f"{active.name} ({active.serial})"
        )
    names = _baseline_names(baseline)
    if names is not None and active is not None:
        problems.extend(vs_regressions(names, active.virtual_services))
    return problems


def active_unit(units: Iterable[LoadMasterStatus]) -> LoadMasterStatus | None:
    """The one reachable unit reporting Active (None if there is none or more than one)."""
    actives = [u for u in units if u.reachable and not u.error and u.ha_role is HaRole.ACTIVE]
    return actives[0] if len(actives) == 1 else None


class PairClient:
    """Clients for both units of a pair (direct addresses) and its shared address."""

    def __init__(
        self,
        name: str,
        units: tuple[LoadMasterClient, LoadMasterClient],
        shared: LoadMasterClient | None = None,
    ) -> None:
        self.name = name
        self.units = units
        self.shared = shared

    @classmethod
    def from_fleet(cls, pair: Pair, **client_kwargs: Any) -> PairClient:
        """Clients for a fleet pair; every node needs a `loadmaster` endpoint."""
        clients: list[LoadMasterClient] = []
        for node in pair.nodes:
            if node.loadmaster is None:
                raise ConfigError(f"pair {pair.name}: node {node.name} has no loadmaster address")
            clients.append(LoadMasterClient.from_endpoint(node.loadmaster, name=node.name,
                                                          **client_kwargs))  # fmt: skip
        shared = None
        if pair.shared_address is not None:
            shared = LoadMasterClient.from_endpoint(
                pair.shared_address, name=f"{pair.name} (shared address)", **client_kwargs
            )
        return cls(pair.name, (clients[0], clients[1]), shared)

    def unit(self, name: str) -> LoadMasterClient:
        for c in self.units:
            if c.name == name:
                return c
        raise KeyError(name)

    def partner(self, name: str) -> LoadMasterClient:
        a, b = self.units
        return b if a.name == name else a

    def close(self) -> None:
        for c in (*self.units, self.shared):
            if c is not None:
                c.close()

    def read_shared_serial(self) -> str | None:
        """The serial of the unit answering on the shared address (None: none configured), on
        a new connection each time: the address moves with the Active role, and a kept-alive
        connection would outlive the move (it also holds one connection less per pair)."""
        if self.shared is None:
            return None
        try:
            return self.shared.serial()
        finally:
            self.shared.close()

    def shared_serial(self) -> tuple[bool | None, str | None]:
        """(answers?, serial) of the shared address; (None, None) when none is configured."""
        if self.shared is None:
            return None, None
        try:
            return True, self.read_shared_serial()
        except FwupdateError:
            return False, None

    def snapshot(self, *, baseline: Baseline = None) -> PairStatus:
        """Read both units (in parallel) and the shared address; judge the pair's health."""
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"lm-{self.name}") as pool:
            futures = [pool.submit(c.status) for c in self.units]
            statuses = (futures[0].result(), futures[1].result())
        shared_ok, shared_serial = self.shared_serial()
        problems = pair_problems(
            statuses, shared_reachable=shared_ok, shared_serial=shared_serial, baseline=baseline
        )
        active = active_unit(statuses)
        standby = [
            u.name for u in statuses if u.reachable and not u.error and u.ha_role is HaRole.STANDBY
        ]
        source = active or next((u for u in statuses if u.reachable and not u.error), None)
        return PairStatus(
            name=self.name,
            units=statuses,
            active=active.name if active else None,
            standby=standby[0] if len(standby) == 1 else None,
            preferred_host=source.preferred_host if source else None,
            shared_reachable=shared_ok,
            shared_serial=shared_serial,
            virtual_services=active.virtual_services if active else (),
            problems=tuple(problems),
        )
