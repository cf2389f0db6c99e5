"""The inventory document: `NodeInventory` <-> JSON, and saving/loading it atomically.

The document is the `fwupdate inventory --format json` contract and what `--out FILE` saves:

    {"nodes": [{"name", "pair", "insecure",
                "idrac": {"address", "generation", "firmware_version", "model", "redfish_version"},
                "system": {"model", "service_tag", "bios_version", "power_state", "system_id"},
                "components": [{"id", "name", "component_id", "version", "updateable", "state",
                                "fqdd", "component_type", "vendor_id", "device_id",
                                "sub_vendor_id", "sub_device_id"}],
                "capabilities": {...}, "errors": [...],
                "loadmaster": {...}}]}

`loadmaster` is present for nodes with a LoadMaster: an object this module passes through
unread (the idrac package knows nothing of LoadMasters; fwupdate.loadmaster.status_io writes
and reads it).  A node that could not be read keeps its `idrac`/`system` objects with null
values (so `node["idrac"]["address"]` always works) and says why in `errors`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import msgspec

from fwupdate.atomicfile import write_text_atomic
from fwupdate.errors import BadInputError
from fwupdate.idrac.models import (
    Capabilities,
    FirmwareComponent,
    Generation,
    IdracIdentity,
    NodeInventory,
    SystemIdentity,
)
from fwupdate.inputfile import read_regular

MAX_INVENTORY_BYTES = 64 * 1024 * 1024


def node_to_json(
    node: NodeInventory,
    *,
    pair: str | None = None,
    insecure: bool = False,
    address: str = "",
    loadmaster: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    i = node.idrac
    s = node.system
    out: dict[str, Any] = {
        "name": node.name,
        "pair": pair,
        "insecure": insecure,
        "idrac": {
            "address": i.address if i else (address or None),
            "generation": str(i.generation) if i else None,
            "firmware_version": i.firmware_version if i else None,
            "model": i.model if i else None,
            "redfish_version": i.redfish_version if i else None,
        },
        "system": {
            "model": s.model if s else None,
            "service_tag": s.service_tag if s else None,
            "bios_version": s.bios_version if s else None,
            "power_state": s.power_state if s else None,
            "system_id": s.system_id if s else None,
        },
        "components": [asdict(c) for c in node.components],
        "capabilities": capabilities_to_json(node.capabilities),
        "errors": list(node.errors),
    }
    if loadmaster is not None:
        out["loadmaster"] = dict(loadmaster)
    return out


def capabilities_to_json(caps: Capabilities) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(caps):
        value = getattr(caps, f.name)
        if f.name == "dell_oem_services":
            out[f.name] = {k: v for k, v in value}
        elif isinstance(value, tuple):
            out[f.name] = list(value)
        else:
            out[f.name] = value
    return out


def inventory_document(
    nodes: Iterable[NodeInventory],
    *,
    pairs: Mapping[str, str | None] | None = None,
    insecure: Mapping[str, bool] | None = None,
    addresses: Mapping[str, str] | None = None,
    loadmasters: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    pairs = pairs or {}
    insecure = insecure or {}
    addresses = addresses or {}
    loadmasters = loadmasters or {}
    return {
        "nodes": [
            node_to_json(
                n,
                pair=pairs.get(n.name),
                insecure=insecure.get(n.name, False),
                address=addresses.get(n.name, ""),
                loadmaster=loadmasters.get(n.name),
            )
            for n in nodes
        ]
    }


def dump_inventory(
    path: Path,
    nodes: Iterable[NodeInventory],
    *,
    pairs: Mapping[str, str | None] | None = None,
    insecure: Mapping[str, bool] | None = None,
    addresses: Mapping[str, str] | None = None,
    loadmasters: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    doc = inventory_document(
        nodes, pairs=pairs, insecure=insecure, addresses=addresses, loadmasters=loadmasters
    )
    return write_text_atomic(Path(path), json.dumps(doc, indent=2) + "\n")


# --- loading ------------------------------------------------------------------------------
# The document's typed model: msgspec decodes and validates a file into it in one pass
# (fwupdate/documents.py), then the small functions below build the domain dataclasses.


class _IdracDoc(msgspec.Struct):
    address: str | None = None
    generation: str | None = None
    firmware_version: str | None = None
    model: str | None = None
    redfish_version: str | None = None


class _SystemDoc(msgspec.Struct):
    model: str | None = None
    service_tag: str | None = None
    bios_version: str | None = None
    power_state: str | None = None
    system_id: str | None = None


class _ComponentDoc(msgspec.Struct, kw_only=True):
    """`FirmwareComponent` as saved: only id, name and version are required."""

    id: str
    name: str
    component_id: str | None = None
    version: str
    updateable: bool = True
    state: str | None = None
    fqdd: str | None = None
    vendor_id: str | None = None
    device_id: str | None = None
    sub_vendor_id: str | None = None
    sub_device_id: str | None = None
    component_type: str | None = None

    def model(self) -> FirmwareComponent:
        return FirmwareComponent(
            self.id, self.name, self.component_id, self.version, self.updateable,
            self.state or "Installed", self.fqdd, self.vendor_id, self.device_id,
            self.sub_vendor_id, self.sub_device_id, self.component_type,
        )  # fmt: skip


class _CapabilitiesDoc(msgspec.Struct):
    """`Capabilities` as saved: every field may be null or absent (then its default)."""

    redfish: bool | None = None
    redfish_update: bool | None = None
    http_push_uri: str | None = None
    multipart_push_uri: str | None = None
    simple_update_uri: str | None = None
    simple_update_protocols: tuple[str, ...] | None = None
    dell_install_uri: str | None = None
    jobs_uri: str | None = None
    task_service_uri: str | None = None
    sessions_uri: str | None = None
    dell_oem_services: dict[str, str] | None = None
    manager_reset_types: tuple[str, ...] | None = None
    system_reset_types: tuple[str, ...] | None = None
    expand_supported: bool | None = None
    wsman: bool | None = None
    manager_uri: str | None = None
    system_uri: str | None = None
    update_service_uri: str | None = None
    firmware_inventory_uri: str | None = None
    dmtf_jobs_uri: str | None = None


class SavedNode(msgspec.Struct):
    """One node of a saved inventory; `loadmaster` is passed through unread (status_io)."""

    name: str
    pair: str | None = None
    insecure: bool | None = None
    idrac: _IdracDoc | None = None
    system: _SystemDoc | None = None
    components: tuple[_ComponentDoc, ...] | None = None
    capabilities: _CapabilitiesDoc | None = None
    errors: tuple[str, ...] | None = None
    loadmaster: Any = None


class _InventoryDoc(msgspec.Struct):
    nodes: list[SavedNode]


def _idrac(d: _IdracDoc | None, where: str, label: str) -> IdracIdentity | None:
    if d is None or d.firmware_version is None:
        return None
    gen = d.generation or "unknown"
    try:
        generation = Generation(gen)
    except ValueError:
        raise BadInputError(f"{label}: {where}.idrac.generation: unknown {gen!r}") from None
    return IdracIdentity(
        address=d.address or "",
        generation=generation,
        firmware_version=d.firmware_version,
        model=d.model or "",
        redfish_version=d.redfish_version,
    )


def _system(d: _SystemDoc | None) -> SystemIdentity | None:
    if d is None or d.model is None:
        return None
    return SystemIdentity(
        model=d.model,
        service_tag=d.service_tag,
        bios_version=d.bios_version,
        power_state=d.power_state,
        system_id=d.system_id,
    )


def _capabilities(d: _CapabilitiesDoc | None) -> Capabilities:
    if d is None:
        return Capabilities()
    given = {k: v for k, v in msgspec.structs.asdict(d).items() if v is not None}
    if "dell_oem_services" in given:
        given["dell_oem_services"] = tuple(sorted(given["dell_oem_services"].items()))
    return Capabilities(**given)


def _node(d: SavedNode, where: str, label: str) -> NodeInventory:
    return NodeInventory(
        name=d.name,
        idrac=_idrac(d.idrac, where, label),
        system=_system(d.system),
        components=tuple(c.model() for c in d.components or ()),
        capabilities=_capabilities(d.capabilities),
        errors=d.errors or (),
    )


def load_saved_nodes(path: Path | str) -> tuple[tuple[NodeInventory, ...], tuple[SavedNode, ...]]:
    """The nodes of a saved inventory and their saved documents (for the `loadmaster` objects),
    from one read and one parse of the file."""
    from fwupdate.documents import DocumentError, decode_json, gc_paused

    label = str(path)
    raw = read_regular(Path(path), max_bytes=MAX_INVENTORY_BYTES, what="inventory file")
    try:
        doc = decode_json(raw, _InventoryDoc)
    except DocumentError as exc:
        if exc.where in ("", "nodes") and not exc.what.startswith("not JSON"):
            raise BadInputError(f'{label}: not an inventory document (no "nodes" list)') from None
        raise BadInputError(f"{label}: {exc}") from None
    with gc_paused():
        nodes = tuple(_node(n, f"nodes[{k}]", label) for k, n in enumerate(doc.nodes))
    seen: set[str] = set()
    for k, n in enumerate(nodes):
        if n.name in seen:
            raise BadInputError(f"{label}: nodes[{k}].name: duplicate node {n.name!r}")
        seen.add(n.name)
    return nodes, tuple(doc.nodes)


def load_inventory(path: Path | str) -> tuple[NodeInventory, ...]:
    """Read an inventory saved by `fwupdate inventory --out` (or its JSON output)."""
    return load_saved_nodes(path)[0]
