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
from dataclasses import dataclass

from lxml import etree

from fwupdate.dell import REPO_NOT_RUN_YET, REPO_NOTHING_TO_DO
from fwupdate.errors import DeviceError, FwupdateError, UnsupportedOperationError
from fwupdate.idrac.job_models import JobRef, find_jid
from fwupdate.idrac.models import Capabilities
from fwupdate.idrac.redfish.transport import RedfishTransport
from fwupdate.idrac.share import ShareParameters

log = logging.getLogger(__name__)

SIS_NAME = "DellSoftwareInstallationService"
SIS_FALLBACKS = (
    "/redfish/v1/Systems/System.Embedded.1/Oem/Dell/DellSoftwareInstallationService",
    "/redfish/v1/Dell/Systems/System.Embedded.1/DellSoftwareInstallationService",
)


@dataclass(frozen=True)
class RepoPackage:
    """One `DCIM_RepoUpdateSWID` of GetRepoBasedUpdateList."""

    display_name: str
    package_name: str
    package_path: str
    version: str
    component_id: str | None
    component_type: str | None
    criticality: str | None  # 1 Recommended, 2 Urgent, 3 Optional
    reboot_type: str | None  # NONE | HOST | IDRAC
    job_id: str | None
    target: str | None
    installed_version: str | None = None


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


def _props(el: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for prop in el.iter():
        if not isinstance(prop.tag, str) or etree.QName(prop).localname not in (
            "PROPERTY",
            "PROPERTY.ARRAY",
        ):
            continue
        name = prop.get("NAME")
        if not name or name in out:
            continue
        values = [
            (v.text or "").strip()
            for v in prop.iter()
            if isinstance(v.tag, str) and etree.QName(v).localname == "VALUE"
        ]
        out[name] = ",".join(x for x in values if x)
    return out


def parse_package_list(text: str, *, host: str | None = None) -> tuple[RepoPackage, ...]:
    """The embedded CIM-XML of GetRepoBasedUpdateList (#70, #213, #222)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise DeviceError(
            f"unreadable PackageList: {exc}", host=host, step="list repository updates"
        ) from None
    out: list[RepoPackage] = []
    seen: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or el.get("CLASSNAME") != "DCIM_RepoUpdateSWID":
            continue
        if etree.QName(el).localname not in ("INSTANCE", "INSTANCENAME"):
            continue
        p = _props(el)
        if not p:
            continue
        key = p.get("PackagePath") or p.get("PackageName") or ""
        if key in seen:
            continue
        seen.add(key)
        out.append(
            RepoPackage(
                display_name=p.get("DisplayName", ""),
                package_name=p.get("PackageName", ""),
                package_path=p.get("PackagePath", ""),
                version=p.get("PackageVersion", ""),
                component_id=p.get("ComponentID") or None,
                component_type=p.get("ComponentType") or None,
                criticality=p.get("Criticality") or None,
                reboot_type=(p.get("RebootType") or "").upper() or None,
                job_id=find_jid(p.get("JobID")),
                target=p.get("Target") or None,
                installed_version=p.get("ComponentInstalledVersion") or None,
            )
        )
    return tuple(out)
