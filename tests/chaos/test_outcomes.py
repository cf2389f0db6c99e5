"""The campaign's expected-outcome table (fwupdate/chaos/outcomes.py): a pair whose end differs
from what its faults document is reported -- `done` although a stopping fault acted, `failed`
where the fault is documented to be recovered from, or `failed` with no fault at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fwupdate.chaos.night import IDRAC_FAULTS, LM_UNIT_FAULTS, PAIR_FAULTS
from fwupdate.chaos.outcomes import OUTCOMES, FaultSeen, judge, pair_of

WALL = "2026-12-06T01:00:00+00:00"


def _rec(device: str, event: str, **kw: Any) -> dict[str, Any]:
    return {"seq": 1, "t": 1.0, "wall": WALL, "device": device, "event": event, **kw}


def _report(**status: str) -> dict[str, Any]:
    return {"groups": [{"group": g.replace("_", "-"), "status": s, "at": 1.9e9,
                        "error": "boom" if s != "done" else None} for g, s in status.items()]}


def test_every_fault_the_campaign_draws_has_a_documented_outcome() -> None:
    drawn = {k for k, _ in IDRAC_FAULTS + LM_UNIT_FAULTS + PAIR_FAULTS}
    assert drawn <= set(OUTCOMES)
    assert pair_of("lb3b-idrac") == pair_of("lb3a-lm") == pair_of("pair-3") == "pair-3"


def test_recovered_fault_must_end_done() -> None:
    busy = [FaultSeen("lb3b-idrac", "busy", "3")]
    assert judge(busy, ["pair-3"], set(), [], {}, _report(pair_3="done")) == []
    (line,) = judge(busy, ["pair-3"], set(), [], {}, _report(pair_3="failed"))
    assert "pair-3: failed with lb3b-idrac:busy=3" in line and "completes" in line
    assert judge(busy, ["pair-3"], {"pair-3"}, [], {}, _report(pair_3="failed")) == []


def test_stopping_fault_that_acted_must_not_end_done() -> None:
    refused = [FaultSeen("lb3b-lm", "patch-refused", None)]
    acted = [_rec("lb3b-lm", "lm.patch_refused", reason="fault")]
    assert judge(refused, ["pair-3"], set(), acted, {}, _report(pair_3="failed")) == []
    (line,) = judge(refused, ["pair-3"], set(), acted, {}, _report(pair_3="done"))
    assert "done although lb3b-lm:patch-refused acted" in line
    # it found nothing to act on (the patch was already staged): done is its outcome
    assert judge(refused, ["pair-3"], set(), [], {}, _report(pair_3="done")) == []


def test_vs_down_and_job_fail_read_from_the_event_log() -> None:
    down = [_rec("pair-3-shared", "lm.vs_status", pair="pair-3", up=["api"], down=["web"])]
    vs = [FaultSeen("pair-3", "vs-down", "1")]
    assert judge(vs, ["pair-3"], set(), down, {}, _report(pair_3="done"))
    job = [FaultSeen("lb5a-idrac", "job-fail", "RED007,1")]
    failed = [_rec("lb5a-idrac", "job_failed", message_id="RED007")]
    assert judge(job, ["pair-5"], set(), failed, {}, _report(pair_5="done"))
    assert judge(job, ["pair-5"], set(), [], {}, _report(pair_5="done")) == []


def test_a_pair_without_faults_must_end_done() -> None:
    (line,) = judge([], ["pair-2", "pair-3"], set(), [], {},
                    _report(pair_2="done", pair_3="failed"))
    assert line.startswith("pair-3: failed with no fault") and "boom" in line


def test_a_rerun_may_find_a_node_down_when_it_says_so() -> None:
    """Documented (docs/running.md): after a kill that took a node down, a new run of the plan
    (journal lost, or `run` instead of `resume`) refuses the pair naming the unreachable unit,
    and the report names a host left powered off."""
    rep = _report(pair_2="failed")
    assert judge([], ["pair-2"], set(), [], {}, rep, rerun=True)
    rep["left_behind"] = [{"node": "lb2b", "pair": "pair-2", "powered_off": True}]
    assert judge([], ["pair-2"], set(), [], {}, rep, rerun=True) == []
    assert judge([], ["pair-2"], set(), [], {}, rep, rerun=False)
    rep = _report(pair_4="failed")
    rep["groups"][0]["error"] = "pair-4/001-pair_precheck: ... lb4a: unreachable (no answer)"
    assert judge([], ["pair-4"], set(), [], {}, rep, rerun=True) == []


def test_a_fault_over_before_the_final_run_does_not_contradict_done() -> None:
    """Seed 21 night 22: a split acted in an earlier run; the journal was lost and the final
    run of the plan completed the pair once it was over: done is right.  A failure is still
    explained by it."""
    split = [FaultSeen("lb1b-lm", "split-after-reboot", None)]
    early = [_rec("lb1b-lm", "lm.split", partner="lb1a-lm")]  # 01:00
    rep = _report(pair_1="done")
    rep["started_at"] = 1.8e9  # the final run started after the split
    assert judge(split, ["pair-1"], set(), early, {}, rep) == []
    rep["started_at"] = 1.0
    assert judge(split, ["pair-1"], set(), early, {}, rep)
    failed = _report(pair_1="failed")
    failed["started_at"] = 1.8e9
    assert judge(split, ["pair-1"], set(), early, {}, failed) == []


def test_vs_down_when_active_acts_once_the_unit_is_active() -> None:
    """Seed 42 night 24: the simulator logs no VS change for this fault; the unit being Active
    with the fault set (when it is set, or later) is the effect."""
    f = [FaultSeen("lb1b-lm", "vs-down-when-active", "1")]
    armed = [_rec("lb1b-lm", "lm.fault", fault="vs-down-when-active", arg="1")]
    active = [_rec("pair-1-shared", "lm.availability", pair="pair-1", active=["lb1b-lm"])]
    assert judge(f, ["pair-1"], set(), armed + active, {}, _report(pair_1="failed")) == []
    assert judge(f, ["pair-1"], set(), armed, {}, _report(pair_1="failed"))
    assert judge(f, ["pair-1"], set(), active + armed, {}, _report(pair_1="failed")) == []
    standby = [_rec("pair-1-shared", "lm.availability", pair="pair-1", active=["lb1a-lm"])]
    assert judge(f, ["pair-1"], set(), standby + armed, {}, _report(pair_1="failed"))


def test_an_effect_before_the_last_process_may_have_been_redone() -> None:
    """Seed 81 night 16: the patch was not applied while the process that would have seen it
    was being killed; the resume (its journal had lost the step) staged it again and the pair
    completed at its targets: done, judged by I2/I5, not contradicted by the fault."""
    f = [FaultSeen("lb3b-lm", "old-version", None)]
    acted = [_rec("lb3b-lm", "lm.patch_not_applied", staged="7.2.48.4")]  # 01:00
    rep = _report(pair_3="done")
    rep["sessions"] = [{"at": 1.7e9}, {"at": 1.8e9}]  # the last resume started after it
    assert judge(f, ["pair-3"], set(), acted, {}, rep) == []
    rep["sessions"] = [{"at": 1.7e9}]
    assert judge(f, ["pair-3"], set(), acted, {}, rep)


def test_an_effect_just_before_the_last_process_started_is_not_its_own() -> None:
    """Seed 9091 --intensity 4 night 24: the staged BIOS job failed (RED007) 0.6 s before the
    operator's re-run started, in a process killed before it saw the failure; the re-run found
    the BIOS below its target, staged it again and completed.  That effect is not the last
    process's: done is not contradicted (one second of slack had counted it)."""
    f = [FaultSeen("lb5b-idrac", "job-fail", "RED007,1")]
    failed = [_rec("lb5b-idrac", "job_failed", message_id="RED007",
                   wall="2026-12-06T15:20:40.621+00:00")]
    rep = _report(pair_5="done")
    start = datetime.fromisoformat("2026-12-06T15:20:41.226+00:00").timestamp()
    rep["sessions"] = [{"at": start - 3.0}, {"at": start}]
    assert judge(f, ["pair-5"], set(), failed, {}, rep) == []
    rep["sessions"] = [{"at": start - 3.0}, {"at": start - 0.7}]  # the failure in the last one
    assert judge(f, ["pair-5"], set(), failed, {}, rep)


