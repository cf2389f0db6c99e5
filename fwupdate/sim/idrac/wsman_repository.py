"""WS-Man repository update on the simulated iDRAC: DCIM_SoftwareInstallationService
InstallFromRepository / GetRepoBasedUpdateList (idrac-wsman.md §2.12), on the same engine as
the Redfish front-end (repository.py).

Inputs as omsdk sends them: IPAddress, ShareName, ShareType (NFS 0, FTP 1, CIFS 2, HTTP 3,
HTTPS 6), CatalogFile, ApplyUpdate (1/0), RebootNeeded (TRUE/FALSE); output 4096 + Job.
GetRepoBasedUpdateList returns `PackageList`, or ReturnValue 2 with SUP028 / SUP029.

Whether LC2 (iDRAC7) has these methods is UNVERIFIED and they need an Enterprise licence, so
the device option `wsman_repository` decides: "auto" (default: off on iDRAC7, on from iDRAC8,
where Dell's Ansible module uses WS-Man for catalog updates), "on", "off" (the methods do not
exist: SOAP fault wsa:ActionNotSupported, as for any unknown method).
"""

from __future__ import annotations

from typing import Any

from fwupdate.sim.idrac import repository
from fwupdate.sim.idrac.model import Rejected
from fwupdate.sim.idrac.state import IdracState
from fwupdate.sim.idrac.wsman import JOB_URI, WsmanFault, WsmanService
from fwupdate.sim.idrac.wsman_soap import WsmanRequest, method_response

SIS = "DCIM_SoftwareInstallationService"
SHARE_CODES = {"0": "NFS", "1": "FTP", "2": "CIFS", "3": "HTTP", "6": "HTTPS"}
MODES = ("auto", "on", "off")


def enabled(st: IdracState) -> bool:
    value = str((getattr(st, "options", {}) or {}).get("wsman_repository", "auto")).lower()
    if value not in MODES:
        raise ValueError(f"{st.name}: wsman_repository must be one of {', '.join(MODES)}")
    if value == "auto":
        return st.generation >= 8
    return value == "on"


def _check(st: IdracState, req: WsmanRequest) -> None:
    if not enabled(st):
        raise WsmanFault(
            "wsa:ActionNotSupported",
            f"{req.class_name}.{req.method} is not supported by this iDRAC",
        )


def install_from_repository(svc: WsmanService, req: WsmanRequest) -> bytes:
    st = svc.state
    _check(st, req)
    code = (req.param("ShareType") or "").strip()
    share_type = SHARE_CODES.get(code)
    if share_type is None:
        raise Rejected("RAC004", f"ShareType {code!r}")
    body: dict[str, Any] = {
        "IPAddress": req.param("IPAddress"),
        "ShareName": req.param("ShareName") or "",
        "ShareType": share_type,
        "CatalogFile": req.param("CatalogFile") or "Catalog.xml",
        "ApplyUpdate": (req.param("ApplyUpdate") or "1").strip() in ("1", "True", "TRUE"),
        "RebootNeeded": (req.param("RebootNeeded") or "FALSE").strip().upper() in ("TRUE", "1"),
    }
    try:
        jid = repository.install_from_repository(st, body)
    except Rejected as exc:
        if exc.message_id == "PropertyMissing":
            raise Rejected("RAC004", "IPAddress is required") from None
        raise
    st.emit("wsman_install_from_repository", job=jid, share_type=share_type)
    return method_response(req, return_value=4096, job=("Job", jid, JOB_URI))


def get_repo_based_update_list(svc: WsmanService, req: WsmanRequest) -> bytes:
    st = svc.state
    _check(st, req)
    text = repository.package_list(st)
    return method_response(req, return_value=0, outputs={"PackageList": text})
