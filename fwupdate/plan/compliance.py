"""Compliance: per node and component, what is installed, what the policy wants, and why.

This is the first half of planning (the planner orders what compliance marks `planned`) and the
document behind `fwupdate compliance`.  Rollup in the style of OME's compliance report: a node is
`critical` when an Urgent upgrade is due, `warning` when any other update is due, `ok` otherwise,
`unknown` when its inventory could not be read; the fleet takes its worst node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fwupdate.catalog.models import Catalog, PackageType, SoftwareComponent
from fwupdate.catalog.versions import compare_versions, version_key
from fwupdate.errors import ConfigError, FwupdateError
from fwupdate.fleet.models import Fleet
from fwupdate.idrac.models import FirmwareComponent, NodeInventory
from fwupdate.loadmaster.models import LoadMasterStatus
from fwupdate.plan.kinds import classify_catalog, needs_host_reboot
from fwupdate.plan.lm_image import LmImage, compare_lm_versions
from fwupdate.plan.match import (
    CatalogIndex,
    Match,
    index_for_system,
    match_node,
    node_system_id,
    system_label,
)
from fwupdate.plan.models import Action, ComponentKind, PackageRef, Status
from fwupdate.plan.policy import Pin, Policy, TargetMode
from fwupdate.plan.selectors import Selector

LOADMASTER_KEY = "loadmaster"


@dataclass(frozen=True)
class Selection:
    """`--only` / `--skip` from the command line (components and nodes)."""

    only: tuple[Selector, ...] = ()
    skip: tuple[Selector, ...] = ()

    def node_selected(self, node: str, group: str) -> bool:
        only_nodes = [s for s in self.only if s.is_node_selector]
        if only_nodes and not any(s.matches_node(node, group) for s in only_nodes):
            return False
        return not any(s.is_node_selector and s.matches_node(node, group) for s in self.skip)


@dataclass(frozen=True)
class ComplianceRow:
    node: str
    key: str
    name: str
    kind: ComponentKind
    component_id: str | None
    instances: tuple[str, ...]
    current: str
    target: str | None
    action: Action
    criticality: str
    reboot: str  # none | idrac-reset | host-reboot
    package: PackageRef | None
    match_rule: str | None
    planned: bool  # the planner will act on it
    note: str = ""
    error: str | None = None  # an input problem that stops planning this node
    pinned: bool = False


@dataclass(frozen=True)
class NodeCompliance:
    node: str
    group: str
    standalone: bool
    model: str | None
    system_id: str | None
    generation: str | None
    idrac_version: str | None
    loadmaster: LoadMasterStatus | None
    status: Status
    rows: tuple[ComplianceRow, ...]
    errors: tuple[str, ...] = ()

    def planned(self) -> tuple[ComplianceRow, ...]:
        return tuple(r for r in self.rows if r.planned)


@dataclass(frozen=True)
class FleetCompliance:
    catalog_source: str
    policy_name: str
    status: Status
    nodes: tuple[NodeCompliance, ...]

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for n in self.nodes:
            out[n.status.value] += 1
        return out


def package_ref(c: SoftwareComponent) -> PackageRef:
    return PackageRef(
        path=c.path,
        file_name=c.file_name,
        package_type=c.package_type.value,
        vendor_version=c.vendor_version,
        release_id=c.release_id,
        hash_md5=c.hash_md5,
        size=c.size,
        criticality=c.criticality.value,
    )


def usable_for(kind: ComponentKind, c: SoftwareComponent) -> bool:
    """iDRAC interfaces take Windows DUPs; a Linux .BIN only for the iDRAC itself, whose bare
    firmimg is extracted from it (the R320 field path, idrac-redfish.md §9)."""
    if c.package_type.is_windows:
        return True
    return kind is ComponentKind.IDRAC and c.package_type is PackageType.LLXP


def package_rank(policy: Policy, generation: str | None, c: SoftwareComponent) -> int:
    pref = policy.preference(generation)
    return (
        pref.index(c.package_type)
        if c.package_type in pref
        else len(pref) + (1 if c.package_type is PackageType.LLXP else 0)
    )


def best_package(
    policy: Policy, generation: str | None, options: Sequence[SoftwareComponent]
) -> SoftwareComponent | None:
    """Among packages of one version: the preferred package type, then the path (stable)."""
    if not options:
        return None
    return min(options, key=lambda c: (package_rank(policy, generation, c), c.path))


def _pin_for(
    policy: Policy, kind: ComponentKind, cid: str | None, category: str | None, name: str
) -> Pin | None:
    for pin in policy.pins:
        if pin.selector.matches_component(
            kind=kind, component_id=cid, category=category, name=name
        ):
            return pin
    return None


def _selected(
    policy: Policy,
    selection: Selection,
    *,
    kind: ComponentKind,
    cid: str | None,
    category: str | None,
    name: str,
) -> str | None:
    """Why the component is excluded, or None when it is in scope."""

    def hit(sels: tuple[Selector, ...]) -> Selector | None:
        for s in sels:
            if not s.is_node_selector and s.matches_component(
                kind=kind, component_id=cid, category=category, name=name
            ):
                return s
        return None

    if kind is ComponentKind.PSU and not policy.opt_in_psu:
        return "PSU updates only when opted in ([opt_in] psu = true): they bricked 12G units"
    if kind is ComponentKind.CPLD and not policy.opt_in_cpld:
        return "CPLD updates only when opted in ([opt_in] cpld = true)"
    if policy.include and hit(policy.include) is None:
        return "not in the bundle's [select] include list"
    s = hit(policy.exclude)
    if s is not None:
        return f"excluded by the bundle ({s.text})"
    only = tuple(x for x in selection.only if not x.is_node_selector)
    if only and hit(only) is None:
        return "not selected by --only"
    s = hit(selection.skip)
    if s is not None:
        return f"skipped by --skip {s.text}"
    return None


@dataclass(frozen=True)
class _RowFor:
    """What every row of one matched component shares (node, key, name, ids, version)."""

    node: str
    m: Match
    instances: tuple[str, ...]
    cid: str | None

    def __call__(self, **kw: Any) -> ComplianceRow:
        fc = self.m.component
        return ComplianceRow(
            node=self.node,
            key=self.m.key,
            name=fc.name,
            kind=self.m.kind,
            component_id=self.cid,
            instances=self.instances,
            current=fc.version,
            match_rule=self.m.rule,
            **kw,
        )

    def unplanned(self, action: Action, note: str, *, target: str | None = None,
                  error: str | None = None, pinned: bool = False) -> ComplianceRow:
        """A row without a package: nothing to do for it."""
        return self(target=target, action=action, criticality="", reboot="", package=None,
                    planned=False, note=note, error=error, pinned=pinned)


def _exclusion(policy: Policy, selection: Selection, m: Match, cid: str | None,
               category: str | None, pin: Pin | None) -> str | None:
    """Why the component is left alone (selection, bundle, iDRAC), or None."""
    fc = m.component
    excluded = _selected(policy, selection, kind=m.kind, cid=cid, category=category, name=fc.name)
    if excluded is None and not fc.updateable:
        excluded = "the iDRAC reports it not updateable"
    if excluded is None and policy.target is TargetMode.PINNED and pin is None:
        excluded = "not pinned (bundle target = pinned)"
    return excluded


def _choose_package(policy: Policy, generation: str | None, usable: list[SoftwareComponent],
                    pin: Pin | None, name: str) -> tuple[SoftwareComponent | None, str | None]:
    """The pinned version's best package (or an error naming what the catalog has), else the
    newest version's best package."""
    if pin is None:
        top = max(version_key(c.vendor_version) for c in usable)
        newest = [c for c in usable if version_key(c.vendor_version) == top]
        return best_package(policy, generation, newest), None
    same = [c for c in usable if compare_versions(c.vendor_version, pin.version) == 0]
    chosen = best_package(policy, generation, same)
    if chosen is not None:
        return chosen, None
    available = ", ".join(sorted({c.vendor_version for c in usable}, key=version_key))
    return None, (
        f"{name}: pinned version {pin.version} ({pin.selector.text}) is not in the "
        f"catalog (available: {available})"
    )


def _reboot_of(kind: ComponentKind, chosen: SoftwareComponent) -> str:
    kind = kind if kind is not ComponentKind.OTHER else classify_catalog(chosen)
    reboot_needed, _src = needs_host_reboot(kind, chosen.reboot_required)
    if kind is ComponentKind.IDRAC:
        return "idrac-reset"
    return "host-reboot" if reboot_needed else "none"


def _verdict(policy: Policy, target: str, current: str, excluded: str | None,
             pinned: bool) -> tuple[Action, bool, str]:
    """(action, planned, note) for a component with a package chosen."""
    if excluded:
        return Action.EXCLUDED, False, excluded
    cmp = compare_versions(target, current)
    if cmp > 0:
        return Action.UPGRADE, True, ""
    if cmp < 0:
        if policy.allow_downgrade:
            return Action.DOWNGRADE, True, ""
        note = (
            "installed is newer than the pinned target; downgrade not allowed "
            "(--allow-downgrade)"
            if pinned
            else "installed is newer than the catalog"
        )
        return Action.DOWNGRADE, False, note
    if policy.force_same_version:
        return Action.SAME, True, "re-flash of the same version (force_same_version)"
    return Action.SAME, False, ""


def _row_for_match(
    node: str,
    m: Match,
    instances: tuple[str, ...],
    policy: Policy,
    selection: Selection,
    generation: str | None,
) -> ComplianceRow:
    fc = m.component
    cat_comp = m.candidates[0] if m.candidates else None
    category = cat_comp.category if cat_comp else None
    cid = fc.component_id if fc.component_id not in (None, "", "0") else None
    row = _RowFor(node, m, instances, cid)
    if m.rule is None:
        return row.unplanned(Action.NOT_IN_CATALOG, m.note)
    usable = [c for c in m.candidates if usable_for(m.kind, c)]
    pin = _pin_for(policy, m.kind, cid, category, fc.name)
    excluded = _exclusion(policy, selection, m, cid, category, pin)
    unusable = Action.EXCLUDED if excluded else Action.NOT_IN_CATALOG
    if not usable:
        types = ", ".join(sorted({c.package_type.value for c in m.candidates}))
        return row.unplanned(unusable, excluded or f"catalog has only {types} packages for it; "
                             "iDRAC interfaces take Windows DUPs")
    chosen, error = _choose_package(policy, generation, usable, pin, fc.name)
    if chosen is None:
        return row.unplanned(unusable, excluded or (error or ""), target=pin.version if pin
                             else None, error=None if excluded else error, pinned=pin is not None)
    action, planned, note = _verdict(policy, chosen.vendor_version, fc.version, excluded,
                                     pin is not None)
    return row(
        target=chosen.vendor_version,
        action=action,
        criticality=chosen.criticality.value,
        reboot=_reboot_of(m.kind, chosen),
        package=package_ref(chosen),
        planned=planned,
        note=note,
        pinned=pin is not None,
    )


