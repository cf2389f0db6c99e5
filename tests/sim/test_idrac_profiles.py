"""Every simulated iDRAC profile: identity, inventory and the generation/version differences."""

from __future__ import annotations

import pytest
from idrac_support import FAST, Rf, error_ids, node

from fwupdate.sim.idrac.profiles import PROFILES, get_profile
from fwupdate.sim.idrac.state import IdracState

REDFISH = {
    "r320-idrac7-2.65": ("12G Monolithic", "2.65.65.65", "1.4.0", "iDRAC/8"),
    "r320-idrac7-2.50": ("12G Monolithic", "2.50.50.50", "1.0.2", "Appweb/4.5.4"),
    "r630-idrac8-2.75": ("13G Monolithic", "2.75.75.75", "1.4.0", "iDRAC/8"),
    "r640-idrac9-4.40": ("14G Monolithic", "4.40.00.00", "1.9.0", "Apache"),
    "r640-idrac9-5.10": ("14G Monolithic", "5.10.00.00", "1.11.0", "Apache"),
}


def test_profile_table_is_complete() -> None:
    assert set(REDFISH) | {"r320-idrac7-1.57"} == set(PROFILES)
    with pytest.raises(KeyError, match="unknown iDRAC profile"):
        get_profile("r999")


@pytest.mark.parametrize("profile", sorted(REDFISH))
def test_identity_and_inventory(make_idrac_sim, profile: str) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", profile))
    rf = Rf(sim, "i1")
    model, fw, rf_version, server = REDFISH[profile]
    gen9 = model.startswith("14G")

    root = rf.get("/redfish/v1")
    assert root.status_code == 200 and root.headers["Server"] == server
    body = root.json()
    assert body["RedfishVersion"] == rf_version
    assert body["@odata.id"] == "/redfish/v1" and body["@odata.type"].startswith("#ServiceRoot")
    sessions = "/redfish/v1/SessionService/Sessions" if gen9 else "/redfish/v1/Sessions"
    assert body["Links"]["Sessions"]["@odata.id"] == sessions
    assert ("UpdateService" in body) == (profile != "r320-idrac7-2.50")

    mgr = rf.get("/redfish/v1/Managers/iDRAC.Embedded.1").json()
    assert (mgr["Model"], mgr["FirmwareVersion"]) == (model, fw)
    assert mgr["Actions"]["#Manager.Reset"]["ResetType@Redfish.AllowableValues"] == [
        "GracefulRestart"
    ]
    dell_links = mgr["Links"]["Oem"]["Dell"]
    if gen9:
        assert {"DellJobService", "DellLCService", "Jobs"} <= set(dell_links)
    else:
        assert set(dell_links) == {"Jobs"}

    system = rf.get("/redfish/v1/Systems/System.Embedded.1").json()
    st = rf.state.identity()
    assert system["SKU"] == st.service_tag != system["SerialNumber"]
    assert system["Model"] == st.model
    resets = system["Actions"]["#ComputerSystem.Reset"]["ResetType@Redfish.AllowableValues"]
    assert ("GracefulRestart" in resets) == gen9 and ("PowerCycle" in resets) == gen9
    assert ("Oem" in system) == gen9
    if gen9:
        assert system["Oem"]["Dell"]["DellSystem"]["SystemID"] == 0x0716

    if profile == "r320-idrac7-2.50":
        r = rf.get("/redfish/v1/UpdateService/FirmwareInventory")
        assert r.status_code == 400  # no usable update service below 2.60 (bootstrap needed)
        return
    inv = rf.get("/redfish/v1/UpdateService/FirmwareInventory")
    etag = inv.headers["ETag"]
    assert (etag.startswith('"') and etag.endswith('"')) == gen9
    ids = rf.inventory_ids()
    assert inv.json()["Members@odata.count"] == len(ids)
    idrac_id = f"Installed-25227-{fw}" + ("__iDRAC.Embedded.1-1" if gen9 else "")
    assert idrac_id in ids
    assert any(i.startswith("Previous-25227-") for i in ids)
    assert any(i.startswith("Installed-0-") for i in ids)
    assert all(("__" in i) == gen9 for i in ids)
    member = rf.get(f"/redfish/v1/UpdateService/FirmwareInventory/{idrac_id}").json()
    assert member["SoftwareId"] == "25227" and member["Version"] == fw
    assert ("Oem" in member) == gen9


