"""Matching inventory components to catalog components: which rule, and never a guess."""

from __future__ import annotations

import dataclasses

import plan_factories as pf
import pytest

from fwupdate.catalog.models import PackageType
from fwupdate.errors import CatalogError, UnknownModelError
from fwupdate.idrac.models import SystemIdentity
from fwupdate.plan.match import (
    RULE_COMPONENT_ID,
    RULE_NAME,
    RULE_PCI,
    component_key,
    index_for_system,
    match_node,
    node_system_id,
    normalize_name,
)
from fwupdate.plan.models import ComponentKind


def _matches(inv=None, catalog=None):
    inv = inv or pf.r320_inventory("n1")
    index = index_for_system(catalog or pf.r320_catalog(), node_system_id(inv))
    return {m.component.name: m for m in match_node(inv, index)}


@pytest.mark.parametrize(
    ("name", "rule", "kind"),
    [
        ("Integrated Dell Remote Access Controller", RULE_COMPONENT_ID, ComponentKind.IDRAC),
        ("BIOS", RULE_COMPONENT_ID, ComponentKind.BIOS),
        ("PERC H310 Mini", RULE_COMPONENT_ID, ComponentKind.RAID),
        ("Dell OS Driver Pack, 15.07.07, A00", RULE_COMPONENT_ID, ComponentKind.OS_DRIVER_PACK),
        # component id 0 + PCI ids: matched by PCI
        ("Broadcom Gigabit Ethernet BCM5720 - 00:11:22:33:44:55", RULE_PCI, ComponentKind.NIC),
        # component id 0, no PCI ids: matched by name
        (
            "Dell 32 Bit uEFI Diagnostics, version 4239, 4239A35, 4239.43",
            RULE_NAME,
            ComponentKind.DIAGNOSTICS,
        ),
        ("System CPLD", RULE_COMPONENT_ID, ComponentKind.CPLD),
        ("Power Supply.Slot.1", RULE_COMPONENT_ID, ComponentKind.PSU),
    ],
)
def test_each_rule_says_which_matched(name: str, rule: str, kind: ComponentKind) -> None:
    m = _matches()[name]
    assert m.rule == rule
    assert m.kind is kind
    assert m.candidates, "a match always has catalog candidates"
    assert all(c.supports_system("04F7") for c in m.candidates)


def test_unmatched_is_reported_not_guessed() -> None:
    m = _matches()["OS COLLECTOR"]
    assert m.rule is None and not m.candidates
    assert "no component id" in m.note


def test_known_component_id_missing_from_catalog_does_not_fall_back_to_names() -> None:
    inv = pf.r320_inventory("n1", extra=[pf.fw("BIOS", "1.0", "99999")])
    # "BIOS" would match by name, but the iDRAC gave an id: the id decides.
    m = next(x for x in match_node(inv, index_for_system(pf.r320_catalog(), "04F7"))
         if x.component.component_id == "99999")
    assert m.rule is None
    assert "component id 99999" in m.note


def test_component_id_none_behaves_like_zero() -> None:
    inv = pf.r320_inventory("n1", nic_cid=None)
    m = _matches(inv)["Broadcom Gigabit Ethernet BCM5720 - 00:11:22:33:44:55"]
    assert m.rule == RULE_PCI


def test_pci_sub_ids_must_agree_when_both_sides_have_them() -> None:
    other = dataclasses.replace(pf.NIC_PCI, sub_device_id="ABCD")
    inv = pf.r320_inventory(
        "n1", extra=[pf.fw("Broadcom NIC clone", "1.0", "0", pci=other, fqdd="NIC.Slot.3-1")]
    )
    m = _matches(inv)["Broadcom NIC clone"]
    assert m.rule is None


def test_ambiguous_name_is_left_unmatched() -> None:
    twin_a = pf.comp(
        "Twin_A_WN64_1.0.EXE", "1.0", ptype=PackageType.LW64, name="Twin Controller", cid="501"
    )
    twin_b = pf.comp(
        "Twin_B_WN64_1.0.EXE", "1.0", ptype=PackageType.LW64, name="Twin Controller", cid="502"
    )
    inv = pf.r320_inventory("n1", extra=[pf.fw("Twin Controller", "0.9", "0")])
    m = _matches(inv, pf.r320_catalog(extra=[twin_a, twin_b]))["Twin Controller"]
    assert m.rule is None
    assert "several catalog devices" in m.note


def test_previous_and_available_entries_are_ignored() -> None:
    names = [m.component.state for m in _matches().values()]
    assert set(names) == {"Installed"}


def test_normalize_name() -> None:
    assert normalize_name("Broadcom Gigabit Ethernet BCM5720 - 00:11:22:33:44:55") == (
        "broadcom gigabit ethernet bcm5720"
    )
    assert normalize_name("iDRAC with Lifecycle Controller,2.50.50.50,A00") == (
        "idrac with lifecycle controller"
    )


def test_component_key_is_stable_across_versions() -> None:
    a = pf.fw("BIOS", "2.4.2", "159")
    b = pf.fw("BIOS", "2.9.0", "159")
    assert a.id != b.id
    assert component_key(a) == component_key(b) == "id:159"
    nic = pf.fw("NIC x - 00:11:22:33:44:55", "1", "0", fqdd="NIC.Embedded.1-1-1")
    assert component_key(nic) == "name:nic x@NIC.Embedded.1-1-1"


def test_system_id_from_model_or_idrac() -> None:
    assert node_system_id(pf.r320_inventory("n1")) == "04F7"
    assert node_system_id(pf.r320_inventory("n1", model="Dell PowerEdge R620")) == "04CE"
    told = pf.r320_inventory("n1", model="Unbranded", system_id="04f7")
    assert node_system_id(told) == "04F7"


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(UnknownModelError) as exc:
        node_system_id(pf.r320_inventory("n9", model="PowerEdge R999"))
    assert exc.value.host == "n9"
    assert "R999" in str(exc.value)
    empty = dataclasses.replace(pf.r320_inventory("n8"), system=SystemIdentity(model=""))
    with pytest.raises(UnknownModelError):
        node_system_id(empty)


def test_catalog_without_the_system_is_a_clear_error() -> None:
    with pytest.raises(CatalogError) as exc:
        index_for_system(pf.r320_catalog(), "04FA")
    assert "04FA" in str(exc.value) and "T320" in str(exc.value)


@pytest.mark.parametrize("name,kind", [
    ("OS Drivers Pack", ComponentKind.OS_DRIVER_PACK),  # iDRAC9's name; "drive" is not a disk
    ("OS Driver Pack", ComponentKind.OS_DRIVER_PACK),
    ("Toshiba 1.2TB SAS Drive", ComponentKind.DISK),
])
def test_kind_from_name_tells_driver_packs_from_drives(name: str, kind: ComponentKind) -> None:
    from fwupdate.plan.kinds import kind_from_name

    assert kind_from_name(name) is kind
