"""The simulated iDRAC's own reading of a repository catalog (it never imports fwupdate.catalog).

Just what a Lifecycle Controller needs to pick packages: Manifest baseLocation /
baseLocationAccessProtocols, and per SoftwareComponent the path, vendorVersion, hashMD5, the
supported system ids and component ids (catalog-and-dup.md §1).  Bytes in, UTF-8/UTF-16 with or
without BOM; DOCTYPE/ENTITY refused; stdlib ElementTree only.
"""

from __future__ import annotations

import codecs
import xml.etree.ElementTree as ET
from dataclasses import dataclass

MAX_CATALOG = 256 * 1024 * 1024


class CatalogProblem(Exception):
    def __init__(self, message_id: str, detail: str) -> None:
        super().__init__(detail)
        self.message_id = message_id
        self.detail = detail


@dataclass(frozen=True)
class Package:
    path: str
    name: str
    version: str
    md5: str | None
    size: int | None
    component_ids: tuple[str, ...]
    system_ids: tuple[str, ...]
    package_type: str
    criticality: str
    reboot_required: bool | None


@dataclass(frozen=True)
class SimCatalog:
    base_location: str
    access_protocols: tuple[str, ...]
    packages: tuple[Package, ...]


def _decode(data: bytes) -> str:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom):].decode(codec)
    if data[:2] == b"<\x00":
        return data.decode("utf-16-le")
    if data[:2] == b"\x00<":
        return data.decode("utf-16-be")
    return data.decode("utf-8")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _display(el: ET.Element) -> str:
    for child in el.iter():
        if _local(child.tag) == "Display" and child.text:
            return child.text.strip()
    return ""


def parse_catalog(data: bytes) -> SimCatalog:
    """Raises CatalogProblem(SUP0505) for a catalog the iDRAC cannot read."""
    if len(data) > MAX_CATALOG:
        raise CatalogProblem("SUP0505", "catalog too large")
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        raise CatalogProblem("SUP0505", f"catalog is not UTF-8/UTF-16: {exc}") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise CatalogProblem("SUP0505", "catalog has a DOCTYPE")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2:]  # the declaration names the byte encoding
    try:
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        raise CatalogProblem("SUP0505", f"catalog is not well-formed: {exc}") from None
    if _local(root.tag) != "Manifest":
        raise CatalogProblem("SUP0505", f"root element is {_local(root.tag)}, not Manifest")
    packages: list[Package] = []
    for el in root:
        if _local(el.tag) != "SoftwareComponent":
            continue
        comps: list[str] = []
        systems: list[str] = []
        name = ""
        crit = ""
        for child in el.iter():
            tag = _local(child.tag)
            if tag == "Device" and child.get("componentID"):
                comps.append(str(child.get("componentID")))
            elif tag == "Model" and child.get("systemID"):
                systems.append(str(child.get("systemID")).upper())
            elif tag == "Name" and not name:
                name = _display(child)
            elif tag == "Criticality":
                crit = child.get("value") or ""
        size = el.get("size")
        reboot = el.get("rebootRequired")
        packages.append(
            Package(
                path=(el.get("path") or "").replace("\\", "/").lstrip("/"),
                name=name or (el.get("path") or ""),
                version=el.get("vendorVersion") or "",
                md5=(el.get("hashMD5") or "").lower() or None,
                size=int(size) if size and size.isdigit() else None,
                component_ids=tuple(comps),
                system_ids=tuple(systems),
                package_type=el.get("packageType") or "",
                criticality=crit,
                reboot_required=None if reboot is None else reboot.lower() == "true",
            )
        )
    protocols = tuple(
        p.strip().upper()
        for p in (root.get("baseLocationAccessProtocols") or "").split(",")
        if p.strip()
    )
    return SimCatalog(root.get("baseLocation") or "", protocols, tuple(packages))
