"""Compliance: actions, targets, package choice, criticality, reboot, rollups."""

from __future__ import annotations

import dataclasses

import plan_factories as pf
import pytest

from fwupdate.catalog.models import Criticality, PackageType
from fwupdate.errors import ConfigError
from fwupdate.idrac.models import Generation
from fwupdate.loadmaster.models import HaRole
from fwupdate.plan.compliance import Selection, fleet_compliance, node_compliance
from fwupdate.plan.models import Action, ComponentKind, Status
from fwupdate.plan.policy import Pin, Policy, TargetMode, default_policy, with_overrides
from fwupdate.plan.selectors import parse_selector, parse_selectors


def _rows(inv=None, policy: Policy | None = None, catalog=None, selection=None, **kw):
    nc = node_compliance(
        node="n1",
        group="p1",
        standalone=False,
        inventory=inv or pf.r320_inventory("n1"),
        catalog=catalog or pf.r320_catalog(),
        policy=policy or default_policy(),
        selection=selection or Selection(),
        **kw,
    )
    return nc, {r.key: r for r in nc.rows}


# (row key, action, planned, target, reboot) for an iDRAC7 2.50 R320 under the default policy
R320_250 = [
    ("id:25227", Action.UPGRADE, True, "2.65.65.65", "idrac-reset"),
    ("id:159", Action.UPGRADE, True, "2.9.0", "host-reboot"),
    ("id:20137", Action.UPGRADE, True, "21.3.5-0002", "host-reboot"),
    ("id:18981", Action.UPGRADE, True, "15.07.07", "none"),
    ("name:dell 32 bit uefi diagnostics", Action.UPGRADE, True, "4247A1", "none"),
    ("name:broadcom gigabit ethernet bcm5720@NIC.Embedded.1-1-1", Action.SAME, False, "7.10.18",
     "host-reboot"),
    ("name:broadcom gigabit ethernet bcm5720@NIC.Embedded.2-1-1", Action.UPGRADE, True, "7.10.18",
     "host-reboot"),
    ("id:28724", Action.EXCLUDED, False, "07.2B.7D", "host-reboot"),  # PSU not opted in
    ("id:27763", Action.EXCLUDED, False, "1.0.3", "host-reboot"),  # CPLD not opted in
    ("name:os collector", Action.NOT_IN_CATALOG, False, None, ""),
]


@pytest.mark.parametrize(("key", "action", "planned", "target", "reboot"), R320_250)
def test_r320_idrac7_250_rows(key, action, planned, target, reboot) -> None:
    _nc, rows = _rows()
    r = rows[key]
    assert (r.action, r.planned, r.target, r.reboot) == (action, planned, target, reboot)


def test_row_per_component_and_rollup_is_critical_for_urgent_bios() -> None:
    nc, rows = _rows()
    assert len(rows) == len(R320_250)
    assert rows["id:159"].criticality == "Urgent"
    assert nc.status is Status.CRITICAL
    assert nc.system_id == "04F7" and nc.generation == "iDRAC7"


def test_12g_prefers_32_bit_lwxp_for_idrac_and_other_generations_lw64() -> None:
    _, rows = _rows()
    assert rows["id:25227"].package.package_type == "LWXP"
    assert "_WN32_" in rows["id:25227"].package.file_name
    gen9 = pf.r320_inventory("n1", generation=Generation.IDRAC9)
    _, rows9 = _rows(gen9)
    assert rows9["id:25227"].package.package_type == "LW64"


def test_linux_bin_is_never_chosen_for_a_non_idrac_component() -> None:
    only_bin = pf.comp(
        "Tape_Firmware_ABCDE_LN_3.0_A00.BIN", "3.0", ptype=PackageType.LLXP, name="Tape Drive",
        cid="777", category="TH", reboot=True,
    )
    inv = pf.r320_inventory("n1", extra=[pf.fw("Tape Drive", "2.0", "777")])
    _, rows = _rows(inv, catalog=pf.r320_catalog(extra=[only_bin]))
    r = rows["id:777"]
    assert r.action is Action.NOT_IN_CATALOG and not r.planned
    assert "LLXP" in r.note and "Windows" in r.note


