"""Ordering: stepping stones, transports, payloads, phases, reboots, failovers, pairs."""

from __future__ import annotations

import dataclasses

import plan_factories as pf
import pytest
from plan_factories import make_plan

from fwupdate.catalog.models import PackageType
from fwupdate.errors import BadInputError, CatalogError, PlanError
from fwupdate.idrac.models import Generation
from fwupdate.loadmaster.models import HaRole
from fwupdate.plan.models import Impact, Plan, StepKind
from fwupdate.plan.policy import SteppingStone, default_policy


def kinds(plan: Plan, node: str) -> list[str]:
    return [s.kind.value for s in plan.node_steps(node)]


def idrac_hops(plan: Plan, node: str):
    return [
        (s.from_version, s.to_version, s.transport, s.payload)
        for s in plan.node_steps(node)
        if s.kind is StepKind.IDRAC_UPDATE
    ]


BARE = "payload/firmimg.d7"

IDRAC_PATHS = [
    # (start version, hops (from, to, transport, payload))
    (
        "1.57.57",
        [
            ("1.57.57", "1.66.65", "wsman", BARE),
            ("1.66.65", "2.10.10.10", "wsman", BARE),
            ("2.10.10.10", "2.65.65.65", "wsman", BARE),
        ],
    ),
    (
        "1.66.65",
        [("1.66.65", "2.10.10.10", "wsman", BARE), ("2.10.10.10", "2.65.65.65", "wsman", BARE)],
    ),
    ("2.10.10.10", [("2.10.10.10", "2.65.65.65", "wsman", BARE)]),
    ("2.20.20.20", [("2.20.20.20", "2.65.65.65", "wsman", BARE)]),
    ("2.50.50.50", [("2.50.50.50", "2.65.65.65", "wsman", BARE)]),
    ("2.60.60.60", [("2.60.60.60", "2.65.65.65", "redfish", None)]),
    ("2.65.65.65", []),
]


@pytest.mark.parametrize(("start", "hops"), IDRAC_PATHS)
def test_idrac7_paths(start: str, hops) -> None:
    f = pf.fleet(("p1",))
    invs = {n.name: pf.r320_inventory(n.name, start) for n in f.nodes()}
    plan = make_plan(f, invs, only=["idrac"])
    for n in ("p1-a", "p1-b"):
        assert idrac_hops(plan, n) == hops
    steps = [s for s in plan.steps() if s.kind is StepKind.IDRAC_UPDATE]
    assert all(s.impact == (Impact.IDRAC_RESET,) for s in steps)
    assert all(s.rule == "N2" for s in steps)


def test_idrac7_below_1_30_30_gets_the_system_restart() -> None:
    f = pf.fleet(("p1",))
    invs = {n.name: pf.r320_inventory(n.name, "1.20.20") for n in f.nodes()}
    plan = make_plan(f, invs, only=["idrac"])
    assert kinds(plan, "p1-b") == [
        "precheck", "idrac_update", "idrac_update", "idrac_update", "host_reboot", "verify",
    ]
    reboot = next(s for s in plan.node_steps("p1-b") if s.kind is StepKind.HOST_REBOOT)
    assert reboot.rule == "N10"


