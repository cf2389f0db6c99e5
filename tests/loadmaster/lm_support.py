"""Helpers for the LoadMaster simulator and client tests (imported by conftest and tests).

Pairs need an iDRAC device per node; until the real simulated iDRAC registers its kind, nodes use
a tiny stub host device (kind "lm-test-host").  Host power events are published on the bus
exactly as the iDRAC simulator does (fwupdate.sim.bus.host_topic).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fwupdate.sim.loadmaster  # registers the kind "loadmaster" and the pair factory
from fwupdate.fleet.models import TlsSettings
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.loadmaster.ha import PairClient
from fwupdate.loadmaster.upgrade import UpgradeOptions
from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.fleet import (
    Credentials,
    DeviceSpec,
    NodeSpec,
    PairSpec,
    SimulatedFleet,
    register_kind,
)
from fwupdate.sim.http import Request, Response
from fwupdate.sim.loadmaster import HaPair, LoadMasterUnit, SharedAddress

TIME_SCALE = 1000.0  # 120 simulated s of boot = 0.12 s
START_VERSION = "7.2.48.3"
TARGET_VERSION = "7.2.48.10"

assert fwupdate.sim.loadmaster.FAULT_KINDS


class StubHost(SimDevice):
    kind = "lm-test-host"

    def handle(self, request: Request) -> Response:
        return Response.json(200, {"stub": True})


def _stub(spec: DeviceSpec, node: NodeSpec, ctx: SimContext, creds: Credentials) -> SimDevice:
    return StubHost(spec.name, ctx, profile="stub", node=node.name)


register_kind("lm-test-host", _stub)


def host_spec(name: str) -> DeviceSpec:
    """The node's iDRAC: the real simulated iDRAC once its package registers kind "idrac"."""
    try:
        from fwupdate.sim.idrac import DEFAULT_PROFILE
    except ImportError:
        return DeviceSpec(f"{name}-idrac", "lm-test-host", "stub")
    return DeviceSpec(f"{name}-idrac", "idrac", DEFAULT_PROFILE)


def node_spec(name: str, **lm_options: Any) -> NodeSpec:
    options: dict[str, Any] = {"rate_limit": 0}
    options.update(lm_options)
    version = str(options.get("version", START_VERSION))
    return NodeSpec(
        name,
        host_spec(name),
        DeviceSpec(f"{name}-lm", "loadmaster", f"lm-{version}", options),
    )


def pair_spec(
    name: str = "p1",
    *,
    a: Mapping[str, Any] | None = None,
    b: Mapping[str, Any] | None = None,
    **pair_options: Any,
) -> PairSpec:
    return PairSpec(
        name,
        (node_spec(f"{name}a", **dict(a or {})), node_spec(f"{name}b", **dict(b or {}))),
        pair_options,
    )


class LmSim:
    """A started SimulatedFleet plus typed access to its LoadMaster parts."""

    def __init__(self, fleet: SimulatedFleet) -> None:
        self.fleet = fleet

    @property
    def ca(self) -> Path:
        return self.fleet.ca_bundle

    def unit(self, node: str) -> LoadMasterUnit:
        dev = self.fleet.device(f"{node}-lm")
        assert isinstance(dev, LoadMasterUnit)
        return dev

    def shared(self, pair: str = "p1") -> SharedAddress:
        dev = self.fleet.shared[pair]
        assert isinstance(dev, SharedAddress)
        return dev

    def pair(self, pair: str = "p1") -> HaPair:
        return self.shared(pair).pair

    def client(self, node: str, **kwargs: Any) -> LoadMasterClient:
        return self._client(self.unit(node).url, node, **kwargs)

    def _client(self, url: str, name: str, **kwargs: Any) -> LoadMasterClient:
        kw: dict[str, Any] = {
            "name": name,
            "username": "bal",
            "password": "1fourall",
            "tls": TlsSettings(ca_bundle=self.ca),
            "min_interval": 0.0,
            "retry_backoff": 0.05,
            "timeout": 5.0,
        }
        kw.update(kwargs)
        return LoadMasterClient(url, **kw)

    def pair_client(self, pair: str = "p1", **kwargs: Any) -> PairClient:
        units = (self.client(f"{pair}a", **kwargs), self.client(f"{pair}b", **kwargs))
        shared = self._client(self.shared(pair).url, f"{pair} (shared address)", **kwargs)
        return PairClient(pair, units, shared)


def fast_options(tmp_path: Path, **kwargs: Any) -> UpgradeOptions:
    """Waits sized for TIME_SCALE: a 120 s boot takes 0.12 s, a wait of 5 s is 5000 sim s."""
    base: dict[str, Any] = {
        "backup_dir": tmp_path / "backups",
        "down_timeout": 5.0,
        "boot_timeout": 5.0,
        "role_timeout": 2.0,
        "poll_interval": 0.02,
    }
    base.update(kwargs)
    return UpgradeOptions(**base)


