"""Virtual media on the simulated iDRAC: Redfish VirtualMedia InsertMedia / EjectMedia, boot once
to the virtual CD, and what a booted Dell update ISO does (idrac-redfish.md §7).

- `…/Managers/iDRAC.Embedded.1/VirtualMedia/{CD,RemovableDisk}` (iDRAC9 3.30-5.x layout).
  InsertMedia `{"Image": "http(s)://…iso", "Inserted": true, "WriteProtected": true}` → 204 after
  a real HEAD of the image; unreachable → 400 RAC0904 (#265).  EjectMedia → 204.
- Device option `virtual_media`: "auto" (default: works on iDRAC9; on iDRAC7/8, whose
  InsertMedia is UNVERIFIED and licence-gated, the collection answers but InsertMedia → 405
  SYS402), "on" (InsertMedia works on 7/8 too: the other answer), "off" (405 everywhere).
- `PATCH /redfish/v1/Systems/System.Embedded.1 {"Boot": {"BootSourceOverrideTarget": "Cd",
  "BootSourceOverrideEnabled": "Once"}}`: `Cd` is the virtual CD only on iDRAC9 ≥ 4.40 (§7.2,
  #90); earlier it boots the (empty) physical drive and nothing happens.
- On the next host power-on/reset with boot-once Cd armed and an image inserted, the host "boots
  the ISO": the simulator fetches the whole image over HTTP(S) (unreachable → event
  `vmedia_boot_failed`, the host falls through to its disk and nothing changes), reads
  `repository/Catalog.xml` with its own ISO 9660 reader, and applies the applicable packages
  like an SUU would: update jobs for every newer package (MD5 checked against the catalog), one
  host reboot so the staged ones run, iDRAC last.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.sim.bus import host_topic
from fwupdate.sim.http import Response
from fwupdate.sim.idrac import iso9660
from fwupdate.sim.idrac import redfish_views as v
from fwupdate.sim.idrac.model import Rejected
from fwupdate.sim.idrac.redfish import Call, RedfishService
from fwupdate.sim.idrac.repo_apply import applicable, stage
from fwupdate.sim.idrac.repository import FETCH_TIMEOUT, fetch_to_file, is_loopback
from fwupdate.sim.idrac.sim_catalog import CatalogProblem, Package, parse_catalog
from fwupdate.sim.idrac.state import IdracState
from fwupdate.sim.idrac.versions import at_least

MAX_ISO = 16 * 1024**3
VM_ROOT = f"{v.MANAGER}/VirtualMedia"
MODES = ("auto", "on", "off")
BOOT_TARGETS = ("None", "Pxe", "Cd", "Floppy", "Hdd", "BiosSetup", "Utilities", "UefiTarget",
                "SDCard", "UefiHttp")


@dataclass
class VmState:
    image: str | None = None
    inserted: bool = False
    boot_target: str = "None"
    boot_enabled: str = "Once"
    subscribed: bool = False
    boots: int = 0


_STATES: weakref.WeakKeyDictionary[IdracState, VmState] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def vm_state(st: IdracState) -> VmState:
    with _LOCK:
        vm = _STATES.get(st)
        if vm is None:
            vm = _STATES[st] = VmState()
        return vm


def mode(st: IdracState) -> str:
    opts = getattr(st, "options", {}) or {}
    value = str(opts.get("virtual_media", "auto")).lower()
    if value not in MODES:
        raise ValueError(f"{st.name}: virtual_media must be one of {', '.join(MODES)}")
    return value


def insert_allowed(st: IdracState) -> bool:
    m = mode(st)
    if m == "off":
        return False
    if m == "on":
        return True
    return st.generation >= 9 and at_least(st.firmware_version, "3.30")


def cd_is_virtual(st: IdracState) -> bool:
    """`BootSourceOverrideTarget: Cd` boots the virtual CD only on iDRAC9 ≥ 4.40 (§7.2)."""
    return st.generation >= 9 and at_least(st.firmware_version, "4.40")


def _probe(url: str) -> None:
    """HEAD the image like the iDRAC does when it attaches it; Rejected RAC0904 otherwise."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        if parts.scheme in ("nfs", "cifs", "smb") or url.startswith("//"):
            raise Rejected("SIM001", "NFS/CIFS images are not simulated")
        raise Rejected("RAC0904", f"unsupported image location {url!r}")
    if not is_loopback(parts.hostname):
        raise Rejected("RAC0904", f"{parts.hostname} is not reachable from the simulator")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    req = urllib.request.Request(url, method="HEAD")  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=FETCH_TIMEOUT, context=ctx):  # noqa: S310
            pass
    except (OSError, ValueError) as exc:
        raise Rejected("RAC0904", f"{url}: {exc}") from None


