"""The planner: compliance in, ordered steps out (docs/planning.md "Ordering rules").

Per node:   the node rules N1-N10, D1/D2, one function each (rules_node.py, NODE_RULES)
Per pair:   P1 pair_precheck -> P2 standby node, then active node -> P3 pair_postcheck
            (rules_pair.py); a standalone node is planned alone (rule S1: an outage)
Fleet:      pairs in parallel up to the concurrency (window.py).
Rule ids and texts: rules.py.

Pure: no file, network or clock access; `created_at` and every digest of what was read come in
with the request.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from fwupdate.errors import BadInputError, CatalogError, PlanError
from fwupdate.fleet.models import Node
from fwupdate.loadmaster.versions import crosses_secret_boundary
from fwupdate.plan.compliance import FleetCompliance, NodeCompliance, fleet_compliance
from fwupdate.plan.drift import (
    catalog_digest,
    inventory_digest,
    inventory_entries,
    node_fingerprint,
)
from fwupdate.plan.identity import service_tag_of
from fwupdate.plan.lm_image import compare_lm_versions
from fwupdate.plan.models import (
    ComponentKind,
    Impact,
    InputDigest,
    NodePlan,
    PairPlan,
    Plan,
    SkippedNode,
    Step,
    Totals,
)
from fwupdate.plan.policy import StandalonePolicy
from fwupdate.plan.request import PlanRequest, StepBuilder
from fwupdate.plan.rules import Rule, rule_sort_key, rule_text
from fwupdate.plan.rules_node import IdracPackages, node_steps
from fwupdate.plan.rules_pair import (
    PairOrder,
    pair_vs_baseline,
    rule_p1_pair_precheck,
    rule_p2_standby_first,
    rule_p3_pair_postcheck,
    standalone_order,
)
from fwupdate.plan.window import build_schedule

__all__ = ["PLAN_SCHEMA_VERSION", "PlanRequest", "build_plan", "totals_of"]

PLAN_SCHEMA_VERSION = 1


# --- totals --------------------------------------------------------------------------------------


def totals_of(steps: tuple[Step, ...] | list[Step]) -> Totals:
    return Totals(
        steps=len(steps),
        host_reboots=sum(1 for s in steps if Impact.HOST_REBOOT in s.impact),
        idrac_resets=sum(1 for s in steps if Impact.IDRAC_RESET in s.impact),
        failovers=sum(1 for s in steps if Impact.LM_FAILOVER in s.impact),
        estimated_seconds=sum(s.estimated_seconds for s in steps),
    )


def _sum_totals(parts: list[Totals]) -> Totals:
    return Totals(
        steps=sum(t.steps for t in parts),
        host_reboots=sum(t.host_reboots for t in parts),
        idrac_resets=sum(t.idrac_resets for t in parts),
        failovers=sum(t.failovers for t in parts),
        estimated_seconds=sum(t.estimated_seconds for t in parts),
    )


# --- inputs --------------------------------------------------------------------------------------


def _check_inputs(req: PlanRequest) -> None:
    lm_policy = req.policy.loadmaster
    if req.lm_image is not None:
        if req.lm_image.platform != lm_policy.platform:
            raise BadInputError(
                f"{req.lm_image.file_name}: a {req.lm_image.platform} image; the bundle wants "
                f"{lm_policy.platform}"
            )
        if lm_policy.version and compare_lm_versions(lm_policy.version, req.lm_image.version) != 0:
            raise BadInputError(
                f"{req.lm_image.file_name} is LoadMaster {req.lm_image.version}, but the bundle "
                f"targets {lm_policy.version}: contradictory inputs"
            )
    if req.concurrency is not None and req.concurrency < 1:
        raise BadInputError("--concurrency must be at least 1")


def _check_compliance(req: PlanRequest, fleet_comp: FleetCompliance) -> None:
    """Catalog errors on any row, or a LoadMaster target without an image: refuse to plan."""
    errors = [
        f"{r.node}: {r.error}" for n in fleet_comp.nodes for r in n.rows if r.error is not None
    ]
    if errors:
        raise CatalogError("; ".join(errors))
    if req.lm_image is not None:
        return
    wants = [
        n.node
        for n in fleet_comp.nodes
        for r in n.rows
        if r.kind is ComponentKind.LOADMASTER and r.planned
    ]
    if wants:
        raise BadInputError(
            f"the bundle targets LoadMaster {req.policy.loadmaster.version} ({', '.join(wants)}) "
            "but no image was given: pass --lm-image FILE or set [loadmaster] image"
        )


def _check_files(req: PlanRequest, steps: list[Step]) -> None:
    if req.available_files is None:
        return
    have = {f.lower() for f in req.available_files}
    missing = sorted(
        {
            f"{s.package.file_name} ({s.node}: {s.component.name if s.component else s.kind.value})"
            for s in steps
            if s.package is not None
            and s.package.source != "lm-image"
            and s.package.file_name.lower() not in have
        }
    )
    if missing:
        raise CatalogError(
            "missing DUP(s) in the repository: "
            + "; ".join(missing[:5])
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        )


# --- one group (a pair or a standalone node) -----------------------------------------------------


@dataclass
class _Notes:
    """What the groups leave for the whole plan, in plan order."""

    skipped: list[SkippedNode] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outage: list[str] = field(default_factory=list)  # standalone nodes a reboot takes down
    fingerprints: dict[str, str] = field(default_factory=dict)  # of the planned nodes' inventories


@dataclass(frozen=True)
class _Group:
    name: str
    nodes: tuple[Node, ...]
    standalone: bool


def _plannable(group: _Group, by_node: dict[str, NodeCompliance], notes: _Notes) -> list[Node]:
    """The group's selected nodes; none when a node's inventory is unreadable."""
    selected = [n for n in group.nodes if n.name in by_node]
    for n in group.nodes:
        if n.name not in by_node:
            notes.skipped.append(SkippedNode(n.name, group.name, "not selected (--only / --skip)"))
    if any(by_node[n.name].errors for n in selected):
        for n in selected:
            why = (
                "inventory unreadable: " + "; ".join(by_node[n.name].errors)
                if by_node[n.name].errors
                else "partner's inventory unreadable: the pair is not planned"
            )
            notes.skipped.append(SkippedNode(n.name, group.name, why))
        return []
    return selected


def _work_order(req: PlanRequest, group: _Group, notes: _Notes) -> PairOrder:
    if group.standalone:
        return standalone_order(group.nodes[0])
    order = rule_p2_standby_first(group.name, (group.nodes[0], group.nodes[1]), req.loadmasters)
    if not order.state.has_ha:
        notes.warnings.append(
            f"{group.name}: no LoadMaster endpoints; nodes worked on in fleet-file order"
        )
    return order


def _secret_boundary_warning(nc: NodeCompliance) -> str | None:
    lm_row = next((r for r in nc.rows if r.kind is ComponentKind.LOADMASTER), None)
    if lm_row is None or not lm_row.planned or not lm_row.target:
        return None
    if not crosses_secret_boundary(lm_row.current, lm_row.target):
        return None
    return (
        f"{nc.node}: LoadMaster {lm_row.current} -> {lm_row.target} crosses the "
        "Partner Shared Secret boundary 7.2.54.10 LTSF / 7.2.59.4 GA: HA partner comms may "
        "fail until both units run it and share a secret (loadmaster-api.md §7.2)"
    )


def _node_plan(req: PlanRequest, group: str, order: PairOrder, nc: NodeCompliance,
               steps: list[Step], fingerprints: dict[str, str]) -> NodePlan:
    inv = req.inventories[nc.node]
    fingerprints[nc.node] = node_fingerprint(inv)  # again in the plan's inputs digest
    lm = req.loadmasters.get(nc.node)
    return NodePlan(
        name=nc.node,
        group=group,
        role=order.roles.get(nc.node),
        model=nc.model,
        system_id=nc.system_id,
        generation=nc.generation,
        idrac_version=nc.idrac_version,
        loadmaster_version=lm.version if lm else None,
        inventory_sha256=fingerprints[nc.node],
        inventory=inventory_entries(inv),
        totals=totals_of(steps),
        service_tag=service_tag_of(inv),
    )


def _plan_nodes(req: PlanRequest, b: StepBuilder, group: _Group, order: PairOrder,
                todo: list[Node], by_node: dict[str, NodeCompliance], cache: IdracPackages
                ) -> dict[str, list[Step]]:
    steps: dict[str, list[Step]] = {}
    for n in todo:
        partner = next((p.name for p in group.nodes if p.name != n.name), None)
        steps[n.name] = node_steps(
            b, req=req, nc=by_node[n.name], node=n, partner=partner, state=order.state,
            in_pair=not group.standalone, idrac_packages=cache,
        )
    return steps


def _plan_group(req: PlanRequest, group: _Group, by_node: dict[str, NodeCompliance],
                notes: _Notes, cache: IdracPackages) -> PairPlan | None:
    selected = _plannable(group, by_node, notes)
    if not selected:
        return None
    b = StepBuilder(group.name)
    order = _work_order(req, group, notes)
    todo = [n for n in order.ordered if n in selected]
    if not group.standalone:
        rule_p1_pair_precheck(b, order, req.policy)
    steps = _plan_nodes(req, b, group, order, todo, by_node, cache)
    if not any(steps.values()):
        for n in selected:
            notes.skipped.append(
                SkippedNode(n.name, group.name, "nothing to do: compliant with the bundle")
            )
        return None
    if not group.standalone:
        rule_p3_pair_postcheck(b, order.state, req.policy)
    elif any(s.takes_node_down for ss in steps.values() for s in ss):
        notes.outage.append(group.name)
    node_plans = tuple(
        _node_plan(req, group.name, order, by_node[n.name], steps[n.name], notes.fingerprints)
        for n in todo
    )
    if not group.standalone:
        notes.warnings.extend(w for n in todo if (w := _secret_boundary_warning(by_node[n.name])))
    return PairPlan(
        name=group.name,
        standalone=group.standalone,
        order=tuple(n.name for n in todo),
        nodes=node_plans,
        steps=tuple(b.steps),
        totals=totals_of(b.steps),
        vs_baseline=None if group.standalone else pair_vs_baseline(group.nodes, req.loadmasters),
    )


# --- the plan ------------------------------------------------------------------------------------


def _groups_of(req: PlanRequest) -> list[_Group]:
    return [_Group(p.name, p.nodes, False) for p in req.fleet.pairs] + [
        _Group(n.name, (n,), True) for n in req.fleet.standalone
    ]


def _standalone_outage(req: PlanRequest, notes: _Notes) -> bool:
    """Rule S1: a standalone node's reboot is an outage, planned only when allowed."""
    allow = req.allow_standalone or req.policy.standalone is StandalonePolicy.ALLOW
    if notes.outage and not allow:
        raise PlanError(
            f"standalone node(s) {', '.join(notes.outage)} would be rebooted: an outage of their "
            "Virtual Services. Pass --allow-standalone to plan it, or --skip node:NAME"
        )
    for name in notes.outage:
        notes.warnings.append(f"{name}: standalone node, its reboot is an OUTAGE (rule {Rule.S1})")
    return allow


