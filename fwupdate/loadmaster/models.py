"""Frozen models of what a Kemp LoadMaster tells us (API v1)."""

from __future__ import annotations

from dataclasses import dataclass
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
    def vs_up(self) -> int:
        return sum(1 for v in self.virtual_services if v.status.lower() == "up")


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
        return sum(1 for v in self.virtual_services if v.status.lower() == "up")
