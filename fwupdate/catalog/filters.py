"""Selections over a parsed catalog: by system, package type, component id, category, type;
and the bundle view (a system bundle's packages matched to components by file name).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from fwupdate.catalog.models import Catalog, PackageType, SoftwareBundle, SoftwareComponent
from fwupdate.catalog.systems import normalize_system_id, resolve_system
from fwupdate.errors import BadInputError

PACKAGE_TYPE_CHOICES = ("LLXP", "LWXP", "LW64", "GZ", "any")


def parse_package_type(value: str | PackageType | None) -> PackageType | None:
    """'LWXP' -> PackageType.LWXP; None / 'any' -> None (no filter)."""
    if value is None or isinstance(value, PackageType):
        return value
    v = value.strip().upper()
    if v in ("", "ANY"):
        return None
    if v not in PackageType.__members__ or v == "OTHER":
        raise BadInputError(
            f"unknown package type {value!r}; use one of {', '.join(PACKAGE_TYPE_CHOICES)}"
        )
    return PackageType(v)


def file_name(path: str) -> str:
    """Last segment of a catalog or bundle path (`FOLDER0123M/1/x.EXE` -> `x.EXE`)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def select_components(
    components: Iterable[SoftwareComponent],
    *,
    system_id: str | None = None,
    package_type: str | PackageType | None = None,
    component_id: str | None = None,
    category: str | None = None,
    component_type: str | None = None,
) -> tuple[SoftwareComponent, ...]:
    """Components passing every given criterion (each None criterion is ignored).

    `system_id` is hex ('4f7' == '04F7'); `category` and `component_type` compare
    case-insensitively with the catalog's values (`NI`, `BI`, `FRMW`, `BIOS`...).
    """
    sid = normalize_system_id(system_id) if system_id else None
    ptype = parse_package_type(package_type)
    cid = component_id.strip() if component_id else None
    cat = category.strip().casefold() if category else None
    ctype = component_type.strip().casefold() if component_type else None
    out = []
    for c in components:
        if sid is not None and sid not in c.system_ids:
            continue
        if ptype is not None and c.package_type is not ptype:
            continue
        if cid is not None and cid not in c.component_ids:
            continue
        if cat is not None and (c.category or "").casefold() != cat:
            continue
        if ctype is not None and (c.component_type or "").casefold() != ctype:
            continue
        out.append(c)
    return tuple(out)


def filter_catalog(
    catalog: Catalog,
    *,
    system_id: str | None = None,
    model: str | None = None,
    package_type: str | PackageType | None = None,
    component_id: str | None = None,
    category: str | None = None,
    component_type: str | None = None,
) -> Catalog:
    """A copy of `catalog` restricted to the matching components (and, with a system, the
    bundles targeting that system).  `components_total` keeps the unfiltered count."""
    sid = resolve_system(system_id, model)
    components = select_components(
        catalog.components,
        system_id=sid,
        package_type=package_type,
        component_id=component_id,
        category=category,
        component_type=component_type,
    )
    bundles = catalog.bundles if sid is None else bundles_for_system(catalog, sid)
    return dataclasses.replace(catalog, components=components, bundles=bundles)


def bundles_for_system(catalog: Catalog, system_id: str) -> tuple[SoftwareBundle, ...]:
    sid = normalize_system_id(system_id)
    return tuple(b for b in catalog.bundles if sid in b.system_ids)


@dataclass(frozen=True)
class BundleMatch:
    """A bundle with each package path resolved to the catalog component(s) of that file."""

    bundle: SoftwareBundle
    matched: tuple[tuple[str, SoftwareComponent], ...]
    unmatched: tuple[str, ...]

    @property
    def components(self) -> tuple[SoftwareComponent, ...]:
        return tuple(c for _, c in self.matched)


def _index_by_file_name(
    components: Iterable[SoftwareComponent],
) -> dict[str, list[SoftwareComponent]]:
    index: dict[str, list[SoftwareComponent]] = {}
    for c in components:
        index.setdefault(file_name(c.path).casefold(), []).append(c)
    return index


def match_bundle(catalog: Catalog, bundle: SoftwareBundle) -> BundleMatch:
    """Match `bundle`'s package paths to components by file name.

    SUU bundles and components both use bare file names; online components carry a
    `FOLDERnnnnnnnnM/n/` prefix the bundle may not, so the file name (case-insensitive) is
    the key.  When several components share a file name, the first one is used.
    """
    index = _index_by_file_name(catalog.components)
    matched: list[tuple[str, SoftwareComponent]] = []
    unmatched: list[str] = []
    for path in bundle.package_paths:
        found = index.get(file_name(path).casefold())
        if found:
            matched.append((path, found[0]))
        else:
            unmatched.append(path)
    return BundleMatch(bundle, tuple(matched), tuple(unmatched))


def find_component_by_filename(catalog: Catalog, name: str) -> SoftwareComponent | None:
    """The component whose file name equals the last segment of `name` (case-insensitive)."""
    key = file_name(name).casefold()
    if not key:
        return None
    for c in catalog.components:
        if file_name(c.path).casefold() == key:
            return c
    return None
