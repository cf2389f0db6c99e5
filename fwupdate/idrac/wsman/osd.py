"""Boot an ISO from a network share over WS-Man (12G/13G): DCIM_OSDeploymentService
BootToNetworkISO / DetachISOImage and the DCIM_OSDConcreteJob it returns (idrac-wsman.md §4).

The method takes NFS (ShareType 0) or CIFS (2) shares only, so the ISO must be on such a share
(fwupdate's own file server speaks HTTP(S)); the host reboots into the ISO at once.  The concrete
job's JobStatus goes `Rebooting to ISO` -> `Success` | `Failed`.  Errors: OSD16 share mount
failed, OSD28 hash mismatch, OSD21 cannot boot to ISO, OSD35 LC not enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from fwupdate.errors import BadInputError
from fwupdate.idrac.wsman import soap as wx
from fwupdate.idrac.wsman.dcim import WsmanIdrac

OSD_SERVICE = wx.dcim_uri("DCIM_OSDeploymentService")
OSD_JOB = wx.dcim_uri("DCIM_OSDConcreteJob")
OSD_SELECTORS = {
    "CreationClassName": "DCIM_OSDeploymentService",
    "SystemCreationClassName": "DCIM_ComputerSystem",
    "SystemName": "DCIM:ComputerSystem",
    "Name": "DCIM:OSDeploymentService",
}
SHARE_TYPES = {"nfs": "0", "cifs": "2", "smb": "2"}


@dataclass(frozen=True)
class OsdJob:
    jid: str
    status: str  # "Rebooting to ISO", "Success", "Failed", ...
    message: str | None
    message_id: str | None

    @property
    def failed(self) -> bool:
        return self.status.lower().startswith("fail")

    @property
    def succeeded(self) -> bool:
        return self.status.lower() in ("success", "completed")


def _masked(p: SplitResult) -> str:
    """A refused URL as shown: scheme, host and file name only (the path of fwupdate's own
    file server holds its per-run tokens)."""
    name = p.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{p.scheme}://{p.hostname or ''}{f':{p.port}' if p.port else ''}/…/{name}"


def share_parts(url: str) -> dict[str, str]:
    """nfs://host/export/dir/image.iso -> IPAddress, ShareName, ImageName, ShareType."""
    p = urlsplit(url)
    scheme = p.scheme.lower()
    if scheme not in SHARE_TYPES or not p.hostname:
        raise BadInputError(
            f"{_masked(p)}: BootToNetworkISO (12G/13G virtual media) takes nfs:// or cifs:// "
            "ISO shares only"
        )
    if p.username or p.password:
        raise BadInputError("put no credentials in the ISO URL (they would be logged)")
    path = unquote(p.path).strip("/")
    share, _, image = path.rpartition("/")
    if not image.lower().endswith(".iso"):
        raise BadInputError(f"{url!r}: name the .iso file on the share")
    return {
        "IPAddress": p.hostname,
        "ShareName": share if scheme != "nfs" else "/" + share,
        "ShareType": SHARE_TYPES[scheme],
        "ImageName": image,
    }


def boot_to_network_iso(ws: WsmanIdrac, url: str, *, md5: str | None = None) -> str:
    params: dict[str, wx.InvokeValue] = dict(share_parts(url))
    if md5:
        params["HashType"] = "1"
        params["HashValue"] = md5.lower()
    out = ws.client.invoke(
        OSD_SERVICE, "BootToNetworkISO", OSD_SELECTORS, params, step="boot to network ISO",
        expect_job=True,
    )
    assert out.job_id is not None
    return out.job_id


def osd_job(ws: WsmanIdrac, jid: str) -> OsdJob:
    inst = ws.client.get(OSD_JOB, {"InstanceID": jid})
    return OsdJob(
        jid,
        inst.get("JobStatus") or "Unknown",
        inst.get("Message"),
        inst.get("MessageID"),
    )


def detach(ws: WsmanIdrac) -> None:
    ws.client.invoke(OSD_SERVICE, "DetachISOImage", OSD_SELECTORS, {}, step="detach ISO")
