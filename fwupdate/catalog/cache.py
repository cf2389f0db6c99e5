"""On-disk cache of parsed catalogs.

Two small stores under `<cache>/catalogs/`:

* `index/<h>.json`: source identity (path, size, mtime_ns...) -> sha256 of the catalog bytes, so
  an unchanged file is recognised from one `stat()` instead of hashing 100 MB;
* `parsed/<sha256>-<parser version>-<models fingerprint>-<filter>.json`: the parsed models.

Entries are JSON (never pickle: a cache file must not be able to run code) of the typed models in
`cachedoc.py`, encoded and decoded by msgspec (format 3, docs/documents.md), written to a temp file
and renamed into place.  A missing, truncated, foreign, older-format or corrupt entry is ignored
(and rewritten by the next parse); failures to write are logged and otherwise ignored: the cache
only ever saves time.  Each distinct `SupportedSystem` and each distinct list of them (components
of one family share their ~60-entry list) is stored once, so a warm read builds each list once.
msgspec is imported by the functions that read or write an entry, never at import.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from fwupdate.catalog.cachedoc import CacheDoc, IndexEntry

log = logging.getLogger(__name__)

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


def encode_catalog(catalog: Catalog) -> dict[str, Any]:
    """The cache entry of `catalog` as plain JSON data (tests, tools); `store` encodes the
    model directly."""
    from fwupdate.catalog import cachedoc

    doc = cachedoc.to_doc(catalog, parser=PARSER_VERSION, fingerprint=_FINGERPRINT)
    return cachedoc.entry_to_builtins(doc)


def decode_catalog(doc: Any) -> Catalog:
    """Inverse of encode_catalog; raises (ValueError, IndexError...) on bad input."""
    from fwupdate.catalog import cachedoc

    entry = cachedoc.entry_from_builtins(doc)
    return cachedoc.from_doc(entry, parser=PARSER_VERSION, fingerprint=_FINGERPRINT)


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
        from fwupdate.catalog import cachedoc

        try:
            entry = cachedoc.decode_index(self._index_path(identity).read_bytes())
        except (OSError, ValueError):
            return None
        if entry.identity != identity or len(entry.sha256) != 64:
            return None
        return entry.sha256

    def remember(self, identity: str, sha256: str) -> None:
        from fwupdate.catalog import cachedoc

        self._write(self._index_path(identity), cachedoc.IndexEntry(identity, sha256))

    def load(self, sha256: str, filter_key: str) -> Catalog | None:
        from fwupdate.catalog import cachedoc

        path = self._parsed_path(sha256, filter_key)
        try:
            with open(path, "rb") as fh:
                entry = cachedoc.decode_entry(fh.read())
            catalog = cachedoc.from_doc(entry, parser=PARSER_VERSION, fingerprint=_FINGERPRINT)
        except FileNotFoundError:
            return None
        except Exception as exc:  # any damage or another version's entry means: parse again
            log.info("ignoring unusable catalog cache entry %s: %s", path.name, exc)
            return None
        if catalog.sha256 != sha256:
            return None
        return catalog

    def store(self, filter_key: str, catalog: Catalog) -> None:
        from fwupdate.catalog import cachedoc

        if not catalog.sha256:
            return
        try:
            doc = cachedoc.to_doc(catalog, parser=PARSER_VERSION, fingerprint=_FINGERPRINT)
        except Exception as exc:  # a model this codec does not know: do not cache
            log.warning("cannot cache catalog %s: %s", catalog.source, exc)
            return
        self._write(self._parsed_path(catalog.sha256, filter_key), doc)

    def _write(self, path: Path, doc: CacheDoc | IndexEntry) -> None:
        import tempfile  # only when writing: a parse without the cache never does

        from fwupdate.catalog import cachedoc

        try:
            data = cachedoc.encode(doc)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except (OSError, TypeError, ValueError) as exc:
            log.warning("cannot write the catalog cache (%s): %s", path.parent, exc)
