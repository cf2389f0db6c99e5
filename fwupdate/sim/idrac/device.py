"""IdracDevice: one simulated iDRAC on its own HTTPS port (Redfish, WS-Man, /sim control).

Requests go: transport faults and outages (server) -> /sim/... control endpoint -> injected 503
`busy` -> /redfish/... (redfish.py) or /wsman (wsman.py), each dispatching through its table in
routes.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.http import Drop, Request, Response
from fwupdate.sim.idrac import control
from fwupdate.sim.idrac.profiles import DEFAULT_PROFILE
from fwupdate.sim.idrac.redfish import RedfishService
from fwupdate.sim.idrac.routes import CONTROL, REDFISH, WSMAN
from fwupdate.sim.idrac.state import IdracState
from fwupdate.sim.idrac.wsman import WSMAN_PATH, WsmanService


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
        self.redfish = RedfishService(self.state, REDFISH)
        self.wsman = WsmanService(self.state, WSMAN)

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
            return control.handle(self, request, CONTROL)
        if self.state.consume_busy():
            return Response.empty(503)
        if path == "/redfish" or path.startswith("/redfish/"):
            return self.redfish.handle(request)
        if path.rstrip("/") == WSMAN_PATH:
            return self.wsman.handle(request)
        return Response.text(404, "Not Found", "text/html")

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