def test_stone_alternative_and_bundle_package() -> None:
    cat = pf.r320_catalog(stones=False, extra=[pf.idrac_pkg("1.66.65", PackageType.LW64),
                                               pf.idrac_pkg("2.20.20.20", PackageType.LWXP)])
    f = pf.fleet(("p1",))
    invs = {n.name: pf.r320_inventory(n.name, "1.57.57") for n in f.nodes()}
    plan = make_plan(f, invs, catalog=cat, only=["idrac"])
    assert [h[1] for h in idrac_hops(plan, "p1-a")] == ["1.66.65", "2.20.20.20", "2.65.65.65"]

    no_stones = pf.r320_catalog(stones=False)
    with pytest.raises(PlanError) as exc:
        make_plan(f, invs, catalog=no_stones, only=["idrac"])
    assert "1.66.65" in str(exc.value) and "stepping stone" in str(exc.value)

    pol = default_policy()
    stones = (
        SteppingStone("iDRAC7", "1.66.65", package="ESM_Firmware_3F4WV_WN64_1.66.65_A00.EXE"),
        SteppingStone("iDRAC7", "2.10.10.10", accept=("2.20.20.20",),
                      package="iDRAC-with-Lifecycle-Controller_Firmware_Y5K20_WN32_2.10.10.10_A00.EXE"),
    )
    pol = dataclasses.replace(pol, idrac=dataclasses.replace(pol.idrac, stepping_stones=stones))
    plan = make_plan(f, invs, catalog=no_stones, policy=pol, only=["idrac"])
    steps = [s for s in plan.node_steps("p1-a") if s.kind is StepKind.IDRAC_UPDATE]
    assert [s.package.source for s in steps] == ["bundle", "bundle", "catalog"]
    assert steps[0].package.package_type == "LW64" and steps[1].package.package_type == "LWXP"


def test_idrac8_stone_then_redfish() -> None:
    f = dataclasses.replace(pf.fleet(("p1",), lm=False))
    invs = {n.name: pf.r630_inventory(n.name, "2.50.50.50") for n in f.nodes()}
    pol = default_policy()
    pol = dataclasses.replace(pol, idrac=dataclasses.replace(
        pol.idrac,
        stepping_stones=(*pol.idrac.stepping_stones, SteppingStone("iDRAC8", "2.70.70.70")),
    ))
    plan = make_plan(f, invs, catalog=pf.r630_catalog(), policy=pol, loadmasters={})
    assert idrac_hops(plan, "p1-a") == [
        ("2.50.50.50", "2.70.70.70", "wsman", BARE),
        ("2.70.70.70", "2.82.82.82", "redfish", None),
    ]
    # firmware after the iDRAC goes over Redfish: the iDRAC is at 2.82 by then
    bios = next(s for s in plan.node_steps("p1-a") if s.kind is StepKind.FIRMWARE_STAGE)
    assert bios.transport == "redfish"
    assert plan.warnings and "fleet-file order" in plan.warnings[0]
    assert all(Impact.LM_FAILOVER not in s.impact for s in plan.steps())


def test_idrac9_always_redfish_whole_dup() -> None:
    f = pf.fleet(("p1",))
    invs = {n.name: pf.r320_inventory(n.name, "2.10.10.10", generation=Generation.IDRAC9)
            for n in f.nodes()}
    plan = make_plan(f, invs, only=["idrac"])
    assert idrac_hops(plan, "p1-a") == [("2.10.10.10", "2.65.65.65", "redfish", None)]


def test_bare_image_always_and_never() -> None:
    f = pf.fleet(("p1",))
    invs = {n.name: pf.r320_inventory(n.name, "2.60.60.60") for n in f.nodes()}
    pol = default_policy()
    from fwupdate.plan.policy import BareImagePolicy

    always = dataclasses.replace(pol, idrac=dataclasses.replace(
        pol.idrac, bare_image=BareImagePolicy.ALWAYS))
    assert idrac_hops(make_plan(f, invs, policy=always, only=["idrac"]), "p1-a")[0][3] == BARE
    invs = {n.name: pf.r320_inventory(n.name, "2.50.50.50") for n in f.nodes()}
    never = dataclasses.replace(pol, idrac=dataclasses.replace(
        pol.idrac, bare_image=BareImagePolicy.NEVER))
    assert idrac_hops(make_plan(f, invs, policy=never, only=["idrac"]), "p1-a")[0][3] is None


