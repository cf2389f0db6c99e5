"""The night's invariants I1-I8, each decided from raw evidence only (docs/guarantees.md).

Every function takes the Evidence and returns one Verdict; no function calls executor code or
trusts the executor's own account where the device can be asked (the report is judged, not
believed).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fwupdate.catalog.versions import compare_versions, same_version
from fwupdate.check import facts
from fwupdate.check.facts import cite
from fwupdate.check.models import Evidence, Verdict, Violation
from fwupdate.check.stepping import skipped_stone
from fwupdate.plan.models import Impact, StepKind

DONE = "done"
TERMINAL_JOB_STATES = frozenset(
    {"Completed", "CompletedWithErrors", "Failed", "RebootCompleted", "RebootFailed"}
)
FIRMWARE_KINDS = frozenset(
    {StepKind.IDRAC_UPDATE, StepKind.FIRMWARE_APPLY_NOW, StepKind.FIRMWARE_STAGE,
     StepKind.CPLD_APPLY}
)  # fmt: skip
CLAIMS_SUCCESS = frozenset({"finished", "done", "ok", "success", "succeeded"})


# --- I1 -----------------------------------------------------------------------------------------


def i1_always_serving(ev: Evidence) -> Verdict:
    out: list[Violation] = []
    names = facts.pairs(ev)
    for pair in names:
        recs = [r for r in facts.records(ev, "lm.availability") if r.get("pair") == pair]
        for i, r in enumerate(recs):
            if r.get("serving"):
                continue
            end = recs[i + 1] if i + 1 < len(recs) else None
            until = f"t={end['t']} (seq {end['seq']})" if end else "the end of the night"
            out.append(Violation("I1", pair, f"no Active unit serving from t={r['t']} to "
                                 f"{until} ({r.get('state')})",
                                 (cite(r, "state", "cause", "units"),)))  # fmt: skip
    return Verdict("I1", len(names), tuple(out))


# --- I2 -----------------------------------------------------------------------------------------


def i2_virtual_services(ev: Evidence) -> Verdict:
    out: list[Violation] = []
    status = facts.report_group_status(ev)
    checked = 0
    for pair in facts.pairs(ev):
        if status.get(pair) != DONE:
            continue
        recs = [r for r in facts.records(ev, "lm.vs_status") if r.get("pair") == pair]
        if not recs:
            out.append(Violation("I2", pair, "reported done but the event log has no "
                                 "lm.vs_status baseline for it"))  # fmt: skip
            continue
        checked += 1
        start = ev.night_start if ev.night_start is not None else facts.run_created(ev)
        before = [r for r in recs if facts.wall_epoch(r) <= start]
        base_rec = before[-1] if before else recs[0]
        baseline = set(base_rec.get("up") or [])
        final_doc = (ev.sim_state.get("pairs") or {}).get(pair)
        final = set(final_doc.get("vs_up") or []) if final_doc else set(recs[-1].get("up") or [])
        lost = sorted(baseline - final)
        if lost:
            out.append(Violation("I2", pair, f"reported done but Virtual Service(s) "
                                 f"{', '.join(lost)} Up in the baseline are not Up after the "
                                 "night", (f"baseline {cite(base_rec, 'up')}",
                                           f"last {cite(recs[-1], 'up', 'down')}")))  # fmt: skip
    return Verdict("I2", checked, tuple(out))


# --- I3 -----------------------------------------------------------------------------------------


def _flash_key(r: dict[str, Any]) -> tuple[str, str, str]:
    return (str(r.get("device")), str(r.get("component_id") or r.get("component")),
            str(r.get("to_version")))  # fmt: skip


def _flashed_twice(ev: Evidence) -> tuple[list[Violation], dict[tuple[str, str, str], int]]:
    by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in facts.records(ev, "flashed"):
        by_key[_flash_key(r)].append(r)
    out = [
        Violation("I3", k[0], f"component {rs[0].get('component')} flashed {len(rs)} times to "
                  f"{k[2]}", tuple(cite(r, "job", "from_version", "to_version") for r in rs))
        for k, rs in by_key.items() if len(rs) > 1
    ]  # fmt: skip
    return out, {k: len(v) for k, v in by_key.items()}


def _duplicate_jobs(ev: Evidence) -> list[Violation]:
    """A job for (device, component, version) while an earlier one is unfinished or completed."""
    state: dict[tuple[str, str], str] = {}  # (device, job) -> last state
    jobs_for: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    out: list[Violation] = []
    for r in ev.sim_events:
        kind, dev = r.get("event"), str(r.get("device"))
        if kind == "job_state":
            state[(dev, str(r.get("job")))] = str(r.get("state"))
        elif kind == "job_deleted":
            state[(dev, str(r.get("job")))] = "Deleted"
        elif kind == "job_queue_cleared":
            for jid in r.get("jobs") or []:
                state[(dev, str(jid))] = "Deleted"
        elif kind == "job_target":
            key = _flash_key(r)
            live = [p for p in jobs_for[key]
                    if state.get((dev, str(p.get("job"))), "New") not in
                    (TERMINAL_JOB_STATES - {"Completed"}) | {"Deleted"}]  # fmt: skip
            if live:
                out.append(Violation("I3", dev, f"duplicate job for {r.get('component')} "
                                     f"{r.get('to_version')}: {live[-1].get('job')} was "
                                     f"{state.get((dev, str(live[-1].get('job'))), 'New')}",
                                     (cite(live[-1], "job"), cite(r, "job"))))  # fmt: skip
            jobs_for[key].append(r)
    return out


def _force_same(ev: Evidence, counts: dict[tuple[str, str, str], int]) -> list[Violation]:
    """A planned re-flash of the same version (force_same_version), journaled done: once."""
    devs = facts.node_devices(ev)
    done = {str(s["step_id"]) for s in ev.journal.steps if s.get("state") == DONE}
    out: list[Violation] = []
    for s in ev.plan.steps():
        if (s.kind not in FIRMWARE_KINDS or s.step_id not in done or s.component is None
                or not s.from_version or not s.to_version
                or not same_version(s.from_version, s.to_version)):  # fmt: skip
            continue
        nd = devs.get(s.node or "")
        cid = s.component.component_id or s.component.name
        n = counts.get((str(nd.idrac if nd else None), str(cid), s.to_version), 0)
        if n != 1:
            out.append(Violation("I3", s.node or s.group, f"force-same step {s.step_id} done "
                                 f"but flashed {n} times (exactly once expected)"))  # fmt: skip
    return out


def i3_flashed_once(ev: Evidence) -> Verdict:
    twice, counts = _flashed_twice(ev)
    out = twice + _duplicate_jobs(ev) + _force_same(ev, counts)
    checked = len(facts.records(ev, "flashed")) + len(facts.records(ev, "job_target"))
    return Verdict("I3", checked, tuple(out))


# --- I4 -----------------------------------------------------------------------------------------

_DOWN_RESETS = frozenset(
    {"GracefulShutdown", "ForceOff", "ForceRestart", "GracefulRestart", "PowerCycle",
     "PushPowerButton"}
)  # fmt: skip


def _is_down(r: dict[str, Any]) -> bool:
    kind = r.get("event")
    if kind in ("lm.stopping", "lm.down"):
        return True
    if kind == "host_reset_requested":
        return r.get("reset_type") in _DOWN_RESETS and r.get("power") == "On"
    return kind == "host_power" and r.get("state") in ("off", "reset")


def _down_starts(ev: Evidence) -> list[tuple[str, dict[str, Any]]]:
    """(node, first event) of every episode in which a node went down."""
    owner: dict[str, str] = {}
    for node, nd in facts.node_devices(ev).items():
        for name in (nd.idrac, nd.lm):
            if name:
                owner[name] = node
    down: dict[str, bool] = defaultdict(bool)
    starts: list[tuple[str, dict[str, Any]]] = []
    for r in ev.sim_events:
        who = owner.get(str(r.get("device")))
        if who is None:
            continue
        node = who
        if _is_down(r):
            if not down[node]:
                starts.append((node, r))
            down[node] = True
        elif r.get("event") in ("host_up", "lm.up"):
            down[node] = False
    return starts


def _step_at(ev: Evidence, node: str, at: float) -> str | None:
    """The node's step whose intent was journaled last before `at` (epoch seconds)."""
    best: tuple[float, str] | None = None
    for e in ev.journal.events:
        if e.get("kind") != "intent" or e.get("node") != node or e.get("at") is None:
            continue
        t = float(e["at"])
        if t <= at and (best is None or t >= best[0]):
            best = (t, str(e.get("step_id")))
    return best[1] if best else None


