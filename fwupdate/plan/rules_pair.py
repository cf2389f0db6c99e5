"""Pair rules P1-P3 (docs/planning.md "Ordering rules"): who goes first, and the pair's own
pre- and post-check steps.  `PairState` follows the Active role while the pair's steps are laid
out, so that a step taking the active node down is marked as the failover."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fwupdate.errors import PlanError
from fwupdate.fleet.models import Node
from fwupdate.idrac.models import Transport
from fwupdate.loadmaster.models import HaRole, LoadMasterStatus, vs_baseline
from fwupdate.plan.models import Impact, Step, StepKind, flag_text
from fwupdate.plan.policy import Policy
from fwupdate.plan.request import StepBuilder
from fwupdate.plan.rules import Rule

Roles = dict[str, HaRole | None]


@dataclass
class PairState:
    """Who is active while the pair's steps run: a down step on the active node fails over."""

    active: str | None
    has_ha: bool

    def down_impact(self, node: str) -> tuple[Impact, ...]:
        if self.has_ha and self.active == node:
            return (Impact.HOST_REBOOT, Impact.LM_FAILOVER)
        return (Impact.HOST_REBOOT,)

    def after_down(self, node: str, partner: str | None) -> None:
        if self.has_ha and self.active == node and partner is not None:
            self.active = partner

    def role_of(self, node: str) -> HaRole | None:
        """The node's HA role at this point of the plan; None without HA."""
        if not self.has_ha:
            return None
        return HaRole.ACTIVE if self.active == node else HaRole.STANDBY


@dataclass(frozen=True)
class PairOrder:
    """Rule P2's answer: the nodes in work order, their roles, the Active tracker."""

    ordered: tuple[Node, ...]
    roles: Roles
    state: PairState


def plan_role(status: LoadMasterStatus | None) -> HaRole | None:
    """The role as the plan knows it: active, or standby (a passive unit is a standby)."""
    if status is None:
        return None
    if status.ha_role is HaRole.ACTIVE:
        return HaRole.ACTIVE
    if status.ha_role in (HaRole.STANDBY, HaRole.PASSIVE):
        return HaRole.STANDBY
    return None


def _require_statuses(pair: str, nodes: Sequence[Node], lms: Mapping[str, LoadMasterStatus]
                      ) -> None:
    missing = [n.name for n in nodes if lms.get(n.name) is None]
    if missing:
        raise PlanError(
            f"no LoadMaster status for {', '.join(missing)}: the HA role decides the order "
            "(standby first); read it live or add a 'loadmaster' entry to the saved inventory",
            host=pair,
        )


def _standby_and_active(pair: str, nodes: tuple[Node, Node], roles: Roles,
                        lms: Mapping[str, LoadMasterStatus]) -> tuple[Node, Node]:
    active = [n for n in nodes if roles[n.name] is HaRole.ACTIVE]
    standby = [n for n in nodes if roles[n.name] is HaRole.STANDBY]
    if len(active) == 2:
        raise PlanError(
            "both units report Active (split brain): fix HA before updating", host=pair
        )
    if len(active) != 1 or len(standby) != 1:
        seen = ", ".join(f"{n.name}={lms[n.name].ha_role.value}" for n in nodes)
        raise PlanError(
            f"cannot tell standby from active ({seen}); the pair must be healthy to plan it",
            host=pair,
        )
    return standby[0], active[0]


def rule_p2_standby_first(pair: str, nodes: tuple[Node, Node],
                          lms: Mapping[str, LoadMasterStatus]) -> PairOrder:
    """P2: standby first, active last; a pair without LoadMasters keeps fleet-file order."""
    if not any(n.loadmaster is not None for n in nodes):
        return PairOrder(nodes, {n.name: None for n in nodes}, PairState(None, False))
    roles: Roles = {n.name: plan_role(lms.get(n.name)) for n in nodes}
    _require_statuses(pair, nodes, lms)
    standby, active = _standby_and_active(pair, nodes, roles, lms)
    return PairOrder((standby, active), roles, PairState(active.name, True))


def standalone_order(node: Node) -> PairOrder:
    return PairOrder((node,), {node.name: None}, PairState(None, False))


def pair_vs_baseline(nodes: Sequence[Node], lms: Mapping[str, LoadMasterStatus]
                     ) -> tuple[str, ...] | None:
    """The Virtual Services Up on the pair's Active unit now (the run holds the pair to them);
    None without LoadMaster data for it."""
    active = [lms[n.name] for n in nodes if n.name in lms
              and lms[n.name].reachable and lms[n.name].ha_role is HaRole.ACTIVE]
    return vs_baseline(active[0].virtual_services) if active else None


def _pair_transport(state: PairState) -> Transport | None:
    return Transport.LOADMASTER if state.has_ha else None


def rule_p1_pair_precheck(b: StepBuilder, order: PairOrder, policy: Policy) -> Step:
    """P1: both units healthy, roles known, No Preferred Host set, before anything changes."""
    standby, active = order.ordered[0].name, order.ordered[1].name
    state = order.state
    return b.add(
        StepKind.PAIR_PRECHECK,
        node=None,
        rule=Rule.P1,
        reason=f"{b.group}: both units healthy; standby {standby} first, active {active} last",
        estimated_seconds=policy.estimates.pair_precheck,
        transport=_pair_transport(state),
        params=(
            ("order", ",".join(n.name for n in order.ordered)),
            ("preferred_host", "none" if state.has_ha else ""),
            ("expect_active", state.active or ""),
        ),
    )


def rule_p3_pair_postcheck(b: StepBuilder, state: PairState, policy: Policy) -> Step:
    """P3: HA in sync, Virtual Services as before, preferred host restored if the bundle says."""
    return b.add(
        StepKind.PAIR_POSTCHECK,
        node=None,
        rule=Rule.P3,
        reason=f"{b.group}: HA in sync, Virtual Services as before"
        + (f"; {state.active} is now active" if state.has_ha else ""),
        estimated_seconds=policy.estimates.pair_postcheck,
        transport=_pair_transport(state),
        params=(
            ("expect_active", state.active or ""),
            ("restore_preferred_host", flag_text(policy.loadmaster.restore_preferred_host)),
        ),
    )