def test_idrac_from_linux_bin_sends_the_bare_image() -> None:
    # Only a Linux .BIN of the target exists (and it is the newest): the firmimg is extracted.
    cat = pf.r320_catalog(extra=[pf.idrac_pkg("2.70.70.70", PackageType.LLXP)])
    f = pf.fleet(("p1",))
    invs = {n.name: pf.r320_inventory(n.name, "2.65.65.65") for n in f.nodes()}
    plan = make_plan(f, invs, catalog=cat, only=["idrac"])
    step = next(s for s in plan.node_steps("p1-a") if s.kind is StepKind.IDRAC_UPDATE)
    assert step.package.package_type == "LLXP" and step.payload == BARE
    assert step.transport == "redfish"


def test_idrac_downgrade_across_a_stone_is_refused() -> None:
    cat = pf.r320_catalog()
    f = pf.fleet(("p1",))
    invs = {n.name: pf.r320_inventory(n.name, "2.65.65.65") for n in f.nodes()}
    from fwupdate.plan.policy import Pin
    from fwupdate.plan.selectors import parse_selector

    pol = dataclasses.replace(default_policy(), allow_downgrade=True,
                              pins=(Pin(parse_selector("idrac"), "1.66.65"),))
    with pytest.raises(PlanError) as exc:
        make_plan(f, invs, catalog=cat, policy=pol, only=["idrac"])
    assert "downgrade" in str(exc.value) and "2.10.10.10" in str(exc.value)


def test_full_node_order_with_combined_reboot() -> None:
    plan = make_plan(lm_image=pf.lm_image())
    assert kinds(plan, "p1-b") == [
        "precheck",
        "idrac_update",
        "firmware_apply_now",  # Diagnostics
        "firmware_apply_now",  # OS Driver Pack
        "firmware_stage",  # BIOS
        "firmware_stage",  # RAID
        "firmware_stage",  # NIC
        "lm_stage",
        "host_reboot",
        "verify",
    ]
    staged = [s.component.kind.value for s in plan.node_steps("p1-b")
              if s.kind is StepKind.FIRMWARE_STAGE]
    assert staged == ["bios", "raid", "nic"]  # Dell's order
    reboot = next(s for s in plan.node_steps("p1-b") if s.kind is StepKind.HOST_REBOOT)
    lm_stage = next(s for s in plan.node_steps("p1-b") if s.kind is StepKind.LM_STAGE)
    assert lm_stage.step_id in reboot.covers
    assert reboot.requires_partner_healthy
    assert plan.node("p1-b").totals.host_reboots == 1


def test_pair_standby_first_and_one_failover() -> None:
    plan = make_plan(lm_image=pf.lm_image())
    g = plan.groups[0]
    assert g.order == ("p1-b", "p1-a")  # p1-a is active in the factory
    assert g.steps[0].kind is StepKind.PAIR_PRECHECK
    assert g.steps[-1].kind is StepKind.PAIR_POSTCHECK
    assert dict(g.steps[0].params)["preferred_host"] == "none"
    assert dict(g.steps[-1].params)["expect_active"] == "p1-b"
    failovers = [s for s in g.steps if Impact.LM_FAILOVER in s.impact]
    assert len(failovers) == 1 and failovers[0].node == "p1-a"
    assert g.totals.failovers == 1 and g.totals.host_reboots == 2
    nodes = {n.name: n for n in g.nodes}
    assert nodes["p1-a"].role == "active" and nodes["p1-b"].role == "standby"
    verify_a = next(s for s in plan.node_steps("p1-a") if s.kind is StepKind.VERIFY)
    assert dict(verify_a.params)["role"] == "standby"

    swapped = make_plan(loadmasters=pf.lm_states(pf.fleet(("p1",)), active_second=True),
                        lm_image=pf.lm_image())
    assert swapped.groups[0].order == ("p1-a", "p1-b")


def test_separate_reboots_when_not_combined() -> None:
    pol = dataclasses.replace(default_policy(), combine_reboots=False)
    plan = make_plan(policy=pol, lm_image=pf.lm_image())
    assert kinds(plan, "p1-a")[-5:] == [
        "firmware_stage", "host_reboot", "lm_stage", "lm_reboot", "verify",
    ]
    a = [s for s in plan.node_steps("p1-a") if s.takes_node_down]
    assert [s.kind for s in a] == [StepKind.HOST_REBOOT, StepKind.LM_REBOOT]
    # the active node fails over at its first reboot only
    assert Impact.LM_FAILOVER in a[0].impact and Impact.LM_FAILOVER not in a[1].impact
    assert plan.groups[0].totals.failovers == 1
    assert plan.node("p1-a").totals.host_reboots == 2


