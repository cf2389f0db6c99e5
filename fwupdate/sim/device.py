"""What every simulated device shares: identity, context, and transport-level faults."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fwupdate.sim.bus import Bus
from fwupdate.sim.clock import SimClock
from fwupdate.sim.events import EventLog
from fwupdate.sim.http import Drop, Request, Response
from fwupdate.sim.tls import SimCA


@dataclass
class SimContext:
    """Shared by all devices of one simulator process."""

    clock: SimClock
    events: EventLog
    bus: Bus
    ca: SimCA
    workdir: Path


@dataclass
class TransportFaults:
    """Faults applied by the server before the device sees a request.

    latency: real (wall-clock) seconds added to every request, not time-scaled, so benchmarks can
    model network/BMC latency.  drop_next: that many next requests are answered by closing the
    connection.  drop_every: every n-th request is dropped (0 = never).
    """

    latency: float = 0.0
    drop_next: int = 0
    drop_every: int = 0
    _count: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def should_drop(self) -> bool:
        with self._lock:
            self._count += 1
            if self.drop_next > 0:
                self.drop_next -= 1
                return True
            return bool(self.drop_every and self._count % self.drop_every == 0)


class SimDevice:
    """Base class: subclasses implement `handle` and may override `reachable`."""

    kind: str = "device"

    def __init__(self, name: str, ctx: SimContext, *, profile: str = "", node: str = "") -> None:
        self.name = name
        self.ctx = ctx
        self.profile = profile
        self.node = node or name
        self.transport_faults = TransportFaults()
        self.url = ""  # set by the server once bound
        self.fingerprint = ""
        self.request_count = 0
        # requests by kind ("GET /redfish/v1/...", query dropped; "POST /wsman <Action>"),
        # for tests and benchmarks that count what a run asked of the device
        self.request_kinds: Counter[str] = Counter()
        self.connection_count = 0  # TLS connections accepted (handshake done)
        self._count_lock = threading.Lock()

    def reachable(self) -> bool:
        """False while the device is down (rebooting, reset): connections are dropped."""
        return True

    @property
    def service_tag(self) -> str | None:
        """The machine's service tag where the device has one (iDRACs); unique in a fleet."""
        return None

    def count_request(self, kind: str | None = None) -> None:
        with self._count_lock:
            self.request_count += 1
            if kind is not None:
                self.request_kinds[kind] += 1

    def count_connection(self) -> None:
        with self._count_lock:
            self.connection_count += 1

    def handle(self, request: Request) -> Response | Drop:
        raise NotImplementedError

    def emit(self, event: str, **fields: object) -> None:
        self.ctx.events.emit(self.name, event, **fields)

    def snapshot(self) -> dict[str, Any]:
        """The device's state as plain data for `SimulatedFleet.state_dump` (subclasses add)."""
        return {}
