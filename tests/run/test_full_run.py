"""A full night against the simulator over real HTTPS: an iDRAC7 1.57 pair (WS-Man bootstrap
through the stepping stones) and a 2.65 pair (Redfish push), LoadMasters patched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runsim import at_target, duplicate_jobs, flashed_twice, night

pytestmark = pytest.mark.integration

SCALE = 800.0


def test_full_night_every_node_at_target_and_pairs_always_serving(cli, demo_inputs,
                                                                  tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-1", "pair-3"), SCALE) as n:
        r = cli(*n.run_args("--yes", "--run-id", "night-1", scale=SCALE))
        assert r.code == 0, r
        assert "pair-1: done" in r.out and "pair-3: done" in r.out
        assert at_target(n) == []
        for g in n.plan.groups:
            outages, failovers = n.availability(g.name)
            assert outages == 0, g.name
            assert failovers == g.totals.failovers == 1, g.name
        assert flashed_twice(n) == []
        assert duplicate_jobs(n) == []
        # the 1.57 nodes went through every stepping stone, each flashed once
        stones = [r["to_version"] for r in n.records("flashed")
                  if r["device"] == "lb1b-idrac" and r.get("component_id") == "25227"]
        assert stones == ["1.66.65", "2.10.10.10", "2.65.65.65"]

    r = cli("report", "night-1", "--runs-dir", str(tmp_path / "runs"), "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["run_id"] == "night-1" and doc["status"] == "finished"
    assert doc["totals"]["failed"] == 0 and doc["remaining"] == []
    assert doc["totals"]["steps"] == doc["totals"]["done"] == len(n.plan.steps())
    assert {g["group"]: (g["status"], g["failovers"], g["planned_failovers"])
            for g in doc["groups"]} == {"pair-1": ("done", 1, 1), "pair-3": ("done", 1, 1)}
    assert {f["from"] for f in doc["failovers"]} == {"lb1a", "lb3a"}  # the active units
    idr = [s for s in doc["steps"] if s["kind"] == "idrac_update"]
    assert all(s["outcome"]["jid"].startswith("JID_") for s in idr)
    assert {s["node"] for s in doc["nodes"] if s["status"] == "done"} == {
        "lb1a", "lb1b", "lb3a", "lb3b"}
    r = cli("report", "night-1", "--runs-dir", str(tmp_path / "runs"), "--format", "csv")
    assert r.code == 0 and r.out.splitlines()[0].startswith("pair,node,kind,state")
    mode = (tmp_path / "runs" / "night-1.db").stat().st_mode & 0o777
    assert mode == 0o600