def test_loadmaster_only_uses_its_own_reboot() -> None:
    plan = make_plan(lm_image=pf.lm_image(), only=["loadmaster"])
    assert kinds(plan, "p1-a") == ["precheck", "lm_stage", "lm_reboot", "verify"]
    assert plan.node("p1-a").totals.host_reboots == 1


def test_cpld_alone_last_with_its_own_reboot() -> None:
    pol = dataclasses.replace(default_policy(), opt_in_cpld=True)
    plan = make_plan(policy=pol, lm_image=pf.lm_image())
    k = kinds(plan, "p1-b")
    assert k[-3:] == ["host_reboot", "cpld_apply", "verify"]
    cpld = next(s for s in plan.node_steps("p1-b") if s.kind is StepKind.CPLD_APPLY)
    assert cpld.takes_node_down and cpld.rule == "N7"


def test_standalone_needs_the_flag() -> None:
    f = pf.fleet((), ("solo",))
    with pytest.raises(PlanError) as exc:
        make_plan(f)
    assert "solo" in str(exc.value) and "--allow-standalone" in str(exc.value)
    plan = make_plan(f, allow_standalone=True)
    assert plan.groups[0].standalone
    assert any("OUTAGE" in w for w in plan.warnings)
    assert all(s.kind not in (StepKind.PAIR_PRECHECK, StepKind.PAIR_POSTCHECK)
               for s in plan.steps())
    # no reboot, no outage: only the iDRAC
    assert make_plan(f, only=["idrac"]).groups[0].standalone


def test_unreadable_node_leaves_its_pair_out() -> None:
    f = pf.fleet(("p1", "p2"))
    invs = pf.inventories(f)
    invs["p2-b"] = pf.r320_inventory("p2-b", errors=("connection refused",))
    plan = make_plan(f, invs)
    assert [g.name for g in plan.groups] == ["p1"]
    reasons = {s.node: s.reason for s in plan.skipped}
    assert "connection refused" in reasons["p2-b"]
    assert "partner" in reasons["p2-a"]


def test_nothing_to_do() -> None:
    f = pf.fleet(("p1",))
    invs = {n.name: pf.r320_inventory(n.name, "2.65.65.65") for n in f.nodes()}
    plan = make_plan(f, invs, only=["idrac"])
    assert plan.groups == () and plan.totals.steps == 0
    assert all("nothing to do" in s.reason for s in plan.skipped)
    assert plan.schedule.makespan_seconds == 0


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ((HaRole.ACTIVE, HaRole.ACTIVE), "split brain"),
        ((HaRole.STANDBY, HaRole.STANDBY), "cannot tell standby from active"),
        ((HaRole.UNKNOWN, HaRole.ACTIVE), "cannot tell standby from active"),
    ],
)
def test_pair_roles_must_be_clear(roles, message) -> None:
    f = pf.fleet(("p1",))
    lms = {n.name: pf.lm_status(n.name, r) for n, r in zip(f.nodes(), roles, strict=True)}
    with pytest.raises(PlanError) as exc:
        make_plan(f, loadmasters=lms)
    assert message in str(exc.value)


def test_missing_loadmaster_status_is_refused() -> None:
    f = pf.fleet(("p1",))
    with pytest.raises(PlanError) as exc:
        make_plan(f, loadmasters={})
    assert "no LoadMaster status" in str(exc.value)


