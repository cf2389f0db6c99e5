"""The overnight run: groups (HA pairs, standalone nodes) in the plan's schedule order, up to
`concurrency` at a time, the nodes of a pair strictly one after the other, every step journaled
(intent before, outcome after) so a killed run resumes from the devices' truth.

Stops: a failed step stops its group (a failed standby stops the pair before the active unit is
touched); `max_failures` failed groups stop the starting of new ones; the window end defers
groups whose estimate no longer fits and stops pairs in progress at the next node boundary (both
units up, one at the new level); the stop flag (Ctrl-C / SIGTERM) lets every worker finish its
current step."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from fwupdate.errors import DeviceUnreachableError, FwupdateError
from fwupdate.idrac.models import NodeInventory
from fwupdate.plan.drift import check_node
from fwupdate.plan.identity import check_identity, service_tag_of
from fwupdate.plan.models import PairPlan, Plan, Step, StepKind
from fwupdate.run import delivery_steps, endcheck, leftover, steps_idrac, steps_lm, window
from fwupdate.run.context import RunContext
from fwupdate.run.journal import DONE, FAILED, SKIPPED, STARTED, StepRecord
from fwupdate.run.keys import align_inventory
from fwupdate.run.runtime import GroupRuntime

Handler = Callable[[GroupRuntime, Step, bool], dict[str, Any]]

HANDLERS: dict[StepKind, Handler] = {
    StepKind.PAIR_PRECHECK: steps_lm.pair_precheck,
    StepKind.PRECHECK: steps_idrac.precheck,
    StepKind.IDRAC_UPDATE: steps_idrac.idrac_update,
    StepKind.FIRMWARE_APPLY_NOW: steps_idrac.firmware_step,
    StepKind.FIRMWARE_STAGE: steps_idrac.firmware_step,
    StepKind.LM_STAGE: steps_lm.lm_stage,
    StepKind.HOST_REBOOT: steps_idrac.host_reboot,
    StepKind.REPO_UPDATE: delivery_steps.repo_update,  # docs/delivery.md
    StepKind.VMEDIA_UPDATE: delivery_steps.vmedia_update,
    StepKind.CPLD_APPLY: steps_idrac.cpld_apply,  # docs/running.md, "CPLD"
    StepKind.LM_REBOOT: steps_lm.lm_reboot,
    StepKind.VERIFY: steps_idrac.verify,
    StepKind.PAIR_POSTCHECK: steps_lm.pair_postcheck,
}

# group outcomes
G_DONE = "done"
G_FAILED = "failed"
G_STOPPED = "stopped"  # stopped at a safe point: window end or failure budget
G_DEFERRED = "deferred"  # not started: the window (or the failure budget) did not allow it
G_INTERRUPTED = "interrupted"
G_DEGRADED = endcheck.DEGRADED  # every step done, a baseline VS no longer Up at the run's end


@dataclass(frozen=True)
class GroupResult:
    name: str
    status: str
    step: str | None = None
    error: str | None = None
    message_id: str | None = None
    window: bool = False  # deferred or stopped because the window (not the budget) ended


@dataclass(frozen=True)
class RunResult:
    groups: tuple[GroupResult, ...]
    interrupted: bool
    window_spec: str | None = None  # the window the run had (`--window ...` / `--stop-at ...`)

    def count(self, status: str) -> int:
        return sum(1 for g in self.groups if g.status == status)


def journal_steps(plan: Plan) -> list[tuple[str, str | None, str | None, str]]:
    return [(s.step_id, s.node, s.group, s.kind.value) for s in plan.steps()]


def ordered_groups(plan: Plan) -> list[PairPlan]:
    """Groups in the order the plan's schedule starts them (longest first)."""
    pos = {e.group: (e.start_seconds, i) for i, e in enumerate(plan.schedule.entries)}
    return sorted(plan.groups, key=lambda g: pos.get(g.name, (1 << 62, 0)))


