"""Every fault must end in its documented outcome (docs/running.md "Outcomes of device faults",
docs/simulator.md): the expected-outcome table per fault kind, and the judge of one night.

A fault either **recovers** (the clients retry or wait it out: its pair must end `done`) or
**stops** its pair when it acts -- a job failing, a patch refused, a unit that does not come back,
a VS Down, a split.  Whether it acted is read from the simulator's event log (its own records,
not the executor's word), before the pair's verdict: a stopping fault that found nothing to act
on (the job already ran, the unit already rebooted) leaves the pair `done`.  A pair with no fault
ends `done` whatever the kills and operator re-runs did.  Nights whose outcome another cause may
decide (swapped iDRAC URLs, a short window, a hung process) are not judged for that pair."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Rec = dict[str, Any]
Acted = Callable[[Iterable[Rec], str, str | None], bool]  # (records, target, arg) -> acted?


def _on(event: str, **match: Any) -> Acted:
    def acted(recs: Iterable[Rec], target: str, arg: str | None) -> bool:
        return any(r.get("event") == event and r.get("device") == target
                   and all(r.get(k) == v for k, v in match.items()) for r in recs)
    return acted


def _job_failed(recs: Iterable[Rec], target: str, arg: str | None) -> bool:
    mid = (arg or "").split(",")[0]
    return any(r.get("event") == "job_failed" and r.get("device") == target
               and (not mid or r.get("message_id") == mid) for r in recs)


def _never_back(recs: Iterable[Rec], target: str, arg: str | None) -> bool:
    gone = False
    for r in recs:
        if r.get("event") == "reachability" and r.get("device") == target:
            gone = not r.get("reachable")
    return gone


def _vs_down(recs: Iterable[Rec], target: str, arg: str | None) -> bool:
    pair = pair_of(target)
    return any(r.get("event") == "lm.vs_status" and r.get("pair") == pair and r.get("down")
               for r in recs)


def _after_fault(recs: Iterable[Rec], target: str, kind: str,
                 then: Callable[[Rec], bool]) -> bool:
    """`then` holds for a record after the fault was set on `target` (`lm.fault`)."""
    armed = False
    for r in recs:
        if r.get("event") == "lm.fault" and r.get("device") == target and r.get("fault") == kind:
            armed = True
        elif armed and then(r):
            return True
    return False


def _down_when_active(recs: Iterable[Rec], target: str, arg: str | None) -> bool:
    """The unit was Active with the fault set, already when it was set or later (the
    simulator logs no VS change for this fault)."""
    recs = list(recs)
    if _vs_down(recs, target, arg):
        return True
    active: list[str] = []
    armed = False
    for r in recs:
        if r.get("event") == "lm.availability" and r.get("pair") == pair_of(target):
            active = list(r.get("active") or [])
            if armed and target in active:
                return True
        elif r.get("event") == "lm.fault" and r.get("device") == target \
                and r.get("fault") == "vs-down-when-active":
            armed = True
            if target in active:
                return True
    return False


def _down_after_patch(recs: Iterable[Rec], target: str, arg: str | None) -> bool:
    """The unit booted a patched image with the fault set."""
    recs = list(recs)
    return _vs_down(recs, target, arg) or _after_fault(
        recs, target, "vs-down-after-patch",
        lambda r: r.get("event") == "lm.version_changed" and r.get("device") == target)


def _split(recs: Iterable[Rec], target: str, arg: str | None) -> bool:
    prefix = pair_of(target).replace("pair-", "lb")
    return any(r.get("event") == "lm.split" and str(r.get("device", "")).startswith(prefix)
               for r in recs)


@dataclass(frozen=True)
class Expected:
    text: str  # the documented outcome
    acted: Acted | None = None  # None: the fault is recovered from, the pair ends done


RECOVERS = "retried or waited out by the clients; the pair completes"
STOPS = "the step fails; the pair is stopped (failed) before its Active unit goes down"
OUTCOMES: dict[str, Expected] = {
    # iDRAC
    "busy": Expected(RECOVERS),
    "task-vanish": Expected("followed through the Dell Jobs view; the pair completes"),
    "slow-return": Expected("waited out within the step timeout; the pair completes"),
    "drop": Expected(RECOVERS),
    "lc-busy": Expected("the install is sent again once LC is ready (bounded); the pair "
                        "completes"),
    "job-fail": Expected("step failed with the job's message id (RED007); " + STOPS,
                         _job_failed),
    "stuck-scheduled": Expected("the staged job never runs: the reboot's wait for it runs out; "
                                "pair failed, the job reported armed", None),
    "never-return": Expected("the iDRAC never answers after its reset: the wait runs out; pair "
                             "failed", _never_back),
    # LoadMaster unit
    "patch-refused": Expected("lm_stage failed (422); " + STOPS,
                              _on("lm.patch_refused", reason="fault")),
    "never-returns": Expected("the reboot's wait runs out; pair failed, the partner stays "
                              "Active", _on("lm.hung")),
    "old-version": Expected("'the patch was not applied'; no restore; pair failed",
                            _on("lm.patch_not_applied")),
    "split-after-reboot": Expected("both units Active after the reboot: the health wait runs "
                                   "out; pair failed", _on("lm.split")),
    "secret-mismatch": Expected("the unit reports Passive after its reboot: pair failed",
                                _on("lm.partner_link", up=False,
                                    reason="fault secret_mismatch")),
    "vs-down-when-active": Expected("a VS of the baseline Down: the health check refuses; pair "
                                    "failed", _down_when_active),
    "vs-down-after-patch": Expected("a VS Down after the patch: safety net restores the "
                                    "standby; pair failed", _down_after_patch),
    # pair
    "vs-down": Expected("a VS of the baseline Down: the pair is refused or stopped before a "
                        "node goes down; pair failed", _vs_down),
    "split": Expected("both units Active: the health check refuses; pair failed", _split),
}


def _stuck(state: dict[str, Any], target: str) -> bool:
    jobs = ((state.get("devices") or {}).get(target) or {}).get("jobs") or []
    return any(j.get("state") == "Scheduled" and not j.get("reboot_job") for j in jobs)


def pair_of(target: str) -> str:
    if target.startswith("pair-"):
        return target
    return "pair-" + target[2:].split("-")[0].rstrip("ab")


def _epoch(rec: Rec) -> float:
    return datetime.fromisoformat(str(rec["wall"])).timestamp()


@dataclass(frozen=True)
class FaultSeen:
    target: str
    kind: str
    arg: str | None


RERUN = ("a run that lost what the killed one did (the journal or its last writes lost, or "
         "`run` again instead of `resume`) after a kill that had taken a node down cannot know "
         "why its unit is down: the pair fails naming the unreachable unit; the report's "
         "left_behind names a host powered off")


PATCH_FAULTS = ("old-version", "patch-refused")  # a LoadMaster patch attempt that does not take
PATCH_REDONE = ("a patch attempt that failed (not applied, refused) before the journal lost its "
                "verdict (journal lost, or its WAL removed) is attempted again by the next run "
                "from the devices' truth: applied the second time, the pair completes")


def _patch_redone(f: FaultSeen, records: Iterable[Rec]) -> bool:
    """PATCH_REDONE: after the fault's effect on its unit, the patch installed again on that
    unit and the unit booted a new version."""
    if f.kind not in PATCH_FAULTS:
        return False
    effect = "lm.patch_not_applied" if f.kind == "old-version" else "lm.patch_refused"
    seen = installed = False
    for r in records:
        if r.get("device") != f.target:
            continue
        event = r.get("event")
        if event == effect:
            seen, installed = True, False
        elif seen and event == "lm.installpatch":
            installed = True
        elif installed and event == "lm.version_changed":
            return True
    return False


def _rerun_refusal(report: dict[str, Any], group: dict[str, Any], pair: str) -> bool:
    """The documented end of a pair a re-run found with a node down (RERUN)."""
    error = str(group.get("error") or "")
    refused = "unreachable" in error or "no answer" in error
    return refused or any(e.get("pair") == pair and e.get("powered_off")
                          for e in report.get("left_behind") or [])


def judge(faults: Iterable[FaultSeen], pairs: Iterable[str], excluded: set[str],
          records: list[Rec], state: dict[str, Any], report: dict[str, Any], *,
          rerun: bool = False, journal_lost: bool = False) -> list[str]:
    """One line per pair whose end differs from what its faults (or none) document.
    `rerun`: the night re-ran the plan (RERUN); `journal_lost`: the journal or its WAL was
    lost (PATCH_REDONE)."""
    groups = {str(g.get("group")): g for g in report.get("groups") or []}
    # the last process of the run (a start or a resume): an effect before it may have been
    # undone since (the work re-done from the devices' truth); the checker's I2/I5 judge that
    sessions = report.get("sessions") or []
    since = _number(sessions[-1].get("at") if sessions else report.get("started_at"))
    by_pair: dict[str, list[FaultSeen]] = {}
    for f in faults:
        by_pair.setdefault(pair_of(f.target), []).append(f)
    out: list[str] = []
    for pair in pairs:
        if pair in excluded:
            continue
        g = groups.get(pair) or {}
        status = str(g.get("status"))
        until = float(g.get("at") or 0.0) or None
        before = [r for r in records if until is None or _epoch(r) <= until + 1.0]
        # a fault that acted before the last process (an earlier run, or a process killed
        # before it saw the effect) may be over when that process completes the pair; it
        # still explains a pair not done
        # (`since` is stamped before the process sends anything, on the same clock as the
        # records, whose wall times are in milliseconds: no more slack than that; a second of
        # it took a job failure 0.6 s before a re-run started for the re-run's, seed 9091
        # --intensity 4 night 24)
        this_run = [r for r in before if _epoch(r) >= since - 0.002]
        acting = [f for f in by_pair.get(pair, []) if _acted(f, this_run, state)
                  and not (journal_lost and _patch_redone(f, before))]
        if not acting and status != "done":
            acting = [f for f in by_pair.get(pair, []) if _acted(f, before, state)]
        if acting and status == "done":
            out.append(f"{pair}: done although {', '.join(_name(f) for f in acting)} acted "
                       f"(documented: {OUTCOMES[acting[0].kind].text})")
        elif not acting and status != "done" and not (rerun and _rerun_refusal(report, g, pair)):
            what = (", ".join(_name(f) for f in by_pair.get(pair, [])) or "no fault")
            doc = OUTCOMES[by_pair[pair][0].kind].text if by_pair.get(pair) else \
                "the pair completes (kills and re-runs are resumed from the devices' truth)"
            out.append(f"{pair}: {status} with {what} (documented: {doc}): "
                       f"{g.get('error') or ''}".rstrip(": "))
    return out


def _number(value: Any) -> float:
    """The report's run start (epoch seconds; an ISO text is read too); 0 when unknown."""
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0


def _name(f: FaultSeen) -> str:
    return f"{f.target}:{f.kind}" + (f"={f.arg}" if f.arg else "")


def _acted(f: FaultSeen, records: list[Rec], state: dict[str, Any]) -> bool:
    exp = OUTCOMES.get(f.kind)
    if exp is None:
        return False
    if f.kind == "stuck-scheduled":
        return _stuck(state, f.target)
    return exp.acted is not None and exp.acted(records, f.target, f.arg)
