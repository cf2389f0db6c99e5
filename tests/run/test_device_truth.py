"""Every firmware / iDRAC step asks the device first, in a fresh run as on resume (issue 11
defect 6): re-running a partly applied plan (instead of resuming it), or resuming after the
journal lost its last writes, flashes nothing a second time; a force-same plan flashes its
same-version component exactly once per run."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from runsim import LM_PACE, at_target, duplicate_jobs, flashed_twice, night, plan_file

from fwupdate.idrac.facade import IdracFacade
from fwupdate.report.run_report import build_run_report
from fwupdate.run import session, steps_idrac
from fwupdate.run.context import RunSettings
from fwupdate.run.executor import G_DONE, G_STOPPED, Executor
from fwupdate.run.journal import Journal

pytestmark = pytest.mark.integration

SCALE = 800.0


class Crash(BaseException):
    """Stands for SIGKILL: nothing after it runs, the journal keeps what was committed."""


def _forget(journal: Path, node: str) -> None:
    """The journal lost every write about `node` (a damaged WAL): its steps look pending."""
    with contextlib.closing(sqlite3.connect(journal)) as c:
        c.execute("UPDATE steps SET state='pending', outcome=NULL, attempts=0, started_at=NULL,"
                  " finished_at=NULL WHERE node=?", (node,))
        c.execute("DELETE FROM events WHERE node=?", (node,))
        c.commit()


def _night_done(n: Any, tmp_path: Path, settings: RunSettings, run_id: str) -> Path:
    """The whole night run once to the end (every pair done); its journal."""
    path, first = session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs",
                                settings=settings, repo=n.inputs.repo,
                                lm_image=n.inputs.lm_image, run_id=run_id)
    assert first.groups[0].status == G_DONE, first
    return path


@pytest.mark.parametrize("mode", ["fresh-run", "lost-journal"])
def test_partly_applied_plan_is_not_flashed_again(demo_inputs, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  mode: str) -> None:
    monkeypatch.setattr(Executor, "_fits", lambda self, seconds: True)
    monkeypatch.setattr(Executor, "_window_over", lambda self: True)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = tmp_path / "runs"
        path, result = session.start(n.plan_path, n.fleet, runs_dir=runs, settings=settings,
                                     repo=n.inputs.repo, lm_image=n.inputs.lm_image,
                                     run_id="first")
        assert result.groups[0].status == G_STOPPED  # lb3b done, lb3a untouched
        flashed = len(n.records("flashed"))
        assert flashed > 0
        monkeypatch.setattr(Executor, "_window_over", lambda self: False)
        if mode == "fresh-run":
            _path, result = session.start(n.plan_path, n.fleet, runs_dir=runs,
                                          settings=settings, repo=n.inputs.repo,
                                          lm_image=n.inputs.lm_image, run_id="again")
        else:
            _forget(path, "lb3b")
            result = session.resume(path, settings=settings)
        assert result.groups[0].status == G_DONE, result
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []
        assert not [r for r in n.records("flashed") if r["device"] == "lb3b-idrac"][flashed:]
        assert at_target(n) == []
        assert n.availability("pair-3") == (0, 1)


def _force_same_plan(n: Any) -> Path:
    return plan_file(n.fleet, n.inputs, n.tmp / "force-same.json", force_same=True)


@pytest.mark.parametrize("point", ["before-install", "after-create", "after-job"])
def test_force_same_flashes_exactly_once_per_run(demo_inputs, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 point: str) -> None:
    """The force-same plan re-flashes the iDRAC at 2.65.65.65.  A crash before its install
    was sent, after the iDRAC created the job (not yet journaled: the job may even finish
    before the resume), or after its job was journaled, and a resume: flashed exactly once
    per node."""
    real_install = steps_idrac._install
    real_device_install = IdracFacade.install_image
    crashed: list[str] = []

    def device_install(self: IdracFacade, image: Any, **kw: Any) -> Any:
        job = real_device_install(self, image, **kw)
        if point == "after-create" and "component_id" not in kw and not crashed:
            crashed.append(job.jid)
            time.sleep(0.5)  # let the job run and the iDRAC restart before the "crash"
            raise Crash
        return job

    def install(rt: Any, step: Any, idrac: Any, cid: Any) -> Any:
        first = step.node == "lb3b" and step.kind.value == "idrac_update" and not crashed \
            and point != "after-create"
        if first and point == "before-install":
            crashed.append(step.step_id)
            raise Crash
        job = real_install(rt, step, idrac, cid)
        if first:
            crashed.append(step.step_id)
            raise Crash
        return job

    monkeypatch.setattr(steps_idrac, "_install", install)
    monkeypatch.setattr(IdracFacade, "install_image", device_install)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        plan = _force_same_plan(n)
        runs = tmp_path / "runs"
        with pytest.raises(Crash):
            session.start(plan, n.fleet, runs_dir=runs, settings=settings, repo=n.inputs.repo,
                          lm_image=n.inputs.lm_image, run_id="fs")
        assert crashed
        result = session.resume(runs / "fs.db", settings=settings)
        assert result.groups[0].status == G_DONE, result
        idrac_flashes = Counter(r["device"] for r in n.records("flashed")
                                if r.get("to_version") == "2.65.65.65")
        assert idrac_flashes == {"lb3a-idrac": 1, "lb3b-idrac": 1}, n.records("flashed")
        assert at_target(n) == []


def test_fresh_run_reboots_no_loadmaster_already_at_target(demo_inputs, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Separate reboots put an `lm_reboot` (LoadMaster API) on each node.  The first run stops
    after lb3b; a fresh `fwupdate run` of the same plan asks lb3b's LoadMaster first and does not
    reboot it again (one reboot of lb3b in all, nothing flashed twice, no outage)."""
    monkeypatch.setattr(Executor, "_fits", lambda self, seconds: True)
    monkeypatch.setattr(Executor, "_window_over", lambda self: True)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        plan = plan_file(n.fleet, n.inputs, n.tmp / "separate.json", combine_reboots=False)
        assert "lm_reboot" in plan.read_text()
        runs = tmp_path / "runs"
        _p, first = session.start(plan, n.fleet, runs_dir=runs, settings=settings,
                                  repo=n.inputs.repo, lm_image=n.inputs.lm_image, run_id="first")
        assert first.groups[0].status == G_STOPPED, first  # lb3b done, lb3a untouched
        monkeypatch.setattr(Executor, "_window_over", lambda self: False)
        _p, again = session.start(plan, n.fleet, runs_dir=runs, settings=settings,
                                  repo=n.inputs.repo, lm_image=n.inputs.lm_image, run_id="again")
        assert again.groups[0].status == G_DONE, again
        lb3b = [r for r in n.records("lm.reboot") + n.records("lm.shutdown")
                if r["device"] == "lb3b-lm"]
        assert len(lb3b) == 1, lb3b
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []
        assert at_target(n) == []
        assert n.availability("pair-3") == (0, 1)


