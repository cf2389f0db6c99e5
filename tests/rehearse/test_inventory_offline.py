"""(a) `inventory --out` records what planning needs (LoadMaster version, HA role, Virtual
Services, service tag), and `plan --inventory FILE` then plans pairs with no device reachable,
giving the same plan as live planning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwupdate.demo.scenario import DemoInputs, fleet_spec
from fwupdate.errors import BadInputError
from fwupdate.loadmaster.models import HaRole
from fwupdate.loadmaster.status_io import status_from_json
from fwupdate.sim.fleet import SimulatedFleet

pytestmark = pytest.mark.integration

CREATED = "2026-12-06T05:00:00+00:00"


def _plan_args(fleet: Path, inputs: DemoInputs, out: Path) -> list[str]:
    return ["plan", str(fleet), "--catalog", str(inputs.catalog), "--bundle", str(inputs.bundle),
            "--lm-image", str(inputs.lm_image), "--created-at", CREATED, "--format", "json",
            "--out", str(out)]


def test_inventory_out_then_offline_plan_equals_live(cli, tmp_path: Path,
                                                      demo_inputs: DemoInputs) -> None:
    spec = fleet_spec(("pair-3",), lm_options={"rate_limit": 0})
    inv = tmp_path / "inventory.json"
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=1000.0) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        r = cli("inventory", str(fleet), "--format", "json", "--out", str(inv))
        assert r.code == 0, r
        r = cli(*_plan_args(fleet, demo_inputs, tmp_path / "live.json"))
        assert r.code == 0, r
        tags = {n.name: sim.device(f"{n.name}-idrac").state.service_tag  # type: ignore[attr-defined]
                for n in spec.nodes()}
    # the simulator is stopped: nothing answers any more
    doc = json.loads(inv.read_text())
    nodes = {n["name"]: n for n in doc["nodes"]}
    assert nodes["lb3a"]["system"]["service_tag"] == tags["lb3a"]
    lm_a, lm_b = nodes["lb3a"]["loadmaster"], nodes["lb3b"]["loadmaster"]
    assert (lm_a["version"], lm_a["ha_role"], lm_b["ha_role"]) == ("7.2.48.3", "active", "standby")
    assert [(v["name"], v["port"], v["status"]) for v in lm_a["virtual_services"]] == [
        ("web", "443", "Up"), ("api", "8443", "Up")]
    assert lm_a["virtual_services"][0]["address"] == "10.154.0.11"
    assert lm_a["error"] is None and lm_a["serial"]

    r = cli(*_plan_args(fleet, demo_inputs, tmp_path / "offline.json")[:-4], "--inventory",
            str(inv), "--format", "json", "--out", str(tmp_path / "offline.json"))
    assert r.code == 0, r
    assert "not planned" not in r.err
    live = json.loads((tmp_path / "live.json").read_text())
    offline = json.loads((tmp_path / "offline.json").read_text())
    assert offline["inputs"]["inventory"]["source"] == str(inv)
    assert live["inputs"]["inventory"]["source"] == "live"
    for d in (live, offline):
        d["inputs"]["inventory"].pop("source")
        d.pop("content_sha256")
    assert offline == live
    assert [g["order"] for g in offline["groups"]] == [["lb3b", "lb3a"]]


def test_unreadable_loadmaster_is_recorded_and_exits_partial(cli, tmp_path: Path) -> None:
    spec = fleet_spec(("pair-3",), lm_options={"rate_limit": 0, "api_enabled": False})
    inv = tmp_path / "inventory.json"
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=1000.0) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        r = cli("inventory", str(fleet), "--format", "json", "--out", str(inv))
    assert r.code == 3, r
    assert "lb3a: LoadMaster:" in r.err
    lm = json.loads(inv.read_text())["nodes"][0]["loadmaster"]
    assert lm["error"] and lm["version"] is None


def test_old_loadmaster_object_still_loads() -> None:
    st = status_from_json({"address": "https://10.0.0.11", "version": "7.1-Patch28a",
                           "ha_role": "Standby"}, "nodes[0].loadmaster")
    assert (st.version, st.ha_role, st.virtual_services, st.error) == (
        "7.1-Patch28a", HaRole.STANDBY, (), None)
    where = r"nodes\[0\].loadmaster.virtual_services\[0\]: missing name"
    with pytest.raises(BadInputError, match=where):
        status_from_json({"virtual_services": [{"port": "80"}]}, "nodes[0].loadmaster")
