"""Invariants of every plan, over generated fleets (hypothesis).

- the iDRAC is updated before any host firmware, LoadMaster or reboot step of its node;
- stepping stones are never skipped, and the hops chain from the installed version upward;
- with combine_reboots (and no CPLD) a node reboots at most once;
- in a pair the standby node is done before the active node is touched, and the pair fails
  over at most once;
- the two nodes of a pair are never planned down at the same time, and every down step waits
  for a healthy partner;
- the same inputs give the same plan (byte for byte), whatever the order of the input maps.
"""

from __future__ import annotations

import dataclasses
import itertools

import plan_factories as pf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fwupdate.catalog.versions import compare_versions
from fwupdate.idrac.models import Generation
from fwupdate.plan import planfile
from fwupdate.plan.models import Impact, Plan, StepKind
from fwupdate.plan.order import PlanRequest, build_plan
from fwupdate.plan.policy import default_policy

IDRAC7_VERSIONS = [
    "1.20.20", "1.57.57", "1.66.65", "2.10.10.10", "2.20.20.20", "2.50.50.50", "2.60.60.60",
    "2.65.65.65",
]
HOST_STEPS = {
    StepKind.FIRMWARE_APPLY_NOW, StepKind.FIRMWARE_STAGE, StepKind.LM_STAGE,
    StepKind.HOST_REBOOT, StepKind.CPLD_APPLY, StepKind.LM_REBOOT,
}


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    n_pairs = draw(st.integers(0, 3))
    n_solo = draw(st.integers(0 if n_pairs else 1, 1))
    f = pf.fleet(tuple(f"p{i}" for i in range(n_pairs)),
                 tuple(f"s{i}" for i in range(n_solo)),
                 concurrency=draw(st.integers(1, 4)))
    invs = {}
    for n in f.nodes():
        gen = draw(st.sampled_from([Generation.IDRAC7] * 4 + [Generation.IDRAC9]))
        invs[n.name] = pf.r320_inventory(
            n.name,
            draw(st.sampled_from(IDRAC7_VERSIONS)),
            bios=draw(st.sampled_from(["2.4.2", "2.9.0"])),
            diag=draw(st.sampled_from(["4239A35", "4247A1"])),
            generation=gen,
        )
    lm_version = draw(st.sampled_from(["7.1-Patch28a", "7.1-Patch28b"]))
    lms = pf.lm_states(f, version=lm_version, active_second=draw(st.booleans()))
    policy = dataclasses.replace(
        default_policy(),
        combine_reboots=draw(st.booleans()),
        opt_in_cpld=draw(st.booleans()),
        opt_in_psu=draw(st.booleans()),
        force_same_version=draw(st.booleans()),
    )
    image = pf.lm_image("7.1-Patch28b") if draw(st.booleans()) else None
    return {"fleet": f, "inventories": invs, "loadmasters": lms, "policy": policy,
            "lm_image": image}


def _plan(sc: dict, *, reverse: bool = False) -> Plan:
    invs, lms = sc["inventories"], sc["loadmasters"]
    if reverse:
        invs = dict(reversed(list(invs.items())))
        lms = dict(reversed(list(lms.items())))
    return build_plan(
        PlanRequest(
            fleet=sc["fleet"], inventories=invs, catalog=pf.r320_catalog(), policy=sc["policy"],
            loadmasters=lms, lm_image=sc["lm_image"], allow_standalone=True,
            created_at="2025-01-01T00:00:00+00:00", tool_version="t", window="21:00-05:30",
        )
    )


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_idrac_before_host_firmware(sc: dict) -> None:
    plan = _plan(sc)
    for g in plan.groups:
        for node in g.order:
            kinds = [s.kind for s in g.steps if s.node == node]
            if StepKind.IDRAC_UPDATE in kinds:
                last_idrac = max(i for i, k in enumerate(kinds) if k is StepKind.IDRAC_UPDATE)
                first_host = min(
                    (i for i, k in enumerate(kinds) if k in HOST_STEPS), default=len(kinds)
                )
                assert last_idrac < first_host
            assert kinds[0] is StepKind.PRECHECK and kinds[-1] is StepKind.VERIFY