class Executor:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._failures = 0
        self._lock = threading.Lock()

    # --- budget, window ------------------------------------------------------------------------

    def _budget_exceeded(self) -> bool:
        limit = self.ctx.settings.max_failures
        with self._lock:
            return limit is not None and self._failures > limit

    @staticmethod
    def _remaining_estimate(steps: Iterable[Step], states: dict[str, StepRecord]) -> float:
        """Device seconds of the steps not done yet."""
        return float(sum(s.estimated_seconds for s in steps
                         if states[s.step_id].state not in (DONE, SKIPPED)))

    def _fits(self, device_seconds: float) -> bool:
        return window.fits(self.ctx.settings, device_seconds)

    def _window_over(self) -> bool:
        end = self.ctx.settings.window_end
        over = end is not None and time.time() >= end
        if over:
            self.ctx.observer.window_reached()
        return over

    def _window_stop(self, group: PairPlan, step: Step, rec: StepRecord,
                     new_node: bool) -> str | None:
        """Before a node's first step and before every step that takes it down: does the
        node's remaining estimate still fit the window?  The reason to stop, else None.  A
        step the device may already be acting on (notes journaled) is finished instead."""
        end = self.ctx.settings.window_end
        if end is None or step.node is None or not (new_node or window.node_down(step)):
            return None
        if window.touched(self.ctx.journal, rec):
            return None
        states = {r.step_id: r for r in self.ctx.journal.steps(node=step.node)}
        node_steps = [s for s in group.steps if s.step_id in states]
        need = self._remaining_estimate(node_steps, states)
        if self._fits(need):
            return None
        return window.stop_reason(step, need, self.ctx.settings.real(need),
                                  max(0.0, end - time.time()), states)

    # --- run ------------------------------------------------------------------------------------

    def run(self) -> RunResult:
        groups = ordered_groups(self.ctx.plan)
        results: dict[str, GroupResult] = {}
        workers = max(1, min(self.ctx.settings.concurrency, len(groups) or 1))
        self.ctx.observer.run_started(self.ctx.journal.run_id)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fwupdate-run") as pool:
            futures = {g.name: pool.submit(self._run_group_safe, g) for g in groups}
            for name, fut in futures.items():
                results[name] = fut.result()
        if not self.ctx.stop.is_set():
            endcheck.note_start(self.ctx.journal, [g.name for g in groups
                                                   if self._to_confirm(g, results[g.name])])
        ordered = tuple(self._confirm_done(g, results[g.name]) for g in groups)
        self._window_over()  # the observer hears of a window that ended during the last steps
        self.ctx.observer.run_finished({g.name: g.status for g in ordered}, self.ctx.stop.is_set())
        return RunResult(ordered, interrupted=self.ctx.stop.is_set(),
                         window_spec=self.ctx.settings.window_spec)

    def _record_group(self, res: GroupResult) -> GroupResult:
        self.ctx.journal.record(None, None, "group", {
            "group": res.name, "status": res.status, "step": res.step, "error": res.error,
            "message_id": res.message_id, "window": res.window,
        })
        self.ctx.progress(res.name, f"{res.status}" + (f": {res.error}" if res.error else ""))
        self.ctx.observer.group_finished(res.name, res.status, res.step, res.error)
        return res

    def _to_confirm(self, group: PairPlan, res: GroupResult) -> bool:
        """A pair whose services the run's end reads again (not when stopping: the resume
        does)."""
        return res.status == G_DONE and not group.standalone and not self.ctx.stop.is_set()

    def _confirm_done(self, group: PairPlan, res: GroupResult) -> GroupResult:
        """The run's end: a pair about to be reported done has its baseline Virtual Services
        read again (run/endcheck.py); one no longer Up makes it `degraded`.  A pair an earlier
        process degraded is `done` again once they are Up.  Skipped when stopping (Ctrl-C):
        the resume reads them."""
        if not self._to_confirm(group, res):
            return res
        try:
            rt = GroupRuntime(self.ctx, group)
            try:
                lost = endcheck.services_lost(rt)
            finally:
                rt.close()
        except FwupdateError as exc:
            lost = [f"the Virtual Services could not be read again ({exc.message})"]
        j = self.ctx.journal
        if lost:
            reason = endcheck.degraded_reason(lost, endcheck.finished_at(j, group.name))
            degraded = GroupResult(group.name, G_DEGRADED, error=reason)
            j.record(None, None, "group", {"group": group.name, "status": G_DEGRADED,
                                           "step": None, "error": reason, "message_id": None,
                                           "window": False, "services_lost": lost})
            self.ctx.progress(group.name, f"{G_DEGRADED}: {reason}")
            self.ctx.observer.group_degraded(group.name, reason)
            return degraded
        if endcheck.last_status(j, group.name) == G_DEGRADED:  # Up again since: done again
            return self._record_group(res)
        return res

    def _run_group_safe(self, group: PairPlan) -> GroupResult:
        try:
            return self._run_group(group)
        except Exception as exc:  # a bug must not take the other pairs down
            if isinstance(exc, FwupdateError):
                err, mid = str(exc), exc.message_id
            else:
                err, mid = f"internal error: {type(exc).__name__}: {exc}", None
            with self._lock:
                self._failures += 1
            return self._record_group(GroupResult(group.name, G_FAILED, None, err, mid))

    def _run_group(self, group: PairPlan) -> GroupResult:
        j = self.ctx.journal
        states = {r.step_id: r for r in j.steps(group=group.name)}
        if all(states[s.step_id].state in (DONE, SKIPPED) for s in group.steps):
            return GroupResult(group.name, G_DONE)
        if self.ctx.stop.is_set():
            return self._record_group(GroupResult(group.name, G_INTERRUPTED))
        if self._budget_exceeded():
            return self._not_started(group, GroupResult(
                group.name, G_DEFERRED,
                error="not started: failure budget (--max-failures) used up"))
        started = any(states[s.step_id].state != "pending" for s in group.steps)
        if not started and not self._fits(self._remaining_estimate(group.steps, states)):
            return self._not_started(group, GroupResult(
                group.name, G_DEFERRED, error="not started: its estimate does not fit the window",
                window=True))
        self.ctx.observer.group_starting(group.name)  # a failing pre-hook raises: nothing changed
        rt = GroupRuntime(self.ctx, group)
        try:
            res = self._steps(rt, group)
            # a host left off, a job left armed: the report says so (an interrupted group is
            # resumed from where it stopped instead)
            if res.status in (G_FAILED, G_STOPPED):
                leftover.record_left_behind(rt, group)
            return res
        finally:
            rt.close()

    def _not_started(self, group: PairPlan, res: GroupResult) -> GroupResult:
        """A deferred group changes nothing, but its nodes may carry what an earlier run (a
        lost journal) left: read them, so the report names a host off or a job armed."""
        try:
            rt = GroupRuntime(self.ctx, group)
            try:
                leftover.record_left_behind(rt, group)
            finally:
                rt.close()
        except FwupdateError as exc:  # the deferral stands; the survey is best effort
            self.ctx.progress(group.name, f"could not read its nodes: {exc}")
        return self._record_group(res)

    def _steps(self, rt: GroupRuntime, group: PairPlan) -> GroupResult:
        j = self.ctx.journal
        checked: set[str] = set()  # nodes whose drift check ran
        first = True
        prev_node: str | None = None
        for step in group.steps:
            rec = j.step(step.step_id)
            if rec.state in (DONE, SKIPPED):
                prev_node = step.node or prev_node
                continue
            new_node = step.node is not None and step.node != prev_node
            stop = self._stop_before(group, step, rec, prev_node, new_node)
            if stop is not None:
                if stop.window:  # started by a killed process, never acted on: not in flight
                    j.release(step.step_id, stop.error or "window")
                return self._record_group(stop)
            if new_node:
                self.ctx.observer.node_starting(step)  # pre-node hook: before anything changes
            resume = rec.state in (STARTED, FAILED)
            j.intent(step.step_id, {"kind": step.kind.value, "resume": resume,
                                    "to_version": step.to_version})
            t0 = time.monotonic()
            refused = self._gate(rt, group, step, checked, first=first)
            first = False
            if refused is None:
                refused = self._run_step(rt, group, step, resume, t0)
            if refused is not None:
                return refused
            prev_node = step.node or prev_node
        return self._record_group(GroupResult(group.name, G_DONE))

    def _stop_before(self, group: PairPlan, step: Step, rec: StepRecord, prev_node: str | None,
                     new_node: bool) -> GroupResult | None:
        """Stop requested, or the window over: the group stops before `step`."""
        if self.ctx.stop.is_set():
            return GroupResult(group.name, G_INTERRUPTED, step.step_id)
        if new_node and prev_node is not None and self._window_over() \
                and not window.touched(self.ctx.journal, rec):
            return GroupResult(
                group.name, G_STOPPED, step.step_id,
                f"window ended: stopped before {step.node} ({prev_node} is done)", window=True)
        late = self._window_stop(group, step, rec, new_node)
        if late:
            return GroupResult(group.name, G_STOPPED, step.step_id, late, window=True)
        return None

    def _gate(self, rt: GroupRuntime, group: PairPlan, step: Step, checked: set[str], *,
              first: bool) -> GroupResult | None:
        """The group's first step here: the planned machines?  A node's first: its drift check
        (part of starting the node, and timed with its first step).  A refusal, or None."""
        if first:
            reasons = self._identities(rt, group, step)
            if reasons:
                return self._refuse(group, step, reasons)
            steps_lm.reconcile_failover(rt, step)  # the journal may have lost a handover
        if step.node is not None and step.node not in checked:
            checked.add(step.node)
            reasons = self._drift(rt, step)
            if reasons:
                return self._refuse(group, step, reasons)
        return None

    def _run_step(self, rt: GroupRuntime, group: PairPlan, step: Step, resume: bool,
                  t0: float) -> GroupResult | None:
        """Run one step's handler and journal its outcome; the group's failure, or None."""
        j = self.ctx.journal
        self.ctx.observer.step_started(step)
        rt.say(step, f"{step.kind.value}" + (" (resume)" if resume else ""))
        rt.current = step
        try:
            if resume:
                steps_idrac.resume_power(rt, step)
                steps_lm.resume_rollback(rt, step)
            out = HANDLERS[step.kind](rt, step, resume)
        except FwupdateError as exc:
            rt.after_step(step, ok=False)
            j.outcome(step.step_id, ok=False, error=str(exc), message_id=exc.message_id,
                      data={"seconds": round(time.monotonic() - t0, 3)})
            self.ctx.observer.step_finished(step, ok=False)
            with self._lock:
                self._failures += 1
            return self._record_group(GroupResult(
                group.name, G_FAILED, step.step_id, str(exc), exc.message_id))
        rt.after_step(step, ok=True)
        out["seconds"] = round(time.monotonic() - t0, 3)
        j.outcome(step.step_id, ok=True, data=out)
        self.ctx.observer.step_finished(step, ok=True)
        return None

    def _refuse(self, group: PairPlan, step: Step, reasons: tuple[str, ...]) -> GroupResult:
        """Fail the group before `step` sends anything: a node is not what the plan expects."""
        self.ctx.journal.outcome(step.step_id, ok=False, error="; ".join(reasons))
        with self._lock:
            self._failures += 1
        return self._record_group(GroupResult(
            group.name, G_FAILED, step.step_id,
            "node no longer matches the plan: " + "; ".join(reasons)))

    def _identities(self, rt: GroupRuntime, group: PairPlan, step: Step) -> tuple[str, ...]:
        """Before any step of the group (pair steps too): the service tag behind each iDRAC URL
        of its unfinished nodes must be the planned one, so that a swapped URL in the fleet file
        never reaches another pair's host (plan/identity.py)."""
        states = {r.step_id: r.state for r in self.ctx.journal.steps(group=group.name)}
        todo = {s.node for s in group.steps if s.node and states[s.step_id] not in (DONE, SKIPPED)}
        found = (self._identity(rt, n, step, None) for n in group.order if n in todo)
        return tuple(r for r in found if r)

    def _identity(
        self, rt: GroupRuntime, node: str, step: Step, live: NodeInventory | None
    ) -> str | None:
        """One node's identity check: its tag from `live` (the drift read) or read now; the
        reason it is the wrong machine, or None (as planned, skipped, or unreadable now — the
        node's own first step then reads the device again)."""
        j = self.ctx.journal
        if self.ctx.plan.node(node).service_tag is None:
            res = check_identity(self.ctx.plan, node, None)
        else:
            try:
                tag = service_tag_of(live) if live is not None else rt.idrac(node).service_tag()
            except FwupdateError as exc:
                rt.say(step, f"{node}: service tag unreadable now ({exc})")
                return None
            res = check_identity(self.ctx.plan, node, tag)
        j.record(node, step.step_id, "identity-check", {
            "ok": res.ok, "skipped": res.skipped, "expected": res.expected, "found": res.found})
        if res.skipped or not res.ok:
            rt.say(step, res.line)
        return None if res.ok else res.line

    def _answering(self, rt: GroupRuntime, step: Step) -> NodeInventory | None:
        """An iDRAC that does not answer before its node's first step may be restarting (after
        its own update, sent by a killed run: chaos seed 9091 --intensity 4 nights 43 and 56,
        where the step gave up after the transport's 3 attempts, 6 device seconds, against a
        restart of 120): wait for it, up to the iDRAC restart timeout, with fresh sessions; its
        inventory once it answers, None if it never did (the step then finds it down)."""
        node = step.node or ""
        rt.say(step, "the iDRAC does not answer; waiting for it (it may be restarting)")
        try:
            return self.ctx.wait_for(
                "the iDRAC answering", lambda: rt.fresh_idrac(node).inventory(),
                timeout=self.ctx.timing.idrac_up_timeout, host=node, step=step.step_id,
                tolerate=(DeviceUnreachableError,))
        except FwupdateError as exc:
            rt.say(step, f"inventory unreadable before the node ({exc})")
            return None

    def _drift(self, rt: GroupRuntime, step: Step) -> tuple[str, ...]:
        node = step.node or ""
        live = None
        for _attempt in range(3):
            try:
                live = rt.idrac(node).inventory()
            except DeviceUnreachableError as exc:
                rt.say(step, f"inventory unreadable before the node ({exc})")
                live = self._answering(rt, step)
                if live is None:  # it never answered in the whole wait: not waited out again
                    break
            except FwupdateError as exc:
                rt.say(step, f"inventory unreadable before the node ({exc})")
                live = None
            if live is not None and live.ok:
                rt.remember_inventory(node, live)
                break
            # a member that vanished mid-read (an Available entry consumed by a finishing job),
            # an iDRAC mid-reset on resume: read again, then let the step look for itself
            self.ctx.pause()
        if live and live.system and self.ctx.plan.node(node).service_tag:
            wrong = self._identity(rt, node, step, live)  # the same machine still?
            if wrong:
                return (wrong,)
        if live is None or not live.ok:
            rt.say(step, "inventory still incomplete; the step checks the device itself")
            return ()
        planned = {e.key for e in self.ctx.plan.node(node).inventory}
        reasons = check_node(self.ctx.plan, node, align_inventory(live, planned))
        self.ctx.journal.record(node, step.step_id, "drift-check",
                                {"ok": not reasons, "reasons": list(reasons)})
        return reasons