def test_r320_starts_old_and_matches_the_catalog_ids(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65"))
    ids = Rf(sim, "i1").inventory_ids()
    for expected in (
        "Installed-159-2.4.2",
        "Installed-25806-4239A29",
        "Installed-18981-14.10.11",
        "Installed-103014-7.4.8",
        "Installed-105108-20.12.1-0002",
        "Installed-11204-1.00",
        "Installed-0-GA0E",
        "Previous-25227-2.20.20.20",
    ):
        assert expected in ids


def test_no_redfish_below_2_40(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(
        node("old", "r320-idrac7-1.57"), node("ovr", "r320-idrac7-2.65", idrac="1.57.57")
    )
    for name in ("old", "ovr"):
        rf = Rf(sim, name)
        assert rf.get("/redfish/v1").status_code == 404
        assert rf.state.firmware_version == "1.57.57"


def test_component_override_and_unknown_option(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", bios="2.1.0"))
    rf = Rf(sim, "i1")
    assert rf.get("/redfish/v1/Systems/System.Embedded.1").json()["BiosVersion"] == "2.1.0"
    with pytest.raises(ValueError, match="unknown iDRAC option"):
        IdracState("x", sim.ctx, "r320-idrac7-2.65", options={"biso": "1"})


def test_12g_quirks(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65"))
    rf = Rf(sim, "i1")
    assert rf.get("/redfish/v1/SessionService/Sessions").status_code == 400
    r = rf.post(
        "/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellJobService/Actions/"
        "DellJobService.DeleteJobQueue",
        json={"JobID": "JID_CLEARALL"},
    )
    assert r.status_code == 405 and error_ids(r) == ["IDRAC.1.6.SYS402"]
    r = rf.get("/redfish/v1/UpdateService/FirmwareInventory?$expand=*($levels=1)")
    assert (
        r.status_code == 500
        and "LICENSE" in r.json()["error"]["@Message.ExtendedInfo"][0]["Message"]
    )
    r = rf.get("/redfish/v1/Nope")
    err = r.json()["error"]
    assert r.status_code == 404 and err["code"] == "Base.1.0.GeneralError"
    info = err["@Message.ExtendedInfo"][0]
    assert {"MessageId", "Message", "Severity", "Resolution"} <= set(info)
    upd = rf.get("/redfish/v1/UpdateService").json()
    assert "HttpPushUri" not in upd and "MultipartHttpPushUri" not in upd
    assert (
        "TransferProtocol@Redfish.AllowableValues"
        not in upd["Actions"]["#UpdateService.SimpleUpdate"]
    )


def test_idrac9_oem_services_and_expand(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i9", "r640-idrac9-4.40", timings=FAST))
    rf = Rf(sim, "i9")
    r = rf.get("/redfish/v1/UpdateService/FirmwareInventory?$expand=*($levels=1)")
    assert r.status_code == 200 and r.json()["Members"][0]["Oem"]["Dell"]
    upd = rf.get("/redfish/v1/UpdateService").json()
    assert upd["Actions"]["#UpdateService.SimpleUpdate"][
        "TransferProtocol@Redfish.AllowableValues"
    ] == ["HTTP"]
    assert upd["MultipartHttpPushUri"] == "/redfish/v1/UpdateService/MultipartUpload"
    mgr = rf.get("/redfish/v1/Managers/iDRAC.Embedded.1").json()
    lc = mgr["Links"]["Oem"]["Dell"]["DellLCService"]["@odata.id"]
    r = rf.post(f"{lc}/Actions/DellLCService.GetRemoteServicesAPIStatus", json={})
    assert r.status_code == 200 and r.json()["LCStatus"] == "Ready"
    # iDRAC9 links DellSoftwareInstallationService from the System, not from the Manager.
    assert "DellSoftwareInstallationService" not in mgr["Links"]["Oem"]["Dell"]
    system = rf.get("/redfish/v1/Systems/System.Embedded.1").json()
    sis = system["Links"]["Oem"]["Dell"]["DellSoftwareInstallationService"]["@odata.id"]
    assert sis == "/redfish/v1/Systems/System.Embedded.1/Oem/Dell/DellSoftwareInstallationService"
    r = rf.post(f"{sis}/Actions/DellSoftwareInstallationService.GetRepoBasedUpdateList", json={})
    assert r.status_code == 400 and error_ids(r)[0].endswith("SUP028")
    r = rf.post(f"{sis}/Actions/DellSoftwareInstallationService.InstallFromRepository", json={})
    assert r.status_code == 400 and "IPAddress" in r.text  # simulated now: docs/delivery.md
    assert rf.get("/redfish/v1/JobService/Jobs").status_code == 200


def test_every_simulated_machine_has_its_own_service_tag(make_idrac_sim, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The executor tells nodes apart by service tag (issue 11 defect 3): the simulator gives
    each iDRAC a distinct one (derived from its name) and refuses a fleet with two equal ones."""
    profiles = ["r320-idrac7-2.65", "r320-idrac7-1.57", "r640-idrac9-4.40"]
    sim = make_idrac_sim(*(node(f"i{k}", profiles[k % 3], timings=FAST) for k in range(12)))
    tags = [sim.device(f"i{k}").service_tag for k in range(12)]
    assert len(set(tags)) == 12 and all(t and len(t) == 7 for t in tags)
    assert Rf(sim, "i0").get("/redfish/v1/Systems/System.Embedded.1").json()["SKU"] == tags[0]
    with pytest.raises(ValueError, match="same service tag 'ABC1234'"):
        make_idrac_sim(node("x1", "r320-idrac7-2.65", service_tag="ABC1234"),
                       node("x2", "r320-idrac7-2.65", service_tag="ABC1234"))