def test_ok_when_everything_is_current() -> None:
    inv = pf.r320_inventory("n1", "2.65.65.65", bios="2.9.0", diag="4247A1")
    inv = dataclasses.replace(
        inv,
        components=tuple(
            dataclasses.replace(c, version={"21.3.0-0009": "21.3.5-0002", "14.10.00": "15.07.07",
                                            "7.8.16": "7.10.18"}.get(c.version, c.version))
            for c in inv.components
        ),
    )
    nc, _ = _rows(inv)
    assert nc.status is Status.OK
    assert not nc.planned()


def test_warning_when_only_recommended_updates_are_due() -> None:
    inv = pf.r320_inventory("n1", bios="2.9.0")
    nc, _ = _rows(inv)
    assert nc.status is Status.WARNING


def test_unknown_when_inventory_has_errors() -> None:
    inv = pf.r320_inventory("n1", errors=("connection refused",))
    nc, rows = _rows(inv)
    assert nc.status is Status.UNKNOWN and not rows
    assert nc.errors == ("connection refused",)


def test_pinned_lower_is_a_blocked_downgrade_unless_allowed() -> None:
    pol = dataclasses.replace(default_policy(), pins=(Pin(parse_selector("nic"), "7.10.18"),))
    older = pf.comp(
        "Network_Firmware_OLD_WN64_7.8.16_A00.EXE", "7.8.16", ptype=PackageType.LW64,
        name="Broadcom NetXtreme Gigabit Ethernet", cid="101563", category="NI", reboot=True,
        pci=(pf.NIC_PCI,),
    )
    cat = pf.r320_catalog(extra=[older])
    pol = dataclasses.replace(pol, pins=(Pin(parse_selector("nic"), "7.8.16"),))
    nc, rows = _rows(policy=pol, catalog=cat)
    port1 = rows["name:broadcom gigabit ethernet bcm5720@NIC.Embedded.1-1-1"]
    assert port1.action is Action.DOWNGRADE and not port1.planned
    assert "--allow-downgrade" in port1.note
    assert port1.pinned and nc.status is Status.CRITICAL  # BIOS still urgent
    _, rows2 = _rows(policy=with_overrides(pol, allow_downgrade=True), catalog=cat)
    assert rows2["name:broadcom gigabit ethernet bcm5720@NIC.Embedded.1-1-1"].planned


def test_newer_than_catalog_is_not_a_warning_without_a_pin() -> None:
    inv = pf.r320_inventory("n1", "2.65.65.65", bios="3.0.0", diag="4247A1")
    nc, rows = _rows(inv, selection=Selection(only=parse_selectors(["bios"], where="t")))
    assert rows["id:159"].action is Action.DOWNGRADE and not rows["id:159"].planned
    assert nc.status is Status.OK


def test_force_same_reflashes_same_version() -> None:
    _, rows = _rows(policy=with_overrides(default_policy(), force_same_version=True))
    r = rows["name:broadcom gigabit ethernet bcm5720@NIC.Embedded.1-1-1"]
    assert r.action is Action.SAME and r.planned and "re-flash" in r.note


def test_missing_pinned_version_is_an_error_on_the_row() -> None:
    pol = dataclasses.replace(default_policy(), pins=(Pin(parse_selector("bios"), "9.9.9"),))
    _, rows = _rows(policy=pol)
    r = rows["id:159"]
    assert r.error and "9.9.9" in r.error and "2.9.0" in r.error
    assert not r.planned


def test_pinned_mode_leaves_unpinned_components_excluded() -> None:
    pol = dataclasses.replace(
        default_policy(), target=TargetMode.PINNED, pins=(Pin(parse_selector("bios"), "2.9.0"),)
    )
    _, rows = _rows(policy=pol)
    assert rows["id:159"].planned
    assert rows["id:25227"].action is Action.EXCLUDED
    assert "pinned" in rows["id:25227"].note


