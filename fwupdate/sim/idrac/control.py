"""The simulator-only control endpoint of a simulated iDRAC (not part of any real iDRAC API).

So a separate process (a test, a demo script) can steer a device it did not create:
    GET    /sim/state           the device state (JSON of IdracState.to_json + status)
    GET    /sim/fault           active faults
    POST   /sim/fault           {"kind": "busy", "arg": "3"} -> sets one fault (faults.py kinds)
    DELETE /sim/fault           clears every fault
Guarded by the device's own credentials (HTTP Basic).  Like everything else on the device it is
unreachable while the iDRAC is down (use the Python API to clear a never-return fault).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from fwupdate.sim.device import TransportFaults
from fwupdate.sim.http import Request, Response
from fwupdate.sim.idrac.faults import KINDS, FaultSpecError
from fwupdate.sim.idrac.state import IdracState
from fwupdate.sim.routes import RouteTable


class ControlledIdrac(Protocol):
    """What the control endpoint needs of a device (IdracDevice; no import of it, no circle)."""

    state: IdracState
    transport_faults: TransportFaults

    def authenticate_basic(self, request: Request) -> bool: ...

    def set_fault(self, kind: str, arg: str | float | int | None = None) -> None: ...

    def clear_faults(self) -> None: ...


def _status(device: ControlledIdrac) -> dict[str, Any]:
    st = device.state
    lc = st.lc_status()
    tf = device.transport_faults
    return {
        "faults": st.faults.active(),
        "transport": {
            "latency": tf.latency,
            "drop_next": tf.drop_next,
            "drop_every": tf.drop_every,
        },
        "lc_status": {
            "Status": lc.status,
            "LCStatus": lc.lc_status,
            "ServerStatus": lc.server_status,
            "RTStatus": lc.rt_status,
        },
        "sessions": len(st.sessions),
        "reachable": st.reachable(),
    }


ControlHandler = Callable[[ControlledIdrac, Request], Response]
"""A /sim/... handler (the table is CONTROL_ROUTES in fwupdate/sim/idrac/routes.py)."""


def handle(
    device: ControlledIdrac, request: Request, routes: RouteTable[ControlHandler]
) -> Response:
    if not device.authenticate_basic(request):
        return Response(401, b"", {"WWW-Authenticate": 'Basic realm="fwupdate-sim"'})
    path = request.path.rstrip("/")
    found = routes.find(request.method, path)
    if found is None:
        return Response.json(404, {"error": f"unknown control path {path}"})
    if found.handler is None:
        return Response.json(405, {"error": f"use {_either(found.allowed)}"})
    return found.handler(device, request)


def _either(methods: tuple[str, ...]) -> str:
    """("GET", "POST", "DELETE") -> "GET, POST or DELETE"."""
    if len(methods) < 3:
        return " or ".join(methods)
    return f"{', '.join(methods[:-1])} or {methods[-1]}"


def get_state(device: ControlledIdrac, request: Request) -> Response:
    return Response.json(200, {"state": device.state.to_json(), **_status(device)})


def get_faults(device: ControlledIdrac, request: Request) -> Response:
    return Response.json(200, _status(device))


def clear_faults(device: ControlledIdrac, request: Request) -> Response:
    device.clear_faults()
    return Response.json(200, _status(device))


def set_fault(device: ControlledIdrac, request: Request) -> Response:
    try:
        body = request.json()
    except ValueError:
        return Response.json(400, {"error": "body must be JSON"})
    if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
        return Response.json(400, {"error": 'expected {"kind": KIND, "arg": ARG}', "kinds": KINDS})
    arg = body.get("arg")
    try:
        device.set_fault(body["kind"], None if arg is None else str(arg))
    except FaultSpecError as exc:
        return Response.json(400, {"error": str(exc), "kinds": KINDS})
    return Response.json(200, _status(device))
