"""Simulated Dell iDRACs (7, 8, 9): Redfish, WS-Man (when its front-end is present), job engine,
host power, outages and faults.  Importing this package registers the device kind "idrac" with
fwupdate.sim.fleet.  See docs/simulator.md.
"""

from __future__ import annotations

import importlib

from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.fleet import Credentials, DeviceSpec, NodeSpec, register_kind
from fwupdate.sim.idrac.device import IdracDevice, set_wsman_handler, wsman_registered
from fwupdate.sim.idrac.profiles import DEFAULT_PROFILE, PROFILES
from fwupdate.sim.idrac.state import IdracState

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "IdracDevice",
    "IdracState",
    "set_wsman_handler",
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


def _load_wsman() -> None:
    """The WS-Man front-end lives in fwupdate.sim.idrac.wsman (its own owner); register it."""
    try:
        mod = importlib.import_module("fwupdate.sim.idrac.wsman")
    except ModuleNotFoundError as exc:
        if exc.name != "fwupdate.sim.idrac.wsman":
            raise
        return
    factory = getattr(mod, "wsman_handler", None)
    if not wsman_registered() and callable(factory):
        set_wsman_handler(factory)


_load_wsman()

# Repository update and virtual media add their Redfish routes when imported (docs/delivery.md).
from fwupdate.sim.idrac import repository as _repository  # noqa: E402, F401
from fwupdate.sim.idrac import virtual_media as _virtual_media  # noqa: E402, F401

if wsman_registered():  # the WS-Man front-end is present: add repository and OS deployment
    from fwupdate.sim.idrac import wsman_osd as _wsman_osd  # noqa: F401
    from fwupdate.sim.idrac import wsman_repository as _wsman_repository  # noqa: F401
