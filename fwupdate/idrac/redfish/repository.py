"""Repository (catalog) updates over Redfish: DellSoftwareInstallationService (iDRAC9 ≥ 3.30).

`InstallFromRepository` points the iDRAC at a share holding Catalog.xml and DUPs; the iDRAC
downloads the catalog, picks what applies and creates one job per package (idrac-redfish.md
§4.4).  `GetRepoBasedUpdateList` then lists those packages with their JobID; 400 SUP029 means the
server already matches the catalog (nothing to do), SUP028 that InstallFromRepository was not
run.  The service URI comes from `Manager.Links.Oem.Dell` (design fact 7), with the documented
paths as fallbacks.  iDRAC7/8 have no such Redfish service (405 SYS402, #223).
"""

from __future__ import annotations

import json
import logging

from fwupdate.dell import REPO_NOT_RUN_YET, REPO_NOTHING_TO_DO
from fwupdate.errors import DeviceError, FwupdateError, UnsupportedOperationError
from fwupdate.idrac.job_models import JobRef, find_jid
from fwupdate.idrac.models import Capabilities
from fwupdate.idrac.redfish.transport import RedfishTransport
from fwupdate.idrac.repo_packages import RepoPackage, parse_package_list
from fwupdate.idrac.share import ShareParameters

log = logging.getLogger(__name__)

SIS_NAME = "DellSoftwareInstallationService"
SIS_FALLBACKS = (
    "/redfish/v1/Systems/System.Embedded.1/Oem/Dell/DellSoftwareInstallationService",
    "/redfish/v1/Dell/Systems/System.Embedded.1/DellSoftwareInstallationService",
)


def sis_uri(caps: Capabilities) -> str:
    return (caps.oem_service(SIS_NAME) or SIS_FALLBACKS[0]).rstrip("/")


def _action(caps: Capabilities, action: str) -> str:
    return f"{sis_uri(caps)}/Actions/{SIS_NAME}.{action}"


def _unsupported(caps: Capabilities, host: str, step: str) -> None:
    if caps.oem_service(SIS_NAME) is None and caps.oem_service("DellLCService") is None:
        raise UnsupportedOperationError(
            "this iDRAC has no Redfish DellSoftwareInstallationService (iDRAC9 >= 3.30 only; "
            "iDRAC7/8 answer 405 SYS402): use push delivery, or WS-Man/racadm on 12G/13G",
            host=host,
            step=step,
        )


def install_from_repository(
    t: RedfishTransport,
    caps: Capabilities,
    share: ShareParameters,
    *,
    apply: bool,
    reboot: bool,
) -> JobRef:
    """POST InstallFromRepository; the repository job's reference (202 + Location JID)."""
    step = "install from repository" if apply else "scan repository"
    _unsupported(caps, t.host, step)
    resp = t.post(
        _action(caps, "InstallFromRepository"),
        share.redfish_body(apply=apply, reboot=reboot),
        step=step,
        ok=(200, 202),
    )
    jid = find_jid(resp.location) or find_jid(json.dumps(resp.body))
    if jid is None:
        raise DeviceError(
            "InstallFromRepository was accepted but named no job", host=t.host, step=step
        )
    log.info("%s: repository job %s (%s)", t.host, jid, share.url)
    return JobRef(jid, None)


def repo_update_list(t: RedfishTransport, caps: Capabilities) -> tuple[RepoPackage, ...]:
    """GetRepoBasedUpdateList; () when the iDRAC answers SUP029 (already matches the catalog)."""
    step = "list repository updates"
    _unsupported(caps, t.host, step)
    try:
        resp = t.post(_action(caps, "GetRepoBasedUpdateList"), {}, step=step, ok=(200,))
    except FwupdateError as exc:
        if exc.message_id == REPO_NOTHING_TO_DO:
            return ()
        if exc.message_id == REPO_NOT_RUN_YET:
            raise DeviceError(
                "the iDRAC has no repository scan to report (SUP028): run InstallFromRepository "
                "first",
                host=t.host,
                step=step,
                message_id=REPO_NOT_RUN_YET,
            ) from None
        raise
    text = resp.json().get("PackageList")
    if not isinstance(text, str) or not text.strip():
        return ()
    return parse_package_list(text, host=t.host)
