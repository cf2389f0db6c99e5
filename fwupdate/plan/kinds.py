"""Component families and what applying each one does to the host.

Classification looks at what the catalog says first (component id, ComponentType, Category) and
falls back to words in the name.  The reboot matrix is Dell's CMC 4.50 "out-of-band restart"
column (catalog-and-dup.md §4.2, idrac-redfish.md §4.5).
"""

from __future__ import annotations

import functools
import re

from fwupdate.catalog.models import SoftwareComponent
from fwupdate.dell import BIOS_COMPONENT_ID, IDRAC_COMPONENT_ID
from fwupdate.plan.models import ComponentKind

_CATEGORY_KINDS: dict[str, ComponentKind] = {
    "bi": ComponentKind.BIOS,
    "di": ComponentKind.DIAGNOSTICS,
    "sf": ComponentKind.RAID,
    "se": ComponentKind.RAID,
    "ni": ComponentKind.NIC,
    "as": ComponentKind.DISK,
    "sa": ComponentKind.DISK,
    "fc": ComponentKind.FC,
    "ps": ComponentKind.PSU,
    "idrac with lifecycle controller": ComponentKind.IDRAC,
    "lifecycle controller (legacy)": ComponentKind.LIFECYCLE_CONTROLLER,
    "express flash pcie ssd": ComponentKind.PCIE_SSD,
}

# Families a name tells better than a Category code; CPLD and PSU also must never be hidden by a
# category, since they are opt-in only.
_SPECIFIC_NAME_KINDS = frozenset(
    {
        ComponentKind.CPLD,
        ComponentKind.PSU,
        ComponentKind.BACKPLANE,
        ComponentKind.ENCLOSURE,
        ComponentKind.PCIE_SSD,
    }
)

# (word in the lower-cased name, kind); the first hit wins, so the specific words come first.
_NAME_WORDS: tuple[tuple[str, ComponentKind], ...] = (
    ("cpld", ComponentKind.CPLD),
    ("idrac", ComponentKind.IDRAC),
    ("remote access controller", ComponentKind.IDRAC),
    ("lifecycle controller", ComponentKind.LIFECYCLE_CONTROLLER),
    ("diagnostic", ComponentKind.DIAGNOSTICS),
    ("driver pack", ComponentKind.OS_DRIVER_PACK),
    ("drivers pack", ComponentKind.OS_DRIVER_PACK),  # iDRAC9 inventory: "OS Drivers Pack"
    ("drivers for os deployment", ComponentKind.OS_DRIVER_PACK),
    ("os collector", ComponentKind.OS_DRIVER_PACK),
    ("power supply", ComponentKind.PSU),
    ("psu", ComponentKind.PSU),
    ("backplane", ComponentKind.BACKPLANE),
    ("enclosure", ComponentKind.ENCLOSURE),
    ("perc", ComponentKind.RAID),
    ("raid", ComponentKind.RAID),
    ("pcie ssd", ComponentKind.PCIE_SSD),
    ("express flash", ComponentKind.PCIE_SSD),
    ("fibre channel", ComponentKind.FC),
    ("ethernet", ComponentKind.NIC),
    ("network", ComponentKind.NIC),
    ("nic", ComponentKind.NIC),
    ("bios", ComponentKind.BIOS),
    ("disk", ComponentKind.DISK),
    ("drive", ComponentKind.DISK),
    ("ssd", ComponentKind.DISK),
)

# Out-of-band host restart needed (CMC 4.50 table). Missing kinds: restart (the safe guess).
_NEEDS_HOST_REBOOT: dict[ComponentKind, bool] = {
    ComponentKind.IDRAC: False,  # the iDRAC resets itself; the host keeps running (>= 1.30.30)
    ComponentKind.LIFECYCLE_CONTROLLER: False,
    ComponentKind.DIAGNOSTICS: False,
    ComponentKind.OS_DRIVER_PACK: False,
    ComponentKind.BIOS: True,
    ComponentKind.RAID: True,
    ComponentKind.BACKPLANE: True,
    ComponentKind.ENCLOSURE: True,
    ComponentKind.NIC: True,
    ComponentKind.PSU: True,
    ComponentKind.CPLD: True,
    ComponentKind.FC: True,
    ComponentKind.PCIE_SSD: True,
    ComponentKind.DISK: True,
}

