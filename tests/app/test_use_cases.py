"""The application layer's use cases called directly, against the simulator over loopback
HTTPS: typed requests in, typed results out, nothing printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from appsim import SCALE, SimNight

from fwupdate.app.compliance import ComplianceRequest, evaluate
from fwupdate.app.inventory import InventoryRequest, inventory_targets, read_inventory
from fwupdate.app.plan import PlanRequest, make_plan
from fwupdate.app.report import ReportRequest, run_report
from fwupdate.app.run import ResumeRequest, RunRequest, resume_target, start
from fwupdate.app.targets import IdracAccess
from fwupdate.errors import BadInputError
from fwupdate.plan.models import Plan
from fwupdate.run.executor import G_DONE

pytestmark = pytest.mark.integration


def _plan(n: SimNight, **extra: object) -> PlanRequest:
    return PlanRequest(n.fleet, str(n.inputs.catalog), n.inputs.bundle,
                       lm_image=n.inputs.lm_image, **extra)  # type: ignore[arg-type]


def test_inventory_reads_every_node_and_saves_the_document(
        sim_night: SimNight, capsys: pytest.CaptureFixture[str]) -> None:
    out = sim_night.tmp / "inventory.json"
    got = read_inventory(InventoryRequest(fleet_file=sim_night.fleet, out=out))
    assert {r.name for r in got.results} == {"lb3a", "lb3b"}
    assert got.failed == () and got.loadmasters_failed == ()
    assert got.pairs == {"lb3a": "pair-3", "lb3b": "pair-3"}
    assert all(r.idrac is not None and r.idrac.firmware_version for r in got.results)
    assert set(got.loadmasters) == {"lb3a", "lb3b"}
    assert json.loads(out.read_text()) == json.loads(json.dumps(got.document))
    assert capsys.readouterr() == ("", "")  # no printing in the application layer


def test_inventory_targets_refuse_fleet_and_adhoc_together(sim_night: SimNight) -> None:
    req = InventoryRequest(fleet_file=sim_night.fleet,
                           access=IdracAccess(idrac="https://127.0.0.1:1", password_env="X"))
    with pytest.raises(BadInputError, match="not both"):
        inventory_targets(req)
    with pytest.raises(BadInputError, match="no node named nosuch"):
        inventory_targets(InventoryRequest(fleet_file=sim_night.fleet, nodes=("nosuch",)))


def test_plan_and_compliance_from_a_saved_inventory(sim_night: SimNight) -> None:
    inv = sim_night.tmp / "inventory.json"
    read_inventory(InventoryRequest(fleet_file=sim_night.fleet, out=inv))
    out = sim_night.tmp / "plan.json"
    made = make_plan(_plan(sim_night, inventory=inv, out=out,
                           created_at="2026-01-01T00:00:00+00:00"))
    assert isinstance(made.plan, Plan) and made.written == out
    assert [g.name for g in made.plan.groups] == ["pair-3"]
    assert made.plan.totals.failovers == 1 and made.unreadable == ()
    assert json.loads(out.read_text()) == json.loads(json.dumps(made.document))
    fc = evaluate(ComplianceRequest(sim_night.fleet, str(sim_night.inputs.catalog),
                                    sim_night.inputs.bundle, lm_image=sim_night.inputs.lm_image,
                                    inventory=inv))
    assert fc.unknown == ()
    assert {n["node"] for n in fc.document["nodes"]} == {"lb3a", "lb3b"}
    planned = {r.node for n in fc.compliance.nodes for r in n.rows if r.planned}
    assert planned == {"lb3a", "lb3b"}


def test_plan_refuses_an_unknown_node_selector(sim_night: SimNight) -> None:
    with pytest.raises(BadInputError, match="node:nosuch"):
        make_plan(_plan(sim_night, only=("node:nosuch",)))


def test_run_then_report_then_nothing_left_to_resume(sim_night: SimNight) -> None:
    plan_path = sim_night.tmp / "plan.json"
    make_plan(_plan(sim_night, out=plan_path))
    events: list[tuple[str, str]] = []
    runs = sim_night.tmp / "runs"
    night = start(RunRequest(plan_path, sim_night.fleet, repo=sim_night.inputs.repo,
                             lm_image=sim_night.inputs.lm_image, runs_dir=runs,
                             run_id="app-night", time_scale=SCALE, lm_min_interval=0.02),
                  progress=lambda g, m: events.append((g, m)))
    assert night.run_id == "app-night" and night.journal.is_file()
    assert [(g.name, g.status) for g in night.result.groups] == [("pair-3", G_DONE)]
    assert any(g == "pair-3" for g, _ in events)
    report = run_report(ReportRequest("app-night", runs))
    assert report.status == "finished" and report.journal == night.journal
    assert report.document["remaining"] == []
    target = resume_target(ResumeRequest("app-night", runs))
    assert target.journal == night.journal and [g.name for g in target.plan.groups] == ["pair-3"]


def test_run_refuses_a_plan_that_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(BadInputError):
        start(RunRequest(tmp_path / "missing.json", tmp_path / "fleet.toml"))
