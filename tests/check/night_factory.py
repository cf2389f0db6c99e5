"""Synthetic evidence of one clean night for the checker's unit tests.

One HA pair (pair-1 = lb1a Active, lb1b Standby), iDRAC7 nodes.  Per node: an iDRAC stepping
stone 1.57.57 -> 1.66.65, BIOS 2.4.2 -> 2.9.0 staged, the LoadMaster staged 7.2.48.3 -> 7.2.48.4,
a host reboot (300 s estimate, time-scale 100), verify.  Standby first; the Active unit hands over
in order (one failover).  Every record is what the simulator and the journal would hold.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from fwupdate.check.models import Evidence, JournalRows
from fwupdate.plan.models import (
    ComponentKind,
    ComponentRef,
    Expectation,
    Impact,
    InputDigest,
    NodePlan,
    PairPlan,
    Plan,
    Schedule,
    Step,
    StepKind,
    Totals,
)

T0 = 1_800_000_000.0  # epoch of the night's start (wall)
SCALE = 100.0
PAIR = "pair-1"
ORDER = ("lb1b", "lb1a")  # standby first
BIOS = ComponentRef("BIOS", ComponentKind.BIOS, component_id="159")
IDRAC = ComponentRef("iDRAC", ComponentKind.IDRAC, component_id="25227")


def _steps(node: str, base: int) -> list[Step]:
    g = PAIR

    def st(i: int, kind: StepKind, est: int, **kw: Any) -> Step:
        return Step(f"{g}/{base + i:03d}-{kind.value}", base + i, kind, g, node, "R", "test",
                    est, **kw)  # fmt: skip

    return [
        st(1, StepKind.IDRAC_UPDATE, 400, component=IDRAC, from_version="1.57.57",
           to_version="1.66.65", impact=(Impact.IDRAC_RESET,)),
        st(2, StepKind.FIRMWARE_STAGE, 30, component=BIOS, from_version="2.4.2",
           to_version="2.9.0"),
        st(3, StepKind.LM_STAGE, 30, from_version="7.2.48.3", to_version="7.2.48.4"),
        st(4, StepKind.HOST_REBOOT, 300, impact=(Impact.HOST_REBOOT,)),
        st(5, StepKind.VERIFY, 10, expect=(Expectation("id:159", "BIOS", "2.9.0"),
                                           Expectation("id:25227", "iDRAC", "1.66.65"),
                                           Expectation("loadmaster", "LoadMaster", "7.2.48.4"))),
    ]  # fmt: skip


def plan() -> Plan:
    steps = tuple(_steps("lb1b", 0) + _steps("lb1a", 5))
    nodes = tuple(
        NodePlan(n, PAIR, "standby" if n == "lb1b" else "active", "PowerEdge R320", "04F7", "12G",
                 "1.57.57", "7.2.48.3", "x", (), Totals())
        for n in ("lb1a", "lb1b")
    )  # fmt: skip
    group = PairPlan(PAIR, False, ORDER, nodes, steps, Totals(failovers=1))
    return Plan(1, "2026-12-06T00:00:00Z", "test", InputDigest("c", "x", "i", "x"), (), (),
                (group,), Totals(failovers=1), Schedule(1, 0, 0, 0, ()))  # fmt: skip


class _Log:
    def __init__(self) -> None:
        self.recs: list[dict[str, Any]] = []

    def add(self, dt: float, device: str, event: str, **fields: Any) -> dict[str, Any]:
        """A record `dt` real seconds into the night (simulated t = dt * SCALE)."""
        wall = datetime.fromtimestamp(T0 + dt, UTC).isoformat(timespec="milliseconds")
        rec = {"seq": len(self.recs), "t": round(dt * SCALE, 3), "wall": wall, "device": device,
               "event": event, **fields}  # fmt: skip
        self.recs.append(rec)
        return rec


def _avail(log: _Log, dt: float, active: list[str], serving: bool = True,
           state: str = "ok") -> None:  # fmt: skip
    log.add(dt, f"{PAIR}-shared", "lm.availability", pair=PAIR, cause="test", active=active,
            up=["lb1a-lm", "lb1b-lm"], serving=serving, state=state,
            units={"lb1a-lm": "up/Active", "lb1b-lm": "up/Standby"})  # fmt: skip


def _node_night(log: _Log, node: str, t: float, jobs: tuple[str, str]) -> None:
    idrac, lm = f"{node}-idrac", f"{node}-lm"
    log.add(t, idrac, "job_target", job=jobs[0], component="idrac", component_id="25227",
            from_version="1.57.57", to_version="1.66.65")
    log.add(t + 1, idrac, "flashed", job=jobs[0], component="idrac", component_id="25227",
            from_version="1.57.57", to_version="1.66.65")
    log.add(t + 1, idrac, "job_state", job=jobs[0], state="Completed", component="idrac")
    log.add(t + 2, idrac, "component_version", component="idrac", component_id="25227",
            from_version="1.57.57", to_version="1.66.65")
    log.add(t + 3, idrac, "job_target", job=jobs[1], component="bios", component_id="159",
            from_version="2.4.2", to_version="2.9.0")
    log.add(t + 3, idrac, "job_state", job=jobs[1], state="Scheduled", component="bios")
    log.add(t + 4, lm, "lm.installpatch", staged="7.2.48.4")
    log.add(t + 5, lm, "lm.stopping", seconds=3)
    log.add(t + 5.5, idrac, "host_reset_requested", reset_type="GracefulShutdown", power="On")
    log.add(t + 6, idrac, "host_power", state="off", reason="GracefulShutdown")
    log.add(t + 6.5, idrac, "host_power", state="on", reason="On", boot_seconds=300,
            jobs=[jobs[1]])
    log.add(t + 7, idrac, "flashed", job=jobs[1], component="bios", component_id="159",
            from_version="2.4.2", to_version="2.9.0")
    log.add(t + 7, idrac, "job_state", job=jobs[1], state="Completed", component="bios")
    log.add(t + 7, idrac, "component_version", component="bios", component_id="159",
            from_version="2.4.2", to_version="2.9.0")
    log.add(t + 9, idrac, "host_up")
    log.add(t + 9.5, lm, "lm.up", version="7.2.48.4", role="Standby")


def _events() -> list[dict[str, Any]]:
    log = _Log()
    _avail(log, 0, ["lb1a-lm"])
    log.add(0, f"{PAIR}-shared", "lm.vs_status", pair=PAIR, up=["web", "api"], down=[],
            disabled=[])
    _node_night(log, "lb1b", 10, ("JID_000000000001", "JID_000000000002"))
    _node_night(log, "lb1a", 100, ("JID_000000000003", "JID_000000000004"))
    _avail(log, 105.2, ["lb1b-lm"])  # the orderly handover of lb1a
    log.recs.sort(key=lambda r: (r["t"], r["seq"]))
    for i, r in enumerate(log.recs):
        r["seq"] = i
    return log.recs


def _device(node: str) -> dict[str, Any]:
    return {"kind": "idrac", "profile": "r320-idrac7-1.57", "node": node, "pair": PAIR,
            "power": "On", "service_tag": f"TAG{node}", "firmware_version": "1.66.65",
            "components": [
                {"key": "idrac", "component_id": "25227", "name": "iDRAC", "version": "1.66.65"},
                {"key": "bios", "component_id": "159", "name": "BIOS", "version": "2.9.0"},
            ],
            "jobs": [{"id": "JID_1", "state": "Completed", "component": "bios",
                      "component_id": "159", "to_version": "2.9.0", "reboot": "HOST",
                      "reboot_job": False}]}  # fmt: skip


def _state() -> dict[str, Any]:
    devices: dict[str, Any] = {}
    for n in ("lb1a", "lb1b"):
        devices[f"{n}-idrac"] = _device(n)
        devices[f"{n}-lm"] = {"kind": "loadmaster", "profile": "lm-7.2.48.3", "node": n,
                              "pair": PAIR, "version": "7.2.48.4", "power": "up",
                              "role": "Standby" if n == "lb1a" else "Active"}  # fmt: skip
    return {"t": 12000.0, "time_scale": SCALE, "devices": devices,
            "pairs": {PAIR: {"active": ["lb1b-lm"], "vs_up": ["web", "api"], "vs_down": []}}}


def _journal(p: Plan) -> JournalRows:
    import json

    steps = tuple({"step_id": s.step_id, "seq": s.seq, "node": s.node, "pair": PAIR,
                   "kind": s.kind.value, "state": "done", "attempts": 1}
                  for s in p.steps())  # fmt: skip
    events: list[dict[str, Any]] = []
    for s in p.steps():
        base = 10 if s.node == "lb1b" else 100
        at = T0 + base + (0.0, 3.0, 4.0, 4.9, 9.8)[s.seq - (0 if s.node == "lb1b" else 5) - 1]
        events.append({"id": len(events) + 1, "at": at, "node": s.node, "step_id": s.step_id,
                       "kind": "intent", "data": {}})  # fmt: skip
    meta = {"run_id": "night", "status": "finished",
            "options": json.dumps({"settings": {"time_scale": SCALE, "window_end": None}})}
    return JournalRows(meta, steps, tuple(events))


def _report() -> dict[str, Any]:
    return {"run_id": "night", "status": "finished",
            "totals": {"steps": 10, "done": 10, "failed": 0, "pending": 0, "in_flight": 0},
            "groups": [{"group": PAIR, "status": "done", "failovers": 1,
                        "planned_failovers": 1}],
            "nodes": [{"node": n, "pair": PAIR, "status": "done"} for n in ("lb1a", "lb1b")],
            "steps": [], "failovers": [], "failures": [], "remaining": []}  # fmt: skip


def clean() -> Evidence:
    p = plan()
    return Evidence(p, _journal(p), tuple(_events()), _state(), _report(), None, "test")


def edit(ev: Evidence, **changes: Any) -> Evidence:
    """A deep copy of `ev` with fields replaced."""
    fields = {"plan": ev.plan, "journal": ev.journal, "sim_events": copy.deepcopy(ev.sim_events),
              "sim_state": copy.deepcopy(ev.sim_state), "report": copy.deepcopy(ev.report),
              "window_end": ev.window_end, "label": ev.label,
              "night_start": ev.night_start}  # fmt: skip
    fields.update(changes)
    return Evidence(**fields)