def loadmaster_target(policy: Policy, image: LmImage | None) -> str | None:
    if image is not None:
        return image.version
    return policy.loadmaster.version


def _loadmaster_row(
    node: str,
    status: LoadMasterStatus,
    policy: Policy,
    selection: Selection,
    image: LmImage | None,
) -> ComplianceRow | None:
    target = loadmaster_target(policy, image)
    if target is None or status.version is None:
        return None
    name = "LoadMaster"
    excluded = _selected(
        policy, selection, kind=ComponentKind.LOADMASTER, cid=None, category=None, name=name
    )
    cmp = compare_lm_versions(target, status.version)
    note = ""
    if excluded:
        action, planned, note = Action.EXCLUDED, False, excluded
    elif cmp > 0:
        action, planned = Action.UPGRADE, True
    elif cmp < 0:
        action, planned = Action.DOWNGRADE, policy.loadmaster.allow_downgrade
        if not planned:
            note = (
                "installed LoadMaster is newer; downgrade not allowed "
                "([loadmaster] allow_downgrade)"
            )
    else:
        action, planned = Action.SAME, False
    package = (
        PackageRef(
            path=image.file_name,
            file_name=image.file_name,
            package_type="LM-PATCH",
            vendor_version=image.version,
            size=image.size,
            source="lm-image",
        )
        if image is not None
        else None
    )
    return ComplianceRow(
        node=node,
        key=LOADMASTER_KEY,
        name=name,
        kind=ComponentKind.LOADMASTER,
        component_id=None,
        instances=(),
        current=status.version,
        target=target,
        action=action,
        criticality="",
        reboot="host-reboot",
        package=package,
        match_rule=None,
        planned=planned,
        note=note,
    )


