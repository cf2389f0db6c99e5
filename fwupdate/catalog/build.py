"""Build catalog models from parsed lxml elements (namespace-blind, tolerant of missing parts).

Only `path` makes a component useful; every other attribute or child may be missing or unknown
(newer catalogs add FMPWrappers, RollbackInformation, PayloadConfiguration...), so the builders
read what they know and ignore the rest.  Tags are compared by local name, so a default namespace
or prefixes change nothing.
"""

from __future__ import annotations

import hashlib

from lxml import etree

from fwupdate.catalog.blocks import SystemsBlocks
from fwupdate.catalog.models import (
    Criticality,
    Manifest,
    PackageType,
    PciInfo,
    SoftwareBundle,
    SoftwareComponent,
    SupportedDevice,
    SupportedSystem,
    system_ids_of,
)
from fwupdate.catalog.systems import catalog_system_id
from fwupdate.catalog.values import (
    MAX_TEXT_CHARS,
    check_md5,
    check_path,
    check_size,
    check_tree,
    component_label,
)

Element = etree._Element


_LOCAL_NAMES: dict[str, str] = {}  # tag -> local name, for the few hundred tags a catalog uses


def local(tag: object) -> str:
    """Local name of an element tag ('{urn:x}Model' -> 'Model'); '' for comments and PIs."""
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag[tag.rfind("}") + 1 :]
        if len(_LOCAL_NAMES) < 1024:
            _LOCAL_NAMES[tag] = name
    return name


def _attr(el: Element, name: str) -> str | None:
    value = el.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _display(el: Element) -> str | None:
    """Text of the first `Display` child (the English one when several languages exist)."""
    first: str | None = None
    for child in el:
        if local(child.tag) == "Display":
            text = (child.text or "").strip()
            lang = (child.get("lang") or "en").lower()
            if lang.startswith("en") and text:
                return text
            if first is None and text:
                first = text
    return first


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    return None


MAX_SHARED_LISTS = 4096  # distinct system lists kept for sharing (Dell: a few hundred)
MAX_SHARED_VALUES = 1 << 16  # distinct texts and device lists kept for sharing


