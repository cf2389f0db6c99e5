"""The checker on synthetic evidence: clean evidence passes every invariant; each mutation
breaks exactly one invariant, and exactly that violation is found, with its evidence."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from night_factory import SCALE, T0, clean, edit

from fwupdate.check import Evidence, Violation, check_night, render_text
from fwupdate.check.stepping import skipped_stone


def _violations(ev: Evidence) -> list[Violation]:
    return [x for v in check_night(ev) for x in v.violations]


def _only(ev: Evidence, invariant: str) -> Violation:
    found = _violations(ev)
    assert [x.invariant for x in found] == [invariant], render_text(check_night(ev))
    return found[0]


def _events(ev: Evidence) -> list[dict[str, Any]]:
    return [dict(r) for r in ev.sim_events]


def _resequence(recs: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    recs.sort(key=lambda r: (r["t"], r["seq"]))
    for i, r in enumerate(recs):
        r["seq"] = i
    return tuple(recs)


def _add(ev: Evidence, after_seq: int, rec: dict[str, Any]) -> Evidence:
    recs = _events(ev)
    base = next(r for r in recs if r["seq"] == after_seq)
    recs.append({"seq": after_seq + 0.5, "t": base["t"], "wall": base["wall"], **rec})
    return edit(ev, sim_events=_resequence(recs))


def _seq(ev: Evidence, device: str, event: str, **match: Any) -> int:
    return next(int(r["seq"]) for r in ev.sim_events if r["device"] == device
                and r["event"] == event and all(r.get(k) == v for k, v in match.items()))


def test_clean_night_holds_every_invariant() -> None:
    verdicts = check_night(clean())
    assert [v.invariant for v in verdicts] == [f"I{i}" for i in range(1, 9)]
    assert all(v.ok for v in verdicts), render_text(verdicts)
    assert all(v.checked > 0 for v in verdicts if v.invariant != "I4")
    assert "all invariants hold" in render_text(verdicts)


def test_i1_outage_interval() -> None:
    ev = clean()
    at = _seq(ev, "lb1a-lm", "lm.stopping")
    bad = _add(ev, at, {"device": "pair-1-shared", "event": "lm.availability", "pair": "pair-1",
                        "active": [], "up": ["lb1b-lm"], "serving": False, "state": "outage",
                        "units": {}, "cause": "unit down"})
    v = _only(bad, "I1")
    assert v.subject == "pair-1" and "outage" in v.message
    assert v.evidence and v.evidence[0].startswith("seq ")


def test_i2_virtual_service_lost_on_a_done_pair() -> None:
    ev = clean()
    state = copy.deepcopy(ev.sim_state)
    state["pairs"]["pair-1"]["vs_up"] = ["web"]
    v = _only(edit(ev, sim_state=state), "I2")
    assert "api" in v.message and "baseline" in v.evidence[0]


def test_i2_baseline_is_taken_when_the_night_starts() -> None:
    """A VS already Down before the night (a fault, a real outage) is not the night's loss."""
    ev = clean()
    recs = _events(ev)
    first = next(r for r in recs if r["event"] == "lm.vs_status")
    recs.append({**first, "seq": first["seq"] + 0.5, "up": ["web"], "down": ["api"]})
    state = copy.deepcopy(ev.sim_state)
    state["pairs"]["pair-1"]["vs_up"] = ["web"]
    later = edit(ev, sim_events=_resequence(recs), sim_state=state, night_start=T0 + 1.0)
    assert _violations(later) == []
    _only(edit(later, night_start=None), "I2")  # without a start: the first record


def test_i2_not_judged_on_a_pair_reported_failed() -> None:
    ev = clean()
    state = copy.deepcopy(ev.sim_state)
    state["pairs"]["pair-1"]["vs_up"] = ["web"]
    report = copy.deepcopy(ev.report)
    report["groups"][0]["status"] = "failed"
    report["status"] = "failed"
    assert [x.invariant for x in _violations(edit(ev, sim_state=state, report=report))] == []


def test_i3_component_flashed_twice() -> None:
    ev = clean()
    at = _seq(ev, "lb1b-idrac", "flashed", component="bios")
    bad = _add(ev, at, {"device": "lb1b-idrac", "event": "flashed", "job": "JID_9",
                        "component": "bios", "component_id": "159", "from_version": "2.9.0",
                        "to_version": "2.9.0"})
    v = _only(bad, "I3")
    assert "flashed 2 times" in v.message and len(v.evidence) == 2


def test_i3_duplicate_job_while_the_first_is_scheduled() -> None:
    ev = clean()
    at = _seq(ev, "lb1b-idrac", "job_state", state="Scheduled")
    bad = _add(ev, at, {"device": "lb1b-idrac", "event": "job_target", "job": "JID_8",
                        "component": "bios", "component_id": "159", "from_version": "2.4.2",
                        "to_version": "2.9.0"})
    v = _only(bad, "I3")
    assert "duplicate job" in v.message and "Scheduled" in v.message


