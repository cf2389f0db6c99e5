"""Simulated Dell iDRACs (7, 8, 9): Redfish, WS-Man, job engine, host power, outages and faults.
Importing this package registers the device kind "idrac" with fwupdate.sim.fleet; the devices'
endpoints are declared in routes.py.  See docs/simulator.md.
"""

from __future__ import annotations

from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.fleet import Credentials, DeviceSpec, NodeSpec, register_kind
from fwupdate.sim.idrac.device import IdracDevice
from fwupdate.sim.idrac.profiles import DEFAULT_PROFILE, PROFILES
from fwupdate.sim.idrac.state import IdracState

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "IdracDevice",
    "IdracState",
]


def _factory(spec: DeviceSpec, node: NodeSpec, ctx: SimContext, creds: Credentials) -> SimDevice:
    return IdracDevice(
        spec.name,
        ctx,
        spec.profile or DEFAULT_PROFILE,
        node=node.name,
        username=creds.idrac_user,
        password=creds.idrac_password,
        options=spec.options,
    )


register_kind("idrac", _factory)