def insert(st: IdracState, image: str) -> None:
    if not insert_allowed(st):
        raise Rejected(
            "SYS402", "VirtualMedia.InsertMedia is not available on this iDRAC", status=405
        )
    vm = vm_state(st)
    if vm.inserted:
        raise Rejected("VRM0012", "an image is already attached; eject it first")
    _probe(image)
    vm.image, vm.inserted = image, True
    _subscribe(st, vm)
    st.emit("vmedia_inserted", image=image)


def eject(st: IdracState) -> None:
    if not insert_allowed(st):
        raise Rejected(
            "SYS402", "VirtualMedia.EjectMedia is not available on this iDRAC", status=405
        )
    vm = vm_state(st)
    was = vm.image
    vm.image, vm.inserted = None, False
    st.emit("vmedia_ejected", image=was)


def set_boot(st: IdracState, boot: dict[str, Any]) -> None:
    vm = vm_state(st)
    target = boot.get("BootSourceOverrideTarget", vm.boot_target)
    enabled = boot.get("BootSourceOverrideEnabled", vm.boot_enabled)
    if target not in BOOT_TARGETS:
        raise Rejected("ActionParameterValueNotInList", f"BootSourceOverrideTarget={target!r}")
    if enabled not in ("Once", "Continuous", "Disabled"):
        raise Rejected("ActionParameterValueNotInList", f"BootSourceOverrideEnabled={enabled!r}")
    vm.boot_target, vm.boot_enabled = str(target), str(enabled)
    _subscribe(st, vm)
    st.emit("boot_override", target=target, enabled=enabled)


def _subscribe(st: IdracState, vm: VmState) -> None:
    with _LOCK:
        if vm.subscribed:
            return
        vm.subscribed = True
    ref = weakref.ref(st)

    def on_host(event: str, _data: dict[str, Any]) -> None:
        state = ref()
        if state is not None and event in ("on", "reset"):
            _host_boot(state)

    st.ctx.bus.subscribe(host_topic(st.node), on_host)


def _host_boot(st: IdracState) -> None:
    vm = vm_state(st)
    if vm.boot_target != "Cd" or vm.boot_enabled == "Disabled":
        return
    if vm.boot_enabled == "Once":
        vm.boot_target = "None"
    if not cd_is_virtual(st):
        st.emit("boot_cd", device="physical", detail="no disc: the host boots from its disk")
        return
    if not vm.inserted or not vm.image:
        st.emit("boot_cd", device="virtual", detail="no image attached")
        return
    vm.boots += 1
    image = vm.image
    threading.Thread(
        target=_boot_iso, args=(st, image), name=f"sim-{st.name}-vmedia", daemon=True
    ).start()


def _boot_iso(st: IdracState, image: str) -> None:
    work = st.workdir / "vmedia"
    st.emit("vmedia_boot", image=image)
    try:
        iso, _md5 = fetch_to_file(image, work, limit=MAX_ISO)
    except CatalogProblem as exc:
        st.emit("vmedia_boot_failed", image=image, message_id="RAC0904", detail=exc.detail)
        return
    apply_iso(st, image, iso)


