"""Crashes at the worst moments, made deterministic: the process dies right after the Active
unit handed its role over (before the host reboot was sent), and right after an iDRAC returned
a job id (before anything waited for it).  Resume must converge without a second job, a second
flash or an outage."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from runsim import LM_PACE, at_target, duplicate_jobs, flashed_twice, night, plan_file

from fwupdate.chaos.inputs import build_inputs, fleet_spec
from fwupdate.demo.night import active_changes
from fwupdate.idrac.facade import IdracFacade
from fwupdate.idrac.redfish import power
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.report.run_report import build_run_report
from fwupdate.run import session, steps_idrac, steps_lm
from fwupdate.run.context import RunSettings
from fwupdate.run.journal import Journal
from fwupdate.sim.fleet import SimulatedFleet
from fwupdate.sim.loadmaster import outages

pytestmark = pytest.mark.integration

SCALE = 800.0


class Crash(BaseException):
    """Stands for SIGKILL: nothing after it runs, the journal keeps what was committed."""


def test_crash_after_handover_and_after_job_creation(demo_inputs, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    real_send = steps_idrac._send_reboot
    real_install = steps_idrac._install
    crashed: list[str] = []

    def send(rt: Any, step: Any, idrac: Any, jids: list[str]) -> None:
        if step.node == "lb3a" and "reboot" not in crashed:
            crashed.append("reboot")
            raise Crash
        real_send(rt, step, idrac, jids)

    def install(rt: Any, step: Any, idrac: Any, cid: Any) -> Any:
        job = real_install(rt, step, idrac, cid)
        if step.node == "lb3b" and "install" not in crashed:
            crashed.append("install")
            raise Crash
        return job

    monkeypatch.setattr(steps_idrac, "_send_reboot", send)
    monkeypatch.setattr(steps_idrac, "_install", install)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = tmp_path / "runs"
        _start_until_crash(n, runs, settings, "c")
        assert crashed == ["install"]
        journal = runs / "c.db"
        with pytest.raises(Crash):
            session.resume(journal, settings=settings)
        assert crashed == ["install", "reboot"]
        with Journal.open(journal) as j:
            handed = j.events(kind="handover")
            assert [e.node for e in handed] == ["lb3a"]
            assert j.events(kind="reboot-sent")[-1].node == "lb3b"
        result = session.resume(journal, settings=settings)
        assert [g.status for g in result.groups] == ["done"]
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []
        assert n.availability("pair-3") == (0, 1)


def _start_until_crash(n: Any, runs: Path, settings: RunSettings, run_id: str) -> None:
    """Start the night's plan; the monkeypatched device call crashes the process (Crash)."""
    with pytest.raises(Crash):
        session.start(n.plan_path, n.fleet, runs_dir=runs, settings=settings,
                      repo=n.inputs.repo, lm_image=n.inputs.lm_image, run_id=run_id)


