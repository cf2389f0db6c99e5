"""Device state: save/load as JSON, host power and LC readiness, reboot jobs (WS-Man path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from idrac_support import FAST, Rf, exe_dup, node, wait_for

from fwupdate.sim.bus import host_topic
from fwupdate.sim.idrac.jobs import Job


def test_save_and_load(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    st = Rf(sim, "i1").state
    job = st.install_image(exe_dup(tmp_path, "25806", "4247A1"), "diag.EXE", source="wsman")
    wait_for(lambda: st.job(job.id).state == "Completed", what="diagnostics updated")
    pending = st.install_image(
        exe_dup(tmp_path, "159", "2.9.0"), "bios.EXE", source="wsman", auto_schedule=True
    )
    wait_for(lambda: st.job(pending.id).state == "Scheduled", what="bios scheduled")
    saved = st.save(tmp_path / "state" / "i1.json")
    data = json.loads(saved.read_text())
    assert data["components"]["diagnostics"]["version"] == "4247A1"

    again = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    st2 = Rf(again, "i1").state
    assert st2.component_version("diagnostics") == "4239A29"
    st2.load(saved)
    assert st2.component_version("diagnostics") == "4247A1"
    assert st2.job(pending.id).state == "Scheduled"
    assert "Available-159-2.9.0" in [i.id for i in st2.inventory()]
    running = Job.from_json({**st2.job(pending.id).to_json(), "state": "Running"})
    st2.from_json({**st2.to_json(), "jobs": [running.to_json()]})
    assert st2.job(pending.id).state == "Failed"  # a job cut off by a restart fails
    with pytest.raises(ValueError, match="r640"):
        st2.from_json({**data, "hardware": "r640"})


def test_host_power_lc_status_and_bus(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings={**FAST, "post_seconds": 400.0}))
    rf = Rf(sim, "i1")
    seen: list[str] = []
    sim.ctx.bus.subscribe(host_topic("node-i1"), lambda e, d: seen.append(e))
    reset = "/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset"
    assert rf.post(reset, json={"ResetType": "ForceOff"}).status_code == 204
    system = rf.get("/redfish/v1/Systems/System.Embedded.1").json()
    assert system["PowerState"] == "Off"
    assert rf.state.lc_status().server_status == "PoweredOff"
    assert rf.post(reset, json={"ResetType": "On"}).status_code == 204
    lc = rf.state.lc_status()
    assert lc.server_status in ("InPOST", "CollectingSystemInventory") and not lc.ready
    assert lc.codes()["Status"] == 1 and lc.message_id == "LC060"
    wait_for(lambda: rf.state.lc_status().ready, what="out of POST")
    assert rf.post(reset, json={"ResetType": "GracefulShutdown"}).status_code == 204
    wait_for(lambda: rf.state.power_state == "Off", what="graceful shutdown")
    assert seen == ["off", "on", "off"]
    bad = rf.post(reset, json={"ResetType": "PowerCycle"})
    assert bad.status_code == 400  # not on 12G


def test_wsman_style_reboot_job(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    st = Rf(sim, "i1").state
    job = st.install_image(exe_dup(tmp_path, "105108", "20.13.3-0001"), "raid.EXE", source="wsman")
    wait_for(lambda: st.job(job.id).state == "Downloaded", what="downloaded")
    rid = st.create_reboot_job(1)
    assert rid.id.startswith("RID_") and rid.state == "RebootPending"
    st.setup_job_queue([rid.id, job.id])
    wait_for(lambda: st.job(job.id).state == "Completed", what="raid updated")
    assert st.job(rid.id).state == "RebootCompleted"
    assert st.component_version("raid") == "20.13.3-0001"


def test_reset_to_the_state_the_host_is_in_answers_409_psu501(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    """Like a real iDRAC: On while on, ForceOff / GracefulShutdown while off -> 409 PSU501,
    and nothing happens to the host."""
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    rf = Rf(sim, "i1")
    reset = "/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset"
    seen = len(list(sim.events.records(event="host_power")))
    on = rf.post(reset, json={"ResetType": "On"})
    assert on.status_code == 409
    info = on.json()["error"]["@Message.ExtendedInfo"][0]
    assert info["MessageId"].endswith(".PSU501") and "already powered ON" in info["Message"]
    assert rf.post(reset, json={"ResetType": "ForceOff"}).status_code == 204
    for kind in ("ForceOff", "GracefulShutdown"):
        off = rf.post(reset, json={"ResetType": kind})
        assert off.status_code == 409, kind
        info = off.json()["error"]["@Message.ExtendedInfo"][0]
        assert info["MessageId"].endswith(".PSU501") and "already powered OFF" in info["Message"]
    assert rf.state.power_state == "Off"
    assert len(list(sim.events.records(event="host_power"))) == seen + 1  # the one ForceOff