def _numbered(groups: list[PairPlan]) -> list[PairPlan]:
    """Global sequence numbers, in plan order.

    Set on the steps themselves: each is this call's own (its group's StepBuilder made it, with
    seq 0, and nothing has seen it yet), and copying 25,000 steps with `replace` was a tenth of
    a 1,000-pair plan."""
    seq = 0
    for g in groups:
        for s in g.steps:
            seq += 1
            object.__setattr__(s, "seq", seq)
    return groups


def _input_digest(req: PlanRequest, planned_nodes: Collection[str],
                  fingerprints: Mapping[str, str]) -> InputDigest:
    image = req.lm_image
    return InputDigest(
        catalog_source=req.catalog.source,
        catalog_sha256=catalog_digest(req.catalog),
        inventory_source=req.inventory_source,
        inventory_sha256=inventory_digest(
            {k: v for k, v in req.inventories.items() if k in planned_nodes}, fingerprints
        ),
        bundle_source=req.bundle_source,
        bundle_sha256=req.bundle_sha256,
        lm_image_file=image.file_name if image else None,
        lm_image_version=image.version if image else None,
        lm_image_sha256=image.sha256 if image else None,
    )


def _options(req: PlanRequest, allow: bool, concurrency: int) -> tuple[tuple[str, str], ...]:
    return (
        ("only", ",".join(s.text for s in req.selection.only)),
        ("skip", ",".join(s.text for s in req.selection.skip)),
        ("allow_standalone", str(allow).lower()),
        ("concurrency", str(concurrency)),
        ("window", req.window or ""),
    )


