"""Node rules N1-N10 and the delivery rules D1/D2 (docs/planning.md "Ordering rules"), one
function each, run in order by `node_steps` over a `NodeContext`.

precheck (N1) -> iDRAC through every stepping stone (N2) -> no-reboot components (N3) ->
reboot components staged (N4) -> [LoadMaster image staged (N5)] -> ONE reboot (N6, or the
delivery step D1/D2, or the iDRAC7 restart N10) -> [CPLD alone (N7)] -> [LoadMaster image and
its own reboot (N8)] -> verify (N9).  A rule that does not apply adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fwupdate.catalog.models import SoftwareComponent
from fwupdate.catalog.versions import compare_versions
from fwupdate.fleet.models import Node
from fwupdate.idrac.models import Transport
from fwupdate.plan.compliance import ComplianceRow, NodeCompliance, usable_for
from fwupdate.plan.delivery import DeliveryMode, choose_transfer
from fwupdate.plan.delivery import supported as delivery_supported
from fwupdate.plan.delivery_steps import add_delivery_step
from fwupdate.plan.estimate import Estimates
from fwupdate.plan.kinds import classify_catalog
from fwupdate.plan.match import index_for_system
from fwupdate.plan.models import (
    ComponentKind,
    ComponentRef,
    Expectation,
    Impact,
    PackageRef,
    Step,
    StepKind,
    flag_text,
)
from fwupdate.plan.node_work import NodeWork, component_ref, expect_of, from_version, work_for
from fwupdate.plan.policy import Policy
from fwupdate.plan.request import PlanRequest, StepBuilder
from fwupdate.plan.rules import Rule
from fwupdate.plan.rules_pair import PairState
from fwupdate.plan.steppingstones import idrac_path

Params = tuple[tuple[str, str], ...]
IdracPackages = dict[str, list[SoftwareComponent]]  # usable iDRAC packages by system id
_FAILOVER = "; this node is active, so the pair fails over"


def firmware_transport(policy: Policy, generation: str | None, idrac_version: str | None
                       ) -> Transport:
    """WS-Man below the generation's Redfish update minimum, else Redfish."""
    if not generation or not idrac_version:
        return Transport.REDFISH
    minimum = policy.idrac.redfish_minimum(generation)
    if minimum is not None and compare_versions(idrac_version, minimum) < 0:
        return Transport.WSMAN
    return Transport.REDFISH


def _transfer_for(req: PlanRequest, node: Node, gen: str, nc: NodeCompliance) -> Params:
    """The push transfer for the node's Redfish installs (`choose_transfer`, decided from the
    capabilities of the planning inventory): (("transfer", value), ("transfer_why", why))."""
    wanted = req.policy.delivery.transfer_for(
        node=node.name, pair=node.pair, generation=gen, system_id=nc.system_id
    )
    inv = req.inventories.get(node.name)
    chosen, why = choose_transfer(wanted, inv.capabilities if inv is not None else None, gen)
    return (("transfer", chosen.value), ("transfer_why", why))


def _idrac_packages(req: PlanRequest, system_id: str, cache: IdracPackages
                    ) -> list[SoftwareComponent]:
    """The catalog's usable iDRAC packages for a system (once per system and plan)."""
    if system_id not in cache:
        cache[system_id] = [
            c
            for c in index_for_system(req.catalog, system_id).components
            if classify_catalog(c) is ComponentKind.IDRAC and usable_for(ComponentKind.IDRAC, c)
        ]
    return cache[system_id]


@dataclass
class NodeContext:
    """One node's inputs and what the rules before the current one decided."""

    b: StepBuilder
    req: PlanRequest
    nc: NodeCompliance
    node: Node
    partner: str | None
    state: PairState
    in_pair: bool
    idrac_packages: IdracPackages
    work: NodeWork
    xfer: Params  # the Redfish push transfer params
    delivery: tuple[DeliveryMode, str | None]  # mode and source (policy.delivery.for_node)
    delivered: bool  # D1/D2 replace N3, N4 and the N6 host reboot
    start: int  # index of the node's first step in the builder
    transport: Transport = Transport.REDFISH  # firmware transport, after N2's iDRAC hops
    restart_needed: bool = False  # N10: iDRAC7 updated from below 1.30.30
    staged: list[Step] = field(default_factory=list)
    staged_kinds: list[ComponentKind] = field(default_factory=list)
    lm_staged: Step | None = None

    @property
    def name(self) -> str:
        return self.nc.node

    @property
    def gen(self) -> str:
        return self.nc.generation or ""

    @property
    def policy(self) -> Policy:
        return self.req.policy

    @property
    def est(self) -> Estimates:
        return self.req.policy.estimates

    @property
    def lm_target(self) -> tuple[ComplianceRow, PackageRef] | None:
        row = self.work.loadmaster
        return (row, row.package) if row is not None and row.package is not None else None

    @property
    def lm_expect(self) -> tuple[Expectation, ...]:
        lm = self.lm_target
        return (Expectation("loadmaster", "LoadMaster", lm[1].vendor_version),) if lm else ()

    @property
    def steps(self) -> list[Step]:
        return self.b.steps[self.start:]

    def transfer_params(self, transport: Transport) -> Params:
        """Only a Redfish install has a transfer; WS-Man InstallFromURI always pulls."""
        return self.xfer if transport is Transport.REDFISH else ()

    def down_impact(self) -> tuple[Impact, ...]:
        return self.state.down_impact(self.name)

    def went_down(self) -> None:
        self.state.after_down(self.name, self.partner)