def i4_window(ev: Evidence) -> Verdict:
    if facts.window_end(ev) is None:
        return Verdict("I4", 0)
    scale = facts.time_scale(ev)
    out: list[Violation] = []
    starts = _down_starts(ev)
    for node, r in starts:
        at = facts.wall_epoch(r)
        end = facts.window_end(ev, at)
        if end is None:
            continue
        sid = _step_at(ev, node, at)
        step = facts.plan_step(ev, sid) if sid else None
        if step is None:
            estimate = max((s.estimated_seconds for s in ev.plan.node_steps(node)
                            if Impact.HOST_REBOOT in s.impact), default=0)  # fmt: skip
        else:
            estimate = step.estimated_seconds
        latest = end - estimate / scale
        if at > latest:
            out.append(Violation("I4", node, f"went down {at - latest:.1f} s after the last safe "
                                 f"start (window end {end:.1f} minus {estimate} s estimate / "
                                 f"{scale:g}) in step {sid}",
                                 (cite(r, "reset_type", "state"),)))  # fmt: skip
    return Verdict("I4", len(starts), tuple(out))


# --- I5 -----------------------------------------------------------------------------------------


def _targets(ev: Evidence, node: str) -> list[tuple[str, str, str]]:
    """(key, name, version) the plan wants installed on `node` at the end."""
    steps = ev.plan.node_steps(node)
    for s in steps:
        if s.kind is StepKind.VERIFY and s.expect:
            return [(x.key, x.name, x.version) for x in s.expect]
    want: dict[str, tuple[str, str, str]] = {}
    for s in steps:
        if s.kind is StepKind.LM_STAGE and s.to_version:
            want["loadmaster"] = ("loadmaster", "LoadMaster", s.to_version)
        elif s.component is not None and s.to_version and s.component.component_id:
            key = f"id:{s.component.component_id}"
            want[key] = (key, s.component.name, s.to_version)
    return list(want.values())