@pytest.mark.parametrize(
    ("only", "skip", "planned_keys"),
    [
        (["idrac"], [], {"id:25227"}),
        (["bios,id:20137"], [], {"id:159", "id:20137"}),
        ([], ["nic", "diagnostics", "os-driver-pack", "raid"], {"id:25227", "id:159"}),
        (["category:BI"], [], {"id:159"}),
        (["name:perc*"], [], {"id:20137"}),
    ],
)
def test_only_and_skip(only, skip, planned_keys) -> None:
    sel = Selection(parse_selectors(only, where="--only"), parse_selectors(skip, where="--skip"))
    nc, _ = _rows(selection=sel)
    assert {r.key for r in nc.planned()} == planned_keys


def test_psu_and_cpld_only_when_opted_in() -> None:
    pol = dataclasses.replace(default_policy(), opt_in_psu=True, opt_in_cpld=True)
    _, rows = _rows(policy=pol)
    assert rows["id:28724"].planned and rows["id:27763"].planned
    assert rows["id:27763"].kind is ComponentKind.CPLD


def test_not_updateable_is_excluded() -> None:
    inv = pf.r320_inventory("n1", extra=[])
    inv = dataclasses.replace(
        inv,
        components=tuple(
            dataclasses.replace(c, updateable=False) if c.component_id == "20137" else c
            for c in inv.components
        ),
    )
    _, rows = _rows(inv)
    assert rows["id:20137"].action is Action.EXCLUDED and "not updateable" in rows["id:20137"].note


def test_loadmaster_row() -> None:
    lm = pf.lm_status("n1", HaRole.ACTIVE, "7.1-Patch28a")
    _, rows = _rows(loadmaster=lm, lm_image=pf.lm_image("7.1-Patch28b"))
    r = rows["loadmaster"]
    assert (r.action, r.planned, r.current, r.target) == (
        Action.UPGRADE, True, "7.1-Patch28a", "7.1-Patch28b"
    )
    _, rows = _rows(loadmaster=lm, lm_image=pf.lm_image("7.1-Patch28a"))
    assert rows["loadmaster"].action is Action.SAME
    _, rows = _rows(loadmaster=lm, lm_image=pf.lm_image("7.1-Patch27"))
    assert rows["loadmaster"].action is Action.DOWNGRADE and not rows["loadmaster"].planned
    _, rows = _rows(loadmaster=lm)
    assert "loadmaster" not in rows  # no image and no target version: nothing to say


def test_bundle_for_another_system_is_refused() -> None:
    pol = dataclasses.replace(default_policy(), systems=("04CE",))
    with pytest.raises(ConfigError) as exc:
        _rows(policy=pol)
    assert exc.value.host == "n1" and "R620" in str(exc.value) and "R320" in str(exc.value)


def test_fleet_rollup_takes_the_worst_node() -> None:
    f = pf.fleet(("p1",), ("solo",))
    invs = pf.inventories(f)
    invs["solo"] = pf.r320_inventory("solo", errors=("timeout",))
    fc = fleet_compliance(fleet=f, inventories=invs, catalog=pf.r320_catalog(),
                          policy=default_policy())
    assert [n.status for n in fc.nodes] == [Status.CRITICAL, Status.CRITICAL, Status.UNKNOWN]
    assert fc.status is Status.UNKNOWN
    assert fc.counts()["critical"] == 2


def test_fleet_compliance_honours_node_selectors() -> None:
    f = pf.fleet(("p1", "p2"))
    sel = Selection(only=parse_selectors(["pair:p2"], where="--only"),
                    skip=parse_selectors(["node:p2-b"], where="--skip"))
    fc = fleet_compliance(fleet=f, inventories=pf.inventories(f), catalog=pf.r320_catalog(),
                          policy=default_policy(), selection=sel)
    assert [n.node for n in fc.nodes] == ["p2-a"]


def test_criticality_from_the_chosen_package() -> None:
    _, rows = _rows()
    assert rows["id:20137"].criticality == Criticality.RECOMMENDED.value
