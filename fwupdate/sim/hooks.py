"""Faults injected on device events: "when event X happens on device D, inject fault F".

The randomized campaign (fwupdate/chaos) arms these so faults land at the moments that matter
(a job created, a host powered off, a LoadMaster going down) rather than at a wall time.  A
hook fires once.  Its action runs on its own thread: the event is emitted while the device
holds its lock, and the fault may target another device.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fwupdate.sim.device import SimDevice
from fwupdate.sim.events import EventLog


class _Fleet(Protocol):
    devices: dict[str, SimDevice]
    shared: dict[str, SimDevice]

    @property
    def events(self) -> EventLog: ...


def inject(fleet: _Fleet, name: str, kind: str, arg: str | None = None) -> None:
    """Set fault `kind` on `name` (an iDRAC, a LoadMaster unit, a node or a pair), as
    `sim serve --fault NAME:KIND[=ARG]` does.  ValueError when nothing fits."""
    from fwupdate.sim.idrac import faults as idrac_faults
    from fwupdate.sim.loadmaster import apply_fault

    if kind in idrac_faults.KINDS:
        dev = fleet.devices.get(name)
        if dev is None or dev.kind != "idrac":
            dev = next((d for d in fleet.devices.values() if d.kind == "idrac" and d.node == name),
                       None)  # fmt: skip
        if dev is None:
            raise ValueError(f"no simulated iDRAC or node {name!r}")
        dev.set_fault(kind, arg)  # type: ignore[attr-defined]
        return
    if not apply_fault(fleet, name, kind, arg):
        raise ValueError(f"unknown fault kind {kind!r}")


@dataclass
class Hook:
    event: str
    device: str | None  # None: any device
    action: Callable[[dict[str, Any]], None]
    match: Mapping[str, Any] = field(default_factory=dict)  # extra fields the record must have
    fired: bool = False


class EventHooks:
    """One-shot hooks on the fleet's event log.  `fired` lists (hook, record seq) in order."""

    def __init__(self, fleet: _Fleet) -> None:
        self.fleet = fleet
        self._hooks: list[Hook] = []
        self._lock = threading.Lock()
        self.fired: list[tuple[Hook, int]] = []
        fleet.events.add_listener(self._on_record)

    def when(self, event: str, device: str | None, action: Callable[[dict[str, Any]], None],
             **match: Any) -> Hook:  # fmt: skip
        hook = Hook(event, device, action, dict(match))
        with self._lock:
            self._hooks.append(hook)
        return hook

    def inject_when(self, event: str, device: str | None, target: str, kind: str,
                    arg: str | None = None, **match: Any) -> Hook:  # fmt: skip
        """When `event` happens on `device`, set fault `kind` on `target`."""

        def act(rec: dict[str, Any]) -> None:
            inject(self.fleet, target, kind, arg)
            self.fleet.events.emit(target, "sim.hook_fired", on_event=event, on_device=device,
                                   on_seq=rec["seq"], fault=kind, arg=arg)  # fmt: skip

        return self.when(event, device, act, **match)

    def _on_record(self, rec: dict[str, Any]) -> None:
        due: list[Hook] = []
        with self._lock:
            for h in self._hooks:
                if h.fired or rec["event"] != h.event:
                    continue
                if h.device is not None and rec["device"] != h.device:
                    continue
                if any(rec.get(k) != v for k, v in h.match.items()):
                    continue
                h.fired = True
                self.fired.append((h, int(rec["seq"])))
                due.append(h)
        for h in due:
            threading.Thread(target=self._run, args=(h, rec), daemon=True,
                             name=f"sim-hook-{h.event}").start()  # fmt: skip

    def _run(self, hook: Hook, rec: dict[str, Any]) -> None:
        """A hook must never take the simulator down: a failure is logged as an event."""
        try:
            hook.action(rec)
        except Exception as exc:
            self.fleet.events.emit(str(rec.get("device")), "sim.hook_failed", on_event=hook.event,
                                   error=str(exc))  # fmt: skip
