"""Frozen models of what a Kemp LoadMaster tells us (API v1)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class HaRole(StrEnum):
    ACTIVE = "active"
    STANDBY = "standby"
    PASSIVE = "passive"
    NOT_HA = "not-ha"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class VirtualServiceHealth:
    index: str
    name: str
    address: str
    port: str
    status: str  # Up / Down / Disabled ...
    real_servers_up: int = 0
    real_servers_total: int = 0
    parent: str = ""  # a SubVS: its parent VS's index (`MasterVSID`); "" for a top-level VS

    @property
    def is_sub(self) -> bool:
        return self.parent not in ("", "0")


def top_level(services: tuple[VirtualServiceHealth, ...]) -> tuple[VirtualServiceHealth, ...]:
    """The Virtual Services proper: `listvs` also lists every SubVS as its own entry (without
    an address); those are counted in their parent, not again (loadmaster-api.md §5)."""
    return tuple(v for v in services if not v.is_sub)


def vs_keys(services: Iterable[VirtualServiceHealth]) -> dict[str, VirtualServiceHealth]:
    """Each Virtual Service by its name (the baseline's key): the nickname, with the address
    and port when two share one or there is none; a SubVS (no address of its own) under its
    parent's key."""
    vss = tuple(services)
    names = Counter(v.name for v in vss if not v.is_sub)
    top: dict[str, str] = {}
    for v in vss:
        if not v.is_sub:
            unique = v.name and names[v.name] == 1
            top[v.index] = v.name if unique else f"{v.name}@{v.address}:{v.port}"
    out: dict[str, VirtualServiceHealth] = {}
    for v in vss:
        if v.is_sub:
            out[f"{top.get(v.parent, '#' + v.parent)}/{v.name or '#' + v.index}"] = v
        else:
            out[top[v.index]] = v
    return out


def vs_baseline(services: Iterable[VirtualServiceHealth]) -> tuple[str, ...]:
    """The baseline a run keeps: the names (vs_keys) of the Virtual Services that are Up."""
    return tuple(sorted(k for k, v in vs_keys(services).items() if v.status.lower() == "up"))


def count_up(services: tuple[VirtualServiceHealth, ...]) -> int:
    return sum(1 for v in top_level(services) if v.status.lower() == "up")


def activetime_epoch(value: str | None) -> float | None:
    """`activetime` (when the unit last became Active) as seconds since the epoch; None for the
    standby's "0", no answer, or a form this code does not read.  Kemp documents no format (an
    epoch or a time string): both an epoch number and an ISO 8601 time are read."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return None
        seconds = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    return seconds if seconds > 0 else None


@dataclass(frozen=True)
class LoadMasterStatus:
    address: str
    reachable: bool
    version: str | None = None
    serial: str | None = None
    ha_role: HaRole = HaRole.UNKNOWN
    ha_mode: str | None = None  # 0 non-HA, 1 HA1, 2 HA2, 3 cloud, 4 cluster
    preferred_host: str | None = None
    virtual_services: tuple[VirtualServiceHealth, ...] = ()
    error: str | None = None
    name: str | None = None  # the fleet node's name
    boot_time: str | None = None  # `boottime` as the unit answers it
    active_time: str | None = None  # `activetime`: "0" on the standby

    @property
    def active_since(self) -> float | None:
        return activetime_epoch(self.active_time)

    @property
    def vs_up(self) -> int:
        return count_up(self.virtual_services)

    @property
    def vs_total(self) -> int:
        return len(top_level(self.virtual_services))


@dataclass(frozen=True)
class PairStatus:
    """An HA pair as seen through both units' direct addresses (and the shared address)."""

    name: str
    units: tuple[LoadMasterStatus, LoadMasterStatus]
    active: str | None = None  # name of the unit reporting Active (None: none or both)
    standby: str | None = None
    preferred_host: str | None = None  # haprefered: 0 none, 1 first, 2 second
    shared_reachable: bool | None = None  # None: no shared address configured
    shared_serial: str | None = None  # serial number answering on the shared address
    virtual_services: tuple[VirtualServiceHealth, ...] = ()  # as the active unit reports them
    problems: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def vs_up(self) -> int:
        return count_up(self.virtual_services)

    @property
    def vs_total(self) -> int:
        return len(top_level(self.virtual_services))