def test_fresh_run_of_a_finished_plan_finds_the_failover_done(demo_inputs, tmp_path: Path) -> None:
    """Campaign seed 31 night 9: the plan ran to the end (lb3b Active after the planned
    failover), the journal was lost, and a fresh run of the same plan refused the pair at
    pair_precheck ("lb3b is Active, the plan expected lb3a") although every node was at its
    targets.  The unit now Active is the plan's first node, already at its targets: the plan's
    own failover; the run goes on from the devices' truth and touches nothing."""
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs = tmp_path / "runs"
        _p, first = session.start(n.plan_path, n.fleet, runs_dir=runs, settings=settings,
                                  repo=n.inputs.repo, lm_image=n.inputs.lm_image, run_id="first")
        assert first.groups[0].status == G_DONE, first
        assert n.sim.device("lb3b-lm").hastatus() == "Active"  # type: ignore[attr-defined]
        seen = {e: len(n.records(e)) for e in ("host_power", "lm.shutdown", "job_created")}
        _p, again = session.start(n.plan_path, n.fleet, runs_dir=runs, settings=settings,
                                  repo=n.inputs.repo, lm_image=n.inputs.lm_image, run_id="again")
        assert again.groups[0].status == G_DONE, again
        assert {e: len(n.records(e)) for e in seen} == seen
        assert at_target(n) == [] and flashed_twice(n) == []
        assert n.availability("pair-3") == (0, 1)


