"""The WS-Man OS deployment path on the simulated iDRAC (idrac-wsman.md §4): 12G/13G boot an ISO
from a network share with DCIM_OSDeploymentService.BootToNetworkISO.

- Inputs: IPAddress, ShareName, ShareType (0 NFS, 2 CIFS; others ReturnValue 2 RAC004),
  ImageName, Workgroup, UserName or Username (both spellings, §4), Password, HashType (1 MD5,
  2 SHA1) + HashValue, ExposeDuration.  Output 4096 + Job `DCIM_OSDConcreteJob:1`.
- NFS/CIFS are not served by anything here: the device option `network_shares` maps a share to
  a local folder, `{"nfs://127.0.0.1/export/isos": "/tmp/isos"}` (the key is
  `<nfs|cifs>://<IPAddress>/<ShareName>`).  An unmapped share or a missing image → ReturnValue 2
  OSD16 ("share mount failed"); a hash mismatch → OSD28.
- The host reboots into the ISO at once; the concrete job reads `Rebooting to ISO`, then
  `Success` once the ISO has staged its packages (it then reboots once more to apply them), or
  `Failed` (OSD21) when the image holds no usable repository.
- DetachISOImage (0), GetAttachStatus (ISOAttachStatus 1/0, DriversAttachStatus 0; ReturnValue 2
  when nothing is attached), Get/Enumerate of DCIM_OSDConcreteJob.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.sim.idrac.messages import message
from fwupdate.sim.idrac.model import Rejected
from fwupdate.sim.idrac.state import IdracState
from fwupdate.sim.idrac.virtual_media import apply_iso
from fwupdate.sim.idrac.wsman import WsmanService
from fwupdate.sim.idrac.wsman_soap import SimInstance, WsmanRequest, method_response

OSD = "DCIM_OSDeploymentService"
OSD_JOB = "DCIM_OSDConcreteJob"
OSD_JOB_ID = "DCIM_OSDConcreteJob:1"
OSD_JOB_URI = f"http://schemas.dell.com/wbem/wscim/1/cim-schema/2/{OSD_JOB}"
OSD_KEYS = {
    "CreationClassName": OSD,
    "SystemCreationClassName": "DCIM_ComputerSystem",
    "SystemName": "DCIM:ComputerSystem",
    "Name": "DCIM:OSDeploymentService",
}
@dataclass
class OsdState:
    attached: Path | None = None
    image: str = ""
    status: str = ""  # "", Rebooting to ISO, Success, Failed
    message_id: str = ""


_STATES: weakref.WeakKeyDictionary[IdracState, OsdState] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def osd_state(st: IdracState) -> OsdState:
    with _LOCK:
        o = _STATES.get(st)
        if o is None:
            o = _STATES[st] = OsdState()
        return o


def _share_folder(st: IdracState, scheme: str, ip: str, share: str) -> Path | None:
    shares: dict[str, Any] = dict((getattr(st, "options", {}) or {}).get("network_shares") or {})
    key = f"{scheme}://{ip}/{share.strip('/')}".rstrip("/").lower()
    for k, v in shares.items():
        if str(k).rstrip("/").lower() == key:
            return Path(str(v))
    return None


def boot_to_network_iso(svc: WsmanService, req: WsmanRequest) -> bytes:
    st = svc.state
    code = (req.param("ShareType") or "").strip()
    scheme = {"0": "nfs", "2": "cifs"}.get(code)
    if scheme is None:
        raise Rejected("RAC004", f"ShareType {code!r}: BootToNetworkISO takes 0 (NFS) or 2 (CIFS)")
    ip = req.param("IPAddress") or ""
    image = req.param("ImageName") or ""
    if not ip or not image:
        raise Rejected("RAC004", "IPAddress and ImageName are required")
    share = req.param("ShareName") or ""
    folder = _share_folder(st, scheme, ip, share)
    path = folder / image if folder is not None else None
    if path is None or not path.is_file() or "/" in image or "\\" in image:
        st.emit("osd_mount_failed", share=f"{scheme}://{ip}/{share}", image=image)
        raise Rejected("OSD16", f"cannot mount {scheme}://{ip}/{share} or find {image}")
    hash_type, hash_value = req.param("HashType"), (req.param("HashValue") or "").lower()
    if hash_type in ("1", "2") and hash_value:
        algo = hashlib.md5 if hash_type == "1" else hashlib.sha1
        h = algo(usedforsecurity=False)
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        if h.hexdigest() != hash_value:
            raise Rejected("OSD28", f"{image}: {h.hexdigest()} != {hash_value}")
    o = osd_state(st)
    o.attached, o.image, o.status, o.message_id = path, f"{scheme}://{ip}/{share}/{image}", (
        "Rebooting to ISO"), ""
    st.emit("osd_boot_to_iso", image=o.image)
    st.host_reset("ForceRestart")  # the host reboots into the ISO

    def run() -> None:
        staged = apply_iso(st, o.image, path)
        o.status, o.message_id = ("Success", "OSD1") if staged else ("Failed", "OSD21")
        st.emit("osd_job", status=o.status, message_id=o.message_id)

    threading.Thread(target=run, name=f"sim-{st.name}-osd", daemon=True).start()
    return method_response(req, return_value=4096, job=("Job", OSD_JOB_ID, OSD_JOB_URI))


def detach_iso_image(svc: WsmanService, req: WsmanRequest) -> bytes:
    st = svc.state
    o = osd_state(st)
    was = o.image
    o.attached, o.image = None, ""
    st.emit("osd_detached", image=was)
    m = message("OSD1")
    return method_response(req, return_value=0, message=m.text, message_id=m.id)


def get_attach_status(svc: WsmanService, req: WsmanRequest) -> bytes:
    st = svc.state
    o = osd_state(st)
    attached = "1" if o.attached is not None else "0"
    return method_response(
        req,
        return_value=0 if o.attached is not None else 2,
        outputs={"ISOAttachStatus": attached, "DriversAttachStatus": "0"},
    )


def osd_jobs(svc: WsmanService) -> list[SimInstance]:
    o = osd_state(svc.state)
    if not o.status:
        return []
    m = message(o.message_id) if o.message_id else None
    return [
        SimInstance(
            OSD_JOB,
            {
                "InstanceID": OSD_JOB_ID,
                "JobName": "BootToNetworkISO",
                "Name": "BootToNetworkISO",
                "JobStatus": o.status,
                "Message": m.text if m else None,
                "MessageID": o.message_id or None,
            },
        )
    ]