def apply_iso(st: IdracState, image: str, iso: Path) -> int:
    """What a booted Dell update ISO does: apply the applicable packages of its repository,
    then reboot once.  Returns how many packages were staged (0: nothing applied)."""
    work = st.workdir / "vmedia"
    work.mkdir(parents=True, exist_ok=True)
    try:
        files = iso9660.list_files(iso)
    except (iso9660.IsoError, OSError) as exc:
        st.emit("vmedia_boot_failed", image=image, message_id="SUP0505", detail=str(exc))
        return 0
    cat = iso9660.find(files, "repository/Catalog.xml") or iso9660.find(files, "Catalog.xml")
    if cat is None:
        st.emit("vmedia_boot_foreign", image=image, detail="no repository/Catalog.xml")
        return 0
    try:
        catalog = parse_catalog(iso9660.read(iso, cat, 256 * 1024 * 1024))
    except (CatalogProblem, iso9660.IsoError) as exc:
        msg_id = exc.message_id if isinstance(exc, CatalogProblem) else "SUP0505"
        st.emit("vmedia_boot_failed", image=image, message_id=msg_id, detail=str(exc))
        return 0
    root = cat.path.rsplit("/", 1)[0] + "/" if "/" in cat.path else ""
    selected = applicable(st, catalog)
    st.emit("vmedia_update", image=image, applicable=[s.package.path for s in selected])
    if not selected:
        return 0

    def fetch(p: Package) -> Path:
        item = iso9660.find(files, root + p.path)
        if item is None:
            raise CatalogProblem("RED132", f"{p.path} is not on the ISO")
        tmp = work / f".pkg-{hashlib.sha256(p.path.encode()).hexdigest()[:12]}"
        iso9660.copy_out(iso, item, tmp)
        if p.md5:
            md5 = hashlib.md5(tmp.read_bytes(), usedforsecurity=False).hexdigest()
            if md5 != p.md5:
                tmp.unlink()
                raise CatalogProblem("RED007", f"{p.path}: MD5 mismatch")
        return tmp

    # The downloaded image stays in the device's work folder (the iDRAC package may be staged
    # from it later); the simulator's workdir is temporary.
    result = stage(st, selected, fetch, source="virtual-media", reboot=True)
    for path_, msg_id, detail in result.failures:
        st.emit("vmedia_package_failed", package=path_, message_id=msg_id, detail=detail)
    return sum(1 for s in selected if s.job_id)


# --- Redfish front-end -------------------------------------------------------------------------


def _media(st: IdracState, dev: str) -> dict[str, Any]:
    vm = vm_state(st)
    cd = dev == "CD"
    inserted = vm.inserted and cd
    return v.resource(
        "#VirtualMedia.v1_2_0.VirtualMedia",
        f"{VM_ROOT}/{dev}",
        "VirtualMedia.VirtualMedia",
        Id=dev,
        Name="Virtual CD" if cd else "Virtual Removable Disk",
        Description="iDRAC Virtual Media Services Settings",
        MediaTypes=["CD", "DVD"] if cd else ["USBStick"],
        Image=vm.image if inserted else None,
        ImageName=(vm.image or "").rsplit("/", 1)[-1] if inserted else None,
        Inserted=inserted,
        WriteProtected=True,
        ConnectedVia="URI" if inserted else "NotConnected",
        Actions={
            "#VirtualMedia.InsertMedia": {
                "target": f"{VM_ROOT}/{dev}/Actions/VirtualMedia.InsertMedia"
            },
            "#VirtualMedia.EjectMedia": {
                "target": f"{VM_ROOT}/{dev}/Actions/VirtualMedia.EjectMedia"
            },
        },
    )


def collection(svc: RedfishService, c: Call) -> Response:
    if mode(svc.st) == "off":
        raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
    return svc.reply_collection(
        c, "#VirtualMediaCollection.VirtualMediaCollection", "Virtual Media Services",
        [f"{VM_ROOT}/CD", f"{VM_ROOT}/RemovableDisk"],
    )


def member(svc: RedfishService, c: Call) -> Response:
    if mode(svc.st) == "off":
        raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
    return svc.reply(c, 200, _media(svc.st, c.match["dev"]))


def insert_media(svc: RedfishService, c: Call) -> Response:
    body = svc.request_body(c)
    image = body.get("Image")
    if not isinstance(image, str) or not image:
        raise Rejected("PropertyMissing", args=("Image",))
    if c.match["dev"] != "CD":
        raise Rejected("ActionParameterValueNotInList", "only the CD device takes .iso images")
    insert(svc.st, image)
    return Response.empty(204)


def eject_media(svc: RedfishService, c: Call) -> Response:
    eject(svc.st)
    return Response.empty(204)


def boot_override(st: IdracState) -> dict[str, str]:
    """The System resource's boot-once fields (BootSourceOverrideTarget/Enabled)."""
    vm = vm_state(st)
    return {
        "BootSourceOverrideTarget": vm.boot_target,
        "BootSourceOverrideEnabled": vm.boot_enabled,
    }


def system_patch(svc: RedfishService, c: Call) -> Response:
    """PATCH the System resource: only `Boot` (boot once to the virtual CD) is simulated."""
    body = svc.request_body(c)
    boot = body.get("Boot")
    if not isinstance(boot, dict):
        raise Rejected("PropertyMissing", args=("Boot",))
    set_boot(svc.st, boot)
    return Response.empty(204)
