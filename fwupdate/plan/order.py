"""The planner: compliance in, ordered steps out (rules in rules.py, docs/planning.md).

Per node:   precheck -> iDRAC through every stepping stone -> no-reboot components ->
            reboot components staged -> [LoadMaster image staged] -> ONE host reboot ->
            [CPLD alone] -> [LoadMaster image + its own reboot, when not combined] -> verify
Per pair:   pair_precheck -> standby node -> active node -> pair_postcheck
Fleet:      pairs in parallel up to the concurrency (window.py).

Pure: no file, network or clock access; `created_at` and every digest of what was read come in
with the request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from fwupdate.catalog.models import Catalog, SoftwareComponent
from fwupdate.catalog.versions import compare_versions
from fwupdate.errors import BadInputError, CatalogError, PlanError
from fwupdate.fleet.models import Fleet, Node
from fwupdate.idrac.models import NodeInventory
from fwupdate.loadmaster.models import HaRole, LoadMasterStatus, vs_baseline
from fwupdate.loadmaster.versions import crosses_secret_boundary
from fwupdate.plan.compliance import (
    ComplianceRow,
    NodeCompliance,
    Selection,
    fleet_compliance,
    usable_for,
)
from fwupdate.plan.delivery import DeliveryMode, choose_transfer
from fwupdate.plan.delivery import supported as delivery_supported
from fwupdate.plan.delivery_steps import add_delivery_step
from fwupdate.plan.drift import (
    catalog_digest,
    inventory_digest,
    inventory_entries,
    node_fingerprint,
)
from fwupdate.plan.identity import service_tag_of
from fwupdate.plan.kinds import classify_catalog, kind_rank
from fwupdate.plan.lm_image import LmImage, compare_lm_versions
from fwupdate.plan.match import index_for_system
from fwupdate.plan.models import (
    ComponentKind,
    ComponentRef,
    Expectation,
    Impact,
    InputDigest,
    NodePlan,
    PackageRef,
    PairPlan,
    Plan,
    SkippedNode,
    Step,
    StepKind,
    Totals,
)
from fwupdate.plan.policy import Policy, StandalonePolicy
from fwupdate.plan.rules import rule_sort_key, rule_text
from fwupdate.plan.steppingstones import (
    TRANSPORT_LOADMASTER,
    TRANSPORT_REDFISH,
    TRANSPORT_WSMAN,
    idrac_path,
)
from fwupdate.plan.window import build_schedule

PLAN_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class PlanRequest:
    fleet: Fleet
    inventories: Mapping[str, NodeInventory]
    catalog: Catalog
    policy: Policy
    loadmasters: Mapping[str, LoadMasterStatus] = field(default_factory=dict)
    lm_image: LmImage | None = None
    selection: Selection = field(default_factory=Selection)
    allow_standalone: bool = False
    concurrency: int | None = None  # None: the fleet file's
    window: str | None = None
    created_at: str = ""  # ISO 8601, from the caller's clock
    tool_version: str = ""
    inventory_source: str = "live"
    bundle_source: str | None = None
    bundle_sha256: str | None = None
    # File names present in the repository; None = not checked (e.g. an online catalog).
    available_files: frozenset[str] | None = None


@dataclass
class _Builder:
    """Collects the steps of one group and gives each a stable id."""

    group: str
    steps: list[Step] = field(default_factory=list)

    def add(self, kind: StepKind, **kw: object) -> Step:
        step_id = f"{self.group}/{len(self.steps) + 1:03d}-{kind.value}"
        step = Step(step_id=step_id, seq=0, kind=kind, group=self.group, **kw)  # type: ignore[arg-type]
        self.steps.append(step)
        return step


# --- helpers -------------------------------------------------------------------------------------


def _role(status: LoadMasterStatus | None) -> str | None:
    if status is None:
        return None
    if status.ha_role is HaRole.ACTIVE:
        return "active"
    if status.ha_role in (HaRole.STANDBY, HaRole.PASSIVE):
        return "standby"
    return None


def _pair_order(
    pair_name: str, nodes: tuple[Node, Node], lms: Mapping[str, LoadMasterStatus]
) -> tuple[tuple[Node, Node], dict[str, str | None], bool]:
    """(standby, active), roles by node, whether the pair has LoadMasters (HA roles matter)."""
    with_lm = [n for n in nodes if n.loadmaster is not None]
    if not with_lm:
        return nodes, {n.name: None for n in nodes}, False
    roles = {n.name: _role(lms.get(n.name)) for n in nodes}
    missing = [n.name for n in nodes if lms.get(n.name) is None]
    if missing:
        raise PlanError(
            f"no LoadMaster status for {', '.join(missing)}: the HA role decides the order "
            "(standby first); read it live or add a 'loadmaster' entry to the saved inventory",
            host=pair_name,
        )
    active = [n for n in nodes if roles[n.name] == "active"]
    standby = [n for n in nodes if roles[n.name] == "standby"]
    if len(active) == 2:
        raise PlanError(
            "both units report Active (split brain): fix HA before updating", host=pair_name
        )
    if len(active) != 1 or len(standby) != 1:
        seen = ", ".join(f"{n.name}={lms[n.name].ha_role.value}" for n in nodes)
        raise PlanError(
            f"cannot tell standby from active ({seen}); the pair must be healthy to plan it",
            host=pair_name,
        )
    return (standby[0], active[0]), roles, True


def _vs_baseline(nodes: Sequence[Node], lms: Mapping[str, LoadMasterStatus]
                 ) -> tuple[str, ...] | None:
    """The Virtual Services Up on the pair's Active unit now (the run holds the pair to them);
    None without LoadMaster data for it."""
    active = [lms[n.name] for n in nodes if n.name in lms
              and lms[n.name].reachable and lms[n.name].ha_role is HaRole.ACTIVE]
    return vs_baseline(active[0].virtual_services) if active else None


def _firmware_transport(policy: Policy, generation: str | None, idrac_version: str | None) -> str:
    if not generation or not idrac_version:
        return TRANSPORT_REDFISH
    minimum = policy.idrac.redfish_minimum(generation)
    if minimum is not None and compare_versions(idrac_version, minimum) < 0:
        return TRANSPORT_WSMAN
    return TRANSPORT_REDFISH


def _crosses_secret_boundary(current: str, target: str) -> str | None:
    if crosses_secret_boundary(current, target):
        return "7.2.54.10 LTSF / 7.2.59.4 GA"
    return None


@dataclass(frozen=True)
class _Work:
    """What one node needs, before ordering: planned rows grouped by package."""

    idrac: ComplianceRow | None
    apply_now: tuple[tuple[PackageRef, tuple[ComplianceRow, ...]], ...]
    staged: tuple[tuple[PackageRef, tuple[ComplianceRow, ...]], ...]
    cpld: tuple[tuple[PackageRef, tuple[ComplianceRow, ...]], ...]
    loadmaster: ComplianceRow | None

    @property
    def empty(self) -> bool:
        return not (self.idrac or self.apply_now or self.staged or self.cpld or self.loadmaster)


def _transfer_for(req: PlanRequest, node: Node, gen: str | None, nc: NodeCompliance
                  ) -> tuple[tuple[str, str], ...]:
    """The push transfer for the node's Redfish installs (`choose_transfer`, decided from the
    capabilities of the planning inventory): (("transfer", value), ("transfer_why", why))."""
    wanted = req.policy.delivery.transfer_for(
        node=node.name, pair=node.pair, generation=gen, system_id=nc.system_id
    )
    inv = req.inventories.get(node.name)
    chosen, why = choose_transfer(wanted, inv.capabilities if inv is not None else None, gen)
    return (("transfer", chosen.value), ("transfer_why", why))


def _transfer_params(transport: str, xfer: tuple[tuple[str, str], ...]
                     ) -> tuple[tuple[str, str], ...]:
    """Only a Redfish install has a transfer; WS-Man InstallFromURI always pulls."""
    return xfer if transport == TRANSPORT_REDFISH else ()


def _work_for(nc: NodeCompliance) -> _Work:
    idrac: ComplianceRow | None = None
    lm: ComplianceRow | None = None
    buckets: dict[str, dict[str, tuple[PackageRef, list[ComplianceRow]]]] = {
        "now": {},
        "staged": {},
        "cpld": {},
    }
    for row in nc.planned():
        if row.kind is ComponentKind.LOADMASTER:
            lm = row
            continue
        if row.package is None:
            continue
        if row.kind is ComponentKind.IDRAC:
            if idrac is not None and idrac.package and idrac.package.path != row.package.path:
                raise PlanError(
                    f"two iDRAC entries want different packages ({idrac.package.file_name}, "
                    f"{row.package.file_name})",
                    host=nc.node,
                )
            if idrac is None or compare_versions(row.current, idrac.current) < 0:
                idrac = row
            continue
        reboot = row.reboot == "host-reboot"
        bucket = "cpld" if row.kind is ComponentKind.CPLD else ("staged" if reboot else "now")
        entry = buckets[bucket].setdefault(row.package.path, (row.package, []))
        entry[1].append(row)

    def ordered(b: str) -> tuple[tuple[PackageRef, tuple[ComplianceRow, ...]], ...]:
        items = [(p, tuple(rs)) for p, rs in buckets[b].values()]
        items.sort(key=lambda x: (kind_rank(x[1][0].kind), x[1][0].name.lower(), x[0].path))
        return tuple(items)

    return _Work(idrac, ordered("now"), ordered("staged"), ordered("cpld"), lm)


def _component_ref(rows: tuple[ComplianceRow, ...]) -> ComponentRef:
    first = rows[0]
    instances = tuple(sorted({i for r in rows for i in r.instances}))
    return ComponentRef(
        name=first.name,
        kind=first.kind,
        component_id=first.component_id,
        instances=instances,
        match_rule=first.match_rule,
    )


def _expect(rows: tuple[ComplianceRow, ...], version: str) -> tuple[Expectation, ...]:
    return tuple(sorted({Expectation(r.key, r.name, version) for r in rows}, key=lambda e: e.key))


def _from(rows: tuple[ComplianceRow, ...]) -> str:
    versions = sorted({r.current for r in rows})
    return versions[0] if len(versions) == 1 else " / ".join(versions)


# --- per node ------------------------------------------------------------------------------------


@dataclass
class _PairState:
    """Who is active while the pair's steps run: a down step on the active node fails over."""

    active: str | None
    has_ha: bool


