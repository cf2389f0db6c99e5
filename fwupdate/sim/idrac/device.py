"""IdracDevice: one simulated iDRAC on its own HTTPS port (Redfish, WS-Man, /sim control).

Requests go: transport faults and outages (server) -> /sim/... control endpoint -> injected 503
`busy` -> /redfish/... (redfish.py) or /wsman (the WS-Man front-end registered with
`set_wsman_handler`; 404 while none is registered).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.http import Drop, Request, Response
from fwupdate.sim.idrac import control
from fwupdate.sim.idrac.profiles import DEFAULT_PROFILE
from fwupdate.sim.idrac.redfish import RedfishService
from fwupdate.sim.idrac.state import IdracState

WsmanCallable = Callable[[Request], Response | Drop]
WsmanFactory = Callable[[IdracState], WsmanCallable]
_WSMAN: list[WsmanFactory] = []


def set_wsman_handler(factory: WsmanFactory | None) -> None:
    """Register the WS-Man front-end: `factory(state)` returns the per-device request handler.
    Devices created before the call pick it up on their next /wsman request."""
    _WSMAN[:] = [factory] if factory is not None else []


def wsman_registered() -> bool:
    return bool(_WSMAN)


class IdracDevice(SimDevice):
    kind = "idrac"

    def __init__(
        self,
        name: str,
        ctx: SimContext,
        profile: str = DEFAULT_PROFILE,
        *,
        node: str = "",
        username: str = "root",
        password: str = "calvin",
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(name, ctx, profile=profile, node=node)
        self.state = IdracState(
            name,
            ctx,
            profile,
            node=self.node,
            username=username,
            password=password,
            options=options,
        )
        self.state.transport_hook = self._transport_fault
        self.redfish = RedfishService(self.state)
        self._wsman: tuple[WsmanFactory, WsmanCallable] | None = None

    # --- SimDevice ---------------------------------------------------------------------------

    @property
    def service_tag(self) -> str | None:
        return self.state.service_tag

    def reachable(self) -> bool:
        return self.state.reachable()

    def snapshot(self) -> dict[str, Any]:
        return self.state.snapshot()

    def handle(self, request: Request) -> Response | Drop:
        path = request.path
        if path == "/sim" or path.startswith("/sim/"):
            return control.handle(self, request)
        if self.state.consume_busy():
            return Response.empty(503)
        if path == "/redfish" or path.startswith("/redfish/"):
            return self.redfish.handle(request)
        if path.rstrip("/") == "/wsman":
            handler = self._wsman_handler()
            if handler is None:
                return Response.text(404, "Not Found", "text/html")
            return handler(request)
        return Response.text(404, "Not Found", "text/html")

    def _wsman_handler(self) -> WsmanCallable | None:
        if not _WSMAN:
            return None
        factory = _WSMAN[0]
        if self._wsman is None or self._wsman[0] is not factory:
            self._wsman = (factory, factory(self.state))
        return self._wsman[1]

    # --- faults (tests and the CLI) ----------------------------------------------------------

    def set_fault(self, kind: str, arg: str | float | int | None = None) -> None:
        self.state.set_fault(kind, None if arg is None else str(arg))

    def clear_faults(self) -> None:
        self.state.clear_faults()

    def _transport_fault(self, kind: str, value: float | int) -> None:
        tf = self.transport_faults
        if kind == "latency":
            tf.latency = float(value)
        elif kind == "drop":
            tf.drop_next = int(value)
        elif kind == "drop-every":
            tf.drop_every = int(value)

    def authenticate_basic(self, request: Request) -> bool:
        """Basic credentials check for front-ends (WS-Man)."""
        creds = request.basic_auth()
        return creds is not None and self.state.check_credentials(*creds)
