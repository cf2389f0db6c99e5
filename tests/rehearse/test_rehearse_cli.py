"""(c) `fwupdate rehearse PLAN --inventory FILE` end to end from the CLI: a one-pair fleet is
inventoried and planned offline, its simulator stopped, then the night is rehearsed against a
simulated copy built from the saved inventory alone."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from fwupdate.demo.scenario import DemoInputs, fleet_spec
from fwupdate.sim.fleet import SimulatedFleet

pytestmark = pytest.mark.integration


def _saved_site(cli, tmp: Path, inputs: DemoInputs) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    inv, plan = tmp / "inventory.json", tmp / "plan.json"
    with SimulatedFleet(fleet_spec(("pair-3",)), workdir=tmp / "real", time_scale=1000.0) as sim:
        fleet = sim.write_fleet_file(tmp / "fleet.toml")
        assert cli("inventory", str(fleet), "--out", str(inv), "--format", "json").code == 0
    r = cli("plan", str(fleet), "--inventory", str(inv), "--catalog", str(inputs.catalog),
            "--bundle", str(inputs.bundle), "--lm-image", str(inputs.lm_image), "--format",
            "json", "--out", str(plan))
    assert r.code == 0, r
    return inv, plan


def _rehearse(cli, plan: Path, inv: Path, inputs: DemoInputs, out: Path):  # type: ignore[no-untyped-def]
    return cli("rehearse", str(plan), "--inventory", str(inv), "--time-scale", "1000",
               "--repo", str(inputs.repo), "--lm-image", str(inputs.lm_image),
               "--out", str(out), "--quiet")


def test_rehearse_one_pair_passes(cli, tmp_path: Path, demo_inputs: DemoInputs) -> None:
    inv, plan = _saved_site(cli, tmp_path, demo_inputs)
    t0 = time.monotonic()
    r = _rehearse(cli, plan, inv, demo_inputs, tmp_path / "reh")
    wall = time.monotonic() - t0
    assert r.code == 0, r
    assert "pair-3: done" in r.out
    assert "pair-3: outcome: OK: done" in r.out
    for inv in ("I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8"):  # the independent checker
        assert f"night: {inv}: OK: " in r.out, r.out
    assert "rehearsal passed" in r.out and r.err == ""
    assert wall < 30
    events = [json.loads(line) for line in (tmp_path / "reh" / "events.jsonl").open()]
    flashed = {(e["device"], e["component"]) for e in events if e["event"] == "flashed"}
    assert ("lb3a-idrac", "bios") in flashed and ("lb3b-idrac", "bios") in flashed
    assert list((tmp_path / "reh" / "runs").glob("*.db"))


def test_rehearse_exits_1_on_a_checker_violation(
        cli, tmp_path: Path, demo_inputs: DemoInputs, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdicts are the checker's (fwupdate.check), judged from the rehearsal's own evidence:
    a final device state with lb3a's host off (the report silent about it) is an I7 violation,
    and the rehearsal fails although every pair is done."""
    inv, plan = _saved_site(cli, tmp_path, demo_inputs)
    real = SimulatedFleet.state_dump

    def dump(self: SimulatedFleet) -> dict[str, Any]:
        doc = real(self)
        doc["devices"]["lb3a-idrac"]["power"] = "Off"
        return doc

    monkeypatch.setattr(SimulatedFleet, "state_dump", dump)
    r = _rehearse(cli, plan, inv, demo_inputs, tmp_path / "reh")
    assert r.code == 1, r
    assert "pair-3: outcome: OK: done" in r.out
    assert "lb3a: I7: VIOLATION: host left powered off" in r.out, r.out
    assert "night: I1: OK" in r.out and "rehearsal FAILED" in r.out


def test_rehearse_fails_when_the_inventory_is_not_the_plans(
    cli, tmp_path: Path, demo_inputs: DemoInputs
) -> None:
    inv, plan = _saved_site(cli, tmp_path, demo_inputs)
    doc = json.loads(inv.read_text())
    for c in doc["nodes"][1]["components"]:
        if c["name"] == "BIOS":
            c["version"] = "2.5.0"  # lb3b was updated by hand since the plan was made
    inv.write_text(json.dumps(doc))
    r = _rehearse(cli, plan, inv, demo_inputs, tmp_path / "reh")
    assert r.code == 1, r
    assert "is not the inventory the plan was made from" in r.err
    assert "pair-3: outcome: VIOLATION: failed" in r.out
    assert "rehearsal FAILED" in r.out


def test_rehearse_bad_inventory_is_bad_input(cli, tmp_path: Path,
                                             demo_inputs: DemoInputs) -> None:
    _, plan = _saved_site(cli, tmp_path, demo_inputs)
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    r = _rehearse(cli, plan, bad, demo_inputs, tmp_path / "reh")
    assert r.code == 2, r
    assert r.err.count("\n") == 1 and "bad.json" in r.err
