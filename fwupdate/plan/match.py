"""Match inventory components to catalog components of the node's system.

Rules (the result says which one matched):

1. `component-id`: the iDRAC's ComponentID / SoftwareId equals a catalog `SupportedDevice`
   `componentID`.  A known id that the catalog lacks is "not in catalog"; ids "0" and empty
   mean "unknown" and only then do rules 2 and 3 apply:
2. `pci-ids`: vendor and device id equal a `PCIInfo`, and the sub-vendor / sub-device ids too
   where both sides have them.
3. `name`: the normalised name (text before the first comma, MAC suffix removed, lower-case
   alphanumeric words) equals a device's `Display` or the component's `Name`.

A name that matches several different devices is ambiguous and left unmatched: unmatched
components are reported, never guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from fwupdate.catalog.models import Catalog, SoftwareComponent
from fwupdate.catalog.systems import model_for_system_id, system_id_for_model
from fwupdate.errors import CatalogError, UnknownModelError
from fwupdate.idrac.models import FirmwareComponent, NodeInventory
from fwupdate.plan.kinds import classify
from fwupdate.plan.models import ComponentKind

RULE_COMPONENT_ID = "component-id"
RULE_PCI = "pci-ids"
RULE_NAME = "name"

_MAC_SUFFIX = re.compile(r"\s+-\s+(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}.*$", re.IGNORECASE)
_WORDS = re.compile(r"[a-z0-9]+")
_INSTALLED_STATES = ("installed", "current")


def normalize_name(name: str) -> str:
    """`Broadcom Gigabit Ethernet BCM5720 - 00:11:22:33:44:55` -> `broadcom gigabit ethernet
    bcm5720`; `iDRAC with Lifecycle Controller,2.50.50.50,A00` -> `idrac with lifecycle
    controller`."""
    first = name.split(",", 1)[0]
    first = _MAC_SUFFIX.sub("", first)
    return " ".join(_WORDS.findall(first.lower()))


def _hex(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().lower().removeprefix("0x")
    if not v or not all(c in "0123456789abcdef" for c in v):
        return None
    return v.zfill(4)


def known_component_id(component_id: str | None) -> str | None:
    cid = (component_id or "").strip()
    return None if cid in ("", "0") else cid


def component_key(fc: FirmwareComponent) -> str:
    """A stable key for one inventory component across versions (member ids embed the version)."""
    cid = known_component_id(fc.component_id)
    if cid is not None:
        return f"id:{cid}" + (f"@{fc.fqdd}" if fc.fqdd else "")
    return f"name:{normalize_name(fc.name)}" + (f"@{fc.fqdd}" if fc.fqdd else "")


def installed_components(inv: NodeInventory) -> tuple[FirmwareComponent, ...]:
    """The installed firmware, without Previous (rollback) and Available (uploaded) entries."""
    return installed_of(inv.components)


def installed_of(components: Iterable[FirmwareComponent]) -> tuple[FirmwareComponent, ...]:
    return tuple(c for c in components if c.state.strip().lower() in _INSTALLED_STATES)


def node_system_id(inv: NodeInventory) -> str:
    """Dell system id of the node: told by the iDRAC, else from the model name."""
    if inv.system is not None and inv.system.system_id:
        return inv.system.system_id.strip().upper().zfill(4)
    model = inv.system.model if inv.system is not None else ""
    if not model:
        raise UnknownModelError("the inventory names no system model", host=inv.name)
    try:
        return system_id_for_model(model)
    except UnknownModelError as exc:
        raise UnknownModelError(exc.message, host=inv.name) from None


def system_label(system_id: str) -> str:
    model = model_for_system_id(system_id)
    return f"{system_id} (PowerEdge {model})" if model else system_id


@dataclass(frozen=True)
class Match:
    component: FirmwareComponent
    key: str
    kind: ComponentKind
    rule: str | None  # None: unmatched
    candidates: tuple[SoftwareComponent, ...] = ()
    note: str = ""


class CatalogIndex:
    """The catalog components of one system, indexed for the three match rules."""

    def __init__(self, system_id: str, components: Iterable[SoftwareComponent]) -> None:
        self.system_id = system_id
        self.components = tuple(sorted(components, key=lambda c: c.path))
        self.by_id: dict[str, list[SoftwareComponent]] = defaultdict(list)
        self.by_pci: list[tuple[tuple[str, str, str | None, str | None], SoftwareComponent]] = []
        self.by_name: dict[str, list[tuple[str, SoftwareComponent]]] = defaultdict(list)
        for comp in self.components:
            for dev in comp.devices:
                cid = known_component_id(dev.component_id)
                if cid is not None and comp not in self.by_id[cid]:
                    self.by_id[cid].append(comp)
                for pci in dev.pci:
                    vendor, device = _hex(pci.vendor_id), _hex(pci.device_id)
                    if vendor and device:
                        key = (vendor, device, _hex(pci.sub_vendor_id), _hex(pci.sub_device_id))
                        self.by_pci.append((key, comp))
                if dev.display:
                    self._add_name(
                        dev.display, cid or f"display:{normalize_name(dev.display)}", comp
                    )
            if comp.name:
                ids = (
                    ",".join(sorted(set(comp.component_ids))) or f"name:{normalize_name(comp.name)}"
                )
                self._add_name(comp.name, ids, comp)

    def _add_name(self, name: str, device: str, comp: SoftwareComponent) -> None:
        norm = normalize_name(name)
        if norm and (device, comp) not in self.by_name[norm]:
            self.by_name[norm].append((device, comp))

    def match(self, fc: FirmwareComponent) -> Match:
        key = component_key(fc)
        cid = known_component_id(fc.component_id)
        if cid is not None:
            if cid in self.by_id:
                cands = tuple(self.by_id[cid])
                return Match(fc, key, classify(fc.name, cid, cands[0]), RULE_COMPONENT_ID, cands)
            return Match(
                fc,
                key,
                classify(fc.name, cid, None),
                None,
                note=f"no catalog component for component id {cid}",
            )
        vendor, device = _hex(fc.vendor_id), _hex(fc.device_id)
        if vendor and device:
            sv, sd = _hex(fc.sub_vendor_id), _hex(fc.sub_device_id)
            hits: list[SoftwareComponent] = []
            for (v, d, csv, csd), comp in self.by_pci:
                if (v, d) != (vendor, device):
                    continue
                if sv and csv and sv != csv:
                    continue
                if sd and csd and sd != csd:
                    continue
                if comp not in hits:
                    hits.append(comp)
            if hits:
                cands = tuple(sorted(hits, key=lambda c: c.path))
                return Match(fc, key, classify(fc.name, cid, cands[0]), RULE_PCI, cands)
        norm = normalize_name(fc.name)
        entries = self.by_name.get(norm, [])
        if entries:
            devices = sorted({d for d, _ in entries})
            if len(devices) > 1:
                return Match(
                    fc,
                    key,
                    classify(fc.name, cid, None),
                    None,
                    note=f"name matches several catalog devices ({', '.join(devices)}): "
                    "not guessed",
                )
            cands = tuple(sorted({c.path: c for _, c in entries}.values(), key=lambda c: c.path))
            return Match(fc, key, classify(fc.name, cid, cands[0]), RULE_NAME, cands)
        why = "no component id from the iDRAC, and no PCI id or name match in the catalog"
        return Match(fc, key, classify(fc.name, None, None), None, note=why)


def index_for_system(catalog: Catalog, system_id: str) -> CatalogIndex:
    """The catalog components that name `system_id`; CatalogError when there are none."""
    sid = system_id.strip().upper()
    comps = [c for c in catalog.components if c.supports_system(sid)]
    if not comps:
        raise CatalogError(
            f"catalog {catalog.source} has no components for system {system_label(sid)}; "
            "use a catalog or repository made for this model"
        )
    return CatalogIndex(sid, comps)


def match_node(inv: NodeInventory, index: CatalogIndex) -> tuple[Match, ...]:
    return tuple(index.match(fc) for fc in installed_components(inv))