def rollup(rows: Sequence[ComplianceRow]) -> Status:
    status = Status.OK
    for r in rows:
        if r.action is Action.UPGRADE and r.criticality == "Urgent":
            return Status.CRITICAL
        if r.action is Action.UPGRADE or (r.action is Action.DOWNGRADE and r.pinned):
            status = Status.WARNING
    return status


def worst(statuses: Sequence[Status]) -> Status:
    return max(statuses, key=lambda s: s.rank) if statuses else Status.OK


def _unreadable(node: str, group: str, standalone: bool, inventory: NodeInventory,
                loadmaster: LoadMasterStatus | None) -> NodeCompliance:
    """Status `unknown`, with the inventory's errors."""
    errors = inventory.errors or ("no iDRAC identity in the inventory",)
    return NodeCompliance(
        node,
        group,
        standalone,
        inventory.system.model if inventory.system else None,
        None,
        inventory.idrac.generation.value if inventory.idrac else None,
        inventory.idrac.firmware_version if inventory.idrac else None,
        loadmaster,
        Status.UNKNOWN,
        (),
        tuple(errors),
    )


def _system_index(node: str, inventory: NodeInventory, catalog: Catalog, policy: Policy,
                  indexes: dict[str, CatalogIndex] | None) -> tuple[str, CatalogIndex]:
    """The node's system id and the catalog's index for it; input problems name the node."""
    try:
        system_id = node_system_id(inventory)
        if policy.systems and system_id not in policy.systems:
            wanted = ", ".join(system_label(x) for x in policy.systems)
            raise ConfigError(
                f"bundle {policy.name} is written for {wanted}, not for this node's system "
                f"{system_label(system_id)}"
            )
        cache = indexes if indexes is not None else {}
        if system_id not in cache:
            cache[system_id] = index_for_system(catalog, system_id)
        return system_id, cache[system_id]
    except FwupdateError as exc:
        if exc.host is None:
            exc.host = node
        raise


RowsMemo = dict[tuple[str, str | None, tuple[FirmwareComponent, ...]], list[ComplianceRow]]
"""Firmware rows by (system id, iDRAC generation, inventory components), for one policy and
selection: nodes of one model and firmware are matched once (1,000 R320 pairs: 3 inventories)."""


def _for_node(row: ComplianceRow, node: str) -> ComplianceRow:
    """Another node's row (same firmware, same system) as `node`'s: a field-for-field copy, ten
    times cheaper than `dataclasses.replace` (which re-runs `__init__`)."""
    mine = object.__new__(ComplianceRow)
    vars(mine).update(vars(row), node=node)
    return mine