class SystemTable:
    """Interns SupportedSystem values: a big catalog repeats the same few hundred systems, and
    components of one family repeat the same ~60-entry list of them (kept components share one
    tuple, so the result grows by a reference per component, not by the list).

    It also remembers each system container by its serialised XML (`etree.tostring`, done in
    libxml2): an equal container is an equal list, so a repeated list is found without walking
    its ~60 `Model` elements in Python.  The key is the SHA-256 of those bytes (32 bytes per
    list, not the few KB of XML), bounded at MAX_SHARED_LISTS lists.

    Equal texts (names, versions, dates, categories...) and equal device lists of the kept
    components are shared the same way (`text`, `devices`), so components that repeat another
    one's values (a package for Windows and Linux, a catalog listing a package twice) add
    references, not copies."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str | None, str, str | None], SupportedSystem] = {}
        self._lists: dict[tuple[SupportedSystem, ...], tuple[SupportedSystem, ...]] = {}
        self._by_xml: dict[bytes, tuple[SupportedSystem, ...]] = {}
        self._last: tuple[Element, tuple[SupportedSystem, ...], int] | None = None
        self.last_xml_length = 0  # serialised length of the container last asked about
        self._texts: dict[str, str] = {}
        self._devices: dict[tuple[SupportedDevice, ...], tuple[SupportedDevice, ...]] = {}
        self._devices_by_xml: dict[bytes, tuple[SupportedDevice, ...]] = {}
        self.blocks: SystemsBlocks | None = None  # a parse that skips repeated blocks

    def text(self, value: str | None) -> str | None:
        """The one string equal to `value` seen so far (bounded by MAX_SHARED_VALUES)."""
        if value is None:
            return None
        found = self._texts.get(value)
        if found is not None:
            return found
        if len(self._texts) < MAX_SHARED_VALUES:
            self._texts[value] = value
        return value

    def devices_of(self, container: Element) -> tuple[SupportedDevice, ...]:
        """`_devices(container)`, remembered by the SHA-256 of the container's serialised XML
        like `systems_of` (components of one family, or one package for several operating
        systems, repeat the same devices; the model of one costs 5x its serialisation)."""
        key = hashlib.sha256(etree.tostring(container, with_tail=False)).digest()
        found = self._devices_by_xml.get(key)
        if found is None:
            found = self.devices(_devices(container))
            if len(self._devices_by_xml) < MAX_SHARED_VALUES:
                self._devices_by_xml[key] = found
        return found

    def devices(self, devices: tuple[SupportedDevice, ...]) -> tuple[SupportedDevice, ...]:
        """The one device list equal to `devices` seen so far (bounded like `text`)."""
        found = self._devices.get(devices)
        if found is not None:
            return found
        if len(self._devices) < MAX_SHARED_VALUES:
            self._devices[devices] = devices
        return devices

    def shared(self, systems: tuple[SupportedSystem, ...]) -> tuple[SupportedSystem, ...]:
        """The one tuple equal to `systems` seen so far (bounded: past MAX_SHARED_LISTS
        distinct lists, new ones are not remembered)."""
        found = self._lists.get(systems)
        if found is not None:
            return found
        if len(self._lists) < MAX_SHARED_LISTS:
            self._lists[systems] = systems
        return systems

    def get(self, prefix: str | None, system_id: str, display: str | None) -> SupportedSystem:
        key = (prefix, system_id, display)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = SupportedSystem(prefix, system_id, display)
        return found

    def systems_of(self, container: Element) -> tuple[SupportedSystem, ...]:
        """`systems_of(container)`, remembered by the container's serialised XML (and for the
        last container asked about, by identity: the parser asks twice for a kept one)."""
        if self.blocks is not None:
            skipped = self.blocks.resolve(container)
            if skipped is not None:
                self.last_xml_length = skipped.xml_length
                return skipped.systems
        last = self._last
        if last is not None and last[0] is container:
            self.last_xml_length = last[2]
            return last[1]
        xml = etree.tostring(container, with_tail=False)
        key = hashlib.sha256(xml).digest()
        found = self._by_xml.get(key)
        if found is None:
            found = _walk_systems(container, self)
            if len(self._by_xml) < MAX_SHARED_LISTS:
                self._by_xml[key] = found
        self._last = (container, found, len(xml))
        self.last_xml_length = len(xml)
        return found


def systems_of(container: Element, table: SystemTable) -> tuple[SupportedSystem, ...]:
    """`SupportedSystems` / `TargetSystems` -> Brand -> Model entries."""
    return table.systems_of(container)


def _walk_systems(container: Element, table: SystemTable) -> tuple[SupportedSystem, ...]:
    out: list[SupportedSystem] = []
    for brand in container:
        if local(brand.tag) != "Brand":
            continue
        prefix = _attr(brand, "prefix")
        for model in brand.iterchildren("{*}Model"):
            sid = model.get("systemID")
            if sid:
                display: str | None = None
                for d in model.iterchildren("{*}Display"):
                    display = (d.text or "").strip() or None
                    break
                out.append(table.get(prefix, catalog_system_id(sid), display))
    return table.shared(tuple(out))


def supported_systems_name(el: Element, system_id: str, table: SystemTable) -> bool:
    """Does a `SupportedSystems` child of the component `el` list `system_id`?  True implies
    `names_system(el, system_id)`; found from the remembered lists, without a walk."""
    for child in el:
        if local(child.tag) == "SupportedSystems" and system_id in system_ids_of(
            table.systems_of(child)
        ):
            return True
    return False


def names_system(el: Element, system_id: str) -> bool:
    """Does any `Model@systemID` anywhere below `el` normalise to `system_id`?  A cheap
    superset check before building the model (stops at the first match); the built model's
    `system_ids` decide."""
    for model in el.iter("{*}Model"):
        value = model.get("systemID")
        if value and catalog_system_id(value) == system_id:
            return True
    return False


def _devices(container: Element) -> tuple[SupportedDevice, ...]:
    out: list[SupportedDevice] = []
    for dev in container:
        if local(dev.tag) != "Device":
            continue
        pci = tuple(
            PciInfo(
                vendor_id=_attr(p, "vendorID"),
                device_id=_attr(p, "deviceID"),
                sub_vendor_id=_attr(p, "subVendorID"),
                sub_device_id=_attr(p, "subDeviceID"),
            )
            for p in dev
            if local(p.tag) == "PCIInfo"
        )
        out.append(
            SupportedDevice(
                component_id=_attr(dev, "componentID"),
                display=_display(dev),
                embedded=bool(_bool(dev.get("embedded"))),
                pci=pci,
            )
        )
    return tuple(out)


def build_component(
    el: Element, table: SystemTable, *, limits_proven: bool = False
) -> SoftwareComponent:
    """The model of the component `el`; CatalogError for a value or a shape it refuses.
    `limits_proven`: the raw bytes it was parsed from proved it within `check_tree`'s limits
    (blocks.small_component)."""
    name = description = component_type = category = lu_category = None
    criticality = Criticality.UNKNOWN
    devices: tuple[SupportedDevice, ...] = ()
    merged_devices = False
    systems: tuple[SupportedSystem, ...] = ()
    systems_xml = 0  # the longest serialised SupportedSystems child (ASCII: >= its characters)
    text = table.text
    for child in el:
        tag = local(child.tag)
        if tag == "Name":
            name = text(_display(child))
        elif tag == "Description":
            description = text(_display(child))
        elif tag == "ComponentType":
            component_type = text(_attr(child, "value"))
        elif tag == "Category":
            category = text(_attr(child, "value"))
        elif tag == "LUCategory":
            lu_category = text(_attr(child, "value"))
        elif tag == "Criticality":
            criticality = Criticality.from_value(child.get("value"))
        elif tag == "SupportedDevices":
            merged_devices = bool(devices)  # shared one by one; a merged list is shared below
            devices = devices + table.devices_of(child)
        elif tag == "SupportedSystems":
            systems = systems + systems_of(child, table)
            systems_xml = max(systems_xml, table.last_xml_length)
    path = _attr(el, "path") or ""
    label = component_label(name, path)
    if not limits_proven:
        check_tree(el, label, systems_proven=systems_xml <= MAX_TEXT_CHARS)
    return SoftwareComponent(
        path=text(check_path(path, label)) or "",
        package_id=text(_attr(el, "packageID")),
        release_id=text(_attr(el, "releaseID")),
        package_type=PackageType.from_value(el.get("packageType")),
        vendor_version=text(_attr(el, "vendorVersion")) or "",
        dell_version=text(_attr(el, "dellVersion")),
        release_date=text(_attr(el, "releaseDate")),
        date_time=text(_attr(el, "dateTime")),
        hash_md5=text(check_md5(_attr(el, "hashMD5"), label)),
        size=check_size(el.get("size"), label),
        reboot_required=_bool(el.get("rebootRequired")),
        name=name or "",
        description=description,
        component_type=component_type,
        category=category,
        lu_category=lu_category,
        criticality=criticality,
        devices=table.devices(devices) if merged_devices else devices,
        systems=systems,
        schema_version=text(_attr(el, "schemaVersion")),
    )


def build_bundle(el: Element, table: SystemTable) -> SoftwareBundle:
    name: str | None = None
    systems: tuple[SupportedSystem, ...] = ()
    paths: list[str] = []
    for child in el:
        tag = local(child.tag)
        if tag == "Name":
            name = _display(child)
        elif tag in ("TargetSystems", "SupportedSystems"):
            systems = systems + systems_of(child, table)
        elif tag == "Contents":
            for pkg in child:
                if local(pkg.tag) == "Package":
                    p = _attr(pkg, "path")
                    if p:
                        paths.append(p)
    return SoftwareBundle(
        bundle_id=_attr(el, "bundleID"),
        path=_attr(el, "path"),
        bundle_type=_attr(el, "bundleType"),
        vendor_version=_attr(el, "vendorVersion"),
        release_id=_attr(el, "releaseID"),
        date_time=_attr(el, "dateTime"),
        name=name or "",
        systems=systems,
        package_paths=tuple(paths),
    )


def build_manifest(el: Element) -> Manifest:
    protocols = _attr(el, "baseLocationAccessProtocols") or ""
    return Manifest(
        base_location=(el.get("baseLocation") or "").strip(),
        base_location_access_protocols=tuple(
            p.strip() for p in protocols.split(",") if p.strip()
        ),
        date_time=_attr(el, "dateTime"),
        version=_attr(el, "version"),
        release_id=_attr(el, "releaseID"),
        identifier=_attr(el, "identifier"),
    )