@SETTINGS
@given(scenarios())
def test_stepping_stones_never_skipped(sc: dict) -> None:
    plan = _plan(sc)
    stones = default_policy().idrac.stones("iDRAC7")
    for g in plan.groups:
        for node in g.order:
            inv = sc["inventories"][node]
            hops = [s for s in g.steps if s.node == node and s.kind is StepKind.IDRAC_UPDATE]
            if not hops:
                continue
            assert hops[0].from_version == inv.idrac.firmware_version
            for a, b in itertools.pairwise(hops):
                assert a.to_version == b.from_version
                assert compare_versions(b.to_version, a.to_version) > 0
            if inv.idrac.generation is not Generation.IDRAC7:
                continue
            start, end = hops[0].from_version, hops[-1].to_version
            reached = [h.to_version for h in hops]
            for stone in stones:
                below = all(compare_versions(start, v) < 0 for v in stone.versions)
                if below and compare_versions(end, stone.version) > 0:
                    assert any(v in stone.versions for v in reached), (node, stone, reached)
            for h in hops:
                wsman = compare_versions(h.from_version, "2.60.60.60") < 0
                assert h.transport == ("wsman" if wsman else "redfish")
                if wsman:
                    assert h.payload == "payload/firmimg.d7"


@SETTINGS
@given(scenarios())
def test_at_most_one_host_reboot_per_node_when_combined(sc: dict) -> None:
    plan = _plan(sc)
    for g in plan.groups:
        for node in g.nodes:
            down = [s for s in g.steps if s.node == node.name and s.takes_node_down]
            non_cpld = [s for s in down if s.kind is not StepKind.CPLD_APPLY]
            if sc["policy"].combine_reboots:
                assert len(non_cpld) <= 1
            assert node.totals.host_reboots == len(down)


@SETTINGS
@given(scenarios())
def test_standby_before_active_and_one_failover(sc: dict) -> None:
    plan = _plan(sc)
    for g in plan.groups:
        if g.standalone:
            assert all(Impact.LM_FAILOVER not in s.impact for s in g.steps)
            continue
        roles = {n.name: n.role for n in g.nodes}
        if len(g.order) == 2:
            assert roles[g.order[0]] == "standby" and roles[g.order[1]] == "active"
            last_standby = max(i for i, s in enumerate(g.steps) if s.node == g.order[0])
            first_active = min(i for i, s in enumerate(g.steps) if s.node == g.order[1])
            assert last_standby < first_active
        failovers = [s for s in g.steps if Impact.LM_FAILOVER in s.impact]
        assert len(failovers) <= 1
        assert all(roles[s.node] == "active" for s in failovers)
        assert g.steps[0].kind is StepKind.PAIR_PRECHECK
        assert g.steps[-1].kind is StepKind.PAIR_POSTCHECK


@SETTINGS
@given(scenarios())
def test_never_both_nodes_of_a_pair_down(sc: dict) -> None:
    plan = _plan(sc)
    for g in plan.groups:
        t = 0
        down: dict[str, list[tuple[int, int]]] = {}
        for s in g.steps:
            if s.takes_node_down:
                assert s.node is not None
                down.setdefault(s.node, []).append((t, t + s.estimated_seconds))
                if not g.standalone:
                    assert s.requires_partner_healthy
            t += s.estimated_seconds
        if len(down) == 2:
            (a, ia), (b, ib) = down.items()
            for x0, x1 in ia:
                for y0, y1 in ib:
                    assert x1 <= y0 or y1 <= x0, (a, b)


@SETTINGS
@given(scenarios())
def test_plan_is_deterministic(sc: dict) -> None:
    a, b = _plan(sc), _plan(sc, reverse=True)
    assert a == b
    text = planfile.dumps(a)
    assert text == planfile.dumps(b)
    assert planfile.loads(text) == a
    # the schedule never beats its own lower bound, and fits only if every group was placed
    sch = a.schedule
    assert sch.makespan_seconds >= sch.lower_bound_seconds
    assert sch.window is not None
    assert sch.window.fits == (not sch.window.deferred)