@pytest.mark.parametrize("when", ["before-shutdown", "after-shutdown"])
def test_crash_around_the_handover_shutdown_never_loses_service(
        demo_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    """Issue 11 defect 1: the process dies just before (or just after) the Active unit's
    `shutdown` is sent.  Resume must look at the unit's real role: still Active -> hand over in
    order first; shut down -> wait for the partner.  The availability record shows no outage."""
    real_call = LoadMasterClient.call
    crashed: list[str] = []

    def call(self: LoadMasterClient, command: str, *args: Any, **kw: Any) -> Any:
        if command == "shutdown" and not crashed:
            crashed.append(self.name)
            if when == "after-shutdown":
                real_call(self, command, *args, **kw)
            raise Crash
        return real_call(self, command, *args, **kw)

    monkeypatch.setattr(LoadMasterClient, "call", call)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = tmp_path / "runs"
        _start_until_crash(n, runs, settings, "h")
        assert crashed == ["lb3a"]
        result = session.resume(runs / "h.db", settings=settings)
        assert [g.status for g in result.groups] == ["done"]
        assert outages(n.sim.events, "pair-3") == ()
        assert n.availability("pair-3") == (0, 1)
        assert at_target(n) == []
        with Journal.open(runs / "h.db") as j:
            assert [e.node for e in j.events(kind="handover")] == ["lb3a"]


def _crash_at_reset(monkeypatch: pytest.MonkeyPatch, kind: str, sent: bool) -> list[str]:
    """The process dies once at the host reset `kind`, before it is sent or (`sent`) right
    after; returns the list that records the crash."""
    real_reset = power.reset_system
    crashed: list[str] = []

    def reset(t: Any, caps: Any, what: str) -> bool:
        if what == kind and not crashed and not sent:
            crashed.append(what)
            raise Crash
        out = real_reset(t, caps, what)
        if what == kind and not crashed:
            crashed.append(what)
            raise Crash
        return out

    monkeypatch.setattr(power, "reset_system", reset)
    return crashed


@pytest.mark.parametrize("point", ["before-on", "after-shutdown"])
def test_crash_inside_the_host_power_cycle_powers_the_host_on(
        demo_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    """Issue 11 defect 4: the process dies between GracefulShutdown and On (the host off, or
    still shutting down).  Resume finishes the power cycle: the host is on, the staged jobs
    ran, the pair is done; nothing flashed twice."""
    crashed = _crash_at_reset(monkeypatch, *(("On", False) if point == "before-on"
                                             else ("GracefulShutdown", True)))
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = tmp_path / "runs"
        _start_until_crash(n, runs, settings, "p")
        assert crashed
        result = session.resume(runs / "p.db", settings=settings)
        assert [g.status for g in result.groups] == ["done"], result
        for name in ("lb3a", "lb3b"):
            assert n.sim.device(f"{name}-idrac").state.power_state == "On"  # type: ignore[attr-defined]
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []
        assert n.availability("pair-3") == (0, 1)


def _crash_once_the_job_exists(monkeypatch: pytest.MonkeyPatch, component: str) -> list[str]:
    """The first install of `component` reaches the iDRAC (its job exists), then the process
    "dies" before the JID is journaled; returns the list the job id is put in."""
    real_install = IdracFacade.install_image
    crashed: list[str] = []

    def install(self: IdracFacade, image: Any, **kw: Any) -> Any:
        job = real_install(self, image, **kw)
        if kw.get("component_id") == component and not crashed:
            crashed.append(job.jid)
            raise Crash
        return job

    monkeypatch.setattr(IdracFacade, "install_image", install)
    return crashed


@pytest.mark.parametrize("component", ["159", "25806"])  # BIOS (staged), Diagnostics (now)
def test_crash_between_job_creation_and_journal_adopts_the_job(
        demo_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, component: str) -> None:
    """Issue 11 defect 5: the iDRAC created the job, the process died before the JID was
    journaled.  Resume adopts the device's job for that component instead of uploading again
    (which the iDRAC refuses with RED014, leaving the staged job armed)."""
    crashed = _crash_once_the_job_exists(monkeypatch, component)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = tmp_path / "runs"
        _start_until_crash(n, runs, settings, "j")
        result = session.resume(runs / "j.db", settings=settings)
        assert [g.status for g in result.groups] == ["done"], result
        with Journal.open(runs / "j.db") as j:
            adopted = [e.data["jid"] for e in j.events(kind="job") if e.data.get("adopted")]
        assert adopted in ([], crashed)  # an apply-now job may have finished meanwhile
        assert component != "159" or adopted == crashed
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []


def test_a_job_whose_journal_was_lost_is_adopted_not_uploaded_again(
        demo_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Campaign seed 101 night 33: the iDRAC created the BIOS job, the process died, and the
    journal lost the step with its WAL (the step reads as never started).  The next attempt
    is not a resume of that step, yet it must ask the device first: it adopts the pending job
    named for the component instead of uploading again (RED014, pair failed)."""
    import sqlite3

    crashed = _crash_once_the_job_exists(monkeypatch, "159")
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = tmp_path / "runs"
        _start_until_crash(n, runs, settings, "w")
        with contextlib.closing(sqlite3.connect(runs / "w.db")) as c:  # the WAL's writes lost
            lost = [r[0] for r in c.execute("SELECT step_id FROM steps WHERE state != 'done'")]
            c.execute("UPDATE steps SET state='pending', outcome=NULL, attempts=0, "
                      "started_at=NULL, finished_at=NULL WHERE state != 'done'")
            c.executemany("DELETE FROM events WHERE step_id = ?", [(s,) for s in lost])
            c.commit()
        result = session.resume(runs / "w.db", settings=settings)
        assert [g.status for g in result.groups] == ["done"], result
        with Journal.open(runs / "w.db") as j:
            adopted = [e.data["jid"] for e in j.events(kind="job") if e.data.get("adopted")]
        assert adopted == crashed
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []


def _crash_after_a_handover(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """A handover that went through raises Crash (the shutdown went out, the partner took
    over; nothing journaled after it); returns what puts the real handover back."""
    real = steps_lm.proc.handover

    def handover(*a: Any, **kw: Any) -> Any:
        if real(*a, **kw):
            raise Crash
        return False

    monkeypatch.setattr(steps_lm.proc, "handover", handover)
    return lambda: monkeypatch.setattr(steps_lm.proc, "handover", real)


def test_resume_of_a_delivery_step_killed_after_its_handover(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """Campaign seed 51 night 17: a kill after the Active unit's orderly shutdown in a
    repository/virtual-media step; the resume refused ("partner not ready": the pair was
    still settling from our own shutdown), so the pair failed and the report counted no
    failover although the Active unit had changed.  The resume finishes the handover."""
    inputs = build_inputs(tmp_path / "inputs")
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with SimulatedFleet(fleet_spec(("pair-4",)), workdir=tmp_path / "sim",
                        time_scale=SCALE) as sim:  # fmt: skip
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        plan = plan_file(fleet, inputs, tmp_path / "plan.json")
        assert "repo_update" in plan.read_text() or "vmedia_update" in plan.read_text()
        undo = _crash_after_a_handover(monkeypatch)
        with pytest.raises(Crash):
            session.start(plan, fleet, runs_dir=tmp_path / "runs", settings=settings,
                          repo=inputs.repo, lm_image=inputs.lm_image, run_id="dl")
        undo()
        result = session.resume(tmp_path / "runs" / "dl.db", settings=settings)
        assert result.groups[0].status == "done", result
        with Journal.open(tmp_path / "runs" / "dl.db") as j:
            assert build_run_report(j)["groups"][0]["failovers"] == 1
        assert outages(sim.events, "pair-4") == ()


def test_a_handover_whose_confirmation_was_lost_is_counted_when_its_step_ends_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Campaign seed 9091 --intensity 4 night 51 (I8): killed just after the Active unit's
    orderly shutdown in a delivery step (the request noted, not its confirmation); a resume
    finished the pair, then its writes were lost with the WAL; the next resume found the
    node at its targets and ended the step at once, never confirming the handover, and the
    report counted 0 failovers for 1 change of the Active unit.  Now the resume finds the
    requested unit Active on the devices and confirms it, once."""
    inputs = build_inputs(tmp_path / "inputs")
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    runs = tmp_path / "runs"
    with SimulatedFleet(fleet_spec(("pair-4",)), workdir=tmp_path / "sim",
                        time_scale=SCALE) as sim:  # fmt: skip
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        plan = plan_file(fleet, inputs, tmp_path / "plan.json")
        undo = _crash_after_a_handover(monkeypatch)
        with pytest.raises(Crash):
            session.start(plan, fleet, runs_dir=runs, settings=settings,
                          repo=inputs.repo, lm_image=inputs.lm_image, run_id="lost")
        undo()
        _copy_journal(runs / "lost.db", tmp_path / "asked.db")
        assert session.resume(runs / "lost.db", settings=settings).groups[0].status == "done"
        for suffix in ("-wal", "-shm"):
            (runs / f"lost.db{suffix}").unlink(missing_ok=True)
        _copy_journal(tmp_path / "asked.db", runs / "lost.db")  # the resume's writes lost
        result = session.resume(runs / "lost.db", settings=settings)
        assert result.groups[0].status == "done", result
        with Journal.open(runs / "lost.db") as j:
            assert build_run_report(j)["groups"][0]["failovers"] == 1
        assert active_changes(sim.events, "pair-4") == (0, 1)


def _copy_journal(src: Path, dst: Path) -> None:
    """A consistent copy of a journal (its WAL included), through SQLite's backup."""
    with contextlib.closing(sqlite3.connect(src)) as a, \
            contextlib.closing(sqlite3.connect(dst)) as b:
        a.backup(b)


@pytest.mark.parametrize("boot_noted", [True, False])
def test_journal_losing_a_finished_power_cycle_never_cycles_the_active_unit(
        demo_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, boot_noted: bool) -> None:
    """Issue 11, seed 505 night 9: the process dies after the first node's GracefulShutdown;
    a resume finishes the pair (the partner hands the Active role to that node); then the
    journal loses those writes (a damaged WAL) and a resume finds the cut power cycle again.
    The node's LoadMaster booted since the reboot was requested: the cycle completed, and the
    now Active unit is not powered off behind its partner's back.  No outage, the pair done.
    Without the boot time noted at the request, the Active unit hands over in order before the
    cycle is finished: no outage either."""
    _crash_at_reset(monkeypatch, "GracefulShutdown", True)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = tmp_path / "runs"
        _start_until_crash(n, runs, settings, "w")
        _copy_journal(runs / "w.db", tmp_path / "lost.db")
        assert [g.status for g in session.resume(runs / "w.db", settings=settings).groups] \
            == ["done"]
        for suffix in ("-wal", "-shm"):
            (runs / f"w.db{suffix}").unlink(missing_ok=True)
        _copy_journal(tmp_path / "lost.db", runs / "w.db")  # the later writes lost
        if not boot_noted:
            with contextlib.closing(sqlite3.connect(runs / "w.db")) as db, db:
                db.execute("UPDATE events SET data = json_set(data, '$.boot_time', json('null'))"
                           " WHERE kind = 'reboot-requested'")
        result = session.resume(runs / "w.db", settings=settings)
        assert outages(n.sim.events, "pair-3") == ()
        if not boot_noted:
            return  # the handover back is not the plan's: only I1 is asserted here
        assert [g.status for g in result.groups] == ["done"], result
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []
