"""Inspect a DUP without running it: package.xml fields, payload listing, format, hashes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from fwupdate.catalog.models import SoftwareComponent
from fwupdate.dup.archive import DupArchive, Listing, Member
from fwupdate.dup.detect import Detected, DupFormat, detect
from fwupdate.dup.image import ImageHeader
from fwupdate.dup.limits import DEFAULT_LIMITS, ExtractLimits
from fwupdate.dup.package_xml import parse_package_xml
from fwupdate.dup.verify import Digests, file_digests
from fwupdate.errors import DupError


@dataclass(frozen=True)
class DupInfo:
    detected: Detected
    digests: Digests
    component: SoftwareComponent | None  # None for a bare image
    listing: Listing | None  # None for a bare image

    @property
    def format(self) -> DupFormat:
        return self.detected.format

    @property
    def members(self) -> tuple[Member, ...]:
        return self.listing.members if self.listing else ()

    @property
    def image_header(self) -> ImageHeader | None:
        return self.detected.image_header


def read_component(archive: DupArchive) -> SoftwareComponent:
    """The DUP's package.xml as a SoftwareComponent (path = the DUP's file name)."""
    name = archive.detected.path.name
    data = archive.read_package_xml_bytes()
    if data is None or not data.strip():
        raise DupError(f"{archive.name}: not a DUP: the archive has no package.xml")
    return parse_package_xml(data, path=name)


def read_package(
    path: str | os.PathLike[str], *, limits: ExtractLimits = DEFAULT_LIMITS
) -> SoftwareComponent:
    """Only the package.xml of a DUP (no hashing, no member listing)."""
    d = detect(path, limits=limits)
    if d.format is DupFormat.IMAGE:
        raise DupError(f"{d.path}: a bare iDRAC firmware image has no package.xml")
    with DupArchive(d, limits) as arc:
        return read_component(arc)


def inspect_dup(path: str | os.PathLike[str], *, limits: ExtractLimits = DEFAULT_LIMITS) -> DupInfo:
    """Everything `fwupdate dup inspect` shows; unsafe members are reported, not refused."""
    d = detect(path, limits=limits)
    if d.format is DupFormat.IMAGE:
        return DupInfo(d, file_digests(d.path), None, None)
    with DupArchive(d, limits) as arc:
        component = read_component(arc)
        listing = arc.list_members()
    return DupInfo(d, file_digests(d.path), component, listing)


def component_document(c: SoftwareComponent) -> dict[str, Any]:
    return {
        "name": c.name,
        "vendor_version": c.vendor_version,
        "dell_version": c.dell_version,
        "package_type": c.package_type.value,
        "release_id": c.release_id,
        "package_id": c.package_id,
        "component_type": c.component_type,
        "category": c.category,
        "component_ids": list(c.component_ids),
        "supported_systems": [
            {"system_id": s.system_id, "brand": s.brand_prefix, "display": s.display}
            for s in c.systems
        ],
        "reboot_required": c.reboot_required,
        "criticality": c.criticality.value,
        "release_date": c.release_date,
        "date_time": c.date_time,
    }


def info_document(info: DupInfo) -> dict[str, Any]:
    """The JSON document of `fwupdate dup inspect` (documented in docs/dups.md)."""
    d = info.detected
    doc: dict[str, Any] = {
        "file": str(d.path),
        "format": d.format.value,
        "size": info.digests.size,
        "md5": info.digests.md5,
        "sha256": info.digests.sha256,
    }
    if d.format is DupFormat.IMAGE:
        hdr = d.image_header
        doc["image"] = {
            "generation": hdr.target if hdr and hdr.is_idrac else d.image_generation,
            "target": hdr.target if hdr else None,
            "version": hdr.version if hdr else None,
            "note": "bare iDRAC firmware image: no package.xml, nothing to extract",
        }
        return doc
    assert info.component is not None and info.listing is not None
    doc["package"] = component_document(info.component)
    doc["members"] = [
        {"name": m.name, "size": m.size, "type": m.kind.value, "problem": m.problem}
        for m in info.listing.members
    ]
    doc["safe"] = info.listing.safe
    doc["problems"] = list(info.listing.problems)
    doc["listing_complete"] = info.listing.complete
    if d.bin_layout is not None:
        doc["archive_offset"] = d.bin_layout.archive_offset
    return doc