def rule_n1_precheck(ctx: NodeContext) -> list[Step]:
    """N1: iDRAC reachable, LC ready, job queue per the bundle, before anything else."""
    policy, name, gen = ctx.policy, ctx.name, ctx.gen
    return [ctx.b.add(
        StepKind.PRECHECK,
        node=name,
        rule=Rule.N1,
        reason=f"{name}: iDRAC reachable, LC ready, job queue {policy.job_queue.value}",
        estimated_seconds=ctx.est.precheck,
        transport=firmware_transport(policy, gen, ctx.nc.idrac_version),
        params=(
            ("job_queue", policy.job_queue.value),
            ("generation", gen),
            ("idrac_version", ctx.nc.idrac_version or ""),
        ),
    )]


def _idrac_hop_steps(ctx: NodeContext, row: ComplianceRow, package: PackageRef) -> list[Step]:
    available = _idrac_packages(ctx.req, ctx.nc.system_id or "", ctx.idrac_packages)
    hops = idrac_path(host=ctx.name, generation=ctx.gen, current=row.current, target=package,
                      available=available, policy=ctx.policy)
    steps = [ctx.b.add(
        StepKind.IDRAC_UPDATE,
        node=ctx.name,
        rule=Rule.N2,
        reason=hop.reason,
        estimated_seconds=ctx.est.idrac_update,
        impact=(Impact.IDRAC_RESET,),
        component=component_ref((row,)),
        from_version=hop.from_version,
        to_version=hop.to_version,
        package=hop.package,
        payload=hop.payload,
        transport=hop.transport,
        expect=expect_of((row,), hop.to_version),
        params=(("stone", flag_text(hop.stone is not None)), *ctx.transfer_params(hop.transport)),
    ) for hop in hops]
    ctx.transport = firmware_transport(ctx.policy, ctx.gen, hops[-1].to_version)
    return steps


def rule_n2_idrac_stepping_stones(ctx: NodeContext) -> list[Step]:
    """N2: the iDRAC first, through every stepping stone; later firmware goes over the
    transport the updated iDRAC offers."""
    row = ctx.work.idrac
    ctx.transport = firmware_transport(ctx.policy, ctx.gen, ctx.nc.idrac_version)
    if row is None or row.package is None:
        return []
    ctx.restart_needed = ctx.gen == "iDRAC7" and compare_versions(row.current, "1.30.30") < 0
    return _idrac_hop_steps(ctx, row, row.package)


def _firmware_step(ctx: NodeContext, kind: StepKind, rule: Rule, reason: str, seconds: int,
                   pkg: PackageRef, rows: tuple[ComplianceRow, ...]) -> Step:
    return ctx.b.add(
        kind,
        node=ctx.name,
        rule=rule,
        reason=reason,
        estimated_seconds=seconds,
        component=component_ref(rows),
        from_version=from_version(rows),
        to_version=pkg.vendor_version,
        package=pkg,
        transport=ctx.transport,
        expect=expect_of(rows, pkg.vendor_version),
        params=ctx.transfer_params(ctx.transport),
    )


def rule_n3_apply_now(ctx: NodeContext) -> list[Step]:
    """N3: components that apply without a host reboot, now."""
    return [
        _firmware_step(ctx, StepKind.FIRMWARE_APPLY_NOW, Rule.N3,
                       f"{rows[0].name}: applies without a host reboot", ctx.est.apply_now,
                       pkg, rows)
        for pkg, rows in (() if ctx.delivered else ctx.work.apply_now)
    ]


def rule_n4_stage(ctx: NodeContext) -> list[Step]:
    """N4: components that need a host reboot, staged for the node's one reboot."""
    for pkg, rows in () if ctx.delivered else ctx.work.staged:
        ctx.staged.append(_firmware_step(
            ctx, StepKind.FIRMWARE_STAGE, Rule.N4,
            f"{rows[0].name}: needs a host reboot; staged for the node's one reboot",
            ctx.est.stage, pkg, rows,
        ))
        ctx.staged_kinds.append(rows[0].kind)
    return list(ctx.staged)


