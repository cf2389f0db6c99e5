"""Helpers for the simulated-iDRAC tests: a tiny Redfish client, bounded waits, DUP builders."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

from fwupdate.catalog.models import (
    PackageType,
    SoftwareComponent,
    SupportedDevice,
    SupportedSystem,
)
from fwupdate.dup.build import build_bin_dup, build_exe_dup, build_firmware_image
from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, SimulatedFleet
from fwupdate.sim.idrac.device import IdracDevice

TIME_SCALE = 1000.0
T = TypeVar("T")

# Timings that keep each flow well under a second at TIME_SCALE (simulated seconds).
FAST = {
    "post_seconds": 100.0,
    "lc_entry_seconds": 20.0,
    "idrac_flash_seconds": 60.0,
    "idrac_update_outage_seconds": 60.0,
    "idrac_reset_outage_seconds": 60.0,
    "lc_reload_seconds": 20.0,
    "lc_first_enable_seconds": 20.0,
}


def wait_for(pred: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Poll `pred` (bounded in time) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def node(name: str, profile: str, **options: Any) -> NodeSpec:
    return NodeSpec(f"node-{name}", DeviceSpec(name, "idrac", profile, options))


def fleet_spec(*nodes: NodeSpec) -> FleetSpec:
    return FleetSpec(standalone=tuple(nodes))


class Rf:
    """Minimal Redfish client on requests, verifying TLS against the simulator's CA."""

    def __init__(self, sim: SimulatedFleet, name: str, auth: tuple[str, str] | None = None):
        dev = sim.device(name)
        assert isinstance(dev, IdracDevice)
        self.dev = dev
        self.url = dev.url
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE must not override the sim CA
        self.http.verify = str(sim.ca_bundle)
        self.http.auth = auth if auth is not None else ("root", "calvin")
        self.anon = requests.Session()  # no credentials at all
        self.anon.trust_env = False
        self.anon.verify = str(sim.ca_bundle)

    @property
    def state(self) -> Any:
        return self.dev.state

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.url + path, timeout=10, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.http.post(self.url + path, timeout=10, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.http.delete(self.url + path, timeout=10, **kw)

    def push(self, file: Path, etag: str | None = "auto") -> requests.Response:
        if etag == "auto":
            etag = self.get("/redfish/v1/UpdateService/FirmwareInventory").headers["ETag"]
        headers = {"If-Match": etag} if etag is not None else {}
        with file.open("rb") as f:
            return self.post(
                "/redfish/v1/UpdateService/FirmwareInventory",
                files={"file": (file.name, f, "multipart/form-data")},
                headers=headers,
            )

    def job(self, jid: str) -> dict[str, Any]:
        r = self.get(f"/redfish/v1/Managers/iDRAC.Embedded.1/Jobs/{jid}")
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data

    def wait_job(self, jid: str, *states: str, timeout: float = 10.0) -> dict[str, Any]:
        return wait_for(
            lambda: (j := self.job(jid))["JobState"] in states and j,
            timeout,
            f"{jid} in {states}",
        )

    def inventory_ids(self) -> list[str]:
        r = self.get("/redfish/v1/UpdateService/FirmwareInventory")
        return [m["@odata.id"].rsplit("/", 1)[1] for m in r.json()["Members"]]


def error_ids(resp: requests.Response) -> list[str]:
    return [i["MessageId"] for i in resp.json()["error"]["@Message.ExtendedInfo"]]


def component(
    cid: str,
    version: str,
    *,
    name: str = "Test component",
    systems: tuple[str, ...] = ("04F7",),
    reboot: bool = True,
    path: str = "X.EXE",
) -> SoftwareComponent:
    return SoftwareComponent(
        path=path,
        package_type=PackageType.LWXP,
        vendor_version=version,
        dell_version="A00",
        reboot_required=reboot,
        name=name,
        component_type="FRMW",
        devices=(SupportedDevice(cid, name),),
        systems=tuple(SupportedSystem("PE", s, "R320") for s in systems),
    )


def exe_dup(
    tmp: Path,
    cid: str,
    version: str,
    *,
    systems: tuple[str, ...] = ("04F7",),
    payload: dict[str, bytes] | None = None,
    name: str | None = None,
) -> Path:
    fname = name or f"Firmware_{cid}_WN32_{version}_A00.EXE"
    comp = component(cid, version, systems=systems, path=fname)
    return build_exe_dup(tmp / fname, comp, payload or {"firmware.bin": b"\0" * 256})


def idrac_dup(tmp: Path, version: str, *, target: str = "idrac7") -> Path:
    from fwupdate.dup.image import default_image_name, make_image_bytes

    image = make_image_bytes(target, version, 4096)
    return exe_dup(
        tmp,
        "25227",
        version,
        systems=("04F7", "0601"),
        payload={default_image_name(target): image},
        name=f"iDRAC-with-Lifecycle-Controller_Firmware_X_WN64_{version}_A00.EXE",
    )


def bin_dup(tmp: Path, cid: str, version: str) -> Path:
    fname = f"Firmware_{cid}_LN_{version}_A00.BIN"
    comp = component(cid, version, path=fname)
    return build_bin_dup(tmp / fname, comp, {"firmware.bin": b"\0" * 64})


def bare_image(
    tmp: Path, version: str, *, target: str = "idrac7", name: str = "firmimg.d7"
) -> Path:
    d = tmp / f"img-{target}-{version}"
    d.mkdir(parents=True, exist_ok=True)
    return build_firmware_image(d / name, target=target, version=version, size=4096)
