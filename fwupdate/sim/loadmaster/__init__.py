"""Simulated Kemp LoadMaster units (API v1 over HTTPS), HA pairs and their shared address.

Importing this package registers the device kind "loadmaster" and the pair factory with
fwupdate.sim.fleet.  DeviceSpec options of a unit: version (default from the profile
"lm-<version>", else 7.2.48.3), previous_version, serial, hostname, boot_seconds (simulated,
default 120), shutdown_seconds (3), api_enabled (True), rate_limit (30 calls; 0 disables),
rate_window (3.0 device s), commsecret, vs_count (2), quirks (True: some values carry newlines),
faults (list of fault names, see faults.py), known_patches ({sha256: version}: real Kemp patches
a rehearsal vouches for).  PairSpec options: preferred (0/1/2), hatimeout
(1-5, x3 s), active (node name or 1/2), vs_count, secret_boundary (True), commsecret (both units),
virtual_services (a list of {name, address, port, status, real_servers_up, real_servers_total}
instead of vs_count defaults).
See docs/loadmaster.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fwupdate.sim.bus import host_topic
from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.fleet import (
    Credentials,
    DeviceSpec,
    NodeSpec,
    PairSpec,
    register_kind,
    register_pair_factory,
)
from fwupdate.sim.loadmaster.availability import Interval, availability, outages
from fwupdate.sim.loadmaster.faults import FAULT_KINDS, apply_fault, apply_unit_fault
from fwupdate.sim.loadmaster.pair import HaPair, SharedAddress, pair_options
from fwupdate.sim.loadmaster.patchfile import build_patch, corrupt, write_patch
from fwupdate.sim.loadmaster.routes import API
from fwupdate.sim.loadmaster.state import Power, Role, UnitFaults
from fwupdate.sim.loadmaster.unit import LoadMasterUnit

DEFAULT_VERSION = "7.2.48.3"

__all__ = [
    "FAULT_KINDS",
    "HaPair",
    "Interval",
    "LoadMasterUnit",
    "Power",
    "Role",
    "SharedAddress",
    "UnitFaults",
    "apply_fault",
    "availability",
    "build_patch",
    "corrupt",
    "outages",
    "write_patch",
]

_UNIT_OPTIONS = {
    "version", "previous_version", "serial", "hostname", "boot_seconds", "shutdown_seconds",
    "api_enabled", "rate_limit", "rate_window", "commsecret", "vs_count", "quirks", "faults",
    "known_patches",
}  # fmt: skip


def _unit_kwargs(options: Mapping[str, Any], profile: str) -> dict[str, Any]:
    unknown = set(options) - _UNIT_OPTIONS
    if unknown:
        raise ValueError(f"unknown LoadMaster option(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {k: v for k, v in options.items() if k != "faults"}
    if "version" not in out:
        out["version"] = profile[3:] if profile.startswith("lm-") else DEFAULT_VERSION
    for key in ("boot_seconds", "shutdown_seconds", "rate_window"):
        if key in out:
            out[key] = float(out[key])
    for key in ("rate_limit", "vs_count"):
        if key in out:
            out[key] = int(out[key])
    return out


def _unit_factory(
    spec: DeviceSpec, node: NodeSpec, ctx: SimContext, creds: Credentials
) -> SimDevice:
    unit = LoadMasterUnit(
        spec.name,
        ctx,
        node=node.name,
        profile=spec.profile,
        username=creds.lm_user,
        password=creds.lm_password,
        routes=API,
        **_unit_kwargs(spec.options, spec.profile),
    )
    for fault in spec.options.get("faults", ()):
        kind, _, arg = str(fault).partition("=")
        apply_unit_fault(unit, kind, arg or None)
    ctx.bus.subscribe(host_topic(node.name), unit.on_host_event)
    return unit


def _pair_factory(
    spec: PairSpec, lms: tuple[SimDevice, SimDevice], ctx: SimContext, creds: Credentials
) -> SimDevice:
    a, b = lms
    if not isinstance(a, LoadMasterUnit) or not isinstance(b, LoadMasterUnit):
        raise ValueError(f"pair {spec.name}: both LoadMasters must be of kind 'loadmaster'")
    names = (spec.nodes[0].name, spec.nodes[1].name)
    pair = HaPair(spec.name, (a, b), ctx, **pair_options(spec.options, names))
    shared = SharedAddress(pair.shared_name, ctx, pair)
    pair.shared = shared
    return shared


register_kind("loadmaster", _unit_factory)
register_pair_factory(_pair_factory)
