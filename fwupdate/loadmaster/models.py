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

    @property
    def vs_up(self) -> int:
        return sum(1 for v in self.virtual_services if v.status.lower() == "up")
