"""Planner: delivery mode per node from the bundle -> repo_update / vmedia_update steps."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "plan"))
import plan_factories as pf

from fwupdate.errors import ConfigError
from fwupdate.idrac.models import Generation
from fwupdate.plan import planfile
from fwupdate.plan.delivery import DeliveryMode, delivery_from_mapping
from fwupdate.plan.models import Impact, StepKind
from fwupdate.plan.policy import default_policy, policy_from_mapping

DELIVERY = {
    "default": "push",
    "nodes": [
        {"select": "node:p1-a", "mode": "repository", "source": "repo/"},
        {"select": "node:p1-b", "mode": "virtual-media", "source": "suu.iso"},
    ],
}


def _idrac9(invs: dict) -> dict:  # type: ignore[type-arg]
    return {
        n: dataclasses.replace(
            inv, idrac=dataclasses.replace(inv.idrac, generation=Generation.IDRAC9)
        )
        for n, inv in invs.items()
    }


def _plan(delivery: dict, generation9: bool = True):  # type: ignore[no-untyped-def,type-arg]
    f = pf.fleet(("p1",))
    invs = pf.inventories(f, idrac="2.65.65.65")
    if generation9:
        invs = _idrac9(invs)
    pol = dataclasses.replace(
        default_policy(), delivery=delivery_from_mapping(delivery, where="test")
    )
    return pf.make_plan(f, invs, policy=pol, only=["bios", "diagnostics", "nic"])


def test_delivery_steps_replace_push_steps_and_take_the_node_down() -> None:
    plan = _plan(DELIVERY)
    kinds_a = [s.kind for s in plan.node_steps("p1-a")]
    kinds_b = [s.kind for s in plan.node_steps("p1-b")]
    assert StepKind.REPO_UPDATE in kinds_a and StepKind.VMEDIA_UPDATE in kinds_b
    for kinds in (kinds_a, kinds_b):
        assert StepKind.FIRMWARE_STAGE not in kinds and StepKind.HOST_REBOOT not in kinds
        assert StepKind.FIRMWARE_APPLY_NOW not in kinds
        assert kinds[0] is StepKind.PRECHECK and kinds[-1] is StepKind.VERIFY
    repo = next(s for s in plan.node_steps("p1-a") if s.kind is StepKind.REPO_UPDATE)
    vm = next(s for s in plan.node_steps("p1-b") if s.kind is StepKind.VMEDIA_UPDATE)
    for step in (repo, vm):
        assert Impact.HOST_REBOOT in step.impact and step.requires_partner_healthy
        assert step.expect and step.param("source")
        assert step.param("packages")
    assert repo.rule == "D1" and vm.rule == "D2" and repo.param("mode") == "repository"
    # one of the two is the active node at that moment: the pair fails over exactly once
    assert sum(Impact.LM_FAILOVER in s.impact for s in (repo, vm)) == 1
    verify = plan.node_steps("p1-a")[-1]
    assert set(repo.expect) <= set(verify.expect)
    # the plan file carries the new kinds and rule texts and reads back identically
    again = planfile.loads(planfile.dumps(plan))
    assert [s.kind for s in again.node_steps("p1-a")] == kinds_a
    assert "repository delivery" in planfile.dumps(plan)


def test_push_default_and_older_generations_keep_push_steps() -> None:
    push = _plan({})
    assert StepKind.HOST_REBOOT in [s.kind for s in push.node_steps("p1-a")]
    old = _plan(DELIVERY, generation9=False)  # iDRAC7: no Redfish repository / virtual media
    kinds = [s.kind for s in old.node_steps("p1-a")]
    assert StepKind.REPO_UPDATE not in kinds and StepKind.HOST_REBOOT in kinds


def test_bundle_delivery_table() -> None:
    pol = policy_from_mapping({"schema_version": 1, "delivery": DELIVERY}, source="b.toml")
    assert pol.delivery.for_node(node="p1-a", pair="p1", generation="iDRAC9",
                                 system_id="0716") == (DeliveryMode.REPOSITORY, "repo/")
    assert pol.delivery.for_node(node="x", pair=None, generation=None, system_id=None) == (
        DeliveryMode.PUSH, None)
    assert ("delivery", "default=push,node:p1-a=repository,node:p1-b=virtual-media") in (
        pol.summary())


@pytest.mark.parametrize(
    ("table", "text"),
    [
        ({"default": "ftp"}, "allowed: push, repository, virtual-media"),
        ({"nodes": [{"select": "node:a", "mode": "repository"}]}, "needs a source"),
        ({"nodes": [{"select": "rack:1", "mode": "push"}]}, "node:GLOB"),
        ({"nodes": [{"select": "node:a", "mode": "push", "source": "x"}]}, "push takes no"),
        ({"colour": "blue"}, "unknown key"),
    ],
)
def test_bad_delivery_tables(table: dict, text: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=text):
        policy_from_mapping({"schema_version": 1, "delivery": table}, source="b.toml")


@pytest.mark.parametrize(
    ("mode", "generation", "source", "ok"),
    [
        ("repository", "iDRAC9", "repo/", True),
        ("repository", "iDRAC8", "repo/", True),
        ("repository", "iDRAC7", "repo/", False),
        ("virtual-media", "iDRAC9", "u.iso", True),
        ("virtual-media", "iDRAC7", "u.iso", False),
        ("virtual-media", "iDRAC7", "nfs://nas/isos/u.iso", True),
        ("push", "iDRAC7", None, True),
    ],
)
def test_which_generation_takes_which_mode(
    mode: str, generation: str, source: str | None, ok: bool
) -> None:
    from fwupdate.plan.delivery import supported

    assert supported(DeliveryMode(mode), generation, source) is ok
