"""The night's LoadMaster steps are Kemp's HA procedure (fwupdate/loadmaster/procedure.py):
Virtual Services are held to their baseline at every health check (issue 11 defect 2), a
standby that comes back on the new image but fails its checks is restored to the previous one
before the Active unit is touched (the safety net), and both units' configuration is backed up
before the first change."""

from __future__ import annotations

import json
import stat
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from runsim import LM_PACE, Night, night

from fwupdate.check import check_night, evidence, read_journal
from fwupdate.loadmaster.ha import PairClient
from fwupdate.plan.models import StepKind
from fwupdate.run import executor, session, steps_idrac, steps_lm
from fwupdate.run.context import RunSettings
from fwupdate.run.journal import Journal
from fwupdate.sim.loadmaster import apply_fault, outages
from fwupdate.sim.loadmaster.unit import Role

pytestmark = pytest.mark.integration

SCALE = 800.0
OLD, NEW = "7.2.48.3", "7.2.48.4"


def _untouched(n: Night, node: str) -> None:
    """No job, power change or LoadMaster change reached `node` (the Active unit)."""
    assert [r for r in n.records("host_power") if r["device"] == f"{node}-idrac"] == []
    assert [r for r in n.records("job_created") if r["device"] == f"{node}-idrac"] == []
    assert n.sim.device(f"{node}-lm").version == OLD  # type: ignore[attr-defined]
    assert n.sim.device(f"{node}-lm").hastatus() == "Active"  # type: ignore[attr-defined]


def _events(n: Night, run: str, kind: str) -> list[dict[str, Any]]:
    with Journal.open(n.tmp / "runs" / f"{run}.db") as j:
        return [e.data for e in j.events(kind=kind)]


def _report(cli: Any, n: Night, run: str) -> dict[str, Any]:
    r = cli("report", run, "--runs-dir", str(n.tmp / "runs"), "--format", "json")
    assert r.code == 0, r
    return json.loads(r.out)  # type: ignore[no-any-return]