def test_a_patch_applied_again_after_a_lost_journal_may_end_done() -> None:
    """Seed 101 night 12: `old-version` made the first patch attempt boot the old image; the
    journal lost that step with its WAL before the verdict, and the resume found the unit on the
    old version, installed the patch again, and the pair completed at its targets.  Accepted
    only when the night lost its journal, and only once the patch was applied the second
    time."""
    f = [FaultSeen("lb2a-lm", "old-version", None)]
    not_applied = _rec("lb2a-lm", "lm.patch_not_applied", staged="7.2.48.4")
    again = [_rec("lb2a-lm", "lm.installpatch", staged="7.2.48.4"),
             _rec("lb2a-lm", "lm.version_changed", old="7.2.48.3", new="7.2.48.4")]
    rep = _report(pair_2="done")
    assert judge(f, ["pair-2"], set(), [not_applied, *again], {}, rep, journal_lost=True) == []
    assert judge(f, ["pair-2"], set(), [not_applied, *again], {}, rep)  # no journal lost
    assert judge(f, ["pair-2"], set(), [not_applied, again[0]], {}, rep, journal_lost=True)
    assert judge(f, ["pair-2"], set(), [*again, not_applied], {}, rep, journal_lost=True)
    # a failed pair stays documented either way
    assert judge(f, ["pair-2"], set(), [not_applied], {}, _report(pair_2="failed"),
                 journal_lost=True) == []