def test_fresh_run_still_refuses_an_unplanned_role_change(demo_inputs, tmp_path: Path) -> None:
    """The Active role moved behind the plan's back (lb3b Active, not updated): refused."""
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        a, b = n.sim.device("lb3a-lm"), n.sim.device("lb3b-lm")
        pair = a.pair  # type: ignore[attr-defined]
        with pair.lock:  # an operator failed the pair over by hand since the plan was made
            a.role, b.role = b.role, a.role  # type: ignore[attr-defined]
            b.active_since, a.active_since = a.active_since, None  # type: ignore[attr-defined]
            pair.record("manual failover")
        _p, res = session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs",
                                settings=settings, repo=n.inputs.repo,
                                lm_image=n.inputs.lm_image, run_id="moved")
        assert res.groups[0].status == "failed", res
        assert "lb3b is Active, the plan expected lb3a" in (res.groups[0].error or "")
        assert n.records("job_created") == []


def test_resume_after_a_lost_wal_finds_the_failover_on_the_devices(demo_inputs,
                                                                   tmp_path: Path) -> None:
    """Campaign seed 31 night 18: the pair ran to the end, then the journal lost both nodes'
    writes (WAL removed); the resume re-ran lb3b's verify, found it Active (lb3a had handed
    over) and failed "HA role active, expected standby", and the report counted no failover.
    The devices show the plan's own failover (lb3a at its targets): verify accepts it, the
    handover is journaled again, and the report counts the one failover that happened."""
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        path = _night_done(n, tmp_path, settings, "wal")
        _forget(path, "lb3b")
        _forget(path, "lb3a")
        seen = {e: len(n.records(e)) for e in ("host_power", "lm.shutdown", "job_created")}
        result = session.resume(path, settings=settings)
        assert result.groups[0].status == G_DONE, result
        assert {e: len(n.records(e)) for e in seen} == seen
        with Journal.open(path) as j:
            doc = build_run_report(j)
        assert doc["groups"][0]["failovers"] == 1 == n.availability("pair-3")[1]


def test_resume_counts_a_handover_the_journal_lost(demo_inputs, tmp_path: Path) -> None:
    """Campaign seed 71 night 5 / seed 61 night 16 (I8): the journal lost the second node's
    writes, its handover among them (WAL removed); the report counted no failover although
    the Active unit had changed.  The resume finds the Active unit on the devices, journals
    the lost handover, and the report counts the one failover of the night."""
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        path = _night_done(n, tmp_path, settings, "lost")
        _forget(path, "lb3a")  # lb3a handed over to lb3b; that note is gone
        with Journal.open(path) as j:
            assert build_run_report(j)["groups"][0]["failovers"] == 0
        result = session.resume(path, settings=settings)
        assert result.groups[0].status == G_DONE, result
        with Journal.open(path) as j:
            assert build_run_report(j)["groups"][0]["failovers"] == 1
        assert n.availability("pair-3") == (0, 1)


def _forget_after_the_first_nodes_staging(journal: Path) -> None:
    """The journal lost everything after the first node's firmware staging (a WAL removed
    while the second node rebooted): the first node's LoadMaster stage, reboot and verify and
    all of the second node look pending, the second node's handover among the lost writes."""
    with contextlib.closing(sqlite3.connect(journal)) as c:
        (cut,) = c.execute("SELECT min(seq) FROM steps WHERE kind = 'lm_stage'").fetchone()
        c.execute("DELETE FROM events WHERE step_id IN (SELECT step_id FROM steps"
                  " WHERE seq >= ?)", (cut,))
        c.execute("UPDATE steps SET state='pending', outcome=NULL, attempts=0, started_at=NULL,"
                  " finished_at=NULL WHERE seq >= ?", (cut,))
        c.commit()