def test_i3_a_retry_after_a_failed_job_is_no_duplicate() -> None:
    ev = clean()
    recs = _events(ev)
    first = next(r for r in recs if r["event"] == "job_state" and r["state"] == "Scheduled"
                 and r["device"] == "lb1b-idrac")
    first["state"] = "Failed"  # the first job failed (RED007), a second one is legitimate
    retry = {**first, "event": "job_target", "job": "JID_7", "component_id": "159",
             "from_version": "2.4.2", "to_version": "2.9.0", "seq": first["seq"] + 0.5}
    retry.pop("state")
    recs.append(retry)
    assert [x.invariant for x in _violations(edit(ev, sim_events=_resequence(recs)))] == []


def test_i4_node_down_after_the_last_safe_start() -> None:
    ev = clean()
    # lb1a goes down 105 s into the night; its host_reboot estimate is 300 s / 100 = 3 s
    v = _only(edit(ev, window_end=T0 + 106.0), "I4")
    assert v.subject == "lb1a" and "host_reboot" in v.message
    assert "lm.stopping" in v.evidence[0]


def test_i4_window_from_the_journal_settings() -> None:
    ev = clean()
    j = ev.journal
    meta = dict(j.meta)
    meta["options"] = meta["options"].replace('"window_end": null',
                                              f'"window_end": {T0 + 106.0 + 300 / SCALE}')
    assert [x.invariant for x in _violations(edit(ev, journal=type(j)(meta, j.steps,
                                                                      j.events)))] == []
    meta["options"] = meta["options"].replace(str(T0 + 106.0 + 300 / SCALE), str(T0 + 106.0))
    _only(edit(ev, journal=type(j)(meta, j.steps, j.events)), "I4")


def test_i5_done_node_not_at_target() -> None:
    ev = clean()
    state = copy.deepcopy(ev.sim_state)
    state["devices"]["lb1a-idrac"]["components"][1]["version"] = "2.4.2"
    v = _only(edit(ev, sim_state=state), "I5")
    assert v.subject == "lb1a" and "2.4.2" in v.message and "2.9.0" in v.message


def test_i6_stepping_stone_skipped_in_the_version_history() -> None:
    ev = clean()
    at = _seq(ev, "lb1b-idrac", "component_version", component="idrac")
    recs = _events(ev)
    for r in recs:
        if r["seq"] == at:
            r["to_version"] = "2.65.65.65"  # 1.57.57 straight to 2.65: two stones skipped
    v = _only(edit(ev, sim_events=tuple(recs)), "I6")
    assert "1.66.65" in v.message and v.subject == "lb1b-idrac"


def test_i6_image_sent_that_skips_a_stone() -> None:
    ev = clean()
    at = _seq(ev, "lb1a-idrac", "host_up")
    bad = _add(ev, at, {"device": "lb1a-idrac", "event": "job_target", "job": "JID_6",
                        "component": "idrac", "component_id": "25227",
                        "from_version": "1.66.65", "to_version": "2.65.65.65"})
    recs = list(bad.sim_events)
    recs.append({**recs[-1], "seq": len(recs), "event": "job_state", "job": "JID_6",
                 "state": "Failed", "device": "lb1a-idrac"})
    v = _only(edit(bad, sim_events=tuple(recs)), "I6")
    assert "2.10.10.10" in v.message and "sent an image" in v.message


def test_i7_host_left_off_without_the_report_saying_so() -> None:
    ev = clean()
    state = copy.deepcopy(ev.sim_state)
    state["devices"]["lb1b-idrac"]["power"] = "Off"
    report = copy.deepcopy(ev.report)
    report["groups"][0]["status"] = "failed"  # so I2/I5 do not judge this pair
    report["status"] = "failed"
    report["nodes"][1]["status"] = "failed"
    v = _only(edit(ev, sim_state=state, report=report), "I7")
    assert v.subject == "lb1b" and "powered off" in v.message
    report["failures"] = [{"node": "lb1b", "error": "host left powered off"}]
    assert _violations(edit(ev, sim_state=state, report=report)) == []


def test_i7_staged_job_left_armed() -> None:
    ev = clean()
    state = copy.deepcopy(ev.sim_state)
    state["devices"]["lb1a-idrac"]["jobs"].append(
        {"id": "JID_5", "state": "Scheduled", "component": "nic", "component_id": "103014",
         "to_version": "7.10.18", "reboot": "HOST", "reboot_job": False})
    v = _only(edit(ev, sim_state=state), "I7")
    assert "JID_5" in v.message and "Scheduled" in v.message


def test_i8_report_failovers_disagree_with_the_availability_record() -> None:
    ev = clean()
    report = copy.deepcopy(ev.report)
    report["groups"][0]["failovers"] = 0
    v = _only(edit(ev, report=report), "I8")
    assert v.subject == "pair-1" and "1 change" in v.message


