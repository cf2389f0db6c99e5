"""The planner on the shipped sample repository catalog and bundle (catalogs/), with an
inventory shaped like the simulated R320's (same component ids and names)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import plan_factories as pf
import pytest

from fwupdate.catalog.loader import load_catalog
from fwupdate.catalog.models import PciInfo
from fwupdate.idrac.models import NodeInventory
from fwupdate.plan.compliance import fleet_compliance
from fwupdate.plan.models import Action, StepKind
from fwupdate.plan.policy import policy_from_mapping

ROOT = Path(__file__).resolve().parents[2]
REPO = ROOT / "catalogs" / "suu-r320" / "repository"
BUNDLE = ROOT / "catalogs" / "r320-loadmaster.toml"


def sim_like_inventory(name: str, idrac: str) -> NodeInventory:
    inv = pf.r320_inventory(name, idrac)
    comps = (
        pf.fw("Integrated Dell Remote Access Controller", idrac, "25227"),
        pf.fw("BIOS", "2.4.2", "159"),
        pf.fw("Dell 32 Bit uEFI Diagnostics", "4239A35", "25806"),
        pf.fw("OS Drivers Pack", "14.10.00", "18981"),
        pf.fw("Broadcom Gigabit Ethernet BCM5720", "7.8.16", "103014", fqdd="NIC.Embedded.1-1-1"),
        # component id 0 with PCI ids: matched by PCI
        pf.fw("Broadcom Gigabit Ethernet BCM5720", "7.8.16", "0",
              pci=PciInfo("14E4", "165F", "1028", "1F5B"), fqdd="NIC.Embedded.2-1-1"),
        pf.fw("PERC H310 Mini", "20.12.1-0002", "105108"),
        pf.fw("Backplane 1", "1.00", "11204"),
        pf.fw("PS1 Status", "06.00.2B", "104131"),
        pf.fw("System CPLD", "1.0.2", "27763"),
        pf.fw("OS COLLECTOR", "1.1", "0"),
    )
    return NodeInventory(name=name, idrac=inv.idrac, system=inv.system, components=comps)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory):
    return load_catalog(str(REPO), system_id="04F7", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def policy():
    return policy_from_mapping(tomllib.loads(BUNDLE.read_text()), source=str(BUNDLE))


def test_sample_compliance(catalog, policy) -> None:
    f = pf.fleet(("p1",))
    invs = {n.name: sim_like_inventory(n.name, "2.50.50.50") for n in f.nodes()}
    fc = fleet_compliance(fleet=f, inventories=invs, catalog=catalog, policy=policy)
    rows = {(r.name, r.match_rule): r for r in fc.nodes[0].rows}
    idrac = rows[("Integrated Dell Remote Access Controller", "component-id")]
    assert idrac.action is Action.UPGRADE and idrac.target == "2.65.65.65"
    assert rows[("BIOS", "component-id")].target == "2.9.0"
    assert rows[("Broadcom Gigabit Ethernet BCM5720", "pci-ids")].action is Action.UPGRADE
    assert rows[("Backplane 1", "component-id")].kind.value == "backplane"
    assert rows[("PS1 Status", "component-id")].action is Action.EXCLUDED
    assert rows[("System CPLD", "component-id")].action is Action.EXCLUDED
    assert rows[("OS COLLECTOR", None)].action is Action.NOT_IN_CATALOG
    assert fc.status.value == "critical"  # BIOS 2.9.0 is Urgent in the sample


def test_sample_plan_walks_the_stepping_stones(catalog, policy) -> None:
    f = pf.fleet(("p1",))
    invs = {n.name: sim_like_inventory(n.name, "1.57.57") for n in f.nodes()}
    plan = pf.make_plan(f, invs, catalog=catalog, policy=policy, lm_image=pf.lm_image())
    hops = [(s.to_version, s.package.package_type, s.transport)
            for s in plan.node_steps("p1-b") if s.kind is StepKind.IDRAC_UPDATE]
    assert hops == [
        ("1.66.65", "LW64", "wsman"),
        ("2.10.10.10", "LWXP", "wsman"),
        ("2.65.65.65", "LW64", "wsman"),
    ]
    assert plan.node("p1-b").totals.host_reboots == 1
    assert plan.groups[0].totals.failovers == 1