def _down_impact(node: str, state: _PairState) -> tuple[Impact, ...]:
    if state.has_ha and state.active == node:
        return (Impact.HOST_REBOOT, Impact.LM_FAILOVER)
    return (Impact.HOST_REBOOT,)


def _after_down(node: str, partner: str | None, state: _PairState) -> None:
    if state.has_ha and state.active == node and partner is not None:
        state.active = partner


def _idrac_packages(
    req: PlanRequest, system_id: str, cache: dict[str, list[SoftwareComponent]]
) -> list[SoftwareComponent]:
    """The catalog's usable iDRAC packages for a system (once per system and plan)."""
    if system_id not in cache:
        cache[system_id] = [
            c
            for c in index_for_system(req.catalog, system_id).components
            if classify_catalog(c) is ComponentKind.IDRAC and usable_for(ComponentKind.IDRAC, c)
        ]
    return cache[system_id]


def _node_steps(
    b: _Builder,
    *,
    req: PlanRequest,
    nc: NodeCompliance,
    node: Node,
    partner: str | None,
    state: _PairState,
    in_pair: bool,
    idrac_packages: dict[str, list[SoftwareComponent]],
) -> list[Step]:
    policy = req.policy
    est = policy.estimates
    work = _work_for(nc)
    if work.empty:
        return []
    name = nc.node
    gen = nc.generation or ""
    start = len(b.steps)
    b.add(
        StepKind.PRECHECK,
        node=name,
        rule="N1",
        reason=f"{name}: iDRAC reachable, LC ready, job queue {policy.job_queue.value}",
        estimated_seconds=est.precheck,
        transport=_firmware_transport(policy, gen, nc.idrac_version),
        params=(
            ("job_queue", policy.job_queue.value),
            ("generation", gen),
            ("idrac_version", nc.idrac_version or ""),
        ),
    )
    idrac_version = nc.idrac_version
    restart_needed = False
    xfer = _transfer_for(req, node, gen, nc)
    row = work.idrac
    if row is not None and row.package is not None:
        available = _idrac_packages(req, nc.system_id or "", idrac_packages)
        hops = idrac_path(
            host=name,
            generation=gen,
            current=row.current,
            target=row.package,
            available=available,
            policy=policy,
        )
        for hop in hops:
            b.add(
                StepKind.IDRAC_UPDATE,
                node=name,
                rule="N2",
                reason=hop.reason,
                estimated_seconds=est.idrac_update,
                impact=(Impact.IDRAC_RESET,),
                component=_component_ref((row,)),
                from_version=hop.from_version,
                to_version=hop.to_version,
                package=hop.package,
                payload=hop.payload,
                transport=hop.transport,
                expect=_expect((row,), hop.to_version),
                params=(("stone", "true" if hop.stone else "false"),
                        *_transfer_params(hop.transport, xfer)),
            )
        if gen == "iDRAC7" and compare_versions(row.current, "1.30.30") < 0:
            restart_needed = True
        idrac_version = hops[-1].to_version
    transport = _firmware_transport(policy, gen, idrac_version)
    # Delivery mode (fwupdate/plan/delivery.py, docs/delivery.md): repository / virtual media
    # replace the push steps below with one delivery step after the LoadMaster stage.
    mode, source = policy.delivery.for_node(
        node=name, pair=node.pair, generation=gen, system_id=nc.system_id
    )
    delivered = (
        mode is not DeliveryMode.PUSH
        and delivery_supported(mode, gen, source)
        and bool(work.apply_now or work.staged)
    )
    for pkg, rows in () if delivered else work.apply_now:
        b.add(
            StepKind.FIRMWARE_APPLY_NOW,
            node=name,
            rule="N3",
            reason=f"{rows[0].name}: applies without a host reboot",
            estimated_seconds=est.apply_now,
            component=_component_ref(rows),
            from_version=_from(rows),
            to_version=pkg.vendor_version,
            package=pkg,
            transport=transport,
            expect=_expect(rows, pkg.vendor_version),
            params=_transfer_params(transport, xfer),
        )
    staged: list[Step] = []
    staged_kinds: list[ComponentKind] = []
    for pkg, rows in () if delivered else work.staged:
        staged.append(
            b.add(
                StepKind.FIRMWARE_STAGE,
                node=name,
                rule="N4",
                reason=f"{rows[0].name}: needs a host reboot; staged for the node's one reboot",
                estimated_seconds=est.stage,
                component=_component_ref(rows),
                from_version=_from(rows),
                to_version=pkg.vendor_version,
                package=pkg,
                transport=transport,
                expect=_expect(rows, pkg.vendor_version),
                params=_transfer_params(transport, xfer),
            )
        )
        staged_kinds.append(rows[0].kind)
    lm_row = work.loadmaster
    lm_pkg = lm_row.package if lm_row is not None else None
    lm_expect: tuple[Expectation, ...] = ()
    if lm_row is not None and lm_pkg is not None:
        lm_expect = (Expectation("loadmaster", "LoadMaster", lm_pkg.vendor_version),)

    def lm_reboot(rule: str, why: str, staged_step: str) -> None:
        """Reboot through the LoadMaster API to boot the image staged by `staged_step`."""
        impact = _down_impact(name, state)
        if Impact.LM_FAILOVER in impact:
            why += "; this node is active, so the pair fails over"
        b.add(
            StepKind.LM_REBOOT,
            node=name,
            rule=rule,
            reason=why,
            estimated_seconds=est.lm_reboot(True),
            impact=impact,
            transport=TRANSPORT_LOADMASTER,
            requires_partner_healthy=in_pair,
            covers=(staged_step,),
            expect=lm_expect,
        )
        _after_down(name, partner, state)

    lm_staged: Step | None = None
    if lm_row is not None and lm_pkg is not None and policy.combine_reboots:
        lm_staged = b.add(
            StepKind.LM_STAGE,
            node=name,
            rule="N5",
            reason="LoadMaster image installed now, applied by the node's one reboot",
            estimated_seconds=est.lm_stage,
            component=ComponentRef("LoadMaster", ComponentKind.LOADMASTER),
            from_version=lm_row.current,
            to_version=lm_pkg.vendor_version,
            package=lm_pkg,
            transport=TRANSPORT_LOADMASTER,
            expect=lm_expect,
            params=(("apply", "next-reboot"),),
        )
    if delivered:
        add_delivery_step(
            b, mode=mode, source=source or "", node=name, work=list(work.apply_now)
            + list(work.staged), lm_staged=lm_staged, impact=_down_impact(name, state),
            in_pair=in_pair, est=est, expect=_expect,
        )
        _after_down(name, partner, state)
    elif staged or restart_needed:
        impact = _down_impact(name, state)
        covers = tuple(s.step_id for s in staged) + ((lm_staged.step_id,) if lm_staged else ())
        why = "applies every staged job in one reboot"
        if lm_staged is not None:
            why += " and boots the new LoadMaster image"
        if Impact.LM_FAILOVER in impact:
            why += "; this node is active, so the pair fails over"
        b.add(
            StepKind.HOST_REBOOT,
            node=name,
            rule="N6" if staged else "N10",
            reason=why if staged else "iDRAC7 updated from below 1.30.30 needs a system restart",
            estimated_seconds=est.host_reboot(tuple(staged_kinds), lm_staged is not None),
            impact=impact,
            transport=transport,
            requires_partner_healthy=in_pair,
            covers=covers,
            params=(("via", "idrac"),),
        )
        _after_down(name, partner, state)
    elif lm_staged is not None:
        lm_reboot(
            "N6",
            "nothing staged in LC: reboot through the LoadMaster API to boot the new image",
            lm_staged.step_id,
        )
    for pkg, rows in work.cpld:
        impact = _down_impact(name, state)
        b.add(
            StepKind.CPLD_APPLY,
            node=name,
            rule="N7",
            reason=f"{rows[0].name}: CPLD alone, own reboot (opted in)",
            estimated_seconds=est.cpld,
            impact=impact,
            component=_component_ref(rows),
            from_version=_from(rows),
            to_version=pkg.vendor_version,
            package=pkg,
            transport=transport,
            requires_partner_healthy=in_pair,
            expect=_expect(rows, pkg.vendor_version),
        )
        _after_down(name, partner, state)
    if lm_row is not None and lm_pkg is not None and not policy.combine_reboots:
        stage = b.add(
            StepKind.LM_STAGE,
            node=name,
            rule="N8",
            reason="LoadMaster image installed after the firmware (combine_reboots off)",
            estimated_seconds=est.lm_stage,
            component=ComponentRef("LoadMaster", ComponentKind.LOADMASTER),
            from_version=lm_row.current,
            to_version=lm_pkg.vendor_version,
            package=lm_pkg,
            transport=TRANSPORT_LOADMASTER,
            expect=lm_expect,
            params=(("apply", "next-reboot"),),
        )
        lm_reboot("N8", "the LoadMaster's own reboot boots the new image", stage.step_id)
    expectations: list[Expectation] = []
    for s in b.steps[start:]:
        if s.kind in (
            StepKind.FIRMWARE_APPLY_NOW,
            StepKind.FIRMWARE_STAGE,
            StepKind.CPLD_APPLY,
            StepKind.REPO_UPDATE,
            StepKind.VMEDIA_UPDATE,
        ):
            expectations.extend(s.expect)
        if s.kind is StepKind.LM_STAGE:
            expectations.extend(s.expect)
    idrac_steps = [s for s in b.steps[start:] if s.kind is StepKind.IDRAC_UPDATE]
    if idrac_steps:
        expectations.extend(idrac_steps[-1].expect)
    role_after = None
    if state.has_ha:
        role_after = "active" if state.active == name else "standby"
    b.add(
        StepKind.VERIFY,
        node=name,
        rule="N9",
        reason="every planned version installed"
        + (f"; LoadMaster up as {role_after}" if role_after else ""),
        estimated_seconds=est.verify,
        transport=transport,
        covers=tuple(s.step_id for s in b.steps[start:]),
        expect=tuple(sorted(set(expectations), key=lambda e: (e.key, e.version))),
        params=(("role", role_after),) if role_after else (),
    )
    return b.steps[start:]


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


