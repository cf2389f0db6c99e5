"""Frozen models of Dell's Catalog.xml (also the schema of a DUP's package.xml).

Field names follow the catalog attributes (catalog-and-dup.md §1.3-1.7).  Every model is a frozen
dataclass; collections are tuples so the models hash and compare by value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Bump when the models or the parsing rules change: cached parses carry it in their key.  It
# lives here, not in parser.py, so that a warm cache read never imports lxml.
PARSER_VERSION = "2"


class Criticality(StrEnum):
    """Catalog `Criticality@value`: 1 = Recommended, 2 = Urgent, 3 = Optional (§1.8)."""

    RECOMMENDED = "Recommended"
    URGENT = "Urgent"
    OPTIONAL = "Optional"
    UNKNOWN = "Unknown"

    @classmethod
    def from_value(cls, value: str | None) -> Criticality:
        return _CRITICALITY.get((value or "").strip().lower(), cls.UNKNOWN)


_CRITICALITY = {
    "1": Criticality.RECOMMENDED,
    "recommended": Criticality.RECOMMENDED,
    "2": Criticality.URGENT,
    "urgent": Criticality.URGENT,
    "3": Criticality.OPTIONAL,
    "optional": Criticality.OPTIONAL,
}


class PackageType(StrEnum):
    """Catalog `packageType`: LLXP Linux DUP, LWXP Win32 DUP, LW64 Win64 DUP, GZ tarball."""

    LLXP = "LLXP"
    LWXP = "LWXP"
    LW64 = "LW64"
    GZ = "GZ"
    OTHER = "OTHER"

    @classmethod
    def from_value(cls, value: str | None) -> PackageType:
        try:
            return cls((value or "").strip().upper())
        except ValueError:
            return cls.OTHER

    @property
    def is_windows(self) -> bool:
        """iDRAC interfaces accept Windows DUPs (and bare images), never Linux .BIN (§3)."""
        return self in (PackageType.LWXP, PackageType.LW64)


@dataclass(frozen=True)
class PciInfo:
    vendor_id: str | None = None
    device_id: str | None = None
    sub_vendor_id: str | None = None
    sub_device_id: str | None = None


@dataclass(frozen=True)
class SupportedDevice:
    component_id: str | None
    display: str | None = None
    embedded: bool = False
    pci: tuple[PciInfo, ...] = ()


@dataclass(frozen=True)
class SupportedSystem:
    """One `Brand/Model` pair: e.g. brand prefix 'PE', system id '04F7', display 'R320'."""

    brand_prefix: str | None
    system_id: str  # upper-case hex, 4 digits as in the catalog
    display: str | None = None


# Components of one family share one tuple of ~60 systems (the parser's SystemTable and the cache
# decoder build each distinct list once), so their ids are computed once per tuple, not once per
# component and call (filters and `catalog show` ask for them 2-3 times per component).  Each
# entry holds its tuple, so an id() in the table is never reused while the entry exists.
_IDS_BY_TUPLE: dict[int, tuple[tuple[SupportedSystem, ...], tuple[str, ...]]] = {}
_IDS_BY_TUPLE_MAX = 4096


def system_ids_of(systems: tuple[SupportedSystem, ...]) -> tuple[str, ...]:
    """The system ids of a tuple of systems, in order (remembered per shared tuple)."""
    hit = _IDS_BY_TUPLE.get(id(systems))
    if hit is not None and hit[0] is systems:
        return hit[1]
    ids = tuple(s.system_id for s in systems)
    if len(_IDS_BY_TUPLE) >= _IDS_BY_TUPLE_MAX:
        _IDS_BY_TUPLE.clear()
    _IDS_BY_TUPLE[id(systems)] = (systems, ids)
    return ids


@dataclass(frozen=True, slots=True)  # slots: 0.4 of the 0.8 KB a kept component costs
class SoftwareComponent:
    path: str
    package_id: str | None = None
    release_id: str | None = None
    package_type: PackageType = PackageType.OTHER
    vendor_version: str = ""
    dell_version: str | None = None
    release_date: str | None = None
    date_time: str | None = None
    hash_md5: str | None = None  # lower-cased
    size: int | None = None
    reboot_required: bool | None = None
    name: str = ""
    description: str | None = None
    component_type: str | None = None  # FRMW, BIOS, APAC, APP, DRVR...
    category: str | None = None  # short code (BI, NI, SF...) or long form
    lu_category: str | None = None
    criticality: Criticality = Criticality.UNKNOWN
    devices: tuple[SupportedDevice, ...] = ()
    systems: tuple[SupportedSystem, ...] = ()
    schema_version: str | None = None

    @property
    def file_name(self) -> str:
        """Last path segment: online paths are `FOLDERnnnM/n/<file>`, SUU paths bare names."""
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]

    @property
    def component_ids(self) -> tuple[str, ...]:
        return tuple([d.component_id for d in self.devices if d.component_id])

    @property
    def system_ids(self) -> tuple[str, ...]:
        return system_ids_of(self.systems)

    def supports_system(self, system_id: str) -> bool:
        """'04F7', '04f7' and '4f7' name the same system (ids are 4 upper-case hex digits)."""
        sid = system_id.strip().upper().removeprefix("0X").zfill(4)
        return any(s.system_id == sid for s in self.systems)


@dataclass(frozen=True)
class SoftwareBundle:
    bundle_id: str | None
    path: str | None
    bundle_type: str | None  # BTLX, BTW32, BTW64
    vendor_version: str | None = None
    release_id: str | None = None
    date_time: str | None = None
    name: str = ""
    systems: tuple[SupportedSystem, ...] = ()
    package_paths: tuple[str, ...] = ()

    @property
    def system_ids(self) -> tuple[str, ...]:
        return system_ids_of(self.systems)


@dataclass(frozen=True)
class Manifest:
    base_location: str = ""
    base_location_access_protocols: tuple[str, ...] = ()
    date_time: str | None = None
    version: str | None = None
    release_id: str | None = None
    identifier: str | None = None


@dataclass(frozen=True)
class Catalog:
    """A parsed (possibly filtered) catalog.

    `source` names where it came from (file path, ISO path + member, URL); `sha256` identifies the
    exact bytes read, so plans can record which catalog they were made from.
    """

    source: str
    manifest: Manifest
    components: tuple[SoftwareComponent, ...] = ()
    bundles: tuple[SoftwareBundle, ...] = ()
    components_total: int = 0  # before filtering
    sha256: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