def test_a_node_the_role_was_handed_back_to_verifies_active(demo_inputs,
                                                             tmp_path: Path) -> None:
    """Campaign seed 9091 --intensity 4 night 37: the journal lost the writes after the first
    node's staging; the resume counted the lost handover, rebooted the first node again (its
    staged job journaled), which handed the Active role back to the second node; the second
    node had nothing left to apply, was not rebooted, and its verify failed "HA role active,
    expected standby".  The journal's last handover gave it the role: Active is right there,
    the pair ends done with every node at its targets and no outage."""
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        path = _night_done(n, tmp_path, settings, "back")
        _forget_after_the_first_nodes_staging(path)
        result = session.resume(path, settings=settings)
        assert result.groups[0].status == G_DONE, result
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []
        outages, changes = n.availability("pair-3")
        with Journal.open(path) as j:
            assert build_run_report(j)["groups"][0]["failovers"] == changes
        assert outages == 0


def _forget_after_first_look(journal: Path) -> None:
    """The journal kept only what the pair_precheck wrote before its VS baseline (the pair's
    first look among it): the precheck looks in flight, every later step pending (a WAL removed
    after the run had handed over)."""
    with contextlib.closing(sqlite3.connect(journal)) as c:
        (cut,) = c.execute("SELECT min(id) FROM events WHERE kind='vs-baseline'").fetchone()
        c.execute("DELETE FROM events WHERE id >= ?", (cut,))
        c.execute("UPDATE steps SET state='pending', outcome=NULL, attempts=0, started_at=NULL,"
                  " finished_at=NULL WHERE kind != 'pair_precheck'")
        c.execute("UPDATE steps SET state='running', outcome=NULL, finished_at=NULL"
                  " WHERE kind = 'pair_precheck'")
        c.commit()


def test_resume_counts_a_handover_lost_with_the_precheck_outcome(demo_inputs,
                                                                 tmp_path: Path) -> None:
    """Campaign seed 505 night 12 (I8, pairs 4 and 5): the journal lost everything after the
    pair_precheck's first look, its outcome and the handover among them (WAL removed); the
    resume re-ran pair_precheck, journaled the already failed-over roles as the pair's
    starting point, and the report counted 0 failovers for 1 change of the Active unit.  The
    first look (noted, written through) tells who was Active before the run: the resume
    journals the lost handover and the report counts it."""
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        path = _night_done(n, tmp_path, settings, "look")
        _forget_after_first_look(path)
        seen = {e: len(n.records(e)) for e in ("host_power", "lm.shutdown", "job_created")}
        result = session.resume(path, settings=settings)
        assert result.groups[0].status == G_DONE, result
        assert {e: len(n.records(e)) for e in seen} == seen
        with Journal.open(path) as j:
            assert build_run_report(j)["groups"][0]["failovers"] == 1
        assert n.availability("pair-3") == (0, 1)



def test_a_checkpointed_note_survives_a_removed_wal(tmp_path: Path) -> None:
    """The first look is written through (`Journal.checkpoint`): removing the WAL after it
    (the campaign's operator mistake) does not lose it."""
    path = tmp_path / "j.db"
    j = Journal.create(path, run_id="j", plan={}, steps=[("p/001", None, "p", "pair_precheck")])
    j.record(None, "p/001", "roles-at-start", {"active": "lb3a"})
    j.checkpoint()
    wal = path.with_name(path.name + "-wal")
    copy = tmp_path / "copy.db"
    copy.write_bytes(path.read_bytes())  # the database file alone, as if the WAL were gone
    j.close()
    assert wal.name  # the WAL is what the copy leaves behind
    with Journal.open(copy) as k:
        assert k.last_note("p/001", "roles-at-start") == {"active": "lb3a"}
