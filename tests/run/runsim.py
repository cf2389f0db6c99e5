"""Shared helpers of the executor tests: a small demo fleet over loopback HTTPS, its repository
and LoadMaster patch (built once per session), and a plan made live against it."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.app.plan import PlanRequest, make_plan
from fwupdate.demo.night import active_changes
from fwupdate.demo.scenario import DemoInputs, fleet_spec
from fwupdate.plan import planfile
from fwupdate.plan.models import Plan
from fwupdate.sim.fleet import SimulatedFleet

LM_PACE = 0.02  # LoadMaster call pacing in tests: the simulated units' rate limit is off


@dataclass
class Night:
    sim: SimulatedFleet
    fleet: Path
    plan_path: Path
    plan: Plan
    inputs: DemoInputs
    tmp: Path

    def run_args(self, *extra: str, scale: float) -> list[str]:
        return ["run", str(self.plan_path), str(self.fleet), "--repo", str(self.inputs.repo),
                "--lm-image", str(self.inputs.lm_image), "--runs-dir", str(self.tmp / "runs"),
                "--time-scale", str(scale), "--lm-min-interval", str(LM_PACE), *extra]

    def availability(self, pair: str) -> tuple[int, int]:
        return active_changes(self.sim.events, pair)

    def records(self, event: str) -> list[dict[str, Any]]:
        return list(self.sim.events.records(event=event))


def plan_file(fleet: Path, inputs: Any, out: Path, **options: Any) -> Path:
    """The plan file of `fleet` for `inputs` (catalog, bundle, lm_image), made through the
    application layer as `fwupdate plan` makes it; `options`: other PlanRequest fields."""
    made = make_plan(PlanRequest(fleet, str(inputs.catalog), inputs.bundle,
                                 lm_image=inputs.lm_image, out=out, **options))
    assert not made.unreadable
    return out


@contextlib.contextmanager
def night(tmp: Path, inputs: DemoInputs, pairs: tuple[str, ...], scale: float,
          lm_options: dict[str, object] | None = None) -> Iterator[Night]:
    opts: dict[str, object] = {"rate_limit": 0}
    opts.update(lm_options or {})
    with SimulatedFleet(fleet_spec(pairs, lm_options=opts), workdir=tmp / "sim",
                        time_scale=scale) as sim:
        fleet = sim.write_fleet_file(tmp / "fleet.toml")
        plan_path = tmp / "plan.json"
        plan = planfile.loads(plan_file(fleet, inputs, plan_path).read_text())
        yield Night(sim, fleet, plan_path, plan, inputs, tmp)


def flashed_twice(n: Night) -> list[tuple[Any, ...]]:
    c = Counter((r["device"], r.get("component"), r.get("to_version"))
                for r in n.records("flashed"))
    return [k for k, v in c.items() if v > 1]


def duplicate_jobs(n: Night) -> list[tuple[Any, ...]]:
    c = Counter((r["device"], r.get("component"), r.get("to_version"))
                for r in n.records("job_target"))
    return [k for k, v in c.items() if v > 1]


def at_target(n: Night) -> list[str]:
    """Nodes whose simulated devices are not at every version the plan's verify expects."""
    bad = []
    for g in n.plan.groups:
        for node in g.nodes:
            dev = n.sim.device(f"{node.name}-idrac")
            items = dev.state.inventory(include_available=False)
            have = {str(i.component_id): i.version for i in items if i.state == "Installed"}
            lm = n.sim.device(f"{node.name}-lm")
            for s in n.plan.node_steps(node.name):
                if s.kind.value != "verify":
                    continue
                for x in s.expect:
                    if x.key == "loadmaster":
                        if lm.version != x.version:  # type: ignore[attr-defined]
                            bad.append(f"{node.name} lm {lm.version}")  # type: ignore[attr-defined]
                        continue
                    cid = x.key.split("@")[0].removeprefix("id:")
                    if have.get(cid) != x.version:
                        bad.append(f"{node.name} {x.name} {have.get(cid)} != {x.version}")
    return bad
