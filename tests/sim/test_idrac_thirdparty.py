"""A third-party Redfish client written for real iDRACs (DMTF python-redfish-library) works
against the simulated iDRAC unchanged: session login via Links.Sessions, inventory walk, push."""

from __future__ import annotations

from pathlib import Path

import redfish
from idrac_support import FAST, exe_dup, node, wait_for

from fwupdate.sim.idrac.device import IdracDevice


def test_dmtf_library_inventory_and_push(make_idrac_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65", timings=FAST))
    dev = sim.device("i1")
    assert isinstance(dev, IdracDevice)
    client = redfish.redfish_client(
        base_url=dev.url,
        username="root",
        password="calvin",
        cafile=str(sim.ca_bundle),
        max_retry=1,
    )
    client.login(auth="session")
    try:
        assert len(dev.state.sessions) == 1
        inv = client.get("/redfish/v1/UpdateService/FirmwareInventory")
        assert inv.status == 200
        versions = {}
        for member in inv.dict["Members"]:
            item = client.get(member["@odata.id"])
            if item.dict["Id"].startswith("Installed-"):
                versions[item.dict["SoftwareId"]] = item.dict["Version"]
        assert versions["25227"] == "2.65.65.65" and versions["159"] == "2.4.2"

        dup = exe_dup(tmp_path, "159", "2.9.0")
        resp = client.post(
            "/redfish/v1/UpdateService/FirmwareInventory",
            body={"file": (dup.name, dup.read_bytes(), "application/octet-stream")},
            headers={"Content-Type": "multipart/form-data", "If-Match": inv.getheader("ETag")},
        )
        assert resp.status == 201, resp.text
        task = client.post(
            "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
            body={"ImageURI": resp.getheader("Location")},
        )
        assert task.status == 202
        jid = task.getheader("Location").rsplit("/", 1)[1]
        wait_for(
            lambda: (
                client.get(task.getheader("Location")).dict["Oem"]["Dell"]["JobState"]
                == "Scheduled"
            ),
            what="scheduled",
        )
        assert dev.state.job(jid) is not None
    finally:
        client.logout()
    assert len(dev.state.sessions) == 0
