"""Fingerprints of what a plan was made from, and the run-time check that a node still matches.

The executor calls `check_node(plan, node, live_inventory, done_step_ids)` before it starts (or
resumes) a node: a node whose installed firmware is not what the plan saw — allowing only the
versions the plan's own completed or in-flight steps produce — is refused, per node.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping

from fwupdate.catalog.models import Catalog
from fwupdate.catalog.versions import compare_versions
from fwupdate.idrac.models import FirmwareComponent, NodeInventory
from fwupdate.plan.match import component_key, installed_of
from fwupdate.plan.models import InventoryEntry, Plan, StepKind


def _sha256_json(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def inventory_entries(inv: NodeInventory) -> tuple[InventoryEntry, ...]:
    """Installed components as (key, name, version), sorted and de-duplicated."""
    return _entries_of(inv.components)


@functools.lru_cache(maxsize=1024)
def _entries_of(components: tuple[FirmwareComponent, ...]) -> tuple[InventoryEntry, ...]:
    """Nodes of one model and firmware share their entries (made once, not per node and use:
    a 1,000-pair plan asks three times per node)."""
    seen = {(component_key(c), c.name, c.version) for c in installed_of(components)}
    return tuple(InventoryEntry(k, n, v) for k, n, v in sorted(seen))


def node_fingerprint(inv: NodeInventory) -> str:
    """SHA-256 over the node's identity and installed firmware (not the member ids, not the
    Previous/Available entries), so live and saved inventories of the same state agree."""
    doc = {
        "name": inv.name,
        "idrac": None
        if inv.idrac is None
        else [inv.idrac.generation.value, inv.idrac.firmware_version, inv.idrac.model],
        "system": None
        if inv.system is None
        else [inv.system.model, inv.system.service_tag or "", inv.system.system_id or ""],
        "components": [[e.key, e.name, e.version] for e in inventory_entries(inv)],
        "errors": sorted(inv.errors),
    }
    return _sha256_json(doc)


def inventory_digest(inventories: Mapping[str, NodeInventory],
                     known: Mapping[str, str] | None = None) -> str:
    """SHA-256 over the nodes' fingerprints; `known`: fingerprints already taken, by node."""
    fingerprints = known or {}
    return _sha256_json({
        name: fingerprints.get(name) or node_fingerprint(inventories[name])
        for name in sorted(inventories)
    })  # fmt: skip


def catalog_digest(catalog: Catalog) -> str:
    """The SHA-256 of the catalog bytes when the loader recorded it, else a content digest."""
    if catalog.sha256:
        return catalog.sha256
    return _sha256_json(
        [
            [c.path, c.vendor_version, c.hash_md5 or "", list(c.system_ids)]
            for c in catalog.components
        ]
    )


def check_node(
    plan: Plan, node: str, live: NodeInventory, done_step_ids: Iterable[str] = ()
) -> tuple[str, ...]:
    """Reasons why `live` no longer matches the plan for `node`; empty when it does.

    Allowed per component: the version the plan saw, and the target of any of the node's
    firmware steps (stepping-stone hops included) — on resume a step may have finished.  A
    component that appeared or disappeared is drift.  `done_step_ids` narrows nothing today but
    is part of the contract so that stricter checks need no API change.
    """
    del done_step_ids
    np = plan.node(node)
    reasons: list[str] = []
    if not live.ok:
        return (f"{node}: live inventory has errors: {'; '.join(live.errors) or 'no iDRAC'}",)
    allowed: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for e in np.inventory:
        allowed.setdefault(e.key, set()).add(e.version)
        names[e.key] = e.name
    for step in plan.node_steps(node):
        if step.kind in (
            StepKind.IDRAC_UPDATE,
            StepKind.FIRMWARE_APPLY_NOW,
            StepKind.FIRMWARE_STAGE,
            StepKind.CPLD_APPLY,
        ):
            for x in step.expect:
                allowed.setdefault(x.key, set()).add(x.version)
        if step.kind is StepKind.VERIFY:
            for x in step.expect:
                allowed.setdefault(x.key, set()).add(x.version)
    live_entries = inventory_entries(live)
    live_keys = {e.key for e in live_entries}
    for e in live_entries:
        if e.key not in allowed:
            reasons.append(
                f"{node}: {e.name} ({e.key}) {e.version} was not in the planned inventory"
            )
            continue
        if not any(compare_versions(e.version, v) == 0 for v in allowed[e.key]):
            expected = ", ".join(sorted(allowed[e.key]))
            reasons.append(f"{node}: {e.name} is at {e.version}; the plan expected {expected}")
    for key in sorted(set(names) - live_keys):
        reasons.append(f"{node}: {names[key]} ({key}) is gone from the live inventory")
    if live.idrac is not None and np.generation and live.idrac.generation.value != np.generation:
        reasons.append(
            f"{node}: iDRAC generation {live.idrac.generation.value}, planned for {np.generation}"
        )
    return tuple(reasons)
