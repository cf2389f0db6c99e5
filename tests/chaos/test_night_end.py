"""A wall fault fires during the night only (campaign seed 505 night 36, intensity 3): one due
after the run's last process began its end check (the journal's `end-check` note) or after
that process exited is not fired -- the product can no longer see it, and the checker judges the
state after the night (I2: a VS forced Down 70 ms after the end check read it Up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from fwupdate.chaos.inputs import CampaignInputs, fleet_spec
from fwupdate.chaos.night import FaultPlan, NightPlan, _Night, run_has_ended
from fwupdate.run.journal import Journal
from fwupdate.sim.fleet import SimulatedFleet

VS_DOWN = FaultPlan("pair-5", "vs-down", "2", "wall", delay=5.2)


def _journal(path: Path, *kinds: str) -> None:
    j = Journal.create(path, run_id=path.stem, plan={"schema": 1}, steps=[])
    for kind in kinds:
        j.record(None, None, kind, {})
    j.close()


def _night(out: Path) -> _Night:
    plan = NightPlan(505, 36, ("pair-5",), frozenset(), (VS_DOWN,), (), None, None)
    return _Night(plan, cast(CampaignInputs, None), out, 400.0)


def _forced(sim: SimulatedFleet) -> list[dict[str, Any]]:
    return [r for r in sim.events.records() if r.get("event") == "lm.vs_forced" and r.get("down")]


def test_the_run_has_ended_once_its_last_process_journaled_its_end_check(tmp_path: Path) -> None:
    assert not run_has_ended(tmp_path / "none.db")
    _journal(tmp_path / "a.db", "run-start", "group")
    assert not run_has_ended(tmp_path / "a.db")
    _journal(tmp_path / "b.db", "run-start", "group", "end-check", "run-status")
    assert run_has_ended(tmp_path / "b.db")
    # killed during its end check, then resumed: the resume looks at the devices again
    _journal(tmp_path / "c.db", "run-start", "end-check", "resume", "group")
    assert not run_has_ended(tmp_path / "c.db")


def test_a_wall_fault_due_after_the_runs_end_check_is_not_fired(tmp_path: Path) -> None:
    with SimulatedFleet(fleet_spec(("pair-5",)), workdir=tmp_path / "sim",
                        time_scale=400.0) as sim:  # fmt: skip
        night = _night(tmp_path / "n1")
        _journal(night.runs / "night.db", "run-start", "group")
        night._inject_later(sim, VS_DOWN)  # the run still going: the fault fires
        night._end_night()
        assert len(_forced(sim)) == 1 and night.result.late_faults == []
        sim.shared["pair-5"].pair.set_vs_down(2, down=False)  # type: ignore[attr-defined]

        night = _night(tmp_path / "n2")
        _journal(night.runs / "night.db", "run-start", "group", "end-check")
        night._inject_later(sim, VS_DOWN)  # the end check has read the services: too late
        night._end_night()
        assert len(_forced(sim)) == 1
        assert night.result.late_faults == [VS_DOWN.text()]

        night = _night(tmp_path / "n3")
        _journal(night.runs / "night.db", "run-start", "group")
        night._end_night()  # the last process exited (before its end check was journaled)
        night._inject_later(sim, VS_DOWN)
        assert len(_forced(sim)) == 1 and night.result.late_faults == [VS_DOWN.text()]
