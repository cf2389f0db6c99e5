"""Write a local repository: synthetic DUPs for given components plus a matching Catalog.xml.

The catalog is shaped like an SUU/DRM repository catalog (catalog-and-dup.md §1-2, §5): UTF-8
with BOM (UTF-16 with BOM on request, like the online catalog), `Manifest baseLocation=""`, one
`SoftwareBundle` per OS family listing the components of the bundle's system (R320 = 04F7), and
every `SoftwareComponent` with the real `hashMD5` and `size` of the file that was built.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lxml import etree

from fwupdate.catalog.models import PackageType, SoftwareComponent
from fwupdate.catalog.systems import KNOWN_MODELS, model_for_system_id
from fwupdate.dell import BIOS_COMPONENT_ID, IDRAC_COMPONENT_ID
from fwupdate.dup.build import (
    PayloadFactory,
    PayloadSource,
    atomic_output,
    build_bin_dup,
    build_exe_dup,
    build_tar_gz_package,
    catalog_entry_for,
)
from fwupdate.dup.component_xml import add_display, component_element
from fwupdate.dup.image import default_image_name, make_image_bytes
from fwupdate.errors import BadInputError
from fwupdate.pathsafe import normalize_name, unsafe_name_reason

# 13G system ids (iDRAC8); everything else defaults to iDRAC7 (12G, the R320's generation).
IDRAC8_SYSTEM_IDS = frozenset(KNOWN_MODELS[m] for m in ("R630", "R730"))
DEFAULT_DATE_TIME = "2017-12-01T09:34:48+00:00"
# OS family -> (bundleType, path token, osCode, display)
_BUNDLE_KINDS = {
    "LIN": ("BTLX", "LX", "LIN", "Embedded Linux"),
    "WIN": ("BTW32", "WIN", "WIN", "Microsoft Windows"),
    "WIN64": ("BTW64", "WIN64", "WIN64", "Microsoft Windows x64"),
}


def is_idrac_component(c: SoftwareComponent) -> bool:
    """iDRAC / iDRAC-with-LC / pre-2.x ESM firmware (component id 25227 or the usual names)."""
    text = " ".join(filter(None, (c.name, c.category, c.file_name))).lower()
    return (
        IDRAC_COMPONENT_ID in c.component_ids
        or "idrac" in text
        or c.file_name.lower().startswith("esm_firmware")
    )


def idrac_target_for(c: SoftwareComponent) -> str:
    """`idrac8` when the component is only for 13G systems (R630/R730), else `idrac7`."""
    ids = set(c.system_ids)
    return "idrac8" if ids and ids <= IDRAC8_SYSTEM_IDS else "idrac7"


def default_payload(
    c: SoftwareComponent, *, idrac_target: str | None = None, size: int = 64 * 1024
) -> dict[str, PayloadSource]:
    """Synthetic payload: iDRAC -> `firmimg.d7` with the component's version in its header;
    BIOS -> `BIOS_<id>.cap`; anything else -> `firmware.bin` tagged with its component id."""
    version = c.vendor_version or "0"
    if is_idrac_component(c):
        target = idrac_target or idrac_target_for(c)
        return {default_image_name(target): make_image_bytes(target, version, size)}
    token = "".join(ch for ch in version if ch.isalnum() or ch in "._-+") or "0"
    if c.component_type == "BIOS" or BIOS_COMPONENT_ID in c.component_ids:
        return {f"BIOS_{c.release_id or 'X'}.cap": make_image_bytes("bios", token, size)}
    cid = next(iter(c.component_ids), None) or "unknown"
    tag = "component-" + "".join(ch for ch in cid if ch.isalnum())[:32]
    return {"firmware.bin": make_image_bytes(tag, token, size)}


def package_format(c: SoftwareComponent) -> Literal["exe", "bin", "gz"]:
    """Which kind of file a component's path names (extension first, then packageType)."""
    name = c.file_name.lower()
    if name.endswith(".exe"):
        return "exe"
    if name.endswith(".bin"):
        return "bin"
    if name.endswith((".tar.gz", ".tgz")) or c.package_type is PackageType.GZ:
        return "gz"
    return "bin" if c.package_type is PackageType.LLXP else "exe"


def _os_family(c: SoftwareComponent) -> str:
    if c.package_type is PackageType.LW64:
        return "WIN64"
    if c.package_type is PackageType.LWXP or package_format(c) == "exe":
        return "WIN"
    return "LIN"


@dataclass(frozen=True)
class RepositoryResult:
    folder: str
    catalog: str
    components: tuple[SoftwareComponent, ...]  # with real hashMD5 and size
    paths: tuple[str, ...]  # relative paths of the built packages


