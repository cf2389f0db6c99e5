"""What an iDRAC lists after a repository scan: GetRepoBasedUpdateList's PackageList.

Both transports answer with the same embedded CIM-XML (`DCIM_RepoUpdateSWID` instances,
idrac-redfish.md §4.4, idrac-wsman.md §2.12); `parse_package_list` reads it into `RepoPackage`s
for `redfish/repository.py` and `wsman/repository.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from fwupdate.errors import DeviceError
from fwupdate.idrac.job_models import find_jid


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
