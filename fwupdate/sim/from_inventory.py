"""A simulated copy of a fleet from a saved inventory (`fwupdate inventory --out FILE`).

Same node and pair names, generations, iDRAC and component firmware versions, service tags,
power states, LoadMaster versions and serials, HA roles and Virtual Services.  The simulator never
imports client code, so this module reads the inventory JSON itself: only the keys it needs
(docs/inventory.md), tolerating any others, old files without `loadmaster` objects included.

What cannot be copied exactly is said in `FleetCopy.notes` (one line each), never guessed
silently: a server model the simulator has no hardware for (the generation's model is used), an
installed component the simulated hardware lacks, an unreadable node or LoadMaster (simulated
at the profile's defaults).  Simulated components the inventory does not list are left out of
the copy (device option `absent`), so the copy has nothing the plan did not see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, PairSpec, SimulatedFleet
from fwupdate.sim.idrac.profiles import IDRAC_KEY, ComponentDef, get_profile
from fwupdate.sim.idrac.versions import at_least

MAX_INVENTORY_BYTES = 64 * 1024 * 1024
_MAC_TAIL = re.compile(r"\s+-\s+(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}.*$")
_GENERATION = {"12G": 7, "13G": 8, "14G": 9, "15G": 9, "16G": 9}


class InventoryCopyError(ValueError):
    """The file is not a saved inventory the simulator can copy (one line, names the file)."""


@dataclass(frozen=True)
class FleetCopy:
    spec: FleetSpec
    notes: tuple[str, ...] = ()


def read_inventory_json(path: Path) -> dict[str, Any]:
    label = str(path)
    try:
        if path.stat().st_size > MAX_INVENTORY_BYTES:
            raise InventoryCopyError(f"{label}: too large for an inventory file")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InventoryCopyError(f"{label}: inventory file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InventoryCopyError(f"{label}: not a JSON inventory document") from None
    except OSError as exc:
        raise InventoryCopyError(f"{label}: cannot read: {exc.strerror}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        raise InventoryCopyError(f'{label}: not an inventory document (no "nodes" list)')
    return doc


def _obj(d: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    v = d.get(key)
    return v if isinstance(v, Mapping) else {}


def _text(d: Mapping[str, Any], key: str) -> str | None:
    v = d.get(key)
    return str(v) if isinstance(v, str | int) and not isinstance(v, bool) and v != "" else None


def generation_of(idrac: Mapping[str, Any]) -> int | None:
    """7/8/9 from Manager.Model ("12G Monolithic"), else from "iDRAC7"-style generation."""
    model = _text(idrac, "model") or ""
    for prefix, gen in _GENERATION.items():
        if model.startswith(prefix):
            return gen
    m = re.fullmatch(r"iDRAC(\d+)", _text(idrac, "generation") or "")
    return min(int(m.group(1)), 9) if m else None


def profile_for(generation: int, version: str) -> str:
    """The simulator profile closest to (generation, iDRAC firmware); features follow the
    exact version anyway (profiles.features_for), the profile picks the hardware."""
    if generation == 7:
        if not at_least(version, "2.40.40.40"):
            return "r320-idrac7-1.57"
        return "r320-idrac7-2.50" if not at_least(version, "2.60.60.60") else "r320-idrac7-2.65"
    if generation == 8:
        return "r630-idrac8-2.75"
    return "r640-idrac9-5.10" if at_least(version, "5.00.00.00") else "r640-idrac9-4.40"


def _norm(name: str) -> str:
    return " ".join(_MAC_TAIL.sub("", name.split(",", 1)[0]).lower().split())


def _match(comp: Mapping[str, Any], defs: tuple[ComponentDef, ...]) -> ComponentDef | None:
    cid = _text(comp, "component_id")
    if cid and cid != "0":
        hit = next((d for d in defs if d.component_id == cid), None)
        if hit is not None:
            return hit
    name = _norm(_text(comp, "name") or "")
    return next((d for d in defs if _norm(d.name) == name), None)


def _idrac_device(node: str, raw: Mapping[str, Any], notes: list[str]) -> DeviceSpec:
    idrac, system = _obj(raw, "idrac"), _obj(raw, "system")
    version = _text(idrac, "firmware_version")
    generation = generation_of(idrac)
    if version is None or generation is None:
        notes.append(f"{node}: iDRAC not read in the inventory; simulated with the default profile")
        return DeviceSpec(f"{node}-idrac", "idrac", "r320-idrac7-2.65", {})
    profile = get_profile(profile_for(generation, version))
    options: dict[str, Any] = {}
    if version != profile.idrac_version:
        options[IDRAC_KEY] = version
    model = _text(system, "model")
    if model and model != profile.hardware.model:
        notes.append(f"{node}: {model} simulated as {profile.hardware.model} (same generation)")
    seen: set[str] = {IDRAC_KEY}
    comps = raw.get("components")
    for comp in comps if isinstance(comps, list) else []:
        if not isinstance(comp, Mapping) or (_text(comp, "state") or "Installed") != "Installed":
            continue
        d = _match(comp, profile.hardware.components)
        if d is None:
            notes.append(f"{node}: component {_text(comp, 'name')!r} is not simulated")
            continue
        if d.key != IDRAC_KEY and _text(comp, "version"):
            options[d.key] = _text(comp, "version")
        seen.add(d.key)
    absent = [d.key for d in profile.hardware.components if d.key not in seen]
    if absent and seen != {IDRAC_KEY}:
        options["absent"] = absent
    tag = _text(system, "service_tag")
    if tag:
        options["service_tag"] = tag
    if (_text(system, "power_state") or "On").lower() == "off":
        options["power"] = "Off"
    return DeviceSpec(f"{node}-idrac", "idrac", profile.name, options)


def _lm_device(node: str, lm: Mapping[str, Any], notes: list[str]) -> DeviceSpec:
    options: dict[str, Any] = {}
    version = _text(lm, "version")
    if _text(lm, "error") or version is None:
        notes.append(f"{node}: LoadMaster not read in the inventory; simulated at its defaults")
    else:
        options["version"] = version
    serial = _text(lm, "serial")
    if serial:
        options["serial"] = serial
    return DeviceSpec(f"{node}-lm", "loadmaster", f"lm-{version or '7.2.48.3'}", options)


def _node(raw: Mapping[str, Any], notes: list[str]) -> NodeSpec:
    name = str(raw["name"])
    lm = raw.get("loadmaster")
    return NodeSpec(
        name,
        _idrac_device(name, raw, notes),
        _lm_device(name, lm, notes) if isinstance(lm, Mapping) else None,
    )


def _pair(name: str, raws: list[Mapping[str, Any]], nodes: tuple[NodeSpec, NodeSpec],
          notes: list[str]) -> PairSpec:  # fmt: skip
    options: dict[str, Any] = {}
    lms = [(str(r["name"]), _obj(r, "loadmaster")) for r in raws]
    active = [n for n, lm in lms if str(lm.get("ha_role", "")).lower() == "active"]
    if len(active) == 1:
        options["active"] = active[0]
    elif any(lm for _, lm in lms):
        notes.append(f"{name}: {len(active)} Active unit(s) in the inventory; "
                     f"{nodes[0].name} starts Active")  # fmt: skip
    described = next((lm.get("virtual_services") for n, lm in lms if n in active), None)
    if described is None:
        described = next((lm.get("virtual_services") for _, lm in lms if lm), None)
    if isinstance(described, list):
        options["virtual_services"] = [dict(v) for v in described if isinstance(v, Mapping)]
    return PairSpec(name, nodes, options)


def _with(spec: DeviceSpec | None, extra: Mapping[str, Any]) -> DeviceSpec | None:
    if spec is None or not extra:
        return spec
    return DeviceSpec(spec.name, spec.kind, spec.profile, {**spec.options, **extra})


def _with_options(node: NodeSpec, idrac: Mapping[str, Any], lm: Mapping[str, Any]) -> NodeSpec:
    idrac_spec = _with(node.idrac, idrac)
    assert idrac_spec is not None
    return NodeSpec(node.name, idrac_spec, _with(node.loadmaster, lm))


def spec_from_inventory(
    doc: Mapping[str, Any],
    *,
    idrac_options: Mapping[str, Any] | None = None,
    lm_options: Mapping[str, Any] | None = None,
) -> FleetCopy:
    """The FleetSpec of a simulated copy of the inventory's fleet (devices `<node>-idrac`,
    `<node>-lm`), plus notes on what could not be copied exactly.  `idrac_options` and
    `lm_options` are added to every iDRAC / LoadMaster (e.g. `known_images`, `known_patches`)."""
    copy = _spec(doc)
    if not idrac_options and not lm_options:
        return copy
    i, m = idrac_options or {}, lm_options or {}
    pairs = tuple(
        PairSpec(
            p.name, (_with_options(p.nodes[0], i, m), _with_options(p.nodes[1], i, m)), p.options
        )
        for p in copy.spec.pairs
    )
    standalone = tuple(_with_options(n, i, m) for n in copy.spec.standalone)
    return FleetCopy(FleetSpec(pairs=pairs, standalone=standalone), copy.notes)


def _spec(doc: Mapping[str, Any]) -> FleetCopy:
    notes: list[str] = []
    raws = [r for r in doc.get("nodes") or [] if isinstance(r, Mapping) and _text(r, "name")]
    by_pair: dict[str, list[Mapping[str, Any]]] = {}
    standalone: list[NodeSpec] = []
    for r in raws:
        pair = _text(r, "pair")
        if pair is None:
            standalone.append(_node(r, notes))
        else:
            by_pair.setdefault(pair, []).append(r)
    pairs: list[PairSpec] = []
    for name, members in by_pair.items():
        specs = [_node(r, notes) for r in members]
        if len(specs) != 2:
            notes.append(f"{name}: {len(specs)} node(s) in the inventory; simulated standalone")
            standalone.extend(specs)
            continue
        pairs.append(_pair(name, members, (specs[0], specs[1]), notes))
    return FleetCopy(FleetSpec(pairs=tuple(pairs), standalone=tuple(standalone)), tuple(notes))


def copy_fleet(
    inventory: Path,
    *,
    workdir: Path,
    time_scale: float = 1.0,
    event_log: Path | None = None,
    idrac_options: Mapping[str, Any] | None = None,
    lm_options: Mapping[str, Any] | None = None,
) -> tuple[SimulatedFleet, FleetCopy]:
    """A started SimulatedFleet copying the saved inventory (stop it, or use it as a context
    manager), and what could not be copied exactly."""
    copy = spec_from_inventory(read_inventory_json(Path(inventory)), idrac_options=idrac_options,
                               lm_options=lm_options)  # fmt: skip
    fleet = SimulatedFleet(copy.spec, workdir=workdir, time_scale=time_scale, event_log=event_log)
    return fleet.start(), copy