def test_missing_dup_in_repository() -> None:
    plan = make_plan(only=["bios"])
    files = frozenset({"BIOS_4WMFT_WN64_2.9.0.EXE"})
    assert make_plan(only=["bios"], available_files=files).totals == plan.totals
    with pytest.raises(CatalogError) as exc:
        make_plan(only=["bios", "raid"], available_files=files)
    assert "missing DUP" in str(exc.value) and "SAS-RAID" in str(exc.value)


def test_lm_image_against_bundle() -> None:
    pol = default_policy()
    pol = dataclasses.replace(pol, loadmaster=dataclasses.replace(pol.loadmaster,
                                                                  version="7.1-Patch30"))
    with pytest.raises(BadInputError) as exc:
        make_plan(policy=pol, lm_image=pf.lm_image("7.1-Patch28b"))
    assert "contradictory" in str(exc.value)
    with pytest.raises(BadInputError) as exc:
        make_plan(policy=pol)
    assert "--lm-image" in str(exc.value)


def test_partner_secret_boundary_warning() -> None:
    f = pf.fleet(("p1",))
    plan = make_plan(f, loadmasters=pf.lm_states(f, version="7.2.48.3"),
                     lm_image=pf.lm_image("7.2.59.4"), only=["loadmaster"])
    assert any("Partner Shared Secret" in w for w in plan.warnings)


def test_pinned_version_missing_is_a_clear_error() -> None:
    from fwupdate.plan.policy import Pin
    from fwupdate.plan.selectors import parse_selector

    pol = dataclasses.replace(default_policy(), pins=(Pin(parse_selector("bios"), "9.9.9"),))
    with pytest.raises(CatalogError) as exc:
        make_plan(policy=pol)
    assert "9.9.9" in str(exc.value) and "p1-a" in str(exc.value)


def test_estimates_and_totals_add_up() -> None:
    plan = make_plan(lm_image=pf.lm_image())
    g = plan.groups[0]
    assert g.totals.estimated_seconds == sum(s.estimated_seconds for s in g.steps)
    assert sum(n.totals.estimated_seconds for n in g.nodes) + 30 + 120 == (
        g.totals.estimated_seconds
    )
    est = default_policy().estimates
    idrac = next(s for s in g.steps if s.kind is StepKind.IDRAC_UPDATE)
    assert idrac.estimated_seconds == est.idrac_update
    reboot = next(s for s in g.steps if s.kind is StepKind.HOST_REBOOT)
    assert reboot.estimated_seconds == est.host_reboot(
        (pf_kind("bios"), pf_kind("raid"), pf_kind("nic")), True
    )
    assert [s.seq for s in plan.steps()] == list(range(1, plan.totals.steps + 1))
    assert len({s.step_id for s in plan.steps()}) == plan.totals.steps


def pf_kind(name: str):
    from fwupdate.plan.models import ComponentKind

    return ComponentKind(name)


def test_concurrency_and_window() -> None:
    f = pf.fleet(("p1", "p2", "p3"), concurrency=2)
    plan = make_plan(f, lm_image=pf.lm_image(), window="21:00-22:30")
    one = plan.groups[0].totals.estimated_seconds
    assert plan.schedule.concurrency == 2
    assert plan.schedule.makespan_seconds == 2 * one
    assert plan.schedule.critical_path_seconds == one
    w = plan.schedule.window
    assert w is not None and not w.fits and w.deferred == ("p3",)
    plan = make_plan(f, lm_image=pf.lm_image(), window="21:00-05:30", concurrency=3)
    assert plan.schedule.window.fits and plan.schedule.makespan_seconds == one


def test_skipped_node_in_a_pair_still_guards_the_partner() -> None:
    plan = make_plan(lm_image=pf.lm_image(), skip=["node:p1-b"])
    g = plan.groups[0]
    assert g.order == ("p1-a",)
    assert g.steps[0].kind is StepKind.PAIR_PRECHECK
    reboot = next(s for s in g.steps if s.kind is StepKind.HOST_REBOOT)
    assert reboot.requires_partner_healthy and Impact.LM_FAILOVER in reboot.impact
    assert any(s.node == "p1-b" for s in plan.skipped)