# --- the plan ------------------------------------------------------------------------------------


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


def build_plan(req: PlanRequest) -> Plan:
    """Make the plan; raises BadInputError / CatalogError / PlanError with what to fix."""
    _check_inputs(req)
    policy = req.policy
    idrac_packages: dict[str, list[SoftwareComponent]] = {}
    fleet_comp = fleet_compliance(
        fleet=req.fleet,
        inventories=req.inventories,
        catalog=req.catalog,
        policy=policy,
        selection=req.selection,
        loadmasters=req.loadmasters,
        lm_image=req.lm_image,
    )
    by_node = {n.node: n for n in fleet_comp.nodes}
    errors = [
        f"{r.node}: {r.error}" for n in fleet_comp.nodes for r in n.rows if r.error is not None
    ]
    if errors:
        raise CatalogError("; ".join(errors))
    if req.lm_image is None:
        wants = [
            n.node
            for n in fleet_comp.nodes
            for r in n.rows
            if r.kind is ComponentKind.LOADMASTER and r.planned
        ]
        if wants:
            raise BadInputError(
                f"the bundle targets LoadMaster {policy.loadmaster.version} ({', '.join(wants)}) "
                "but no image was given: pass --lm-image FILE or set [loadmaster] image"
            )

    groups: list[PairPlan] = []
    skipped: list[SkippedNode] = []
    warnings: list[str] = []
    outage: list[str] = []
    members: list[tuple[str, tuple[Node, ...], bool]] = [
        (p.name, p.nodes, False) for p in req.fleet.pairs
    ]
    members += [(n.name, (n,), True) for n in req.fleet.standalone]
    for group, nodes, standalone in members:
        selected = [n for n in nodes if n.name in by_node]
        for n in nodes:
            if n.name not in by_node:
                skipped.append(SkippedNode(n.name, group, "not selected (--only / --skip)"))
        if not selected:
            continue
        unknown = [by_node[n.name] for n in selected if by_node[n.name].errors]
        if unknown:
            for n in selected:
                why = (
                    "inventory unreadable: " + "; ".join(by_node[n.name].errors)
                    if by_node[n.name].errors
                    else "partner's inventory unreadable: the pair is not planned"
                )
                skipped.append(SkippedNode(n.name, group, why))
            continue
        b = _Builder(group)
        node_plans: list[NodePlan] = []
        if standalone:
            ordered: tuple[Node, ...] = nodes
            roles: dict[str, str | None] = {nodes[0].name: None}
            state = _PairState(None, False)
        else:
            pair_nodes = (nodes[0], nodes[1])
            ordered, roles, has_ha = _pair_order(group, pair_nodes, req.loadmasters)
            active = next((n for n, r in roles.items() if r == "active"), None)
            state = _PairState(active, has_ha)
            if not has_ha:
                warnings.append(
                    f"{group}: no LoadMaster endpoints; nodes worked on in fleet-file order"
                )
        ordered_selected = [n for n in ordered if n in selected]
        node_steps: dict[str, list[Step]] = {}
        if not standalone:
            standby, active_node = ordered[0].name, ordered[1].name
            b.add(
                StepKind.PAIR_PRECHECK,
                node=None,
                rule="P1",
                reason=f"{group}: both units healthy; standby {standby} first, active "
                f"{active_node} last",
                estimated_seconds=policy.estimates.pair_precheck,
                transport=TRANSPORT_LOADMASTER if state.has_ha else None,
                params=(
                    ("order", ",".join(n.name for n in ordered)),
                    ("preferred_host", "none" if state.has_ha else ""),
                    ("expect_active", state.active or ""),
                ),
            )
        for n in ordered_selected:
            partner = next((p.name for p in nodes if p.name != n.name), None)
            node_steps[n.name] = _node_steps(
                b,
                req=req,
                nc=by_node[n.name],
                node=n,
                partner=partner,
                state=state,
                in_pair=not standalone,
                idrac_packages=idrac_packages,
            )
        work_steps = [s for ss in node_steps.values() for s in ss]
        if not work_steps:
            for n in selected:
                skipped.append(
                    SkippedNode(n.name, group, "nothing to do: compliant with the bundle")
                )
            continue
        if not standalone:
            b.add(
                StepKind.PAIR_POSTCHECK,
                node=None,
                rule="P3",
                reason=f"{group}: HA in sync, Virtual Services as before"
                + (f"; {state.active} is now active" if state.has_ha else ""),
                estimated_seconds=policy.estimates.pair_postcheck,
                transport=TRANSPORT_LOADMASTER if state.has_ha else None,
                params=(
                    ("expect_active", state.active or ""),
                    (
                        "restore_preferred_host",
                        "true" if policy.loadmaster.restore_preferred_host else "false",
                    ),
                ),
            )
        else:
            if any(s.takes_node_down for s in work_steps):
                outage.append(group)
        for n in ordered_selected:
            nc = by_node[n.name]
            inv = req.inventories[n.name]
            lm = req.loadmasters.get(n.name)
            node_plans.append(
                NodePlan(
                    name=n.name,
                    group=group,
                    role=roles.get(n.name),
                    model=nc.model,
                    system_id=nc.system_id,
                    generation=nc.generation,
                    idrac_version=nc.idrac_version,
                    loadmaster_version=lm.version if lm else None,
                    inventory_sha256=node_fingerprint(inv),
                    inventory=inventory_entries(inv),
                    totals=totals_of(node_steps[n.name]),
                    service_tag=service_tag_of(inv),
                )
            )
            lm_row = next((r for r in nc.rows if r.kind is ComponentKind.LOADMASTER), None)
            if lm_row is not None and lm_row.planned and lm_row.target:
                boundary = _crosses_secret_boundary(lm_row.current, lm_row.target)
                if boundary and not standalone:
                    warnings.append(
                        f"{n.name}: LoadMaster {lm_row.current} -> {lm_row.target} crosses the "
                        f"Partner Shared Secret boundary {boundary}: HA partner comms may fail "
                        "until both units run it and share a secret (loadmaster-api.md §7.2)"
                    )
        steps = tuple(b.steps)
        groups.append(
            PairPlan(
                name=group,
                standalone=standalone,
                order=tuple(n.name for n in ordered_selected),
                nodes=tuple(node_plans),
                steps=steps,
                totals=totals_of(steps),
                vs_baseline=None if standalone else _vs_baseline(nodes, req.loadmasters),
            )
        )
    allow = req.allow_standalone or policy.standalone is StandalonePolicy.ALLOW
    if outage:
        if not allow:
            raise PlanError(
                f"standalone node(s) {', '.join(outage)} would be rebooted: an outage of their "
                "Virtual Services. Pass --allow-standalone to plan it, or --skip node:NAME"
            )
        for name in outage:
            warnings.append(f"{name}: standalone node, its reboot is an OUTAGE (rule S1)")

    # Global sequence numbers, in plan order.
    numbered: list[PairPlan] = []
    seq = 0
    for g in groups:
        new_steps = []
        for s in g.steps:
            seq += 1
            new_steps.append(replace(s, seq=seq))
        numbered.append(replace(g, steps=tuple(new_steps)))
    all_steps = [s for g in numbered for s in g.steps]
    _check_files(req, all_steps)

    concurrency = req.concurrency or req.fleet.concurrency
    schedule = build_schedule(
        [(g.name, g.totals.estimated_seconds) for g in numbered], concurrency, req.window
    )
    image = req.lm_image
    inputs = InputDigest(
        catalog_source=req.catalog.source,
        catalog_sha256=catalog_digest(req.catalog),
        inventory_source=req.inventory_source,
        inventory_sha256=inventory_digest(
            {k: v for k, v in req.inventories.items() if k in by_node}
        ),
        bundle_source=req.bundle_source,
        bundle_sha256=req.bundle_sha256,
        lm_image_file=image.file_name if image else None,
        lm_image_version=image.version if image else None,
        lm_image_sha256=image.sha256 if image else None,
    )
    options = (
        ("only", ",".join(s.text for s in req.selection.only)),
        ("skip", ",".join(s.text for s in req.selection.skip)),
        ("allow_standalone", str(allow).lower()),
        ("concurrency", str(concurrency)),
        ("window", req.window or ""),
    )
    return Plan(
        schema_version=PLAN_SCHEMA_VERSION,
        created_at=req.created_at,
        tool_version=req.tool_version,
        inputs=inputs,
        options=options,
        policy_summary=policy.summary(),
        groups=tuple(numbered),
        totals=_sum_totals([g.totals for g in numbered]),
        schedule=schedule,
        skipped=tuple(skipped),
        warnings=tuple(warnings),
        rules=tuple(
            (r, rule_text(r)) for r in sorted({s.rule for s in all_steps}, key=rule_sort_key)
        ),
    )