def _firmware_rows_memo(node: str, inventory: NodeInventory, index: CatalogIndex,
                        policy: Policy, selection: Selection, generation: str | None,
                        memo: RowsMemo | None) -> list[ComplianceRow]:
    if memo is None:
        return _firmware_rows(node, inventory, index, policy, selection, generation)
    key = (index.system_id, generation, inventory.components)
    if key not in memo:
        memo[key] = _firmware_rows(node, inventory, index, policy, selection, generation)
        return list(memo[key])
    return [_for_node(r, node) for r in memo[key]]


def _firmware_rows(node: str, inventory: NodeInventory, index: CatalogIndex, policy: Policy,
                   selection: Selection, generation: str | None) -> list[ComplianceRow]:
    """One row per component key and installed version (its instances together)."""
    grouped: dict[tuple[str, str], list[Match]] = {}
    for m in match_node(inventory, index):
        grouped.setdefault((m.key, m.component.version), []).append(m)
    rows = [
        _row_for_match(
            node, ms[0], tuple(sorted(x.component.id for x in ms)), policy, selection, generation
        )
        for ms in grouped.values()
    ]
    rows.sort(key=lambda r: (r.kind.value, r.key, version_key(r.current)))
    return rows


def node_compliance(
    *,
    node: str,
    group: str,
    standalone: bool,
    inventory: NodeInventory,
    catalog: Catalog,
    policy: Policy,
    selection: Selection = Selection(),
    loadmaster: LoadMasterStatus | None = None,
    lm_image: LmImage | None = None,
    indexes: dict[str, CatalogIndex] | None = None,
    rows_memo: RowsMemo | None = None,
) -> NodeCompliance:
    """Compliance of one node. Input problems (unknown model, catalog without the system) raise;
    an unreadable inventory gives status `unknown` with the errors."""
    if not inventory.ok:
        return _unreadable(node, group, standalone, inventory, loadmaster)
    generation = inventory.idrac.generation.value if inventory.idrac else None
    system_id, index = _system_index(node, inventory, catalog, policy, indexes)
    rows = _firmware_rows_memo(node, inventory, index, policy, selection, generation, rows_memo)
    if loadmaster is not None:
        lm_row = _loadmaster_row(node, loadmaster, policy, selection, lm_image)
        if lm_row is not None:
            rows.append(lm_row)
    return NodeCompliance(
        node=node,
        group=group,
        standalone=standalone,
        model=inventory.system.model if inventory.system else None,
        system_id=system_id,
        generation=generation,
        idrac_version=inventory.idrac.firmware_version if inventory.idrac else None,
        loadmaster=loadmaster,
        status=rollup(rows),
        rows=tuple(rows),
    )


def fleet_compliance(
    *,
    fleet: Fleet,
    inventories: Mapping[str, NodeInventory],
    catalog: Catalog,
    policy: Policy,
    selection: Selection = Selection(),
    loadmasters: Mapping[str, LoadMasterStatus] | None = None,
    lm_image: LmImage | None = None,
) -> FleetCompliance:
    """Compliance of every selected node of the fleet, in fleet-file order."""
    lms = loadmasters or {}
    indexes: dict[str, CatalogIndex] = {}
    rows_memo: RowsMemo = {}
    nodes: list[NodeCompliance] = []
    members = [(n, p.name, False) for p in fleet.pairs for n in p.nodes]
    members += [(n, n.name, True) for n in fleet.standalone]
    for node, group, standalone in members:
        if not selection.node_selected(node.name, group):
            continue
        inv = inventories.get(node.name)
        if inv is None:
            inv = NodeInventory(name=node.name, errors=("no inventory for this node",))
        nodes.append(
            node_compliance(
                node=node.name,
                group=group,
                standalone=standalone,
                inventory=inv,
                catalog=catalog,
                policy=policy,
                selection=selection,
                loadmaster=lms.get(node.name),
                lm_image=lm_image,
                indexes=indexes,
                rows_memo=rows_memo,
            )
        )
    return FleetCompliance(
        catalog_source=catalog.source,
        policy_name=policy.name,
        status=worst([n.status for n in nodes]),
        nodes=tuple(nodes),
    )
