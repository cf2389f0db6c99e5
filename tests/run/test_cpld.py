"""CPLD apply (rule N7, docs/running.md "CPLD"): `[opt_in] cpld = true` plans a `cpld_apply`
that `fwupdate run` executes: CPLD alone after the node's other staged components and their
reboot, its own host reboot with the partner check and handover, through the simulated
virtual AC cycle."""

from __future__ import annotations

import json
import sys
from pathlib import Path

_DELIVERY = str(Path(__file__).resolve().parents[1] / "delivery")
if _DELIVERY not in sys.path:
    sys.path.insert(0, _DELIVERY)

from delivery_support import TIME_SCALE, build_repo, component  # noqa: E402

from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, PairSpec, SimulatedFleet  # noqa: E402

R320 = "04F7"
BUNDLE = """schema_version = 1
signatures = "off"
[bundle]
name = "r320-cpld"
[opt_in]
cpld = true
"""


def test_a_pair_night_with_cpld(cli, tmp_path: Path) -> None:
    comps = [
        component("159", "2.9.0", "BIOS", component_type="BIOS", system_id=R320),
        component("27763", "1.0.4", "System CPLD", system_id=R320),
    ]
    repo = build_repo(tmp_path / "repo", comps)
    # build_repo bundles the R640 system id; the components name the R320
    bundle = tmp_path / "bundle.toml"
    bundle.write_text(BUNDLE)

    def node(name: str) -> NodeSpec:
        return NodeSpec(
            name,
            DeviceSpec(f"{name}-idrac", "idrac", "r320-idrac7-2.65", {}),
            DeviceSpec(f"{name}-lm", "loadmaster", "lm-7.2.48.3", {"rate_limit": 0}),
        )

    spec = FleetSpec(pairs=(PairSpec("pair-1", (node("lb1a"), node("lb1b")),
                                     {"active": "lb1a"}),))
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=TIME_SCALE) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        plan_path = tmp_path / "plan.json"
        r = cli("plan", str(fleet), "--catalog", repo.catalog, "--bundle", str(bundle),
                "--format", "json", "--out", str(plan_path))
        assert r.code == 0, (r.out, r.err)
        steps = [s for g in json.loads(plan_path.read_text())["groups"] for s in g["steps"]]
        kinds = [(s["node"], s["kind"]) for s in steps]
        for n in ("lb1a", "lb1b"):
            mine = [k for nn, k in kinds if nn == n]
            assert mine.index("cpld_apply") > mine.index("host_reboot"), mine
        cpld = [s for s in steps if s["kind"] == "cpld_apply"]
        assert all(s["requires_partner_healthy"] for s in cpld)
        r = cli("run", str(plan_path), str(fleet), "--repo", str(tmp_path / "repo"),
                "--runs-dir", str(tmp_path / "runs"), "--time-scale", str(TIME_SCALE),
                "--lm-min-interval", "0.02", "--yes")
        assert r.code == 0, (r.out, r.err)
        for n in ("lb1a", "lb1b"):
            st = sim.device(f"{n}-idrac").state  # type: ignore[attr-defined]
            assert st.component_version("cpld") == "1.0.4"
            assert st.component_version("bios") == "2.9.0"
            ev = [e["event"] for e in sim.events.records(device=f"{n}-idrac")]
            assert ev.count("virtual_ac_cycle") == 1
            # the CPLD job ran alone: its own reboot, after the BIOS's
            flashed = [e for e in sim.events.records(device=f"{n}-idrac")
                       if e["event"] == "flashed"]
            assert [e["component"] for e in flashed] == ["bios", "cpld"], flashed
        # the active node went down only after an orderly handover
        assert "lb1a: handing the Active role to lb1b" in r.err, r.err
        assert r.err.count("waiting through the virtual AC cycle") == 2, r.err
