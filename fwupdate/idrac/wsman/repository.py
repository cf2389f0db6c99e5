"""Repository update over WS-Man (12G/13G): DCIM_SoftwareInstallationService
InstallFromRepository + GetRepoBasedUpdateList (idrac-wsman.md §2.12).

Inputs as omsdk sends them (ShareType codes NFS 0, FTP 1, CIFS 2, HTTP 3, HTTPS 6; ApplyUpdate
1/0; RebootNeeded TRUE/FALSE); 4096 + Job.  On LC2 (iDRAC7) the method is UNVERIFIED and needs an
Enterprise licence: a device without it answers a SOAP fault (or ReturnValue 1/2), which becomes
UnsupportedOperationError telling the operator to use push delivery.
"""

from __future__ import annotations

from fwupdate.dell import REPO_NOT_RUN_YET, REPO_NOTHING_TO_DO
from fwupdate.errors import DeviceError, UnsupportedOperationError
from fwupdate.idrac.repo_packages import RepoPackage, parse_package_list
from fwupdate.idrac.share import WSMAN_SHARE_CODES, ShareParameters
from fwupdate.idrac.wsman.dcim import SIS_SELECTORS, SOFTWARE_INSTALLATION_SERVICE, WsmanIdrac

_ABSENT = ("ActionNotSupported", "DestinationUnreachable", "not supported")


def _unsupported(ws: WsmanIdrac, exc: DeviceError, step: str) -> UnsupportedOperationError:
    return UnsupportedOperationError(
        f"this iDRAC has no WS-Man InstallFromRepository ({exc.message}); on LC2 it is "
        "UNVERIFIED and needs an Enterprise licence: use push delivery",
        host=ws.client.host,
        step=step,
        message_id=exc.message_id,
    )


def install_from_repository(
    ws: WsmanIdrac, share: ShareParameters, *, apply: bool, reboot: bool
) -> str:
    step = "install from repository" if apply else "scan repository"
    params: dict[str, str] = {
        "IPAddress": share.ip_address,
        "ShareName": share.share_name,
        "ShareType": str(WSMAN_SHARE_CODES[share.share_type]),
        "CatalogFile": share.catalog_file,
        "ApplyUpdate": "1" if apply else "0",
        "RebootNeeded": "TRUE" if reboot else "FALSE",
    }
    try:
        out = ws.client.invoke(
            SOFTWARE_INSTALLATION_SERVICE, "InstallFromRepository", SIS_SELECTORS, params,
            step=step, expect_job=True,
        )
    except UnsupportedOperationError:
        raise
    except DeviceError as exc:
        if any(word in str(exc) for word in _ABSENT):
            raise _unsupported(ws, exc, step) from None
        raise
    assert out.job_id is not None
    return out.job_id


def repo_update_list(ws: WsmanIdrac) -> tuple[RepoPackage, ...]:
    step = "list repository updates"
    try:
        out = ws.client.invoke(
            SOFTWARE_INSTALLATION_SERVICE, "GetRepoBasedUpdateList", SIS_SELECTORS, {}, step=step
        )
    except DeviceError as exc:
        if exc.message_id == REPO_NOTHING_TO_DO:
            return ()
        if exc.message_id == REPO_NOT_RUN_YET:
            raise DeviceError(
                "the iDRAC has no repository scan to report (SUP028)",
                host=ws.client.host, step=step, message_id=REPO_NOT_RUN_YET,
            ) from None
        raise
    text = out.get("PackageList")
    if not text:
        return ()
    return parse_package_list(text, host=ws.client.host)
