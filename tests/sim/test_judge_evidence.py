"""The simulator's additive evidence for fwupdate.check: per-component version changes, the
pair's Virtual Service statuses, the final state dump, and faults hung on device events."""

from __future__ import annotations

import time
from pathlib import Path

from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, PairSpec, SimulatedFleet
from fwupdate.sim.hooks import EventHooks, inject


def _spec() -> FleetSpec:
    def node(n: str) -> NodeSpec:
        return NodeSpec(n, DeviceSpec(f"{n}-idrac", "idrac", "r320-idrac7-2.65", {"bios": "2.4.2"}),
                        DeviceSpec(f"{n}-lm", "loadmaster", "lm-7.2.48.3", {"rate_limit": 0}))

    return FleetSpec(pairs=(PairSpec("pair-1", (node("a"), node("b")), {"active": "a"}),))


def _wait_for(sim: SimulatedFleet, event: str, seconds: float = 5.0) -> list[dict[str, object]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = sim.events.records(event=event)
        if found:
            return found
        time.sleep(0.02)
    return []


def test_vs_status_baseline_and_change(tmp_path: Path) -> None:
    with SimulatedFleet(_spec(), workdir=tmp_path, time_scale=100.0) as sim:
        base = sim.events.records(event="lm.vs_status")
        assert len(base) == 1 and base[0]["up"] == ["web", "api"] and base[0]["pair"] == "pair-1"
        inject(sim, "pair-1", "vs-down", "2")
        recs = sim.events.records(event="lm.vs_status")
        assert recs[-1]["up"] == ["web"] and recs[-1]["down"] == ["api"]
        dump = sim.state_dump()
    assert dump["pairs"]["pair-1"]["vs_up"] == ["web"]
    assert dump["pairs"]["pair-1"]["active"] == ["a-lm"]
    idrac = dump["devices"]["a-idrac"]
    assert idrac["kind"] == "idrac" and idrac["node"] == "a" and idrac["pair"] == "pair-1"
    assert idrac["power"] == "On" and idrac["jobs"] == []
    bios = next(c for c in idrac["components"] if c["key"] == "bios")
    assert bios["version"] == "2.4.2" and bios["component_id"] == "159"
    lm = dump["devices"]["b-lm"]
    assert lm["role"] == "Standby" and lm["version"] == "7.2.48.3" and lm["power"] == "up"


def test_component_version_event_on_a_version_change(tmp_path: Path) -> None:
    with SimulatedFleet(_spec(), workdir=tmp_path, time_scale=100.0) as sim:
        state = sim.device("a-idrac").state  # type: ignore[attr-defined]
        with state.lock:
            state._apply_version("bios", "2.9.0")
            state._apply_version("bios", "2.9.0")  # no change, no record
        recs = sim.events.records(event="component_version")
    assert [(r["device"], r["component"], r["from_version"], r["to_version"]) for r in recs] == [
        ("a-idrac", "bios", "2.4.2", "2.9.0")]


def test_fault_injected_when_a_device_event_happens(tmp_path: Path) -> None:
    with SimulatedFleet(_spec(), workdir=tmp_path, time_scale=100.0) as sim:
        hooks = EventHooks(sim)
        hooks.inject_when("lm.vs_forced", "pair-1-shared", "b-idrac", "busy", "2", down=True)
        inject(sim, "pair-1", "vs-down", "1")
        fired = _wait_for(sim, "sim.hook_fired")
        faults = sim.events.records(event="fault_set", device="b-idrac")
        assert len(fired) == 1 and fired[0]["fault"] == "busy"
        assert faults and faults[0]["kind"] == "busy"
        assert len(hooks.fired) == 1
        inject(sim, "pair-1", "vs-down", "2")  # one-shot: no second firing
        time.sleep(0.1)
        assert len(sim.events.records(event="sim.hook_fired")) == 1