def _installed(dev: dict[str, Any], key: str, name: str) -> list[str]:
    comps = dev.get("components") or []
    head = key.split("@")[0]
    if head.startswith("id:"):
        cid = head.removeprefix("id:")
        return [str(c["version"]) for c in comps if str(c.get("component_id")) == cid]
    want = facts.norm_name(head.removeprefix("name:") or name)
    return [str(c["version"]) for c in comps
            if facts.norm_name(str(c.get("name"))).startswith(want)]  # fmt: skip


def i5_at_target(ev: Evidence) -> Verdict:
    devs = facts.node_devices(ev)
    out: list[Violation] = []
    checked = 0
    for node, status in facts.report_node_status(ev).items():
        if status != DONE:
            continue
        nd = devs.get(node)
        for key, name, version in _targets(ev, node):
            checked += 1
            if key == "loadmaster":
                have = [str(facts.device(ev, nd.lm if nd else None).get("version"))]
            else:
                have = _installed(facts.device(ev, nd.idrac if nd else None), key, name)
            if not have or not all(same_version(h, version) for h in have):
                dev = (nd.lm if key == "loadmaster" else nd.idrac) if nd else None
                out.append(Violation("I5", node, f"reported done but {name} is "
                                     f"{', '.join(have) or 'not found'} on the device, plan "
                                     f"target {version}",
                                     (f"state dump {dev} {key}={', '.join(have) or '-'}",)))
    return Verdict("I5", checked, tuple(out))


# --- I6 -----------------------------------------------------------------------------------------


def _gen7(ev: Evidence, name: str) -> bool:
    return "idrac7" in str(facts.device(ev, name).get("profile", ""))


def i6_stepping_stones(ev: Evidence) -> Verdict:
    out: list[Violation] = []
    checked = 0
    for r in ev.sim_events:
        kind = r.get("event")
        if kind not in ("component_version", "job_target") or r.get("component") != "idrac":
            continue
        if not _gen7(ev, str(r.get("device"))):
            continue
        checked += 1
        old, new = str(r.get("from_version")), str(r.get("to_version"))
        if compare_versions(new, old) <= 0:
            continue
        stone = skipped_stone(old, new)
        if stone is None:
            continue
        what = "went" if kind == "component_version" else "was sent an image"
        out.append(Violation("I6", str(r.get("device")), f"iDRAC {what} from {old} to {new}, "
                             f"skipping the stepping stone {stone}",
                             (cite(r, "job", "from_version", "to_version"),)))  # fmt: skip
    return Verdict("I6", checked, tuple(out))