def build_plan(req: PlanRequest) -> Plan:
    """Make the plan; raises BadInputError / CatalogError / PlanError with what to fix."""
    _check_inputs(req)
    fleet_comp = fleet_compliance(
        fleet=req.fleet, inventories=req.inventories, catalog=req.catalog, policy=req.policy,
        selection=req.selection, loadmasters=req.loadmasters, lm_image=req.lm_image,
    )
    _check_compliance(req, fleet_comp)
    by_node = {n.node: n for n in fleet_comp.nodes}
    notes, cache = _Notes(), IdracPackages()
    planned = [_plan_group(req, g, by_node, notes, cache) for g in _groups_of(req)]
    allow = _standalone_outage(req, notes)
    groups = _numbered([g for g in planned if g is not None])
    all_steps = [s for g in groups for s in g.steps]
    _check_files(req, all_steps)
    concurrency = req.concurrency or req.fleet.concurrency
    return Plan(
        schema_version=PLAN_SCHEMA_VERSION,
        created_at=req.created_at,
        tool_version=req.tool_version,
        inputs=_input_digest(req, by_node.keys(), notes.fingerprints),
        options=_options(req, allow, concurrency),
        policy_summary=req.policy.summary(),
        groups=tuple(groups),
        totals=_sum_totals([g.totals for g in groups]),
        schedule=build_schedule(
            [(g.name, g.totals.estimated_seconds) for g in groups], concurrency, req.window
        ),
        skipped=tuple(notes.skipped),
        warnings=tuple(notes.warnings),
        rules=tuple(
            (r, rule_text(r)) for r in sorted({s.rule for s in all_steps}, key=rule_sort_key)
        ),
    )
