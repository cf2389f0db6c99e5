"""Read a DUP's own `package.xml` (a catalog `<SoftwareComponent>`) into the catalog model.

TEMPORARY: this is a small element reader of the DUP engine's own; it should be folded into the
catalog package's element parser once that exposes a reusable element -> SoftwareComponent
function (see docs/dups.md).  Untrusted XML: no entities, no DTD, no network.
"""

from __future__ import annotations

from lxml import etree

from fwupdate.catalog.models import (
    Criticality,
    PackageType,
    PciInfo,
    SoftwareComponent,
    SupportedDevice,
    SupportedSystem,
)
from fwupdate.errors import DupError


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: etree._Element, name: str) -> etree._Element | None:
    found = _children(el, name)
    return found[0] if found else None


def _display(el: etree._Element | None) -> str | None:
    """Text of the first `Display` child (English first), stripped; None when absent."""
    if el is None:
        return None
    displays = _children(el, "Display")
    if not displays:
        return None
    chosen = next((d for d in displays if (d.get("lang") or "en") == "en"), displays[0])
    text = "".join(str(t) for t in chosen.itertext()).strip()
    return text or None


def _attr(el: etree._Element | None, name: str) -> str | None:
    if el is None:
        return None
    v = el.get(name)
    return v.strip() if v is not None and v.strip() else None


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    return None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        n = int(value.strip())
    except ValueError:
        return None
    return n if n >= 0 else None


def component_from_package_element(el: etree._Element, *, path: str) -> SoftwareComponent:
    """Build a SoftwareComponent from a `<SoftwareComponent>` element; `path` if it has none."""
    devices: list[SupportedDevice] = []
    devs_el = _child(el, "SupportedDevices")
    for dev in _children(devs_el, "Device") if devs_el is not None else []:
        pcis = tuple(
            PciInfo(
                vendor_id=_attr(p, "vendorID"),
                device_id=_attr(p, "deviceID"),
                sub_vendor_id=_attr(p, "subVendorID"),
                sub_device_id=_attr(p, "subDeviceID"),
            )
            for p in _children(dev, "PCIInfo")
        )
        devices.append(
            SupportedDevice(
                component_id=_attr(dev, "componentID"),
                display=_display(dev),
                embedded=_bool(_attr(dev, "embedded")) is True,
                pci=pcis,
            )
        )
    systems: list[SupportedSystem] = []
    sys_el = _child(el, "SupportedSystems")
    for brand in _children(sys_el, "Brand") if sys_el is not None else []:
        for model in _children(brand, "Model"):
            sid = _attr(model, "systemID")
            if sid:
                systems.append(
                    SupportedSystem(
                        brand_prefix=_attr(brand, "prefix"),
                        system_id=sid.upper(),
                        display=_display(model),
                    )
                )
    md5 = _attr(el, "hashMD5")
    return SoftwareComponent(
        path=_attr(el, "path") or path,
        package_id=_attr(el, "packageID"),
        release_id=_attr(el, "releaseID"),
        package_type=PackageType.from_value(_attr(el, "packageType")),
        vendor_version=_attr(el, "vendorVersion") or "",
        dell_version=_attr(el, "dellVersion"),
        release_date=_attr(el, "releaseDate"),
        date_time=_attr(el, "dateTime"),
        hash_md5=md5.lower() if md5 else None,
        size=_int(_attr(el, "size")),
        reboot_required=_bool(_attr(el, "rebootRequired")),
        name=_display(_child(el, "Name")) or "",
        description=_display(_child(el, "Description")),
        component_type=_attr(_child(el, "ComponentType"), "value"),
        category=_attr(_child(el, "Category"), "value"),
        lu_category=_attr(_child(el, "LUCategory"), "value"),
        criticality=Criticality.from_value(_attr(_child(el, "Criticality"), "value")),
        devices=tuple(devices),
        systems=tuple(systems),
        schema_version=_attr(el, "schemaVersion"),
    )


def parse_package_xml(data: bytes, *, path: str) -> SoftwareComponent:
    """Parse package.xml bytes (any BOM/encoding the declaration names) into a component."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.lstrip()  # a declaration must come first; UTF-16 text is left alone
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise DupError(f"{path}: package.xml is not well-formed XML: {exc}") from None
    if _local(root.tag) != "SoftwareComponent":
        found = next((e for e in root.iter() if _local(e.tag) == "SoftwareComponent"), None)
        if found is None:
            raise DupError(f"{path}: package.xml has no <SoftwareComponent> element")
        root = found
    return component_from_package_element(root, path=path)
