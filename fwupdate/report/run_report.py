"""The run-report document: a pure function from a run journal to a typed `RunReport`
(report/run_report_doc.py), handed to its readers as the JSON-able dict it always was.

Shape (docs/reports.md, "Run page"; docs/running.md): run_id, status (finished | partial |
failed | interrupted | running: report/run_sessions.top_status), journal_status, resume_hint,
started_by, sessions, interruptions, resumes (report/run_sessions.py), started_at, finished_at,
generated_at, totals, groups (the executor's verdict per pair), nodes (status per node), steps
(journal state, attempts, times, duration, message id, error, outcome), failovers (orderly
handovers of the Active role), failures and remaining (pending or in-flight steps: what is left
for the next night), left_behind (nodes a stopped pair left with the host powered off or a staged
job armed, run/leftover.py)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fwupdate.report import run_sessions
from fwupdate.run.journal import DONE, FAILED, PENDING, SKIPPED, STARTED, Journal, StepRecord

if TYPE_CHECKING:  # the models load msgspec: only when a report is built
    from fwupdate.report.run_report_doc import (
        Failover,
        Failure,
        LeftBehind,
        NodeRecord,
        Remaining,
        RunReport,
        StepEntry,
        Totals,
    )


def _node_status(states: list[str], *, running: bool = True) -> str:
    if states and all(s in (DONE, SKIPPED) for s in states):
        return "done"
    if FAILED in states:
        return "failed"
    if STARTED in states:
        return "in_flight" if running else "interrupted"
    if any(s == DONE for s in states):
        return "partial"
    return "pending"


def _left_detail(data: dict[str, Any]) -> str:
    parts = []
    power = str(data.get("power"))
    if power == "Off":
        parts.append("host powered off")
    elif power != "On":
        parts.append(f"host power {power}" + (f" ({data['error']})" if data.get("error") else ""))
    for a in data.get("armed") or []:
        parts.append(f"staged job {a.get('jid')} ({a.get('name') or 'firmware'}, "
                     f"{a.get('state')}) armed: it applies at the host's next reboot")
    return "; ".join(parts)


def _left_behind(journal: Journal, steps: list[StepRecord], node_status: dict[str, str]
                 ) -> list[LeftBehind]:
    """Per node the last `left-behind` note (run/leftover.py) not overtaken since: a node now
    done, or with a step finished after the note, is not reported as left behind."""
    from fwupdate.report.run_report_doc import LeftBehind

    last: dict[str, Any] = {}
    for e in journal.events(kind="left-behind"):
        last[e.node or ""] = e
    out = []
    for node, e in last.items():
        later = any(s.node == node and s.finished_at and s.finished_at > e.at for s in steps)
        if later or node_status.get(node) == "done":
            continue
        pair = next((s.pair for s in steps if s.node == node), None)
        out.append(LeftBehind(node=node, pair=pair, at=e.at, power=e.data.get("power"),
                              powered_off=e.data.get("power") == "Off",
                              armed_jobs=list(e.data.get("armed") or []),
                              detail=_left_detail(e.data)))
    return out


def build_run_report(
    journal: Journal, *, now: float | None = None, alive: bool | None = None
) -> dict[str, Any]:
    """The run report as the JSON-able dict its readers take (`run_report`'s document)."""
    from fwupdate.report.run_report_doc import as_document

    return as_document(run_report(journal, now=now, alive=alive))


def run_report(
    journal: Journal, *, now: float | None = None, alive: bool | None = None
) -> RunReport:
    """`alive`: whether a process still works on the run (the caller asks the run's lock,
    fwupdate.run.runlock); None trusts the journal's own status."""
    from fwupdate.report.run_report_doc import RunReport

    plan_groups: list[dict[str, Any]] = journal.plan.get("groups", [])
    steps = journal.steps()
    if alive is None:
        alive = journal.status in ("created", "running")
    runs = run_sessions.sessions(journal.events(), started_at=journal.options.get("started_at"),
                                 alive=alive)
    running = runs[-1]["end"] == "running"
    step_records = _step_records(plan_groups, steps)
    nodes = _node_records(plan_groups, steps, running=running)
    verdicts = _group_verdicts(journal, plan_groups, steps, running=running)
    failovers = _failovers(journal, steps)
    remaining = [_remaining(s) for s in step_records if s.state in (PENDING, STARTED, FAILED)]
    planned = {g["name"]: int((g.get("totals") or {}).get("failovers", 0)) for g in plan_groups}
    status = run_sessions.top_status(
        runs[-1]["end"], [str(verdicts[g["name"]]["status"]) for g in plan_groups])
    hint = None
    if status not in ("running", "finished") and (remaining or status == "interrupted"):
        hint = f"fwupdate resume {journal.run_id}"
    fin = journal.meta("finished_at")
    return RunReport(
        run_id=journal.run_id, status=status, journal_status=journal.status, resume_hint=hint,
        started_by={k: runs[0][k] for k in ("at", "pid", "host", "command")},
        sessions=runs, interruptions=run_sessions.interruptions(runs),
        resumes=run_sessions.resumes(runs), started_at=journal.options.get("started_at"),
        finished_at=float(fin) if fin else None,
        # device seconds per real second (a rehearsal against the simulator); durations are
        # real seconds, estimates device seconds (docs/reports.md)
        time_scale=_time_scale(journal.options),
        generated_at=now if now is not None else time.time(),
        totals=_totals(steps, len(failovers), sum(planned.values())),
        groups=[{**verdicts[g["name"]], "planned_failovers": planned[g["name"]],
                 "failovers": sum(1 for f in failovers if f.pair == g["name"])}
                for g in plan_groups],
        nodes=nodes, steps=step_records, failovers=failovers,
        failures=[_failure(s) for s in step_records if s.state == FAILED],
        remaining=remaining, signatures=_signatures(journal.options, journal.plan),
        left_behind=_left_behind(journal, steps, {n.node: n.status for n in nodes}),
    )


def _step_records(plan_groups: list[dict[str, Any]], steps: list[StepRecord]
                  ) -> list[StepEntry]:
    """Each journaled step with what the plan expected of it."""
    from fwupdate.report.run_report_doc import StepEntry

    planned: dict[str, dict[str, Any]] = {}
    for g in plan_groups:
        for s in g.get("steps", []):
            planned[s["id"]] = s
    out = []
    for r in steps:
        p = planned.get(r.step_id, {})
        dur = (r.finished_at - r.started_at) if r.finished_at and r.started_at else None
        out.append(StepEntry(
            step_id=r.step_id, seq=r.seq, node=r.node, pair=r.pair, kind=r.kind, state=r.state,
            attempts=r.attempts, started_at=r.started_at, finished_at=r.finished_at,
            duration_s=round(dur, 3) if dur is not None else None,
            estimated_s=p.get("estimated_seconds"), from_version=p.get("from_version"),
            to_version=p.get("to_version"), component=(p.get("component") or {}).get("name"),
            message_id=r.message_id, error=r.error, outcome=r.outcome,
        ))
    return out


def _node_records(plan_groups: list[dict[str, Any]], steps: list[StepRecord], *,
                  running: bool) -> list[NodeRecord]:
    from fwupdate.report.run_report_doc import NodeRecord

    out = []
    for g in plan_groups:
        for name in g.get("order", []):
            states = [s.state for s in steps if s.node == name]
            out.append(NodeRecord(node=name, pair=None if g.get("standalone") else g["name"],
                                  status=_node_status(states, running=running),
                                  steps=len(states),
                                  done=sum(1 for s in states if s == DONE)))
    return out


def _group_verdicts(journal: Journal, plan_groups: list[dict[str, Any]],
                    steps: list[StepRecord], *, running: bool) -> dict[str, dict[str, Any]]:
    """The executor's verdict per group (its journaled `group` event, keys as it wrote them)."""
    groups: dict[str, dict[str, Any]] = {}
    for e in journal.events(kind="group"):
        groups[e.data["group"]] = {**e.data, "at": e.at}
    for g in plan_groups:
        # no verdict journaled (a crash before it): the group's steps tell
        states = [s.state for s in steps if s.pair == g["name"] or s.node in g.get("order", [])]
        groups.setdefault(g["name"], {"group": g["name"],
                                      "status": _node_status(states, running=running)})
    return groups


def _failovers(journal: Journal, steps: list[StepRecord]) -> list[Failover]:
    from fwupdate.report.run_report_doc import Failover

    pair_of = {s.step_id: s.pair for s in steps}
    return [
        Failover(at=e.at, pair=pair_of.get(e.step_id or ""), from_node=e.node,
                 to=e.data.get("to"), step_id=e.step_id, detail=_failover_detail(e.data))
        for e in journal.events(kind="handover")
    ]


def _failover_detail(note: dict[str, Any]) -> str:
    if note.get("detail"):
        return str(note["detail"])
    return f"found {note['found']}" if note.get("found") else "orderly handover"


def _failure(s: StepEntry) -> Failure:
    from fwupdate.report.run_report_doc import Failure

    return Failure(step_id=s.step_id, node=s.node, pair=s.pair, kind=s.kind,
                   message_id=s.message_id, error=s.error, at=s.finished_at)


def _remaining(s: StepEntry) -> Remaining:
    from fwupdate.report.run_report_doc import Remaining

    return Remaining(step_id=s.step_id, node=s.node, pair=s.pair, kind=s.kind, state=s.state)


def _totals(steps: list[StepRecord], failovers: int, planned_failovers: int) -> Totals:
    from fwupdate.report.run_report_doc import Totals

    def count(state: str) -> int:
        return sum(1 for s in steps if s.state == state)

    return Totals(steps=len(steps), done=count(DONE), failed=count(FAILED),
                  pending=count(PENDING), in_flight=count(STARTED), failovers=failovers,
                  planned_failovers=planned_failovers)


def _signatures(options: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """The run's signature policy (journal), else the plan's options; older runs: unknown."""
    if isinstance(options.get("signatures"), dict):
        return dict(options["signatures"])
    opts = plan.get("options") or {}
    return {
        "policy": opts.get("signatures", "unknown"),
        "allow_unsigned": opts.get("allow_unsigned") == "true",
    }


def signature_line(doc: dict[str, Any]) -> str:
    """One line for the report: the signature policy, loud when unsigned packages were allowed."""
    sig = doc.get("signatures") or {}
    if sig.get("allow_unsigned"):
        return "signatures: UNSIGNED PACKAGES ALLOWED (--allow-unsigned)"
    return f"signatures: {sig.get('policy', 'unknown')}"


def _time_scale(options: Mapping[str, Any]) -> float:
    settings = options.get("settings")
    scale = settings.get("time_scale") if isinstance(settings, Mapping) else None
    return float(scale) if isinstance(scale, int | float) and scale > 0 else 1.0
