"""The catalog cache entry's typed model (msgspec), format 3 (docs/documents.md).

Components, bundles, the manifest and the systems decode straight into the catalog's own frozen
dataclasses (`models.py`), in C.  What the cache stores differently is the systems: a component
lists dozens of them and components of one family share their list, so the entry holds a table
of distinct systems, a table of distinct lists (indexes into the first) and, parallel to
`components` and `bundles`, the index of each one's list; the components themselves are written
with an empty `systems`, which `decode` fills in with the shared tuple.  Imported only by the
functions of `cache.py` that read or write an entry (lazily: msgspec stays out of start-up).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec

from fwupdate.catalog.models import (
    Catalog,
    Manifest,
    SoftwareBundle,
    SoftwareComponent,
    SupportedSystem,
)
from fwupdate.documents import convert, decode_json, encode_json, gc_paused

FORMAT = 3  # 3: msgspec, decoded into the models; 2: hand-written mapping of lists


class CacheDoc(msgspec.Struct):
    """One parsed (and possibly filtered) catalog, as the cache stores it."""

    format: int
    parser: str
    fingerprint: str
    source: str
    sha256: str
    components_total: int
    extra: dict[str, str]
    manifest: Manifest
    systems: list[SupportedSystem]
    system_lists: list[list[int]]
    components: list[SoftwareComponent]  # each with systems=(): see component_systems
    component_systems: list[int]  # index into system_lists, one per component
    bundles: list[SoftwareBundle]  # each with systems=(): see bundle_systems
    bundle_systems: list[int]


class IndexEntry(msgspec.Struct):
    """Source identity (path, size, mtime...) -> SHA-256 of the catalog's bytes."""

    identity: str
    sha256: str


class _SystemTables:
    """Each distinct system and each distinct list of systems, stored once."""

    def __init__(self) -> None:
        self.systems: list[SupportedSystem] = []
        self.lists: list[list[int]] = []
        self._system_index: dict[SupportedSystem, int] = {}
        self._list_index: dict[tuple[SupportedSystem, ...], int] = {}

    def list_index(self, systems: tuple[SupportedSystem, ...]) -> int:
        i = self._list_index.get(systems)
        if i is None:
            i = self._list_index[systems] = len(self.lists)
            self.lists.append([self._system(s) for s in systems])
        return i

    def _system(self, system: SupportedSystem) -> int:
        i = self._system_index.get(system)
        if i is None:
            i = self._system_index[system] = len(self.systems)
            self.systems.append(system)
        return i


def to_doc(catalog: Catalog, *, parser: str, fingerprint: str) -> CacheDoc:
    tables = _SystemTables()
    return CacheDoc(
        format=FORMAT,
        parser=parser,
        fingerprint=fingerprint,
        source=catalog.source,
        sha256=catalog.sha256 or "",
        components_total=catalog.components_total,
        extra=dict(catalog.extra),
        manifest=catalog.manifest,
        components=[dataclasses.replace(c, systems=()) for c in catalog.components],
        component_systems=[tables.list_index(c.systems) for c in catalog.components],
        bundles=[dataclasses.replace(b, systems=()) for b in catalog.bundles],
        bundle_systems=[tables.list_index(b.systems) for b in catalog.bundles],
        systems=tables.systems,
        system_lists=tables.lists,
    )


def from_doc(doc: CacheDoc, *, parser: str, fingerprint: str) -> Catalog:
    """The catalog of a decoded entry; ValueError for another version's entry, IndexError or
    ValueError for inconsistent tables."""
    if (doc.format, doc.parser, doc.fingerprint) != (FORMAT, parser, fingerprint):
        raise ValueError("cache entry from another version")
    lists = [tuple([doc.systems[i] for i in refs]) for refs in doc.system_lists]
    _attach_systems(doc.components, doc.component_systems, lists)
    _attach_systems(doc.bundles, doc.bundle_systems, lists)
    return Catalog(
        source=doc.source,
        manifest=doc.manifest,
        components=tuple(doc.components),
        bundles=tuple(doc.bundles),
        components_total=doc.components_total,
        sha256=doc.sha256,
        extra=doc.extra,
    )


def _attach_systems(
    items: list[SoftwareComponent] | list[SoftwareBundle],
    refs: list[int],
    lists: list[tuple[SupportedSystem, ...]],
) -> None:
    """Give each freshly decoded item its shared tuple of systems.  The items are frozen; they
    were built by the decoder a moment ago and nothing else holds them yet (nor their hash), so
    setting the field here is their construction finishing, without a second copy of each."""
    for item, i in zip(items, refs, strict=True):
        object.__setattr__(item, "systems", lists[i])


def encode(doc: CacheDoc | IndexEntry) -> bytes:
    with gc_paused():
        return encode_json(doc)


def decode_entry(data: bytes) -> CacheDoc:
    return decode_json(data, CacheDoc)


def decode_index(data: bytes) -> IndexEntry:
    return decode_json(data, IndexEntry)


def entry_from_builtins(obj: Any) -> CacheDoc:
    return convert(obj, CacheDoc)


def entry_to_builtins(doc: CacheDoc) -> dict[str, Any]:
    built: dict[str, Any] = msgspec.to_builtins(doc)
    return built
