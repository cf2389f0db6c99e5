"""The executor's side of observability: an `Observer` it calls at a few points of the night.

Calls arrive from worker threads (one thread per group at a time).  `group_starting` and
`node_starting` may raise a FwupdateError (a failing pre-hook): the executor then fails that
group before anything changes.  Every other call must never raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    """One lifecycle event, as sinks see it (names: docs/observability.md)."""

    name: str  # run_started, pair_started, node_started, step_started, step_finished,
    #            pair_done, pair_failed, pair_stopped, window_reached, run_finished
    run: str | None = None
    pair: str | None = None
    node: str | None = None
    step: str | None = None
    status: str | None = None
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return {"event": self.name, "run": self.run, "pair": self.pair, "node": self.node,
                "step": self.step, "status": self.status, "message": self.message, **self.data}


class Observer(Protocol):
    def run_started(self, run_id: str, resumed: bool) -> None: ...

    def group_starting(self, group: str) -> None: ...

    def node_starting(self, group: str, node: str, step: str | None = None) -> None: ...

    def step_started(self, group: str, node: str | None, step: str, kind: str) -> None: ...

    def step_finished(self, group: str, node: str | None, step: str, kind: str, ok: bool,
                      versions: dict[str, str] | None = None) -> None: ...

    def group_finished(self, group: str, status: str, step: str | None,
                       error: str | None) -> None: ...

    def group_degraded(self, group: str, reason: str) -> None: ...

    def window_reached(self) -> None: ...

    def run_finished(self, statuses: dict[str, str], interrupted: bool) -> None: ...


class NullObserver:
    """Observes nothing (the default when a run is not observed)."""

    def run_started(self, run_id: str, resumed: bool) -> None:
        pass

    def group_starting(self, group: str) -> None:
        pass

    def node_starting(self, group: str, node: str, step: str | None = None) -> None:
        pass

    def step_started(self, group: str, node: str | None, step: str, kind: str) -> None:
        pass

    def step_finished(self, group: str, node: str | None, step: str, kind: str, ok: bool,
                      versions: dict[str, str] | None = None) -> None:
        pass

    def group_finished(self, group: str, status: str, step: str | None,
                       error: str | None) -> None:
        pass

    def group_degraded(self, group: str, reason: str) -> None:
        pass

    def window_reached(self) -> None:
        pass

    def run_finished(self, statuses: dict[str, str], interrupted: bool) -> None:
        pass


class Sink(Protocol):
    """Receives every event after the dispatcher has decided it (metrics, webhooks, logs)."""

    def handle(self, event: Event) -> None: ...

    def close(self) -> None: ...