def _lm_stage(ctx: NodeContext, rule: Rule, reason: str) -> Step | None:
    lm = ctx.lm_target
    if lm is None:
        return None
    row, pkg = lm
    return ctx.b.add(
        StepKind.LM_STAGE,
        node=ctx.name,
        rule=rule,
        reason=reason,
        estimated_seconds=ctx.est.lm_stage,
        component=ComponentRef("LoadMaster", ComponentKind.LOADMASTER),
        from_version=row.current,
        to_version=pkg.vendor_version,
        package=pkg,
        transport=Transport.LOADMASTER,
        expect=ctx.lm_expect,
        params=(("apply", "next-reboot"),),
    )


def rule_n5_lm_stage_combined(ctx: NodeContext) -> list[Step]:
    """N5: with combine_reboots, the LoadMaster image is staged before the one reboot."""
    if not ctx.policy.combine_reboots:
        return []
    ctx.lm_staged = _lm_stage(
        ctx, Rule.N5, "LoadMaster image installed now, applied by the node's one reboot"
    )
    return [ctx.lm_staged] if ctx.lm_staged is not None else []


def rule_d1_d2_delivery(ctx: NodeContext) -> list[Step]:
    """D1/D2: one repository / virtual-media step replaces the push steps and their reboot."""
    if not ctx.delivered:
        return []
    mode, source = ctx.delivery
    step = add_delivery_step(
        ctx.b, mode=mode, source=source or "", node=ctx.name,
        work=list(ctx.work.apply_now) + list(ctx.work.staged), lm_staged=ctx.lm_staged,
        impact=ctx.down_impact(), in_pair=ctx.in_pair, est=ctx.est, expect=expect_of,
    )
    ctx.went_down()
    return [step]


def _host_reboot(ctx: NodeContext, rule: Rule, reason: str) -> Step:
    lm_staged = ctx.lm_staged
    step = ctx.b.add(
        StepKind.HOST_REBOOT,
        node=ctx.name,
        rule=rule,
        reason=reason,
        estimated_seconds=ctx.est.host_reboot(tuple(ctx.staged_kinds), lm_staged is not None),
        impact=ctx.down_impact(),
        transport=ctx.transport,
        requires_partner_healthy=ctx.in_pair,
        covers=tuple(s.step_id for s in ctx.staged)
        + ((lm_staged.step_id,) if lm_staged else ()),
        params=(("via", "idrac"),),
    )
    ctx.went_down()
    return step


def _lm_reboot(ctx: NodeContext, rule: Rule, why: str, staged_step: str) -> Step:
    """Reboot through the LoadMaster API to boot the image staged by `staged_step`."""
    impact = ctx.down_impact()
    step = ctx.b.add(
        StepKind.LM_REBOOT,
        node=ctx.name,
        rule=rule,
        reason=why + (_FAILOVER if Impact.LM_FAILOVER in impact else ""),
        estimated_seconds=ctx.est.lm_reboot(True),
        impact=impact,
        transport=Transport.LOADMASTER,
        requires_partner_healthy=ctx.in_pair,
        covers=(staged_step,),
        expect=ctx.lm_expect,
    )
    ctx.went_down()
    return step


def rule_n6_one_reboot(ctx: NodeContext) -> list[Step]:
    """N6: one host reboot applies every staged job (and the staged LoadMaster image); with
    nothing staged in LC, the LoadMaster API reboots to boot the new image."""
    if ctx.delivered:
        return []
    if ctx.staged:
        why = "applies every staged job in one reboot"
        if ctx.lm_staged is not None:
            why += " and boots the new LoadMaster image"
        if Impact.LM_FAILOVER in ctx.down_impact():
            why += _FAILOVER
        return [_host_reboot(ctx, Rule.N6, why)]
    if ctx.lm_staged is not None and not ctx.restart_needed:
        why = "nothing staged in LC: reboot through the LoadMaster API to boot the new image"
        return [_lm_reboot(ctx, Rule.N6, why, ctx.lm_staged.step_id)]
    return []


def rule_n10_idrac7_restart(ctx: NodeContext) -> list[Step]:
    """N10: an iDRAC7 updated from below 1.30.30 needs a system restart (when N6 adds none)."""
    if ctx.delivered or ctx.staged or not ctx.restart_needed:
        return []
    return [_host_reboot(ctx, Rule.N10, "iDRAC7 updated from below 1.30.30 needs a system restart")]