# --- I7 -----------------------------------------------------------------------------------------


def i7_nothing_left_behind(ev: Evidence) -> Verdict:
    out: list[Violation] = []
    checked = 0
    for node, nd in sorted(facts.node_devices(ev).items()):
        if nd.idrac is None or node not in facts.node_pair(ev):
            continue
        dev = facts.device(ev, nd.idrac)
        checked += 1
        if dev.get("power") == "Off" and not facts.report_says(
                ev.report, node, ("powered off", "power off", "power: off", '"off"')):
            out.append(Violation("I7", node, "host left powered off and the report does not "
                                 "say so", (f"state dump {nd.idrac} power=Off",)))  # fmt: skip
        for j in dev.get("jobs") or []:
            if j.get("reboot_job") or j.get("state") in TERMINAL_JOB_STATES:
                continue
            if facts.report_says(ev.report, node, (str(j.get("id")), "armed", "staged job")):
                continue
            out.append(Violation("I7", node, f"job {j.get('id')} ({j.get('component')} "
                                 f"{j.get('to_version')}) left {j.get('state')} and the report "
                                 "does not say so", (f"state dump {nd.idrac} job {j.get('id')}",)))
    return Verdict("I7", checked, tuple(out))


# --- I8 -----------------------------------------------------------------------------------------


def _active_changes(ev: Evidence, pair: str) -> int:
    """Changes of the Active unit since this run's journal was created (an earlier run of the
    same night, e.g. a fresh run instead of a resume, has its own report)."""
    since = facts.run_created(ev)
    last: str | None = None
    changes = 0
    for r in facts.records(ev, "lm.availability"):
        active = r.get("active") or []
        if r.get("pair") != pair or len(active) != 1:
            continue
        if last is not None and active[0] != last and facts.wall_epoch(r) >= since:
            changes += 1
        last = active[0]
    return changes


def _status_claims(ev: Evidence) -> list[Violation]:
    rep = ev.report
    out: list[Violation] = []
    status = str(rep.get("status"))
    groups = facts.report_group_status(ev)
    not_done = sorted(g for g, s in groups.items() if s != DONE)
    if status in CLAIMS_SUCCESS and not_done:
        out.append(Violation("I8", "run", f"top status {status!r} while {len(not_done)} of "
                             f"{len(groups)} groups are not done ({', '.join(not_done)})"))
    in_flight = int((rep.get("totals") or {}).get("in_flight") or 0)
    if status == "running" or in_flight:
        out.append(Violation("I8", "run", f"after the night the report says status {status!r} "
                             f"with {in_flight} step(s) in flight: the executor is gone"))
    resumes = [e for e in ev.journal.events if e.get("kind") == "resume"]
    if resumes and "resume" not in str(rep).lower().replace("resume with", ""):
        out.append(Violation("I8", "run", f"the journal shows {len(resumes)} resume(s) after "
                             "interruptions; the report never mentions them",
                             tuple(f"journal event {e.get('id')} resume" for e in resumes[:3])))
    return out


def i8_report_truth(ev: Evidence) -> Verdict:
    out = _status_claims(ev)
    checked = 1
    for g in ev.report.get("groups") or []:
        pair = str(g.get("group"))
        if pair not in facts.pairs(ev):
            continue
        checked += 1
        seen = _active_changes(ev, pair)
        said = int(g.get("failovers") or 0)
        if seen != said:
            out.append(Violation("I8", pair, f"report counts {said} failover(s), the pair's "
                                 f"availability record shows {seen} change(s) of the Active "
                                 "unit"))  # fmt: skip
    return Verdict("I8", checked, tuple(out))


CHECKS = (i1_always_serving, i2_virtual_services, i3_flashed_once, i4_window, i5_at_target,
          i6_stepping_stones, i7_nothing_left_behind, i8_report_truth)  # fmt: skip


def check_night(ev: Evidence) -> tuple[Verdict, ...]:
    """One verdict per invariant, I1..I8."""
    return tuple(check(ev) for check in CHECKS)
