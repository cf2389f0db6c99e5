"""On-disk cache of parsed catalogs.

Two small stores under `<cache>/catalogs/`:

* `index/<h>.json`: source identity (path, size, mtime_ns...) -> sha256 of the catalog bytes, so
  an unchanged file is recognised from one `stat()` instead of hashing 100 MB;
* `parsed/<sha256>-<parser version>-<models fingerprint>-<filter>.json`: the parsed models.

Entries are JSON (never pickle: a cache file must not be able to run code), written to a temp file
and renamed into place.  A missing, truncated, foreign or corrupt entry is ignored (and rewritten
by the next parse); failures to write are logged and otherwise ignored: the cache only ever saves
time.  Repeated `SupportedSystem` values (a component lists dozens of systems, and they repeat
across components) are stored once in a table and referenced by index, and so are repeated
lists of them (components of one family share their ~60-entry list), so a warm read builds each
list once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from fwupdate.catalog.models import (
    PARSER_VERSION,
    Catalog,
    Criticality,
    Manifest,
    PackageType,
    PciInfo,
    SoftwareBundle,
    SoftwareComponent,
    SupportedDevice,
    SupportedSystem,
)

log = logging.getLogger(__name__)

FORMAT = 2  # 2: system lists stored once and referenced by index


def default_cache_dir() -> Path:
    """$FWUPDATE_CACHE_DIR, else $XDG_CACHE_HOME/fwupdate, else ~/.cache/fwupdate."""
    explicit = os.environ.get("FWUPDATE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "fwupdate"


def _fingerprint() -> str:
    """Changes whenever a model gains, loses or renames a field (models.py is shared)."""
    parts = []
    for cls in (Catalog, Manifest, SoftwareComponent, SoftwareBundle, SupportedDevice,
                SupportedSystem, PciInfo):
        parts.append(cls.__name__ + ":" + ",".join(f.name for f in dataclasses.fields(cls)))
    parts.append(",".join(m.value for m in Criticality))
    parts.append(",".join(p.value for p in PackageType))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


_FINGERPRINT = _fingerprint()


# --- encoding ----------------------------------------------------------------------------------


def _flat(obj: Any, skip: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        if isinstance(value, tuple):
            value = list(value)
        out[f.name] = value.value if isinstance(value, PackageType | Criticality) else value
    return out


class _Encoder:
    def __init__(self) -> None:
        self.systems: list[list[Any]] = []
        self._index: dict[SupportedSystem, int] = {}
        self.lists: list[list[int]] = []
        self._lists: dict[tuple[SupportedSystem, ...], int] = {}

    def system_list(self, systems: tuple[SupportedSystem, ...]) -> int:
        """Index of this list of systems in `lists` (each distinct list stored once)."""
        i = self._lists.get(systems)
        if i is None:
            i = self._lists[systems] = len(self.lists)
            self.lists.append(self.system_refs(systems))
        return i

    def system_refs(self, systems: tuple[SupportedSystem, ...]) -> list[int]:
        refs = []
        for s in systems:
            i = self._index.get(s)
            if i is None:
                i = self._index[s] = len(self.systems)
                self.systems.append([s.brand_prefix, s.system_id, s.display])
            refs.append(i)
        return refs

    def component(self, c: SoftwareComponent) -> dict[str, Any]:
        d = _flat(c, ("devices", "systems"))
        d["devices"] = [
            [dev.component_id, dev.display, dev.embedded,
             [[p.vendor_id, p.device_id, p.sub_vendor_id, p.sub_device_id] for p in dev.pci]]
            for dev in c.devices
        ]
        d["systems"] = self.system_list(c.systems)
        return d

    def bundle(self, b: SoftwareBundle) -> dict[str, Any]:
        d = _flat(b, ("systems",))
        d["systems"] = self.system_list(b.systems)
        return d


def encode_catalog(catalog: Catalog) -> dict[str, Any]:
    enc = _Encoder()
    components = [enc.component(c) for c in catalog.components]
    bundles = [enc.bundle(b) for b in catalog.bundles]
    return {
        "format": FORMAT,
        "parser": PARSER_VERSION,
        "fingerprint": _FINGERPRINT,
        "source": catalog.source,
        "sha256": catalog.sha256,
        "components_total": catalog.components_total,
        "extra": dict(catalog.extra),
        "manifest": _flat(catalog.manifest, ()),
        "systems": enc.systems,
        "system_lists": enc.lists,
        "components": components,
        "bundles": bundles,
    }


def decode_catalog(doc: dict[str, Any]) -> Catalog:
    """Inverse of encode_catalog; raises (KeyError, TypeError, ValueError...) on bad input."""
    if doc.get("format") != FORMAT or doc.get("fingerprint") != _FINGERPRINT:
        raise ValueError("cache entry from another version")
    systems = [SupportedSystem(p, str(sid), d) for p, sid, d in doc["systems"]]
    lists = [tuple(systems[i] for i in refs) for refs in doc["system_lists"]]

    def devices(raw: list[Any]) -> tuple[SupportedDevice, ...]:
        return tuple(
            SupportedDevice(cid, disp, bool(emb), tuple(PciInfo(*p) for p in pci))
            for cid, disp, emb, pci in raw
        )

    components = []
    for d in doc["components"]:
        d = dict(d)
        d["package_type"] = PackageType(d["package_type"])
        d["criticality"] = Criticality(d["criticality"])
        d["devices"] = devices(d["devices"])
        d["systems"] = lists[d["systems"]]
        components.append(SoftwareComponent(**d))
    bundles = []
    for d in doc["bundles"]:
        d = dict(d)
        d["systems"] = lists[d["systems"]]
        d["package_paths"] = tuple(d["package_paths"])
        bundles.append(SoftwareBundle(**d))
    m = dict(doc["manifest"])
    m["base_location_access_protocols"] = tuple(m["base_location_access_protocols"])
    return Catalog(
        source=str(doc["source"]),
        manifest=Manifest(**m),
        components=tuple(components),
        bundles=tuple(bundles),
        components_total=int(doc["components_total"]),
        sha256=doc["sha256"],
        extra={str(k): str(v) for k, v in doc["extra"].items()},
    )


# --- store -------------------------------------------------------------------------------------


class CatalogCache:
    def __init__(self, root: Path) -> None:
        self.root = root / "catalogs"

    def _index_path(self, identity: str) -> Path:
        return self.root / "index" / (hashlib.sha256(identity.encode()).hexdigest()[:40] + ".json")

    def _parsed_path(self, sha256: str, filter_key: str) -> Path:
        return self.root / "parsed" / f"{sha256}-p{PARSER_VERSION}-{_FINGERPRINT}-{filter_key}.json"

    def sha_for(self, identity: str) -> str | None:
        """The sha256 remembered for this source identity, if any."""
        try:
            doc = json.loads(self._index_path(identity).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("identity") != identity:
            return None
        sha = doc.get("sha256")
        return sha if isinstance(sha, str) and len(sha) == 64 else None

    def remember(self, identity: str, sha256: str) -> None:
        self._write(self._index_path(identity), {"identity": identity, "sha256": sha256})

    def load(self, sha256: str, filter_key: str) -> Catalog | None:
        path = self._parsed_path(sha256, filter_key)
        try:
            with open(path, "rb") as fh:
                doc = json.load(fh)
            catalog = decode_catalog(doc)
        except FileNotFoundError:
            return None
        except Exception as exc:  # any damage means: parse again
            log.info("ignoring unusable catalog cache entry %s: %s", path.name, exc)
            return None
        if catalog.sha256 != sha256:
            return None
        return catalog

    def store(self, filter_key: str, catalog: Catalog) -> None:
        if not catalog.sha256:
            return
        try:
            doc = encode_catalog(catalog)
        except Exception as exc:  # a model field this codec does not know: do not cache
            log.warning("cannot cache catalog %s: %s", catalog.source, exc)
            return
        self._write(self._parsed_path(catalog.sha256, filter_key), doc)

    def _write(self, path: Path, doc: dict[str, Any]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(json.dumps(doc, separators=(",", ":")))
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except (OSError, TypeError, ValueError) as exc:
            log.warning("cannot write the catalog cache (%s): %s", path.parent, exc)
