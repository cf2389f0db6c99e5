"""The dispatcher: turns the executor's calls into Events, runs hooks, feeds the sinks.

A sink that fails is logged and dropped from nothing: the next event is tried again; its
failure never reaches the executor (a notification failure never fails the night).  Only a
failing pre-hook raises (HookError), from `group_starting` / `node_starting`.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from fwupdate.fleet.observe_models import Hooks
from fwupdate.logsafe import redact
from fwupdate.observe import context, jsonlog
from fwupdate.observe.events import Event, Sink
from fwupdate.observe.hooks import run_point

log = logging.getLogger("fwupdate.observe")


class JsonEventSink:
    """`--log-format json`: each lifecycle event as a JSON line on stderr."""

    def handle(self, event: Event) -> None:
        level = "error" if event.name in ("pair_failed", "pair_degraded") else "info"
        fields = event.fields()
        fields.pop("event")
        message = fields.pop("message") or event.name.replace("_", " ")
        jsonlog.emit(level, event.name, message, **fields)

    def close(self) -> None:
        pass


class Dispatcher:
    def __init__(self, sinks: list[Sink] | None = None, hooks: Hooks | None = None) -> None:
        self.sinks: list[Sink] = list(sinks or [])
        self.hooks = hooks or Hooks()
        self.run: str | None = None
        self._lock = threading.Lock()
        self._started: set[str] = set()
        self._node: dict[str, str] = {}
        self._window = False
        self._closed = False

    # --- plumbing ---------------------------------------------------------------------------

    def _send(self, event: Event) -> None:
        for sink in self.sinks:
            try:
                sink.handle(event)
            except Exception as exc:  # never fail the night for an observer
                log.warning("%s: %s not recorded by %s: %s", event.pair or "run", event.name,
                            type(sink).__name__, redact(f"{type(exc).__name__}: {exc}"))

    def _event(self, name: str, **kw: object) -> None:
        self._send(Event(name, run=self.run, **kw))  # type: ignore[arg-type]

    # --- the executor's calls ---------------------------------------------------------------

    def run_started(self, run_id: str, resumed: bool) -> None:
        self.run = run_id
        context.set_run(run_id)
        self._event("run_started", status="running", data={"resumed": resumed})

    def group_starting(self, group: str) -> None:
        context.set_where(pair=group)
        run_point(self.hooks, "pre_pair", run=self.run, pair=group, node=None)
        with self._lock:
            self._started.add(group)
        self._event("pair_started", pair=group, status="running")

    def node_starting(self, group: str, node: str, step: str | None = None) -> None:
        with self._lock:
            previous = self._node.get(group)
        if previous is not None and previous != node:
            run_point(self.hooks, "post_node", run=self.run, pair=group, node=previous,
                      status="done")
        context.set_where(pair=group, node=node)
        run_point(self.hooks, "pre_node", run=self.run, pair=group, node=node, step=step)
        with self._lock:
            self._node[group] = node
        self._event("node_started", pair=group, node=node, step=step)

    def step_started(self, group: str, node: str | None, step: str, kind: str) -> None:
        context.set_where(pair=group, node=node, step=step)
        self._event("step_started", pair=group, node=node, step=step, data={"kind": kind})

    def step_finished(self, group: str, node: str | None, step: str, kind: str, ok: bool,
                      versions: dict[str, str] | None = None) -> None:
        self._event("step_finished", pair=group, node=node, step=step,
                    status="done" if ok else "failed",
                    data={"kind": kind, "versions": dict(versions or {})})
        context.set_where(pair=group, node=node)

    def group_finished(self, group: str, status: str, step: str | None,
                       error: str | None) -> None:
        with self._lock:
            started = group in self._started
            node = self._node.pop(group, None)
        if started and node is not None:
            run_point(self.hooks, "post_node", run=self.run, pair=group, node=node,
                      status=status)
        if started:
            run_point(self.hooks, "post_pair", run=self.run, pair=group, node=None,
                      status=status)
        self._event(f"pair_{status}", pair=group, step=step, status=status,
                    message=error or "")
        context.set_where()

    def group_degraded(self, group: str, reason: str) -> None:
        """At the run's end, a pair reported done earlier lost a baseline Virtual Service
        (run/endcheck.py): an event, no hook (its post_pair ran when it finished)."""
        self._event("pair_degraded", pair=group, status="degraded", message=reason)

    def window_reached(self) -> None:
        with self._lock:
            first, self._window = not self._window, True
        if first:
            self._event("window_reached", message="the maintenance window has ended")

    def run_finished(self, statuses: dict[str, str], interrupted: bool) -> None:
        counts = Counter(statuses.values())
        status = "interrupted" if interrupted else "finished"
        summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        self._event("run_finished", status=status, message=summary,
                    data={"pairs": dict(sorted(statuses.items()))})
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as exc:
                log.warning("run: closing %s: %s", type(sink).__name__,
                            redact(f"{type(exc).__name__}: {exc}"))
