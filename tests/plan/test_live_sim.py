"""`compliance` and `plan` reading a simulated fleet live (iDRACs and LoadMasters over loopback
HTTPS, CA-verified), against the shipped sample repository catalog."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fwupdate.plan import planfile
from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, PairSpec, SimulatedFleet
from fwupdate.sim.loadmaster import write_patch

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
REPO = ROOT / "catalogs" / "suu-r320" / "repository"


def _node(name: str, profile: str) -> NodeSpec:
    return NodeSpec(
        name,
        DeviceSpec(f"{name}-idrac", "idrac", profile),
        DeviceSpec(f"{name}-lm", "loadmaster", "lm-7.2.48.3", {"rate_limit": 0}),
    )


@pytest.fixture
def live(tmp_path: Path) -> Iterator[dict[str, Path]]:
    spec = FleetSpec(
        pairs=(
            PairSpec("p1", (_node("a1", "r320-idrac7-2.50"), _node("a2", "r320-idrac7-2.65")),
                     {"active": "a1"}),
        )
    )
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=1000.0) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        image = write_patch(tmp_path / "7.2.48.4-BARE-METAL.bin", "7.2.48.4")
        yield {"fleet": fleet, "image": image, "tmp": tmp_path}


def test_live_compliance_and_plan(cli, live) -> None:
    r = cli("compliance", str(live["fleet"]), "--catalog", str(REPO), "--lm-image",
            str(live["image"]), "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    nodes = {n["node"]: n for n in doc["nodes"]}
    assert nodes["a1"]["loadmaster"]["ha_role"] == "active"
    assert nodes["a2"]["loadmaster"]["ha_role"] == "standby"
    comps = {c["component"]: c for c in nodes["a1"]["components"]}
    idrac = comps["Integrated Dell Remote Access Controller"]
    assert (idrac["current"], idrac["target"], idrac["action"]) == (
        "2.50.50.50", "2.65.65.65", "upgrade"
    )
    assert comps["LoadMaster"]["action"] == "upgrade"

    out = live["tmp"] / "plan.json"
    r = cli("plan", str(live["fleet"]), "--catalog", str(REPO),
            "--repository", str(live["tmp"]),  # no DUPs needed: only the LoadMaster is asked for
            "--bundle", str(ROOT / "catalogs" / "r320-loadmaster.toml"),
            "--lm-image", str(live["image"]), "--only", "loadmaster", "--out", str(out),
            "--allow-unsigned")  # the simulated patch is unsigned
    assert r.code == 0, r
    plan = planfile.loads(out.read_text())
    assert plan.groups[0].order == ("a2", "a1")  # standby first
    assert plan.inputs.inventory_source == "live"
    assert [s.kind.value for s in plan.node_steps("a1")] == [
        "precheck", "lm_stage", "lm_reboot", "verify",
    ]
