"""The demo night: simulated fleet up, inventory + plan, the run time-scaled, the report, the
availability record checked per pair, the simulator stopped."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.app.compliance import ComplianceRequest, evaluate
from fwupdate.app.inventory import InventoryRequest, read_inventory
from fwupdate.app.plan import PlanRequest, make_plan
from fwupdate.app.run import RunRequest, load_plan, start
from fwupdate.atomicfile import write_text_atomic
from fwupdate.check import Verdict, all_ok, check_night, evidence, read_journal
from fwupdate.demo.scenario import (
    DELIVERY_PAIR,
    PAIR_PROFILES,
    DemoInputs,
    build_inputs,
    fleet_spec,
)
from fwupdate.demo.signing import demo_kit, show_verdicts, signer, tampered_refusal, trusting
from fwupdate.report.html import compliance_html, write_html
from fwupdate.report.run_report import build_run_report
from fwupdate.run.executor import G_DONE, RunResult
from fwupdate.run.journal import Journal
from fwupdate.sim.fleet import SimulatedFleet
from fwupdate.sim.loadmaster import availability

Say = Callable[[str], None]


@dataclass(frozen=True)
class PairCheck:
    pair: str
    outages: int  # intervals with nothing serving on the shared address
    failovers: int  # changes of the Active unit seen by the simulator
    planned_failovers: int

    @property
    def ok(self) -> bool:
        return self.outages == 0 and self.failovers == self.planned_failovers


@dataclass(frozen=True)
class DemoResult:
    ok: bool
    seconds: float
    run: RunResult
    pairs: tuple[PairCheck, ...]
    paths: dict[str, Path]
    verdicts: tuple[Verdict, ...] = ()  # the independent checker's (fwupdate.check)


def active_changes(events: Any, pair: str) -> tuple[int, int]:
    """(outages, changes of the Active unit) from the simulator's availability record."""
    ivs = availability(events, pair)
    outages = sum(1 for i in ivs if not i.serving)
    changes = 0
    last: str | None = None
    for i in ivs:
        if len(i.active) == 1:
            if last is not None and i.active[0] != last:
                changes += 1
            last = i.active[0]
    return outages, changes


def run_demo(out: Path, *, time_scale: float = 400.0, pairs: tuple[str, ...] = tuple(
        PAIR_PROFILES), say: Say = print, concurrency: int = 8) -> DemoResult:
    t0 = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    kit = demo_kit(out, say)
    try:
        with trusting(out, kit):
            say(f"building the sample repository and LoadMaster patch in {out}")
            inputs = build_inputs(
                out,
                delivery=DELIVERY_PAIR in pairs,
                signatures="require" if kit else "off",
                sign=signer(kit) if kit else None,
            )
            if kit is not None:
                say("signature verdicts (fwupdate dup verify):")
                show_verdicts(inputs.repo, inputs.catalog, inputs.lm_image, say)
                say(f"tampered on purpose, refused: {tampered_refusal(inputs.repo, out)}")
            return _night(out, inputs, time_scale=time_scale, pairs=pairs, say=say,
                          concurrency=concurrency, t0=t0)
    finally:
        if kit is not None:
            kit.close()


def _evening(out: Path, fleet: Path, inputs: DemoInputs, *,
             concurrency: int) -> dict[str, Path]:
    """The evening's documents through the application layer: the saved inventory, the plan
    file and the compliance page (what is out of date)."""
    inv_path, plan_path = out / "inventory.json", out / "plan.json"
    inv = read_inventory(InventoryRequest(fleet_file=fleet, out=inv_path))
    if inv.failed and len(inv.failed) == len(inv.results):
        raise RuntimeError("inventory failed (exit 1)")
    planned = make_plan(PlanRequest(fleet, str(inputs.catalog), inputs.bundle,
                                    lm_image=inputs.lm_image, concurrency=concurrency,
                                    out=plan_path))
    if planned.unreadable:
        raise RuntimeError("plan failed (exit 3)")
    fc = evaluate(ComplianceRequest(fleet, str(inputs.catalog), inputs.bundle,
                                    lm_image=inputs.lm_image, inventory=inv_path))
    compliance_path = out / "compliance.html"
    write_html(compliance_html(fc.document), compliance_path)
    return {"inventory": inv_path, "plan": plan_path, "compliance_html": compliance_path}


def _night(out: Path, inputs: DemoInputs, *, time_scale: float, pairs: tuple[str, ...],
           say: Say, concurrency: int, t0: float) -> DemoResult:
    spec = fleet_spec(pairs)
    paths: dict[str, Path] = {"repository": inputs.repo, "lm_image": inputs.lm_image}
    if inputs.iso is not None:
        paths["update_iso"] = inputs.iso
        paths["bundle"] = inputs.bundle
    with SimulatedFleet(spec, workdir=out / "sim", time_scale=time_scale) as sim:
        fleet = sim.write_fleet_file(out / "fleet.toml")
        paths["fleet"] = fleet
        say(f"simulated fleet up: {len(pairs)} HA pair(s), time-scale {time_scale:g}")
        paths.update(_evening(out, fleet, inputs, concurrency=concurrency))
        plan = load_plan(paths["plan"])
        say(f"plan: {plan.totals.steps} steps, {plan.totals.host_reboots} host reboots, "
            f"{plan.totals.failovers} failovers, estimated {plan.schedule.makespan_seconds} s "
            f"of device time (~{plan.schedule.makespan_seconds / time_scale:.0f} s here)")
        opts = dict(plan.options)
        sigs = [s.package.signature for s in plan.steps() if s.package and s.package.signature]
        say(f"plan: signatures = \"{opts.get('signatures', '?')}\": {sum(r.ok for r in sigs)} "
            f"of {len(sigs)} package step(s) verified; catalog signature "
            f"{opts.get('catalog_signature', 'not checked')}")
        t_run = time.monotonic()
        night = start(RunRequest(paths["plan"], fleet, repo=inputs.repo, lm_image=inputs.lm_image,
                                 runs_dir=out / "runs", concurrency=concurrency,
                                 time_scale=time_scale),
                      progress=lambda g, m: say(f"  [{g}] {m}"))
        journal_path, result = night.journal, night.result
        run_seconds = time.monotonic() - t_run
        paths["journal"] = journal_path
        planned = {g.name: g.totals.failovers for g in plan.groups}
        checks = []
        for p in pairs:
            outages, changes = active_changes(sim.events, p)
            checks.append(PairCheck(p, outages, changes, planned.get(p, 0)))
        sim_events, sim_state = sim.events.records(), sim.state_dump()
    with Journal.open(journal_path) as journal:
        report = build_run_report(journal)
    verdicts = check_night(evidence(read_journal(journal_path), sim_events=sim_events,
                                    sim_state=sim_state, report=report, label="demo"))
    report["demo"] = {"time_scale": time_scale, "run_wall_seconds": round(run_seconds, 2),
                      "availability": [c.__dict__ for c in checks]}
    rpath = out / "report.json"
    write_text_atomic(rpath, json.dumps(report, indent=2, sort_keys=True, default=str))
    paths["report_json"] = rpath
    try:
        from fwupdate.report.html import run_html  # the HTML renderer, when present

        hpath = out / "report.html"
        write_text_atomic(hpath, run_html(report))
        paths["report_html"] = hpath
    except ImportError:  # pragma: no cover - renderer not installed
        pass
    ok = (all(g.status == G_DONE for g in result.groups) and all(c.ok for c in checks)
          and all_ok(verdicts))  # fmt: skip
    return DemoResult(ok, time.monotonic() - t0, result, tuple(checks), paths, verdicts)
