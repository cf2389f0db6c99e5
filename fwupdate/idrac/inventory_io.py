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


class _Reader:
    def __init__(self, label: str) -> None:
        self.label = label

    def err(self, where: str, msg: str) -> BadInputError:
        return BadInputError(f"{self.label}: {where}: {msg}")

    def obj(self, v: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(v, dict):
            raise self.err(where, "expected an object")
        return v

    def opt_str(self, d: Mapping[str, Any], key: str, where: str) -> str | None:
        v = d.get(key)
        if v is None:
            return None
        if not isinstance(v, str):
            raise self.err(f"{where}.{key}", "expected a string or null")
        return v

    def req_str(self, d: Mapping[str, Any], key: str, where: str) -> str:
        v = self.opt_str(d, key, where)
        if v is None:
            raise self.err(where, f"missing {key}")
        return v

    def node(self, raw: Any, where: str) -> NodeInventory:
        d = self.obj(raw, where)
        name = self.req_str(d, "name", where)
        idrac = None
        if d.get("idrac") is not None:
            i = self.obj(d["idrac"], f"{where}.idrac")
            version = self.opt_str(i, "firmware_version", f"{where}.idrac")
            if version is not None:
                gen = self.opt_str(i, "generation", f"{where}.idrac") or "unknown"
                try:
                    generation = Generation(gen)
                except ValueError:
                    raise self.err(f"{where}.idrac.generation", f"unknown {gen!r}") from None
                idrac = IdracIdentity(
                    address=self.opt_str(i, "address", f"{where}.idrac") or "",
                    generation=generation,
                    firmware_version=version,
                    model=self.opt_str(i, "model", f"{where}.idrac") or "",
                    redfish_version=self.opt_str(i, "redfish_version", f"{where}.idrac"),
                )
        system = None
        if d.get("system") is not None:
            s = self.obj(d["system"], f"{where}.system")
            model = self.opt_str(s, "model", f"{where}.system")
            if model is not None:
                system = SystemIdentity(
                    model=model,
                    service_tag=self.opt_str(s, "service_tag", f"{where}.system"),
                    bios_version=self.opt_str(s, "bios_version", f"{where}.system"),
                    power_state=self.opt_str(s, "power_state", f"{where}.system"),
                    system_id=self.opt_str(s, "system_id", f"{where}.system"),
                )
        comps_raw = d.get("components") or []
        if not isinstance(comps_raw, list):
            raise self.err(f"{where}.components", "expected a list")
        comps = tuple(
            self.component(c, f"{where}.components[{k}]") for k, c in enumerate(comps_raw)
        )
        errors_raw = d.get("errors") or []
        if not isinstance(errors_raw, list) or not all(isinstance(e, str) for e in errors_raw):
            raise self.err(f"{where}.errors", "expected a list of strings")
        caps = self.capabilities(d.get("capabilities"), f"{where}.capabilities")
        return NodeInventory(
            name=name,
            idrac=idrac,
            system=system,
            components=comps,
            capabilities=caps,
            errors=tuple(errors_raw),
        )

    def component(self, raw: Any, where: str) -> FirmwareComponent:
        c = self.obj(raw, where)
        updateable = c.get("updateable", True)
        if not isinstance(updateable, bool):
            raise self.err(f"{where}.updateable", "expected true or false")
        return FirmwareComponent(
            id=self.req_str(c, "id", where),
            name=self.req_str(c, "name", where),
            component_id=self.opt_str(c, "component_id", where),
            version=self.req_str(c, "version", where),
            updateable=updateable,
            state=self.opt_str(c, "state", where) or "Installed",
            fqdd=self.opt_str(c, "fqdd", where),
            vendor_id=self.opt_str(c, "vendor_id", where),
            device_id=self.opt_str(c, "device_id", where),
            sub_vendor_id=self.opt_str(c, "sub_vendor_id", where),
            sub_device_id=self.opt_str(c, "sub_device_id", where),
            component_type=self.opt_str(c, "component_type", where),
        )

    def capabilities(self, raw: Any, where: str) -> Capabilities:
        if raw is None:
            return Capabilities()
        d = self.obj(raw, where)
        kwargs: dict[str, Any] = {}
        for f in fields(Capabilities):
            if f.name not in d or d[f.name] is None:
                continue
            v = d[f.name]
            if f.name == "dell_oem_services":
                if not isinstance(v, dict):
                    raise self.err(f"{where}.{f.name}", "expected an object")
                kwargs[f.name] = tuple(sorted((str(k), str(u)) for k, u in v.items()))
            elif isinstance(f.default, bool):
                if not isinstance(v, bool):
                    raise self.err(f"{where}.{f.name}", "expected true or false")
                kwargs[f.name] = v
            elif isinstance(f.default, tuple):
                if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                    raise self.err(f"{where}.{f.name}", "expected a list of strings")
                kwargs[f.name] = tuple(v)
            else:
                if not isinstance(v, str):
                    raise self.err(f"{where}.{f.name}", "expected a string or null")
                kwargs[f.name] = v
        return Capabilities(**kwargs)


def load_inventory(path: Path | str) -> tuple[NodeInventory, ...]:
    """Read an inventory saved by `fwupdate inventory --out` (or its JSON output)."""
    p = Path(path)
    label = str(path)
    raw = read_regular(p, max_bytes=MAX_INVENTORY_BYTES, what="inventory file")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise BadInputError(f"{label}: not JSON: nested too deeply") from None
    except UnicodeDecodeError:
        raise BadInputError(f"{label}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{label}: not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    reader = _Reader(label)
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        raise BadInputError(f'{label}: not an inventory document (no "nodes" list)')
    nodes = tuple(reader.node(n, f"nodes[{k}]") for k, n in enumerate(doc["nodes"]))
    seen: set[str] = set()
    for k, n in enumerate(nodes):
        if n.name in seen:
            raise reader.err(f"nodes[{k}].name", f"duplicate node {n.name!r}")
        seen.add(n.name)
    return nodes
