"""Write a SoftwareComponent as Dell's `<SoftwareComponent>` element (package.xml and Catalog.xml).

Everything goes through lxml, so names and versions taken from a catalog or typed by a user are
escaped by the serializer, never concatenated into markup.
"""

from __future__ import annotations

from lxml import etree

from fwupdate.catalog.models import Criticality, SoftwareComponent
from fwupdate.errors import DupError

CRITICALITY_VALUE = {
    Criticality.RECOMMENDED: "1",
    Criticality.URGENT: "2",
    Criticality.OPTIONAL: "3",
}
CRITICALITY_DISPLAY = {
    Criticality.RECOMMENDED: "Recommended",
    Criticality.URGENT: "Urgent",
    Criticality.OPTIONAL: "Optional",
}
BRAND_KEYS = {"PE": ("3", "PowerEdge"), "PV": ("13", "PowerVault"), "EQ": ("51", "Equallogic")}
COMPONENT_TYPE_DISPLAY = {
    "FRMW": "Firmware",
    "BIOS": "BIOS",
    "APAC": "Application",
    "APP": "Application",
    "DRVR": "Driver",
}


def add_display(parent: etree._Element, text: str | None) -> None:
    """`<Display lang="en"><![CDATA[text]]></Display>` (plain text if it cannot be CDATA)."""
    if text is None:
        return
    d = etree.SubElement(parent, "Display", lang="en")
    try:
        d.text = etree.CDATA(text) if "]]>" not in text else text
    except ValueError as exc:
        raise DupError(f"text cannot be written to XML: {text[:60]!r}: {exc}") from None


def _set(el: etree._Element, name: str, value: str | None) -> None:
    if value is None:
        return
    try:
        el.set(name, value)
    except ValueError as exc:
        raise DupError(f"attribute {name} cannot be written to XML: {value[:60]!r}") from exc


def component_element(
    c: SoftwareComponent, *, include_hash: bool = True, tag: str = "SoftwareComponent"
) -> etree._Element:
    """The catalog/package.xml element for `c`; `include_hash=False` omits hashMD5 and size
    (a package.xml cannot carry its own package's hash)."""
    el = etree.Element(tag)
    _set(el, "schemaVersion", c.schema_version or "1.0")
    _set(el, "packageID", c.package_id)
    _set(el, "releaseID", c.release_id)
    if include_hash:
        _set(el, "hashMD5", c.hash_md5)
    _set(el, "path", c.path)
    _set(el, "dateTime", c.date_time)
    _set(el, "releaseDate", c.release_date)
    _set(el, "vendorVersion", c.vendor_version)
    _set(el, "dellVersion", c.dell_version)
    _set(el, "packageType", c.package_type.value if c.package_type.value != "OTHER" else None)
    if c.reboot_required is not None:
        _set(el, "rebootRequired", "true" if c.reboot_required else "false")
    if include_hash and c.size is not None:
        _set(el, "size", str(c.size))

    add_display(etree.SubElement(el, "Name"), c.name)
    if c.component_type:
        ct = etree.SubElement(el, "ComponentType", value=c.component_type)
        add_display(ct, COMPONENT_TYPE_DISPLAY.get(c.component_type, c.component_type))
    if c.description is not None:
        add_display(etree.SubElement(el, "Description"), c.description)
    if c.lu_category:
        lu = etree.SubElement(el, "LUCategory", value=c.lu_category)
        add_display(lu, c.lu_category)
    if c.category:
        cat = etree.SubElement(el, "Category", value=c.category)
        add_display(cat, c.category)
    if c.devices:
        devs = etree.SubElement(el, "SupportedDevices")
        for d in c.devices:
            dev = etree.SubElement(devs, "Device")
            _set(dev, "componentID", d.component_id)
            dev.set("embedded", "1" if d.embedded else "0")
            for p in d.pci:
                pci = etree.SubElement(dev, "PCIInfo")
                _set(pci, "deviceID", p.device_id)
                _set(pci, "vendorID", p.vendor_id)
                _set(pci, "subDeviceID", p.sub_device_id)
                _set(pci, "subVendorID", p.sub_vendor_id)
            add_display(dev, d.display)
    if c.systems:
        sysel = etree.SubElement(el, "SupportedSystems", display="1")
        brands: dict[str | None, etree._Element] = {}
        for s in c.systems:
            brand = brands.get(s.brand_prefix)
            if brand is None:
                key, label = BRAND_KEYS.get(s.brand_prefix or "", ("", s.brand_prefix or ""))
                brand = etree.SubElement(sysel, "Brand")
                _set(brand, "key", key or None)
                _set(brand, "prefix", s.brand_prefix)
                add_display(brand, label or None)
                brands[s.brand_prefix] = brand
            model = etree.SubElement(brand, "Model", systemID=s.system_id)
            add_display(model, s.display)
    if c.criticality in CRITICALITY_VALUE:
        crit = etree.SubElement(el, "Criticality", value=CRITICALITY_VALUE[c.criticality])
        add_display(crit, CRITICALITY_DISPLAY[c.criticality])
    return el


def package_xml_bytes(c: SoftwareComponent) -> bytes:
    """A DUP's package.xml: UTF-8 declaration plus the component without hash and size."""
    return bytes(
        etree.tostring(
            component_element(c, include_hash=False),
            xml_declaration=True,
            encoding="UTF-8",
            pretty_print=True,
        )
    )
