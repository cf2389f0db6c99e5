"""Injected faults end in their documented outcome (docs/running.md, "Faults"): transient
ones are ridden out, a failed standby stops the pair before the active unit is touched, and the
pair keeps serving throughout."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from runsim import at_target, duplicate_jobs, flashed_twice, night

from fwupdate.chaos.inputs import build_inputs
from fwupdate.sim.idrac import repository as repo_sim
from fwupdate.sim.loadmaster import apply_fault

pytestmark = pytest.mark.integration

SCALE = 800.0


def _report(cli, tmp_path: Path, run: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = cli("report", run, "--runs-dir", str(tmp_path / "runs"), "--format", "json")
    assert r.code == 0, r
    return json.loads(r.out)  # type: ignore[no-any-return]


def _untouched(n, node: str) -> None:  # type: ignore[no-untyped-def]
    """No job, upload or reboot reached `node` (the active unit)."""
    dev = f"{node}-idrac"
    assert [r for r in n.records("job_created") if r["device"] == dev] == []
    assert [r for r in n.records("host_power") if r["device"] == dev] == []


def test_transient_idrac_faults_are_ridden_out(cli, demo_inputs, tmp_path: Path) -> None:
    """503 busy answers on the standby's iDRAC, vanishing Tasks on the active's."""
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        n.sim.device("lb3b-idrac").set_fault("busy", 3)
        n.sim.device("lb3a-idrac").set_fault("task-vanish")
        r = cli(*n.run_args("--yes", "--run-id", "f", scale=SCALE))
        assert r.code == 0, r
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []
        assert [x for x in n.records("busy_answer") if x["device"] == "lb3b-idrac"]
        assert n.availability("pair-3") == (0, 1)


def test_a_repository_update_lc_refused_for_a_package_is_sent_again(
        cli, demo_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Chaos seed 6061 --intensity 3 night 165: LC refused one package of a repository update
    (LC068, before any job was made for it), the repository job failed with LC068, and the
    pair failed; the documented outcome of an LC-busy refusal is that the update is sent again
    once LC is ready and the pair completes.  Nothing is flashed twice."""
    real = repo_sim.stage
    refused: list[str] = []

    def stage(st, *a, **kw):  # type: ignore[no-untyped-def]
        if not refused:  # the first repository run: LC busy when its first job is made
            refused.append(st.name)
            st.set_fault("lc-busy", "LC068,1")
        return real(st, *a, **kw)

    monkeypatch.setattr(repo_sim, "stage", stage)
    inputs = build_inputs(tmp_path / "inputs")  # R640 packages (the demo's bundle is R320's)
    with night(tmp_path, inputs, ("pair-4",), SCALE) as n:
        assert "repo_update" in n.plan_path.read_text()
        r = cli(*n.run_args("--yes", "--run-id", "repo", scale=SCALE))
        assert r.code == 0, r
        assert refused and [x for x in n.records("lc_busy_answer") if x["device"] == refused[0]]
        sends = [x for x in n.records("repository_catalog") if x["device"] == refused[0]]
        assert len(sends) == 2, sends  # sent again once, for what LC had refused
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []


@pytest.mark.parametrize("pair", ["pair-3", "pair-2"])  # Redfish push, WS-Man InstallFromURI
def test_lc_busy_install_is_sent_again_once_lc_is_ready(cli, demo_inputs, tmp_path: Path,
                                                       pair: str) -> None:
    """Campaign seed 21 night 21: one install answered 400 LC068 ("pending configuration job")
    failed the pair.  LC068/RAC0679 refuse before any job exists: the install is sent again
    once LC is ready (bounded), the pair completes, nothing is flashed twice."""
    node = pair.replace("pair-", "lb") + "b"
    with night(tmp_path, demo_inputs, (pair,), SCALE) as n:
        n.sim.device(f"{node}-idrac").set_fault("lc-busy", "LC068,1")
        r = cli(*n.run_args("--yes", "--run-id", "lc", scale=SCALE))
        assert r.code == 0, r
        assert [x for x in n.records("lc_busy_answer") if x["device"] == f"{node}-idrac"]
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []


def test_slow_idrac_return_still_completes(cli, demo_inputs, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-2",), SCALE) as n:
        n.sim.device("lb2b-idrac").set_fault("slow-return", 400)
        r = cli(*n.run_args("--yes", "--run-id", "slow", scale=SCALE))
        assert r.code == 0, r
        assert at_target(n) == []
        ups = [x for x in n.records("idrac_reset") if x["device"] == "lb2b-idrac"]
        assert ups and n.availability("pair-2") == (0, 1)


def test_red007_on_standby_stops_pair_before_active(cli, demo_inputs, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        n.sim.device("lb3b-idrac").set_fault("job-fail", "RED007,1")
        r = cli(*n.run_args("--yes", "--run-id", "red", scale=SCALE))
        assert r.code == 1, r  # the only pair failed
        assert "RED007" in r.out
        _untouched(n, "lb3a")
        assert n.availability("pair-3") == (0, 0)  # lb3a kept serving, no failover
        doc = _report(cli, tmp_path, "red")
        assert [f["message_id"] for f in doc["failures"]] == ["RED007"]
        assert doc["failures"][0]["node"] == "lb3b"
        assert doc["groups"][0]["status"] == "failed"
        assert {s["node"] for s in doc["remaining"]} >= {"lb3a"}


@pytest.mark.parametrize("fault", ["patch-refused", "never-returns"])
def test_loadmaster_faults_stop_pair_partner_still_active(cli, demo_inputs, tmp_path: Path,
                                                          fault: str) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        assert apply_fault(n.sim, "lb3b-lm", fault)
        r = cli(*n.run_args("--yes", "--run-id", "lm", scale=SCALE))
        assert r.code == 1, r
        _untouched(n, "lb3a")
        outages, failovers = n.availability("pair-3")
        assert (outages, failovers) == (0, 0)
        assert n.sim.device("lb3a-lm").hastatus() == "Active"  # type: ignore[attr-defined]
        doc = _report(cli, tmp_path, "lm")
        failed = doc["failures"][0]
        assert failed["node"] == "lb3b"
        assert failed["kind"] == ("lm_stage" if fault == "patch-refused" else "host_reboot")


def test_window_defers_a_pair_that_does_not_fit(cli, demo_inputs, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        soon = (datetime.now().astimezone() + timedelta(seconds=1)).isoformat()
        r = cli(*n.run_args("--yes", "--run-id", "w", "--stop-at", soon, scale=SCALE))
        assert r.code == 3, r
        assert "deferred" in r.out
        assert n.records("job_created") == [] and n.records("upload") == []
        doc = _report(cli, tmp_path, "w")
        assert doc["groups"][0]["status"] == "deferred"
        assert len(doc["remaining"]) == len(n.plan.steps())


def test_dry_run_changes_nothing(cli, demo_inputs, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        r = cli(*n.run_args("--dry-run", scale=SCALE))
        assert r.code == 0, r
        assert "matches the plan" in r.out
        for ev in ("upload", "job_created", "host_reset_requested", "job_queue_cleared"):
            assert n.records(ev) == [], ev
        for ev in ("lm.installpatch", "lm.shutdown", "lm.reboot", "lm.set"):
            assert n.records(ev) == [], ev
        assert not (tmp_path / "runs").exists()
        r = cli(*n.run_args(scale=SCALE))  # no --yes, no terminal
        assert r.code == 2, r
        assert "--yes" in r.err
        assert n.records("job_created") == []


def test_edited_plan_is_refused(cli, demo_inputs, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        text = n.plan_path.read_text()
        text = text.replace('"estimated_seconds": 30', '"estimated_seconds": 1', 1)
        n.plan_path.write_text(text)
        r = cli(*n.run_args("--yes", scale=SCALE))
        assert r.code == 2, r
        assert n.records("job_created") == []


def test_package_changed_since_the_plan_is_refused(cli, demo_inputs, tmp_path: Path) -> None:
    import shutil

    repo = tmp_path / "repo-copy"
    shutil.copytree(demo_inputs.repo, repo)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        bios = next(s.package for s in n.plan.steps() if s.package and "BIOS" in s.package.path)
        assert bios is not None
        with (repo / bios.path).open("r+b") as f:
            f.seek(100)
            f.write(b"X")
        args = n.run_args("--yes", scale=SCALE)
        args[args.index("--repo") + 1] = str(repo)
        r = cli(*args)
        assert r.code == 2, r
        assert "MD5" in r.err and bios.file_name in r.err
        assert n.records("job_created") == []


def test_failure_budget_stops_starting_pairs(cli, demo_inputs, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-2", "pair-3"), SCALE) as n:
        first = n.plan.schedule.entries[0].group
        other = "pair-3" if first == "pair-2" else "pair-2"
        standby = next(g for g in n.plan.groups if g.name == first).order[0]
        n.sim.device(f"{standby}-idrac").set_fault("job-fail", "RED007,1")
        r = cli(*n.run_args("--yes", "--run-id", "b", "--concurrency", "1",
                            "--max-failures", "0", scale=SCALE))
        assert r.code == 3, r
        assert f"{first}: failed" in r.out and f"{other}: deferred" in r.out
        assert "failure budget" in r.out
        other_nodes = {f"{x}-idrac" for g in n.plan.groups if g.name == other for x in g.order}
        assert not [x for x in n.records("job_created") if x["device"] in other_nodes]


def test_a_run_that_starts_while_an_idrac_restarts_waits_for_it(cli, demo_inputs,
                                                                tmp_path: Path) -> None:
    """Chaos seed 9091 --intensity 4 nights 43 and 56: a run (a resume, or the operator's
    fresh run) started while an iDRAC restarted after its own update, sent by a killed run;
    the node's first step gave up after the transport's 3 attempts and the pair failed.  An
    iDRAC that does not answer before its node's first step is waited for (up to the restart
    timeout), and the night completes."""
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        idrac = n.sim.device("lb3b-idrac")
        idrac.set_fault("slow-return", 600)  # 0.75 s real at this scale
        idrac.state.idrac_reset("racreset")  # type: ignore[attr-defined]
        r = cli(*n.run_args("--yes", "--run-id", "back", scale=SCALE))
        assert r.code == 0, r
        assert "waiting for it (it may be restarting)" in r.err
        assert at_target(n) == []
        assert flashed_twice(n) == [] and duplicate_jobs(n) == []
        assert n.availability("pair-3") == (0, 1)


def test_an_idrac_that_never_answers_is_waited_for_once(cli, demo_inputs,
                                                        tmp_path: Path) -> None:
    """The wait for an iDRAC that does not answer before its node is bounded once (the
    restart timeout), not once per read attempt; then the pair fails naming it, its partner
    untouched and still serving."""
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        idrac = n.sim.device("lb3b-idrac")
        idrac.set_fault("never-return", "1")
        idrac.state.idrac_reset("racreset")  # type: ignore[attr-defined]
        r = cli(*n.run_args("--yes", "--run-id", "gone", scale=SCALE))
        assert r.code == 1, r
        assert r.err.count("waiting for it (it may be restarting)") == 1
        assert "cannot talk to the iDRAC" in r.out
        _untouched(n, "lb3a")
        assert n.availability("pair-3") == (0, 0)