def test_vs_down_before_the_standby_goes_down_stops_the_pair(
        cli: Any, demo_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = executor.HANDLERS[StepKind.LM_STAGE]
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:

        def stage(rt: Any, step: Any, resume: bool) -> Any:
            out = real(rt, step, resume)
            if step.node == "lb3b":
                apply_fault(n.sim, "pair-3", "vs-down", "1")  # web Down before the reboot
            return out

        monkeypatch.setitem(executor.HANDLERS, StepKind.LM_STAGE, stage)
        r = cli(*n.run_args("--yes", "--run-id", "vs", scale=SCALE))
        assert r.code == 1, r
        assert "VS web" in r.out and "not taking lb3b down" in r.out
        assert [x for x in n.records("host_power") if x["device"] == "lb3b-idrac"] == []
        _untouched(n, "lb3a")
        assert n.availability("pair-3") == (0, 0)
        assert _events(n, "vs", "vs-baseline")[0]["up"] == ["api", "web"]
        assert _report(cli, n, "vs")["groups"][0]["status"] == "failed"


def test_vs_down_while_the_standby_reboots_stops_the_pair(
        cli: Any, demo_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = steps_idrac._send_reboot
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:

        def send(rt: Any, step: Any, idrac: Any, jids: list[str]) -> None:
            real(rt, step, idrac, jids)
            if step.node == "lb3b":
                apply_fault(n.sim, "pair-3", "vs-down", "2")  # api Down during the reboot

        monkeypatch.setattr(steps_idrac, "_send_reboot", send)
        r = cli(*n.run_args("--yes", "--run-id", "vs2", scale=SCALE))
        assert r.code == 1, r
        assert "VS api" in r.out and "pair stopped before lb3a was touched" in r.out
        _untouched(n, "lb3a")
        assert outages(n.sim.events, "pair-3") == ()
        assert _report(cli, n, "vs2")["groups"][0]["status"] == "failed"


def test_vs_up_in_the_plan_but_down_at_the_night_refuses_the_pair(
        cli: Any, demo_inputs: Any, tmp_path: Path) -> None:
    """Campaign seed 12 night 3 (I2): a VS went Down after planning (mid-night) and a fresh run
    took the Down state as its baseline, then reported the pair done with the VS still Down.
    The plan records the VS Up at planning time; the night refuses the pair before any change."""
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        assert n.plan.groups[0].vs_baseline == ("api", "web")
        assert apply_fault(n.sim, "pair-3", "vs-down", "1")
        r = cli(*n.run_args("--yes", "--run-id", "pv", scale=SCALE))
        assert r.code == 1, r
        assert "refusing the pair before any change" in r.out and "VS web" in r.out, r.out
        assert n.records("lm.installpatch") == [] and n.records("job_created") == []
        assert n.records("host_power") == [] and n.records("lm.backup") == []
        assert _report(cli, n, "pv")["groups"][0]["status"] == "failed"


def test_pair_precheck_waits_for_a_unit_still_booting(
        cli: Any, demo_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Campaign seed 31 night 22: a fresh run right after a killed one found a standby's
    LoadMaster still booting and refused the pair at once ("unreachable").  pair_precheck waits
    (bounded) for a pair still settling; a unit that comes back lets the night go on."""
    real = PairClient.snapshot
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        unit: Any = n.sim.device("lb3b-lm")
        with unit.lock:
            unit._stop(orderly=False, then_boot=False, boot_seconds=None)  # down, not booting

        def snapshot(self: PairClient, **kw: Any) -> Any:
            st = real(self, **kw)
            with unit.lock:
                if not unit.booting and unit.power.name == "DOWN":  # seen down: boot it now
                    unit._begin_boot(200.0)
            return st

        monkeypatch.setattr(PairClient, "snapshot", snapshot)
        r = cli(*n.run_args("--yes", "--run-id", "boot", scale=SCALE))
        assert r.code == 0, r
        assert n.availability("pair-3") == (0, 1)


def test_safety_net_restores_a_standby_whose_new_image_breaks_a_vs(
        cli: Any, demo_inputs: Any, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        assert apply_fault(n.sim, "lb3b-lm", "vs-down-after-patch", "1")
        r = cli(*n.run_args("--yes", "--run-id", "net", scale=SCALE))
        assert r.code == 1, r
        assert "safety net: restored lb3b to 7.2.48.3" in r.out
        assert "pair stopped before lb3a was touched" in r.out
        assert [x["staged"] for x in n.records("lm.restorepatch")] == [OLD]
        lb3b = n.sim.device("lb3b-lm")
        assert (lb3b.version, lb3b.hastatus()) == (OLD, "Standby")  # type: ignore[attr-defined]
        _untouched(n, "lb3a")
        assert outages(n.sim.events, "pair-3") == ()
        (rollback,) = _events(n, "net", "lm-rollback")
        assert rollback["ok"] is True and (rollback["from"], rollback["to"]) == (NEW, OLD)
        assert "VS web" in rollback["reason"]


def test_safety_net_restore_waits_for_a_window_and_the_resume_does_it_first(
        demo_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Campaign seed 12 night 19 (I4): the safety net rebooted the standby after the window
    end.  Now a restore that does not fit the window leaves the unit up on the new image, the
    pair stops saying so and how to finish, and the resume restores it before anything else."""
    real = steps_lm._safety_net

    def late(rt: Any, step: Any, target: Any, exc: Any) -> Any:
        rt.ctx.settings = replace(rt.ctx.settings, window_end=time.time() + 0.3)
        return real(rt, step, target, exc)

    monkeypatch.setattr(steps_lm, "_safety_net", late)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        assert apply_fault(n.sim, "lb3b-lm", "vs-down-after-patch", "1")
        path, result = session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs",
                                     settings=settings, repo=n.inputs.repo,
                                     lm_image=n.inputs.lm_image, run_id="netw")
        g = result.groups[0]
        assert g.status == "failed", g
        assert "failed its checks" in (g.error or "") and "VS web" in (g.error or "")
        assert "restore not done: the window ended" in (g.error or "")
        assert "fwupdate resume netw" in (g.error or "")
        assert n.records("lm.restorepatch") == []
        assert n.sim.device("lb3b-lm").version == NEW  # type: ignore[attr-defined]
        _untouched(n, "lb3a")
        resets = len([r for r in n.records("host_reset_requested")
                      if r["device"] == "lb3b-idrac"])
        monkeypatch.setattr(steps_lm, "_safety_net", real)
        result = session.resume(path, settings=settings)
        g = result.groups[0]
        assert g.status == "failed" and "safety net: restored lb3b to 7.2.48.3" in (g.error or "")
        assert [x["staged"] for x in n.records("lm.restorepatch")] == [OLD]
        assert len([r for r in n.records("host_reset_requested")
                    if r["device"] == "lb3b-idrac"]) == resets
        lb3b = n.sim.device("lb3b-lm")
        assert (lb3b.version, lb3b.hastatus()) == (OLD, "Standby")  # type: ignore[attr-defined]
        _untouched(n, "lb3a")
        assert outages(n.sim.events, "pair-3") == ()


def _split_before_the_safety_net(n: Night, monkeypatch: pytest.MonkeyPatch,
                                 standby_took_over: bool) -> None:
    """lb3b comes back on the new image with a VS down (the safety net restores it); just
    before the restore both units claim Active (an HA split) -- after lb3b first took the role
    over alone when `standby_took_over` (a fault the run did not cause)."""
    real = steps_lm._safety_net
    assert apply_fault(n.sim, "lb3b-lm", "vs-down-after-patch", "1")

    def split_first(*a: Any, **kw: Any) -> Any:
        a_unit: Any = n.sim.device("lb3a-lm")
        b_unit: Any = n.sim.device("lb3b-lm")
        pair = b_unit.pair
        if standby_took_over:
            with pair.lock:
                a_unit.role, a_unit.active_since = b_unit.role, None
                b_unit.role, b_unit.active_since = Role.ACTIVE, pair.ctx.clock.now()
                pair.record("takeover")
            time.sleep(0.01)
        assert apply_fault(n.sim, "pair-3", "split")
        return real(*a, **kw)

    monkeypatch.setattr(steps_lm, "_safety_net", split_first)


def _failovers_judged(cli: Any, n: Night, run: str) -> list[dict[str, Any]]:
    """The report's failovers of pair-3, once the independent checker agreed with them (I8)."""
    doc = _report(cli, n, run)
    ev = evidence(read_journal(n.tmp / "runs" / f"{run}.db"),
                  sim_events=n.sim.events.records(), sim_state=n.sim.state_dump(), report=doc)
    (i8,) = [v for v in check_night(ev) if v.invariant == "I8"]
    assert i8.checked and not i8.violations, i8
    (g,) = doc["groups"]
    assert g["failovers"] == len(doc["failovers"]), g
    return doc["failovers"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("standby_took_over", [False, True])
def test_a_safety_net_reboot_in_an_ha_split_is_counted_when_its_unit_held_the_role(
        cli: Any, demo_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        standby_took_over: bool) -> None:  # fmt: skip
    """Chaos seed 2027 night 157 (I8): the safety net rebooted lb3b while both units claimed
    Active.  When lb3b had held the role (taken over before the split), its reboot left lb3a
    the only Active unit: two changes of the Active unit, which the report counts (the
    takeover found on the devices, then the reboot); when lb3a held it, none."""
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        _split_before_the_safety_net(n, monkeypatch, standby_took_over)
        r = cli(*n.run_args("--yes", "--run-id", "split", scale=SCALE))
        assert r.code == 1, r
        assert n.records("lm.restorepatch"), r.out
        moves = [(f["from"], f["to"]) for f in _failovers_judged(cli, n, "split")]
        assert moves == ([("lb3a", "lb3b"), ("lb3b", "lb3a")] if standby_took_over else [])


def test_safety_net_can_be_turned_off(cli: Any, demo_inputs: Any, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        assert apply_fault(n.sim, "lb3b-lm", "vs-down-after-patch", "1")
        r = cli(*n.run_args("--yes", "--run-id", "off", "--no-lm-rollback", scale=SCALE))
        assert r.code == 1, r
        assert "left on 7.2.48.4 (rollback off)" in r.out
        assert n.records("lm.restorepatch") == []
        _untouched(n, "lb3a")


def test_patch_that_boots_the_old_version_stops_without_a_restore(
        cli: Any, demo_inputs: Any, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        assert apply_fault(n.sim, "lb3b-lm", "old-version")
        r = cli(*n.run_args("--yes", "--run-id", "old", scale=SCALE))
        assert r.code == 1, r
        assert "the patch was not applied" in r.out
        assert n.records("lm.restorepatch") == []
        _untouched(n, "lb3a")
        assert outages(n.sim.events, "pair-3") == ()


def test_backups_of_both_units_before_the_first_change(
        cli: Any, demo_inputs: Any, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        r = cli(*n.run_args("--yes", "--run-id", "bk", scale=SCALE))
        assert r.code == 0, r
        (note,) = _events(n, "bk", "lm-backup")
        paths = [Path(p) for p in note["paths"]]
        assert [p.name[:12] for p in paths] == ["pair-3-lb3a-", "pair-3-lb3b-"]
        for p in paths:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600
            assert p.read_bytes().startswith(b"KEMP-LM-BACKUP")
        first_change = min(x["t"] for x in n.records("lm.installpatch"))
        assert max(x["t"] for x in n.records("lm.backup")) < first_change


def test_a_unit_newer_than_the_plan_is_not_downgraded(
        cli: Any, demo_inputs: Any, tmp_path: Path) -> None:
    """Issue 11 defect 12, night side: the plan upgrades 7.2.48.3 -> 7.2.48.4; by the night the
    standby runs 7.2.48.5.  Without a downgrade in the plan, nothing is installed."""
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        n.sim.device("lb3b-lm").version = "7.2.48.5"  # type: ignore[attr-defined]
        r = cli(*n.run_args("--yes", "--run-id", "dg", scale=SCALE))
        assert r.code == 1, r
        assert "refusing to downgrade" in r.out and "allow_downgrade" in r.out
        assert n.records("lm.installpatch") == [] and n.records("host_power") == []
        assert n.records("job_created") == []
