"""The executor's observer: plan objects in, `fwupdate.observe` calls out.

`RunObserver` is what the executor calls at its few observed points (docs/observability.md);
`build_observer` assembles the sinks a run asked for: JSON events (`--log-format json`),
the metrics file (`--metrics-file`), webhooks and hooks (`[notify]`, `[hooks]`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fwupdate.fleet.models import Fleet
from fwupdate.fleet.observe_sections import ObserveSettings
from fwupdate.observe import jsonlog
from fwupdate.observe.dispatch import Dispatcher, JsonEventSink
from fwupdate.observe.events import NullObserver, Observer, Sink
from fwupdate.plan.models import Plan, Step
from fwupdate.run.journal import DONE, SKIPPED, Journal

if TYPE_CHECKING:
    from fwupdate.observe.metrics import MetricsSeed

LM_COMPONENT = "LoadMaster"


APPLIED_AT_ONCE = ("idrac_update", "firmware_apply_now")


def step_versions(step: Step) -> dict[str, str]:
    """Component -> version a done step leaves installed (staged firmware and the LoadMaster
    count once the node's `verify` has seen them)."""
    if step.kind.value in APPLIED_AT_ONCE and step.component and step.to_version:
        return {step.component.name: step.to_version}
    if step.kind.value == "verify":
        return {(LM_COMPONENT if x.key == "loadmaster" else x.name): x.version
                for x in step.expect}
    return {}


class RunObserver:
    """Adapts the executor's calls (steps, results) to an `Observer`."""

    def __init__(self, target: Observer | None = None, *, resumed: bool = False) -> None:
        self.target: Observer = target or NullObserver()
        self.resumed = resumed

    def run_started(self, run_id: str) -> None:
        self.target.run_started(run_id, self.resumed)

    def group_starting(self, group: str) -> None:
        self.target.group_starting(group)

    def node_starting(self, step: Step) -> None:
        if step.node is not None:
            self.target.node_starting(step.group, step.node, step.step_id)

    def step_started(self, step: Step) -> None:
        self.target.step_started(step.group, step.node, step.step_id, step.kind.value)

    def step_finished(self, step: Step, ok: bool) -> None:
        self.target.step_finished(step.group, step.node, step.step_id, step.kind.value, ok,
                                  step_versions(step) if ok else None)

    def group_finished(self, group: str, status: str, step: str | None,
                       error: str | None) -> None:
        self.target.group_finished(group, status, step, error)

    def group_degraded(self, group: str, reason: str) -> None:
        self.target.group_degraded(group, reason)

    def window_reached(self) -> None:
        self.target.window_reached()

    def run_finished(self, statuses: dict[str, str], interrupted: bool) -> None:
        self.target.run_finished(statuses, interrupted)

    def close(self) -> None:
        close = getattr(self.target, "close", None)
        if close is not None:
            close()


def metrics_seed(plan: Plan, journal: Journal) -> MetricsSeed:
    from fwupdate.observe.metrics import MetricsSeed

    done = {r.step_id for r in journal.steps() if r.state in (DONE, SKIPPED)}
    versions: dict[tuple[str, str], str] = {}
    for g in plan.groups:
        for n in g.nodes:
            for e in n.inventory:
                versions[(n.name, e.name)] = e.version
            if n.loadmaster_version:
                versions[(n.name, LM_COMPONENT)] = n.loadmaster_version
    for s in plan.steps():  # on resume, what is done already
        if s.step_id in done and s.node:
            versions.update({(s.node, c): v for c, v in step_versions(s).items()})
    return MetricsSeed(
        run=journal.run_id,
        pairs={g.name: tuple(n.name for n in g.nodes) for g in plan.groups},
        steps_total={g.name: len(g.steps) for g in plan.groups},
        steps_done={g.name: sum(1 for s in g.steps if s.step_id in done) for g in plan.groups},
        versions=versions,
        pair_status={g.name: "done" for g in plan.groups  # a resume does not run them again
                     if all(s.step_id in done for s in g.steps)},
    )


def build_observer(plan: Plan, fleet: Fleet, journal: Journal, metrics_file: str | None,
                   *, resumed: bool = False) -> RunObserver:
    """The observer a run asked for; a plain RunObserver (observing nothing) when none."""
    sinks: list[Sink] = []
    if jsonlog.json_mode():
        sinks.append(JsonEventSink())
    if metrics_file:
        from fwupdate.observe.metrics import MetricsSink

        sinks.append(MetricsSink(Path(metrics_file), metrics_seed(plan, journal)))
    extras = fleet.observe if isinstance(fleet.observe, ObserveSettings) else None
    if extras is not None and extras.webhooks:
        from fwupdate.observe.notify import WebhookSink

        sinks.append(WebhookSink(extras.webhooks))
    hooks = extras.hooks if extras is not None else None
    if not sinks and (hooks is None or not hooks.any):
        return RunObserver()
    return RunObserver(Dispatcher(sinks, hooks), resumed=resumed)