def rule_n7_cpld(ctx: NodeContext) -> list[Step]:
    """N7: CPLD alone, after everything else, in its own reboot (opted in)."""
    steps: list[Step] = []
    for pkg, rows in ctx.work.cpld:
        steps.append(ctx.b.add(
            StepKind.CPLD_APPLY,
            node=ctx.name,
            rule=Rule.N7,
            reason=f"{rows[0].name}: CPLD alone, own reboot (opted in)",
            estimated_seconds=ctx.est.cpld,
            impact=ctx.down_impact(),
            component=component_ref(rows),
            from_version=from_version(rows),
            to_version=pkg.vendor_version,
            package=pkg,
            transport=ctx.transport,
            requires_partner_healthy=ctx.in_pair,
            expect=expect_of(rows, pkg.vendor_version),
        ))
        ctx.went_down()
    return steps


def rule_n8_lm_own_reboot(ctx: NodeContext) -> list[Step]:
    """N8: without combine_reboots the LoadMaster image gets its own reboot after the firmware."""
    if ctx.policy.combine_reboots:
        return []
    stage = _lm_stage(
        ctx, Rule.N8, "LoadMaster image installed after the firmware (combine_reboots off)"
    )
    if stage is None:
        return []
    reboot = _lm_reboot(ctx, Rule.N8, "the LoadMaster's own reboot boots the new image",
                        stage.step_id)
    return [stage, reboot]


_VERIFIED_KINDS = frozenset({
    StepKind.FIRMWARE_APPLY_NOW, StepKind.FIRMWARE_STAGE, StepKind.CPLD_APPLY,
    StepKind.REPO_UPDATE, StepKind.VMEDIA_UPDATE, StepKind.LM_STAGE,
})


def _verify_expectations(steps: list[Step]) -> tuple[Expectation, ...]:
    """Every version the node's steps install; of the iDRAC hops, only the last one's."""
    expectations = [e for s in steps if s.kind in _VERIFIED_KINDS for e in s.expect]
    idrac_steps = [s for s in steps if s.kind is StepKind.IDRAC_UPDATE]
    if idrac_steps:
        expectations.extend(idrac_steps[-1].expect)
    return tuple(sorted(set(expectations), key=lambda e: (e.key, e.version)))


def rule_n9_verify(ctx: NodeContext) -> list[Step]:
    """N9: verify last: every planned version installed, the LoadMaster in its expected role."""
    role_after = ctx.state.role_of(ctx.name)
    steps = ctx.steps
    return [ctx.b.add(
        StepKind.VERIFY,
        node=ctx.name,
        rule=Rule.N9,
        reason="every planned version installed"
        + (f"; LoadMaster up as {role_after}" if role_after else ""),
        estimated_seconds=ctx.est.verify,
        transport=ctx.transport,
        covers=tuple(s.step_id for s in steps),
        expect=_verify_expectations(steps),
        params=(("role", role_after),) if role_after else (),
    )]


NODE_RULES: tuple[Callable[[NodeContext], list[Step]], ...] = (
    rule_n1_precheck,
    rule_n2_idrac_stepping_stones,
    rule_n3_apply_now,
    rule_n4_stage,
    rule_n5_lm_stage_combined,
    rule_d1_d2_delivery,
    rule_n6_one_reboot,
    rule_n10_idrac7_restart,
    rule_n7_cpld,
    rule_n8_lm_own_reboot,
    rule_n9_verify,
)


def _delivery(req: PlanRequest, nc: NodeCompliance, node: Node, work: NodeWork
              ) -> tuple[tuple[DeliveryMode, str | None], bool]:
    """The node's delivery mode and source, and whether D1/D2 replace its push steps."""
    gen = nc.generation or ""
    mode, source = req.policy.delivery.for_node(
        node=nc.node, pair=node.pair, generation=gen, system_id=nc.system_id
    )
    delivered = (mode is not DeliveryMode.PUSH and delivery_supported(mode, gen, source)
                 and bool(work.apply_now or work.staged))
    return (mode, source), delivered


def node_steps(b: StepBuilder, *, req: PlanRequest, nc: NodeCompliance, node: Node,
               partner: str | None, state: PairState, in_pair: bool,
               idrac_packages: IdracPackages) -> list[Step]:
    """The node's steps, rule by rule (NODE_RULES); none when the node needs nothing."""
    work = work_for(nc)
    if work.empty:
        return []
    delivery, delivered = _delivery(req, nc, node, work)
    ctx = NodeContext(
        b=b, req=req, nc=nc, node=node, partner=partner, state=state, in_pair=in_pair,
        idrac_packages=idrac_packages, work=work,
        xfer=_transfer_for(req, node, nc.generation or "", nc),
        delivery=delivery, delivered=delivered, start=len(b.steps),
    )
    for rule in NODE_RULES:
        rule(ctx)
    return ctx.steps