def _bundle_element(
    system_id: str, family: str, paths: Sequence[str], date_time: str, release: str
) -> etree._Element:
    btype, token, os_code, os_display = _BUNDLE_KINDS[family]
    display = model_for_system_id(system_id) or system_id
    bundle_id = f"FWSIM{system_id}_{token}.{release}"
    el = etree.Element(
        "SoftwareBundle",
        schemaVersion="1.0",
        releaseID=hashlib.sha256(bundle_id.encode()).hexdigest()[:5].upper(),
        bundleID=bundle_id,
        dateTime=date_time,
        vendorVersion=f"FWSIM.{release}",
        path=f"PE{display}-{token}-FWSIM{release}.XML",
        bundleType=btype,
    )
    add_display(etree.SubElement(el, "Name"), f"Dell Server System Update Bundle {display}")
    ct = etree.SubElement(el, "ComponentType", value="SBDL")
    add_display(ct, "Dell System Bundle")
    add_display(etree.SubElement(el, "Description"), f"Synthetic {display} bundle (fwupdate)")
    cat = etree.SubElement(el, "Category", value="SM")
    add_display(cat, "Systems Management")
    brand = etree.SubElement(etree.SubElement(el, "TargetSystems"), "Brand", key="3", prefix="PE")
    add_display(brand, "PowerEdge")
    add_display(etree.SubElement(brand, "Model", systemID=system_id), display)
    os_el = etree.SubElement(
        etree.SubElement(el, "TargetOSes"), "OperatingSystem", osCode=os_code, osVendor="Dell"
    )
    add_display(os_el, os_display)
    contents = etree.SubElement(el, "Contents")
    for p in paths:
        etree.SubElement(contents, "Package", path=p)
    return el


def catalog_bytes(
    components: Sequence[SoftwareComponent],
    *,
    bundle_system_ids: Sequence[str] = ("04F7",),
    date_time: str = DEFAULT_DATE_TIME,
    base_location: str = "",
    encoding: Literal["utf-8", "utf-16"] = "utf-8",
) -> bytes:
    """A Catalog.xml document (with BOM) for `components` and a bundle per system and OS family."""
    root = etree.Element("Manifest", baseLocation=base_location, dateTime=date_time)
    release = date_time[:10].replace("-", "")
    for sid in bundle_system_ids:
        sid = sid.strip().upper()
        by_family: dict[str, list[str]] = {}
        for c in components:
            if c.supports_system(sid):
                by_family.setdefault(_os_family(c), []).append(c.path)
        for family in ("LIN", "WIN", "WIN64"):
            if family in by_family:
                root.append(_bundle_element(sid, family, by_family[family], date_time, release))
    for c in components:
        root.append(component_element(c))
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    decl = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    if encoding == "utf-16":
        return (decl + body).encode("utf-16")  # BOM + native order (LE on x86), as Dell's
    return b"\xef\xbb\xbf" + (decl + body).encode("utf-8")


def write_catalog(
    path: str | os.PathLike[str],
    components: Sequence[SoftwareComponent],
    *,
    bundle_system_ids: Sequence[str] = ("04F7",),
    date_time: str = DEFAULT_DATE_TIME,
    base_location: str = "",
    encoding: Literal["utf-8", "utf-16"] = "utf-8",
) -> Path:
    """Write `catalog_bytes(...)` atomically to `path`."""
    data = catalog_bytes(
        components,
        bundle_system_ids=bundle_system_ids,
        date_time=date_time,
        base_location=base_location,
        encoding=encoding,
    )
    with atomic_output(path) as out:
        out.write(data)
    return Path(path)


def build_repository(
    folder: str | os.PathLike[str],
    components: Sequence[SoftwareComponent],
    *,
    payloads: Mapping[str, Mapping[str, PayloadSource]] | None = None,
    payload_factory: PayloadFactory | None = None,
    bundle_system_ids: Sequence[str] = ("04F7",),
    date_time: str = DEFAULT_DATE_TIME,
    catalog_name: str = "Catalog.xml",
    encoding: Literal["utf-8", "utf-16"] = "utf-8",
    sign: Callable[[Path], None] | None = None,
) -> RepositoryResult:
    """Build one DUP per component (at its catalog `path` under `folder`) and a Catalog.xml.

    `payloads` maps a component path to its payload; otherwise `payload_factory(component)`,
    else `default_payload`.  Paths are checked like archive member names, so a hostile catalog
    cannot make this write outside `folder`.  `sign(path)`, when given, runs on each package
    before its MD5/size go into the catalog (Authenticode changes the bytes) and then on the
    catalog itself (the demo signs with its own key: fwupdate.demo.signing).
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    built: list[SoftwareComponent] = []
    for c in components:
        rel = c.path.replace("\\", "/")
        reason = unsafe_name_reason(rel)
        if reason:
            raise BadInputError(f"component path {c.path!r}: {reason}")
        rel = normalize_name(rel)
        if rel.casefold() in seen:
            raise BadInputError(f"two components share the path {c.path!r}")
        seen.add(rel.casefold())
        payload = (payloads or {}).get(c.path)
        if payload is None:
            payload = payload_factory(c) if payload_factory else default_payload(c)
        dest = root / rel
        fmt = package_format(c)
        if fmt == "exe":
            build_exe_dup(dest, c, payload)
        elif fmt == "bin":
            build_bin_dup(dest, c, payload)
        else:
            build_tar_gz_package(dest, c, payload)
        if sign is not None:
            sign(dest)
        built.append(catalog_entry_for(dest, c))
    catalog = root / catalog_name
    write_catalog(
        catalog,
        built,
        bundle_system_ids=bundle_system_ids,
        date_time=date_time,
        encoding=encoding,
    )
    if sign is not None:
        sign(catalog)
    return RepositoryResult(
        folder=str(root),
        catalog=str(catalog),
        components=tuple(built),
        paths=tuple(c.path for c in built),
    )
