"""The Redfish client against the simulated iDRACs over real loopback HTTPS (CA-verified).

Time-scale 1000: a simulated 2-3 min POST takes ~0.15 s; the client's Timing uses the same scale.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedDevice, SupportedSystem
from fwupdate.dup.build import build_exe_dup, build_firmware_image
from fwupdate.dup.repo import default_payload
from fwupdate.errors import (
    DeviceBusyError,
    DeviceUnreachableError,
    JobFailedError,
    UnsupportedOperationError,
)
from fwupdate.fleet.loader import load_fleet
from fwupdate.fleet.models import Fleet
from fwupdate.idrac.fleet_inventory import inventory_nodes
from fwupdate.idrac.inventory_io import load_inventory
from fwupdate.idrac.models import Generation
from fwupdate.idrac.redfish.client import RedfishClient
from fwupdate.idrac.timing import Timing
from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, PairSpec, SimulatedFleet

pytestmark = pytest.mark.integration

SCALE = 1000.0
TIMING = Timing(scale=SCALE)
PROFILES = (
    "r320-idrac7-2.65",
    "r320-idrac7-2.50",
    "r320-idrac7-1.57",
    "r630-idrac8-2.75",
    "r640-idrac9-4.40",
)


def _node(name: str, profile: str, **options: Any) -> NodeSpec:
    return NodeSpec(name, DeviceSpec(f"{name}-idrac", "idrac", profile, options))


@pytest.fixture
def sim_fleet(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[SimulatedFleet, Fleet]]:
    spec: FleetSpec = request.param
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=SCALE) as sim:
        fleet = load_fleet(sim.write_fleet_file(tmp_path / "fleet.toml"))
        yield sim, fleet


def _events(sim: SimulatedFleet, device: str, event: str) -> list[dict[str, Any]]:
    return list(sim.events.records(device=device, event=event))


ALL = FleetSpec(standalone=tuple(_node(f"n{i}", p) for i, p in enumerate(PROFILES)))


@pytest.mark.parametrize("sim_fleet", [ALL], indirect=True)
@pytest.mark.parametrize("auth", ["basic", "session"])
def test_inventory_of_every_profile(sim_fleet: tuple[SimulatedFleet, Fleet], auth: Any) -> None:
    sim, fleet = sim_fleet
    results = {
        r.name: r for r in inventory_nodes(fleet.nodes(), auth=auth, timing=TIMING, concurrency=5)
    }
    r320 = results["n0"]
    assert r320.ok, r320.errors
    assert r320.idrac is not None and r320.system is not None
    assert (r320.idrac.generation, r320.idrac.firmware_version) == (Generation.IDRAC7, "2.65.65.65")
    assert r320.system.model == "PowerEdge R320"
    cids = {c.component_id for c in r320.components if c.state == "Installed"}
    assert {"25227", "159"} <= cids
    assert r320.capabilities.redfish_update and not r320.capabilities.expand_supported
    assert r320.capabilities.oem_service("DellJobService") is None

    old = results["n1"]  # 2.50: Redfish identity, but components only over WS-Man
    assert old.ok, old.errors
    assert old.idrac is not None and old.idrac.firmware_version == "2.50.50.50"
    assert old.capabilities.redfish and not old.capabilities.redfish_update
    assert old.capabilities.wsman and old.components

    bare = results["n2"]  # 1.57: no Redfish at all: everything over WS-Man
    assert bare.ok, bare.errors
    assert not bare.capabilities.redfish and bare.capabilities.wsman
    assert bare.idrac is not None and bare.idrac.firmware_version == "1.57.57"
    assert {c.component_id for c in bare.components} >= {"25227", "159"}

    r630 = results["n3"]
    assert r630.ok and r630.idrac is not None and r630.idrac.generation is Generation.IDRAC8

    r640 = results["n4"]
    assert r640.ok and r640.idrac is not None and r640.idrac.generation is Generation.IDRAC9
    assert r640.system is not None and r640.system.system_id == "0716"
    assert r640.capabilities.expand_supported and r640.capabilities.multipart_push_uri
    # linked from System.Links.Oem.Dell on iDRAC9 (not from the Manager)
    assert r640.capabilities.oem_service("DellSoftwareInstallationService") == (
        "/redfish/v1/Systems/System.Embedded.1/Oem/Dell/DellSoftwareInstallationService"
    )
    assert any(c.fqdd for c in r640.components)
    # every session opened was closed again
    for name in sim.devices:
        opened = len(_events(sim, name, "session_opened"))
        assert opened == len(_events(sim, name, "session_closed"))
        assert opened == (0 if auth == "basic" or name in ("n2-idrac",) else 1)


@pytest.mark.parametrize("sim_fleet", [ALL], indirect=True)
def test_inventory_without_wsman_fallback_names_the_gap(
    sim_fleet: tuple[SimulatedFleet, Fleet],
) -> None:
    _, fleet = sim_fleet
    nodes = [fleet.node("n1"), fleet.node("n2")]
    old, bare = inventory_nodes(nodes, timing=TIMING, wsman_fallback=False)
    assert old.idrac is not None and old.components == () and not old.ok
    assert "WS-Man is needed" in old.errors[0]
    assert not bare.capabilities.redfish and bare.idrac is None
    assert "no Redfish service" in bare.errors[0]


def _bios_dup(folder: Path, version: str = "2.9.0") -> Path:
    comp = SoftwareComponent(
        path=f"BIOS_ABCDE_WN64_{version}.EXE",
        vendor_version=version,
        reboot_required=True,
        name="BIOS",
        component_type="BIOS",
        devices=(SupportedDevice("159"),),
        systems=(SupportedSystem("PE", "04F7", "R320"),),
        package_type=PackageType.LW64,
    )
    return build_exe_dup(folder / comp.path, comp, default_payload(comp))


ONE_R320 = FleetSpec(standalone=(_node("n0", "r320-idrac7-2.65", idrac="2.60.60.60"),))


@pytest.mark.parametrize("sim_fleet", [ONE_R320], indirect=True)
def test_push_install_reboot_complete(
    sim_fleet: tuple[SimulatedFleet, Fleet], tmp_path: Path
) -> None:
    sim, fleet = sim_fleet
    dup = _bios_dup(tmp_path)
    node = fleet.node("n0")
    with RedfishClient.for_endpoint(node.idrac, name="n0", timing=TIMING) as c:
        uri = c.push_image(dup)
        assert uri.endswith("/Available-159-2.9.0")
        job = c.install(uri)
        st = c.follow_job(job, stop_on={"Scheduled"})
        assert st.scheduled and "JCP001" in st.message_ids
        assert c.restart_host() == ("GracefulShutdown", "On")  # 12G: no GracefulRestart
        done = c.follow_job(job)
        assert done.succeeded and "RED001" in done.message_ids
        bios = [x for x in c.inventory().components if x.component_id == "159"]
        assert {(x.state, x.version) for x in bios} >= {("Installed", "2.9.0")}
    uploads = _events(sim, "n0-idrac", "upload")
    assert [u["available_id"] for u in uploads] == ["Available-159-2.9.0"]


@pytest.mark.parametrize("sim_fleet", [ONE_R320], indirect=True)
def test_inventory_reusing_members_reads_only_new_ones_with_the_same_result(
    sim_fleet: tuple[SimulatedFleet, Fleet], tmp_path: Path
) -> None:
    sim, fleet = sim_fleet
    node = fleet.node("n0")
    with RedfishClient.for_endpoint(node.idrac, name="n0", timing=TIMING) as c:
        first = c.inventory()
        before = sim.device("n0-idrac").request_count
        again = c.inventory(reuse_members=True)
        assert again.components == first.components
        assert sim.device("n0-idrac").request_count - before == 1  # the collection alone
        job = c.install(c.push_image(_bios_dup(tmp_path)))
        c.follow_job(job, stop_on={"Scheduled"})
        c.restart_host()
        assert c.follow_job(job).succeeded
        assert c.inventory(reuse_members=True).components == c.inventory().components


@pytest.mark.parametrize("sim_fleet", [ONE_R320], indirect=True)
def test_idrac_self_update_with_outage_and_relogin(
    sim_fleet: tuple[SimulatedFleet, Fleet], tmp_path: Path
) -> None:
    sim, fleet = sim_fleet
    image = build_firmware_image(tmp_path / "firmimg.d7", target="idrac7", version="2.65.65.65")
    with RedfishClient.for_endpoint(fleet.node("n0").idrac, name="n0", timing=TIMING) as c:
        before = c.firmware_version()
        assert before == "2.60.60.60"
        job = c.install(c.push_image(image), method="dell", install_upon="Now")
        c.follow_job(job)
        after = c.wait_for_idrac_restart(previous_version=before, expected_version="2.65.65.65")
        assert after == "2.65.65.65" == c.identity().firmware_version
    opened = _events(sim, "n0-idrac", "session_opened")
    assert len(opened) >= 2  # a new session after the iDRAC restart
    assert len(_events(sim, "n0-idrac", "idrac_reset")) == 1


@pytest.mark.parametrize("sim_fleet", [ONE_R320], indirect=True)
def test_failed_job_and_vanished_task(
    sim_fleet: tuple[SimulatedFleet, Fleet], tmp_path: Path
) -> None:
    sim, fleet = sim_fleet
    dev: Any = sim.device("n0-idrac")
    dup = _bios_dup(tmp_path)
    with RedfishClient.for_endpoint(fleet.node("n0").idrac, name="n0", timing=TIMING) as c:
        dev.set_fault("task-vanish")
        job = c.install(c.push_image(dup))
        st = c.follow_job(job, stop_on={"Scheduled"})
        assert st.scheduled and st.source == "dell-jobs"  # the Task was gone: Jobs collection
        assert c.clear_job_queue() >= 1  # 12G: one DELETE per job
        assert c.list_jobs() == ()
        dev.clear_faults()
        dev.set_fault("job-fail", "RED007")
        job = c.install(c.push_image(_bios_dup(tmp_path, "2.9.1")))
        c.follow_job(job, stop_on={"Scheduled"})
        c.restart_host()
        with pytest.raises(JobFailedError) as info:
            c.follow_job(job)
        assert info.value.message_id == "RED007"


ONE_R640 = FleetSpec(standalone=(
    _node("n9", "r640-idrac9-4.40", features={"task_retention_seconds": 0.0}),))


@pytest.mark.parametrize("sim_fleet", [ONE_R640], indirect=True)
def test_idrac9_update_completes_when_the_task_vanishes_on_completion(
    sim_fleet: tuple[SimulatedFleet, Fleet], tmp_path: Path
) -> None:
    """iDRAC9 purges a finished Task (here at once): the client decides on the Dell job."""
    sim, fleet = sim_fleet
    comp = SoftwareComponent(
        path="BIOS_R640_WN64_2.13.0.EXE", vendor_version="2.13.0", reboot_required=True,
        name="BIOS", component_type="BIOS", devices=(SupportedDevice("159"),),
        systems=(SupportedSystem("PE", "0716", "R640"),), package_type=PackageType.LW64,
    )
    dup = build_exe_dup(tmp_path / comp.path, comp, default_payload(comp))
    with RedfishClient.for_endpoint(fleet.node("n9").idrac, name="n9", timing=TIMING) as c:
        job = c.install(c.push_image(dup))
        st = c.follow_job(job, stop_on={"Scheduled"})
        assert st.scheduled and st.source == "task"  # unfinished: the Task is still there
        c.restart_host()
        done = c.follow_job(job)
        assert done.succeeded and done.state == "Completed" and "RED001" in done.message_ids
        assert done.source == "dell-jobs"
        bios = [x for x in c.inventory().components if x.component_id == "159"]
        assert ("Installed", "2.13.0") in {(x.state, x.version) for x in bios}
    purged = _events(sim, "n9-idrac", "task_purged")
    assert [p["job"] for p in purged] == [job.jid]


def _login(dev: Any, sim: SimulatedFleet) -> requests.Response:
    return requests.post(
        dev.url + "/redfish/v1/Sessions",
        json={"UserName": "root", "Password": "calvin"},
        verify=str(sim.ca_bundle),
        timeout=5,
    )


@pytest.mark.parametrize("sim_fleet", [ONE_R320], indirect=True)
def test_session_cap_falls_back_to_basic(sim_fleet: tuple[SimulatedFleet, Fleet]) -> None:
    sim, fleet = sim_fleet
    dev: Any = sim.device("n0-idrac")
    held = []
    for _ in range(20):  # bounded: fill the cap, whatever it is
        r = _login(dev, sim)
        if r.status_code != 201:
            break
        held.append(r.headers["Location"])
    assert held and r.status_code == 503 and "RAC0218" in r.text
    with RedfishClient.for_endpoint(fleet.node("n0").idrac, name="n0", timing=TIMING) as c:
        inv = c.inventory()
        assert c.transport.auth_used == "basic" and c.transport.session_refused
    assert inv.ok
    before = len(_events(sim, "n0-idrac", "session_opened"))
    assert before == len(held)  # the client took no session slot


@pytest.mark.parametrize("sim_fleet", [ONE_R320], indirect=True)
def test_busy_answers_are_retried(sim_fleet: tuple[SimulatedFleet, Fleet]) -> None:
    sim, fleet = sim_fleet
    dev: Any = sim.device("n0-idrac")
    with RedfishClient.for_endpoint(fleet.node("n0").idrac, name="n0", timing=TIMING) as c:
        dev.set_fault("busy", 2)
        assert c.firmware_version() == "2.60.60.60"  # 503, 503, then the answer
        # chaos 3031/x3/9: a busy iDRAC is waited out past `get_attempts` (busy_attempts)
        dev.set_fault("busy", TIMING.busy_attempts - 1)
        assert c.firmware_version() == "2.60.60.60"
        dev.set_fault("busy", TIMING.busy_attempts)
        with pytest.raises(DeviceBusyError):
            c.firmware_version()


PAIR = FleetSpec(
    pairs=(PairSpec("p1", (_node("lb-a", "r320-idrac7-2.65"), _node("lb-b", "r320-idrac7-2.65"))),),
    standalone=(_node("lab", "r640-idrac9-4.40"),),
)


@pytest.mark.parametrize("sim_fleet", [PAIR], indirect=True)
def test_cli_inventory_with_unreachable_node(
    sim_fleet: tuple[SimulatedFleet, Fleet], cli: Any, tmp_path: Path
) -> None:
    sim, fleet = sim_fleet
    assert fleet.source is not None
    sim.device("lb-b-idrac").transport_faults.drop_next = 10_000  # every connection dropped
    out = tmp_path / "inv.json"
    r = cli("inventory", str(fleet.source), "-f", "json", "--out", str(out), "--time-scale", "1000")
    assert r.code == 3, r
    doc = json.loads(r.out)
    by = {n["name"]: n for n in doc["nodes"]}
    assert list(by) == ["lb-a", "lb-b", "lab"]
    assert by["lb-a"]["errors"] == [] and by["lb-a"]["pair"] == "p1"
    assert by["lb-a"]["idrac"]["generation"] == "iDRAC7"
    assert by["lab"]["idrac"]["generation"] == "iDRAC9" and by["lab"]["pair"] is None
    bad = by["lb-b"]
    assert bad["errors"] and "cannot talk to the iDRAC" in bad["errors"][0]
    assert bad["idrac"]["address"] == sim.device("lb-b-idrac").url
    assert bad["components"] == []
    assert "fwupdate: lb-b:" in r.err
    saved = load_inventory(out)
    assert [n.name for n in saved] == ["lb-a", "lb-b", "lab"] and not saved[1].ok
    # table and CSV still work for the same fleet
    sim.device("lb-b-idrac").transport_faults.drop_next = 0
    r = cli("inventory", str(fleet.source), "--time-scale", "1000")
    assert r.code == 0 and "lb-b" in r.out and "iDRAC9" in r.out


@pytest.mark.parametrize("sim_fleet", [ONE_R320], indirect=True)
def test_cli_adhoc_with_pinned_fingerprint(
    sim_fleet: tuple[SimulatedFleet, Fleet], cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, _ = sim_fleet
    dev: Any = sim.device("n0-idrac")
    monkeypatch.setenv("SIM_IDRAC_PW", "calvin")
    args = ("inventory", "--idrac", dev.url, "--password-env", "SIM_IDRAC_PW", "-f", "json")
    r = cli(*args, "--fingerprint", dev.fingerprint)
    assert r.code == 0, r
    assert json.loads(r.out)["nodes"][0]["idrac"]["firmware_version"] == "2.60.60.60"
    r = cli(*args, "--fingerprint", "0" * 64, "--time-scale", "1000")
    assert r.code == 1 and "pinned SHA-256 fingerprint" in r.err
    r = cli(*args, "--time-scale", "1000")  # no CA given: the system store does not know it
    assert r.code == 1 and "did not verify" in r.err


def test_unsupported_action_on_12g_is_mapped(tmp_path: Path) -> None:
    spec = FleetSpec(standalone=(_node("n0", "r320-idrac7-2.65"),))
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=SCALE) as sim:
        fleet = load_fleet(sim.write_fleet_file(tmp_path / "fleet.toml"))
        with RedfishClient.for_endpoint(fleet.node("n0").idrac, timing=TIMING) as c:
            target = "/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellJobService/Actions/"
            with pytest.raises(UnsupportedOperationError) as info:
                c.transport.post(target + "DellJobService.DeleteJobQueue", {"JobID": "x"}, step="q")
    assert info.value.message_id == "SYS402" and "HTTP 405" in str(info.value)


@pytest.mark.parametrize("sim_fleet", [ONE_R320], indirect=True)
def test_connection_dropped_at_login_does_not_poison_the_client(
    sim_fleet: tuple[SimulatedFleet, Fleet],
) -> None:
    """Issue 11 defect 7: the simulator's drop fault hits the session POST; the next call logs
    in again instead of sending requests without credentials (read as "refused ... 401")."""
    sim, fleet = sim_fleet
    faults = sim.device("n0-idrac").transport_faults
    faults._count = 0
    faults.drop_every = 2  # request 1 (service root) answered, request 2 (the login) dropped
    c = RedfishClient.for_endpoint(fleet.node("n0").idrac, name="n0", timing=TIMING)
    try:
        with pytest.raises(DeviceUnreachableError) as info:
            c.open()
        assert info.value.step == "login"
        faults.drop_every = 0
        assert c.firmware_version() == "2.60.60.60"
        assert c.transport.auth_used == "session"
    finally:
        c.close()
    assert len(_events(sim, "n0-idrac", "session_opened")) == 1
