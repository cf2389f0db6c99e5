"""Simulated HA pairs: failover on host power events, the shared address, the availability
record, preferred host, split, and the Partner Shared Secret boundary."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from lm_support import TARGET_VERSION, LmSim, pair_spec

from fwupdate.errors import WaitTimeoutError
from fwupdate.loadmaster.ha import vs_baseline
from fwupdate.sim.bus import host_topic
from fwupdate.sim.loadmaster import Power, Role, apply_fault, build_patch, outages
from fwupdate.waits import poll_until

pytestmark = pytest.mark.integration


def _wait(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.005)
    return cond()


def _shared_serial(sim: LmSim) -> str:
    r = requests.get(
        f"{sim.shared().url}/access/get",
        params={"param": "serialnumber"},
        auth=("bal", "1fourall"),
        verify=str(sim.ca),
        timeout=5,
    )
    return r.text.split("<serialnumber>")[1].split("<")[0]


def test_host_reset_on_the_bus_fails_over_to_the_partner(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim(pair_spec(hatimeout=2))  # takeover 6 simulated s after the loss
    a, b = sim.unit("p1a"), sim.unit("p1b")
    assert _shared_serial(sim) == a.serial
    sim.fleet.ctx.bus.publish(host_topic("p1a"), "reset", boot_seconds=200.0)
    assert a.power is Power.DOWN  # abrupt: down at once
    assert _wait(lambda: b.role is Role.ACTIVE)
    assert _shared_serial(sim) == b.serial
    assert _wait(lambda: a.power is Power.UP)
    assert a.role is Role.STANDBY  # No Preferred Host: comes back Standby
    gaps = outages(sim.fleet.events, "p1")
    assert len(gaps) == 1
    assert gaps[0].state == "failover" and gaps[0].up == ("p1b-lm",)
    assert gaps[0].duration is not None and gaps[0].duration >= 5.99  # times rounded to ms
    final = sim.pair().availability()[-1]
    assert final.end is None and final.active == ("p1b-lm",) and final.state == "ok"


def test_graceful_host_shutdown_hands_over_without_a_gap(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim()
    a, b = sim.unit("p1a"), sim.unit("p1b")
    bus = sim.fleet.ctx.bus
    bus.publish(host_topic("p1a"), "graceful_shutdown")
    assert _wait(lambda: a.power is Power.DOWN)
    assert b.role is Role.ACTIVE
    bus.publish(host_topic("p1a"), "reset", boot_seconds=60.0)
    assert _wait(lambda: a.power is Power.UP)
    assert a.role is Role.STANDBY
    assert outages(sim.fleet.events, "p1") == ()


def test_both_units_down_is_an_outage_and_the_shared_address_drops(
    make_sim: Callable[..., LmSim],
) -> None:
    sim = make_sim()
    sim.unit("p1b").on_host_event("off", {})
    sim.unit("p1a").on_host_event("off", {})
    with pytest.raises(requests.exceptions.ConnectionError):
        _shared_serial(sim)
    assert sim.fleet.events.records(event="lm.shared.dropped")
    gaps = outages(sim.fleet.events, "p1")
    assert gaps and gaps[-1].state == "outage" and gaps[-1].end is None
    sim.unit("p1b").on_host_event("on", {"boot_seconds": 30.0})
    assert _wait(lambda: sim.unit("p1b").role is Role.ACTIVE)  # alone: becomes Active
    assert _shared_serial(sim) == sim.unit("p1b").serial


def test_preferred_host_takes_over_when_it_restarts(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim(pair_spec(preferred=2))
    a, b = sim.unit("p1a"), sim.unit("p1b")
    sim.client("p1b").reboot()
    assert _wait(lambda: b.power is Power.DOWN)
    assert a.role is Role.ACTIVE  # the Standby's reboot changes nothing on the Active
    assert _wait(lambda: b.power is Power.UP)
    assert b.role is Role.ACTIVE and a.role is Role.STANDBY
    assert outages(sim.fleet.events, "p1") == ()


def test_split_both_active(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim()
    apply_fault(sim.fleet, "p1", "split")
    assert sim.client("p1a").get_param("hastatus") == "Active"
    assert sim.client("p1b").get_param("hastatus") == "Active"
    assert {_shared_serial(sim) for _ in range(4)} == {sim.unit("p1a").serial,
                                                       sim.unit("p1b").serial}  # fmt: skip
    assert sim.pair().availability()[-1].state == "split"


def test_secret_boundary_breaks_the_partner_link_until_secrets_match(
    make_sim: Callable[..., LmSim],
) -> None:
    sim = make_sim()
    b = sim.unit("p1b")
    client = sim.client("p1b")
    image = sim.fleet.workdir / "new.patch"
    image.write_bytes(build_patch("7.2.54.12"))
    client.install_patch(image)
    client.reboot()
    assert _wait(lambda: b.power is Power.DOWN)
    assert _wait(lambda: b.power is Power.UP)
    assert b.version == "7.2.54.12"
    assert client.get_param("hastatus") == "Passive"  # partner connection failed
    assert sim.fleet.events.records(device="p1b-lm", event="lm.partner_link")
    client.call("setlmcommsecret", {"secret": "s3cret-shared"})
    assert client.get_param("hastatus") == "Passive"  # only one side has it
    sim.client("p1a").call("setlmcommsecret", {"secret": "s3cret-shared"})
    assert client.get_param("hastatus") == "Standby"
    assert outages(sim.fleet.events, "p1") == ()


def test_unit_fault_names_and_targets(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim()
    assert apply_fault(sim.fleet, "p1a-lm", "old-version") is True
    assert sim.unit("p1a").faults.old_version
    assert apply_fault(sim.fleet, "p1b", "vs-down-when-active", "2") is True
    assert sim.unit("p1b").faults.vs_down_when_active == {2}
    assert apply_fault(sim.fleet, "p1a", "not-an-lm-fault") is False
    with pytest.raises(ValueError, match="no simulated LoadMaster"):
        apply_fault(sim.fleet, "nowhere", "split")
    with pytest.raises(ValueError, match="applies to a unit"):
        apply_fault(sim.fleet, "p1", "old-version")
    assert TARGET_VERSION


def test_wait_pair_healthy_after_a_host_reset(make_sim: Callable[..., LmSim]) -> None:
    sim = make_sim()
    pc = sim.pair_client()
    baseline = pc.snapshot()
    sim.fleet.ctx.bus.publish(host_topic("p1a"), "reset", boot_seconds=150.0)
    st = _healthy(pc, 5.0, baseline)
    assert (st.active, st.standby) == ("p1b", "p1a")
    assert st.shared_serial == sim.unit("p1b").serial
    apply_fault(sim.fleet, "p1a", "never-returns")
    sim.fleet.ctx.bus.publish(host_topic("p1a"), "reset", boot_seconds=150.0)
    with pytest.raises(WaitTimeoutError, match=r"not reached within 0\.3 s") as info:
        _healthy(pc, 0.3, None)
    assert info.value.step == "wait for pair healthy"
    assert any("p1a: unreachable" in p for p in pc.snapshot().problems)


def _healthy(pc: Any, timeout: float, baseline: Any) -> Any:
    """The pair healthy again, through the one bounded wait (fwupdate.waits)."""
    def check() -> Any:
        st = pc.snapshot(baseline=baseline)
        return st if st.healthy else None

    return poll_until("pair healthy", check, timeout=timeout, host=pc.name,
                      step="wait for pair healthy", clock=time.monotonic,
                      pause=lambda left: time.sleep(min(0.02, left)))


def test_subvs_listed_as_entries_without_address_counted_once(
        make_sim: Callable[..., LmSim]) -> None:
    """Real units' `listvs` lists each SubVS as its own VS entry without an address (parent
    index in MasterVSID); the health view counts VSs once and holds SubVSs to the baseline by
    name under their parent."""
    sim = make_sim(pair_spec(subvs=2))
    pc = sim.pair_client()
    vss = pc.unit("p1a").virtual_services()
    subs = [v for v in vss if v.is_sub]
    assert [(v.name, v.address, v.parent) for v in subs] == [("web-sub1", "", "1"),
                                                             ("web-sub2", "", "1")]
    st = pc.snapshot()
    assert st.healthy and (st.vs_up, st.vs_total) == (2, 2)
    assert next(v for v in vss if v.name == "web").real_servers_total == 2  # its SubVSs
    baseline = vs_baseline(st.virtual_services)
    assert baseline == ("api", "web", "web/web-sub1", "web/web-sub2")
    sim.pair().set_vs_down(4)  # web-sub2 Down; web stays Up through web-sub1
    st = pc.snapshot(baseline=baseline)
    assert (st.vs_up, st.vs_total) == (2, 2)
    assert st.problems == ("SubVS web-sub2 (#4 of VS #1) was Up, now Down",)


def test_the_shared_address_is_read_on_a_new_connection_each_time(
    make_sim: Callable[..., LmSim],
) -> None:
    """The shared address moves with the Active role: a kept-alive connection to it would
    outlive the move, so each read opens its own; the units keep theirs."""
    sim = make_sim()
    pc = sim.pair_client()
    shared_before = sim.shared().connection_count
    unit_before = sim.unit("p1a").connection_count
    for _ in range(3):
        st = pc.snapshot()
        assert st.active is not None and st.shared_serial == sim.unit(st.active).serial
    pc.close()
    assert sim.shared().connection_count - shared_before == 3
    assert sim.unit("p1a").connection_count - unit_before == 1


def test_loadmaster_traffic_takes_no_proxy_from_the_environment(
    make_sim: Callable[..., LmSim], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    sim = make_sim()
    assert sim.client("p1a").serial() == sim.unit("p1a").serial