@pytest.mark.parametrize("status,in_flight", [("running", 0), ("finished", 2)])
def test_i8_report_hides_a_crash(status: str, in_flight: int) -> None:
    ev = clean()
    report = copy.deepcopy(ev.report)
    report["status"] = status
    report["totals"]["in_flight"] = in_flight
    v = _only(edit(ev, report=report), "I8")
    assert "executor is gone" in v.message


def test_a_pair_reported_degraded_is_not_judged_done() -> None:
    """The run's end found a baseline VS Down on a finished pair (run/endcheck.py): the report
    says `degraded` (top status `partial`); I2 does not judge it as done, I8 accepts it, and a
    report that still says `finished` over it is caught."""
    ev = clean()
    state = copy.deepcopy(ev.sim_state)
    state["pairs"]["pair-1"]["vs_up"] = ["web"]
    report = copy.deepcopy(ev.report)
    report["groups"][0]["status"] = "degraded"
    report["groups"][0]["error"] = "VS api was Up, now Down after the pair finished at 03:12"
    report["status"] = "partial"
    assert _violations(edit(ev, sim_state=state, report=report)) == []
    report["status"] = "finished"
    v = _only(edit(ev, sim_state=state, report=report), "I8")
    assert "pair-1" in v.message


def test_i8_finished_while_a_group_is_not_done() -> None:
    ev = clean()
    report = copy.deepcopy(ev.report)
    report["groups"][0]["status"] = "failed"
    report["nodes"][0]["status"] = "failed"
    v = _only(edit(ev, report=report), "I8")
    assert "'finished'" in v.message and "pair-1" in v.message


def test_i8_resumes_the_report_never_mentions() -> None:
    ev = clean()
    j = ev.journal
    events = (*j.events, {"id": 99, "at": T0 + 50, "node": None, "step_id": None,
                          "kind": "resume", "data": {"pid": 1}})
    v = _only(edit(ev, journal=type(j)(j.meta, j.steps, events)), "I8")
    assert "resume" in v.message
    report = copy.deepcopy(ev.report)
    report["interruptions"] = [{"at": T0 + 50, "kind": "resume"}]
    assert _violations(edit(ev, journal=type(j)(j.meta, j.steps, events), report=report)) == []


def test_render_prints_every_violation_with_label_and_evidence() -> None:
    ev = clean()
    state = copy.deepcopy(ev.sim_state)
    state["devices"]["lb1a-idrac"]["components"][1]["version"] = "2.4.2"
    text = render_text(check_night(edit(ev, sim_state=state)), label="seed 7 night 3")
    assert "[seed 7 night 3] I5 FAIL" in text
    assert "[seed 7 night 3]     I5 lb1a: reported done but BIOS is 2.4.2" in text
    assert text.endswith("1 violation(s)")


@pytest.mark.parametrize("old,new,stone", [
    ("1.57.57", "1.66.65", None), ("1.57.57", "2.10.10.10", "1.66.65"),
    ("1.66.65", "2.10.10.10", None), ("1.66.65", "2.20.20.20", None),
    ("1.66.65", "2.65.65.65", "2.10.10.10"), ("2.10.10.10", "2.65.65.65", None),
    ("1.57.57", "2.20.20.20", "1.66.65"), ("2.20.20.20", "2.65.65.65", None),
])  # fmt: skip
def test_stepping_stones(old: str, new: str, stone: str | None) -> None:
    assert skipped_stone(old, new) == stone


def test_i8_failovers_of_an_earlier_run_belong_to_its_own_report() -> None:
    """A fresh run started after the handover (the operator's mistake) reports 0 failovers:
    the Active unit did not change during that run."""
    ev = clean()
    j = ev.journal
    report = copy.deepcopy(ev.report)
    report["groups"][0]["failovers"] = 0
    meta = {**j.meta, "created_at": repr(T0 + 200.0)}
    assert _violations(edit(ev, journal=type(j)(meta, j.steps, j.events), report=report)) == []


def test_i4_a_new_window_applies_from_when_it_was_journaled() -> None:
    """A later night continues the run with a new window (`window` note): steps before it are
    judged against the old end, steps after it against the new one."""
    ev = clean()
    j = ev.journal
    meta = dict(j.meta)
    meta["options"] = meta["options"].replace('"window_end": null', f'"window_end": {T0 + 106.0}')
    late = {"id": 98, "at": T0 + 50.0, "node": None, "step_id": None, "kind": "window",
            "data": {"end": T0 + 1000.0}}
    assert _violations(edit(ev, journal=type(j)(meta, j.steps, (*j.events, late)))) == []
    after = {**late, "at": T0 + 200.0}
    _only(edit(ev, journal=type(j)(meta, j.steps, (*j.events, after))), "I4")