# Dell's recommended order inside each phase (catalog-and-dup.md §4.1).
DELL_ORDER: tuple[ComponentKind, ...] = (
    ComponentKind.IDRAC,
    ComponentKind.LIFECYCLE_CONTROLLER,
    ComponentKind.BIOS,
    ComponentKind.DIAGNOSTICS,
    ComponentKind.OS_DRIVER_PACK,
    ComponentKind.RAID,
    ComponentKind.BACKPLANE,
    ComponentKind.ENCLOSURE,
    ComponentKind.NIC,
    ComponentKind.DISK,
    ComponentKind.FC,
    ComponentKind.PCIE_SSD,
    ComponentKind.PSU,
    ComponentKind.CPLD,
    ComponentKind.OTHER,
)


def kind_rank(kind: ComponentKind) -> int:
    return DELL_ORDER.index(kind) if kind in DELL_ORDER else len(DELL_ORDER)


@functools.lru_cache(maxsize=4096)  # a fleet has few distinct names, asked per node
def kind_from_name(name: str) -> ComponentKind:
    """Family from words in a name; short words must be whole tokens ("nic", not "unicode")."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]
    text = " ".join(tokens)
    for word, kind in _NAME_WORDS:
        if (word in tokens) if len(word) <= 4 else (word in text):
            return kind
    return ComponentKind.OTHER


def classify_catalog(component: SoftwareComponent) -> ComponentKind:
    """Family of a catalog component: component id, then type/category, then name words."""
    ids = set(component.component_ids)
    if IDRAC_COMPONENT_ID in ids:
        return ComponentKind.IDRAC
    by_name = kind_from_name(component.name)
    if by_name in _SPECIFIC_NAME_KINDS:
        return by_name  # more precise than a category (a backplane is filed under SF/RAID)
    if BIOS_COMPONENT_ID in ids or (component.component_type or "").upper() == "BIOS":
        return ComponentKind.BIOS
    cat = (component.category or "").strip().lower()
    if cat in _CATEGORY_KINDS:
        return _CATEGORY_KINDS[cat]
    return by_name


def classify(
    name: str, component_id: str | None, catalog: SoftwareComponent | None
) -> ComponentKind:
    """Family of an inventory component, preferring its matched catalog entry."""
    if catalog is not None:
        kind = classify_catalog(catalog)
        if kind is not ComponentKind.OTHER:
            return kind
    if component_id == IDRAC_COMPONENT_ID:
        return ComponentKind.IDRAC
    if component_id == BIOS_COMPONENT_ID:
        return ComponentKind.BIOS
    return kind_from_name(name)


def needs_host_reboot(kind: ComponentKind, catalog_flag: bool | None) -> tuple[bool, str]:
    """Whether applying needs a host reboot, and which source said so.

    iDRAC and LC are never host-reboot items whatever a catalog says; otherwise the catalog's
    `rebootRequired` wins where present, else Dell's reboot matrix.
    """
    if kind in (ComponentKind.IDRAC, ComponentKind.LIFECYCLE_CONTROLLER):
        return False, "reboot matrix (iDRAC/LC apply without a host restart)"
    if kind is ComponentKind.CPLD:
        return True, "reboot matrix (CPLD)"
    if catalog_flag is not None:
        return catalog_flag, f"catalog rebootRequired={'true' if catalog_flag else 'false'}"
    if kind in _NEEDS_HOST_REBOOT:
        return _NEEDS_HOST_REBOOT[kind], "reboot matrix (catalog-and-dup.md §4.2)"
    return True, "no catalog flag and not in the reboot matrix: assume a host reboot"
