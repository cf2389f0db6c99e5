"""Update flows: 12G push + SimpleUpdate + host reboot, direct updates, iDRAC image updates with
their outage, rejected packages, stepping stones, iDRAC9 multipart and pull."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from idrac_support import (
    FAST,
    Rf,
    bare_image,
    bin_dup,
    error_ids,
    exe_dup,
    idrac_dup,
    node,
    wait_for,
)

from fwupdate.sim.bus import host_topic
from fwupdate.sim.idrac.model import Rejected
from fwupdate.sim.idrac.stepping import refused_jump

INV = "/redfish/v1/UpdateService/FirmwareInventory"
SIMPLE = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
INSTALL = "/redfish/v1/UpdateService/Actions/Oem/DellUpdateService.Install"
RESET = "/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset"


def _jid(resp: requests.Response) -> str:
    assert resp.status_code == 202, resp.text
    m = re.fullmatch(r"/redfish/v1/TaskService/Tasks/(JID_\d{12})", resp.headers["Location"])
    assert m, resp.headers["Location"]
    return m.group(1)


def test_12g_push_simpleupdate_reboot(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    rf = Rf(sim, "i1")
    bus_events: list[tuple[str, dict[str, object]]] = []
    sim.ctx.bus.subscribe(host_topic("node-i1"), lambda e, d: bus_events.append((e, d)))
    dup = exe_dup(tmp_path, "159", "2.9.0", name="BIOS_2MJPD_WN32_2.9.0.EXE")

    assert rf.push(dup, etag=None).status_code == 412  # If-Match required
    assert rf.push(dup, etag="0123456789abcdef0123456789abcdef").status_code == 412  # stale
    r = rf.push(dup)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{INV}/Available-159-2.9.0"
    assert r.json()["Id"] == "Available-159-2.9.0"
    assert "Package successfully downloaded" in r.text
    assert "Available-159-2.9.0" in rf.inventory_ids()

    jid = _jid(rf.post(SIMPLE, json={"ImageURI": r.headers["Location"]}))
    job = rf.wait_job(jid, "Scheduled")
    assert job["MessageId"] == "JCP001" and job["Name"] == "Firmware Update: BIOS"
    task = rf.get(f"/redfish/v1/TaskService/Tasks/{jid}").json()
    assert task["TaskState"] == "Starting" and task["Oem"]["Dell"]["JobState"] == "Scheduled"
    assert task["Messages"][0]["MessageId"] == "IDRAC.1.6.JCP001"

    assert rf.post(RESET, json={"ResetType": "GracefulRestart"}).status_code == 400  # 12G
    assert rf.post(RESET, json={"ResetType": "ForceRestart"}).status_code == 204
    assert not rf.state.lc_status().ready  # POSTing into LC
    done = rf.wait_job(jid, "Completed")
    states = [e["state"] for e in sim.events.records(device="i1", event="job_state")]
    assert states == ["Downloaded", "Scheduled", "Running", "Completed"]
    (power,) = sim.events.records(device="i1", event="host_power")
    assert power["jobs"] == [jid]  # run by LC during that reboot
    assert done["MessageId"] == "RED001" and done["PercentComplete"] == 100
    ids = rf.inventory_ids()
    assert "Installed-159-2.9.0" in ids and "Previous-159-2.4.2" in ids
    assert "Available-159-2.9.0" not in ids
    system = rf.get("/redfish/v1/Systems/System.Embedded.1").json()
    assert system["BiosVersion"] == "2.9.0"
    wait_for(lambda: rf.state.lc_status().ready, what="host out of POST")
    assert bus_events and bus_events[0][0] == "reset"
    assert float(bus_events[0][1]["boot_seconds"]) > FAST["post_seconds"]  # type: ignore[arg-type]
    flashed = sim.events.records(device="i1", event="flashed")
    assert [(e["component"], e["from_version"], e["to_version"]) for e in flashed] == [
        ("bios", "2.4.2", "2.9.0")
    ]
    assert [e["event"] for e in sim.events.records(device="i1", event="upload")] == ["upload"]
    assert [e["job"] for e in sim.events.records(device="i1", event="job_created")] == [jid]
    (target,) = sim.events.records(device="i1", event="job_target")
    assert (target["component"], target["to_version"]) == ("bios", "2.9.0")


def test_dell_install_now_and_reboot_and_direct_update(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r630-idrac8-2.75", timings=FAST))
    rf = Rf(sim, "i1")
    nic = rf.push(exe_dup(tmp_path, "101556", "18.5.18", systems=("0601",)))
    assert nic.status_code == 201, nic.text
    body = {"SoftwareIdentityURIs": [nic.headers["Location"]], "InstallUpon": "NowAndReboot"}
    jid = _jid(rf.post(INSTALL, json=body))
    rf.wait_job(jid, "Completed")  # the host reboots by itself
    assert rf.state.component_version("nic") == "18.5.18"
    diags = rf.push(exe_dup(tmp_path, "25806", "4301A16", systems=("0601",)))
    jid2 = _jid(
        rf.post(
            INSTALL,
            json={"SoftwareIdentityURIs": [diags.headers["Location"]], "InstallUpon": "Now"},
        )
    )
    rf.wait_job(jid2, "Completed")  # RebootType NONE: no host reboot needed
    assert rf.state.component_version("diagnostics") == "4301A16"
    resets = [e for e in sim.events.records(device="i1", event="host_power")]
    assert len(resets) == 1  # only the NIC's reboot
    r = rf.post(INSTALL, json={"SoftwareIdentityURIs": ["a", "b"], "InstallUpon": "Now"})
    assert r.status_code == 400 and error_ids(r)[0].endswith("SYS442")


def test_idrac_update_outage_sessions_and_new_version(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # room to look at the Completed job before the iDRAC resets, and at the outage itself
    timings = {**FAST, "idrac_reset_delay_seconds": 300.0, "idrac_update_outage_seconds": 800.0}
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", idrac="2.61.60.60", timings=timings))
    rf = Rf(sim, "i1")
    login = rf.anon.post(
        rf.url + "/redfish/v1/Sessions", json={"UserName": "root", "Password": "calvin"}, timeout=10
    )
    token = login.headers["X-Auth-Token"]
    pushed = rf.push(idrac_dup(tmp_path, "2.65.65.65"))
    assert pushed.headers["Location"].endswith("Available-25227-2.65.65.65")
    jid = _jid(rf.post(SIMPLE, json={"ImageURI": pushed.headers["Location"]}))
    job = rf.wait_job(jid, "Completed")
    assert job["Name"] == "Firmware Update: iDRAC with Lifecycle Controller"
    wait_for(lambda: not rf.state.reachable(), what="iDRAC down")
    with pytest.raises(requests.exceptions.ConnectionError):
        rf.get("/redfish/v1")
    wait_for(rf.state.reachable, what="iDRAC back")
    mgr = rf.get("/redfish/v1/Managers/iDRAC.Embedded.1").json()
    assert mgr["FirmwareVersion"] == "2.65.65.65"
    assert "Previous-25227-2.61.60.60" in rf.inventory_ids()
    stale = rf.anon.get(rf.url + "/redfish/v1/Systems", headers={"X-Auth-Token": token}, timeout=10)
    assert stale.status_code == 401  # sessions died with the reset
    assert rf.get(f"/redfish/v1/TaskService/Tasks/{jid}").status_code == 404  # tasks purged
    assert rf.job(jid)["JobState"] == "Completed"  # the Dell job queue keeps it
    reach = [e["reachable"] for e in sim.events.records(device="i1", event="reachability")]
    assert reach == [False, True]


def test_bootstrap_2_50_gains_redfish_update(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.50", timings=FAST))
    rf = Rf(sim, "i1")
    assert "UpdateService" not in rf.get("/redfish/v1").json()
    job = rf.state.install_image(idrac_dup(tmp_path, "2.65.65.65"), "idrac.EXE", source="wsman")
    wait_for(
        lambda: rf.state.firmware_version == "2.65.65.65" and rf.state.reachable(),
        what="iDRAC updated and back",
    )
    assert rf.state.job(job.id).state == "Completed"
    root = rf.get("/redfish/v1").json()
    assert root["RedfishVersion"] == "1.4.0" and "UpdateService" in root
    assert rf.get(INV).status_code == 200


def test_linux_bin_and_foreign_packages_rejected(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65"), node("i9", "r640-idrac9-4.40"))
    rf, rf9 = Rf(sim, "i1"), Rf(sim, "i9")
    r = rf.push(bin_dup(tmp_path, "159", "2.9.0"))
    assert r.status_code == 400 and error_ids(r) == ["IDRAC.1.6.RED008"]
    assert ".BIN" in r.json()["error"]["@Message.ExtendedInfo"][0]["Message"]
    r = rf.push(exe_dup(tmp_path, "159", "2.9.0", systems=("04CE",)))  # an R620 BIOS
    assert r.status_code == 400 and error_ids(r)[0].endswith("SUP0518")
    assert (
        rf.push(bare_image(tmp_path, "4.40.10.00", target="idrac9", name="firmimg.d9")).status_code
        == 400
    )  # .d9 only on iDRAC9
    assert rf9.push(bare_image(tmp_path, "2.65.65.65")).status_code == 400  # .d7 not on 9
    ok = rf.push(bare_image(tmp_path, "2.65.65.65"))
    assert ok.status_code == 201 and ok.json()["Id"] == "Available-25227-2.65.65.65"
    rejected = sim.events.records(device="i1", event="upload_rejected")
    assert len(rejected) == 3


@pytest.mark.parametrize(
    ("current", "target", "refused"),
    [
        ("1.57.57", "1.66.65", False),
        ("1.57.57", "2.10.10.10", True),
        ("1.57.57", "2.65.65.65", True),
        ("1.66.65", "2.10.10.10", False),
        ("1.66.65", "2.20.20.20", False),
        ("1.66.65", "2.65.65.65", True),
        ("2.10.10.10", "2.65.65.65", False),
        ("2.20.20.20", "2.65.65.65", False),
        ("2.65.65.65", "1.66.65", False),  # downgrades are not this rule's business
    ],
)
def test_stepping_stone_rule_table(current: str, target: str, refused: bool) -> None:
    assert (refused_jump(7, current, target) is not None) == refused
    assert refused_jump(8, current, target) is None


def test_stepping_stone_refused_with_red007(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-1.57", timings=FAST))
    st = Rf(sim, "i1").state
    job = st.install_image(idrac_dup(tmp_path, "2.65.65.65"), "i.EXE", source="wsman")
    done = wait_for(lambda: (j := st.job(job.id)).terminal and j, what="job end")
    assert (done.state, done.message_id) == ("Failed", "RED007")
    assert done.message == "Unable to verify Update Package signature."
    assert st.firmware_version == "1.57.57" and st.reachable()
    ok = st.install_image(bare_image(tmp_path, "1.66.65"), "firmimg.d7", source="wsman")
    wait_for(lambda: st.firmware_version == "1.66.65", what="1.66.65 installed")
    assert st.job(ok.id).state == "Completed"


def test_duplicate_job_refused_and_job_delete(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    rf = Rf(sim, "i1")
    loc = rf.push(exe_dup(tmp_path, "159", "2.9.0")).headers["Location"]
    jid = _jid(rf.post(SIMPLE, json={"ImageURI": loc}))
    again = rf.post(SIMPLE, json={"ImageURI": loc})
    assert again.status_code == 400 and error_ids(again)[0].endswith("RED014")
    rf.wait_job(jid, "Scheduled")
    assert rf.delete(f"/redfish/v1/Managers/iDRAC.Embedded.1/Jobs/{jid}").status_code == 200
    assert rf.get(f"/redfish/v1/Managers/iDRAC.Embedded.1/Jobs/{jid}").status_code == 404
    assert rf.delete("/redfish/v1/Managers/iDRAC.Embedded.1/Jobs/JID_CLEARALL").status_code == 400
    r = rf.post(SIMPLE, json={"ImageURI": "http://127.0.0.1:1/x.EXE"})
    assert r.status_code == 400  # no pull on 12G


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "share"
    root.mkdir()
    handler = partial(_QuietHandler, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


def test_idrac9_multipart_pull_and_queue(make_idrac_sim, tmp_path: Path, file_server) -> None:  # type: ignore[no-untyped-def]
    base, share = file_server
    sim = make_idrac_sim(
        node("i9", "r640-idrac9-4.40", timings={**FAST, "clear_queue_seconds": 400.0})
    )
    rf = Rf(sim, "i9")
    dup = exe_dup(tmp_path, "159", "2.12.2", systems=("0716",))
    with dup.open("rb") as f:
        r = rf.post(
            "/redfish/v1/UpdateService/MultipartUpload",
            files={
                "UpdateParameters": (
                    None,
                    '{"Targets": [], "@Redfish.OperationApplyTime": "OnReset"}',
                    "application/json",
                ),
                "UpdateFile": (dup.name, f, "application/octet-stream"),
            },
        )
    bios_jid = _jid(r)
    rf.wait_job(bios_jid, "Scheduled")
    nic = exe_dup(share, "108255", "22.00.6", systems=("0716",))
    r = rf.post(SIMPLE, json={"ImageURI": f"{base}/{nic.name}", "TransferProtocol": "HTTP"})
    nic_jid = _jid(r)
    rf.wait_job(nic_jid, "Scheduled")
    created = sim.events.records(device="i9", event="job_created")
    assert [e["job"] for e in created].count(nic_jid) == 1
    assert rf.state.component_version("nic") == "21.60.22.11"  # staged, not yet applied
    assert rf.get(f"/redfish/v1/JobService/Jobs/{nic_jid}").json()["JobState"] == "Starting"
    bad = rf.post(SIMPLE, json={"ImageURI": f"{base}/missing.EXE", "TransferProtocol": "HTTP"})
    failed = rf.wait_job(_jid(bad), "Failed")
    assert failed["MessageId"] == "RED006"
    r = rf.post(SIMPLE, json={"ImageURI": f"{base}/x.EXE", "TransferProtocol": "HTTPS"})
    assert r.status_code == 400  # HTTPS pull arrives with 5.00
    r = rf.post(
        SIMPLE, json={"ImageURI": f"{base}/x.EXE", "@Redfish.OperationApplyTime": "OnReset"}
    )
    assert r.status_code == 400  # OperationApplyTime arrives with 5.00
    mgr = rf.get("/redfish/v1/Managers/iDRAC.Embedded.1").json()
    svc = mgr["Links"]["Oem"]["Dell"]["DellJobService"]["@odata.id"]
    r = rf.post(f"{svc}/Actions/DellJobService.DeleteJobQueue", json={"JobID": "JID_CLEARALL"})
    assert r.status_code == 200 and rf.state.jobs == {}
    assert rf.state.lc_status().lc_status == "ReloadingData"
    wait_for(lambda: rf.state.lc_status().ready, what="LC ready after the clear")


def test_state_api_errors(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65"))
    st = Rf(sim, "i1").state
    with pytest.raises(Rejected) as exc:
        st.install_available("Available-159-9.9.9", source="test")
    assert exc.value.message_id == "SUP024"
    with pytest.raises(Rejected) as exc:
        st.delete_job("JID_000000000000")
    assert exc.value.message_id == "SUP011"
    with pytest.raises(Rejected) as exc:
        st.install_from_uri("http://192.0.2.1/x.EXE", source="test")
    assert exc.value.message_id == "RED005"  # the simulator only pulls from loopback


def test_idrac9_5_https_pull_with_immediate_apply(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i9", "r640-idrac9-5.10", timings=FAST))
    rf = Rf(sim, "i9")
    share = tmp_path / "share"
    share.mkdir()
    dup = exe_dup(share, "159", "2.12.2", systems=("0716",))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(share)))
    ctx = sim.ctx.ca.issue("files").server_context()
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        uri = f"https://127.0.0.1:{httpd.server_address[1]}/{dup.name}"
        body = {"ImageURI": uri, "TransferProtocol": "HTTPS",
                "@Redfish.OperationApplyTime": "Immediate"}  # fmt: skip
        jid = _jid(rf.post(SIMPLE, json=body))
        rf.wait_job(jid, "Completed")  # Immediate: the iDRAC reboots the host itself
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert rf.state.component_version("bios") == "2.12.2"
    assert len(sim.events.records(device="i9", event="host_power")) == 1
