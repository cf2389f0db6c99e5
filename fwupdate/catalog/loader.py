"""`load_catalog()`: the one call other packages make to get a (filtered) catalog.

source -> resolve (file, folder, ISO, URL) -> cache lookup by source identity -> else parse while
hashing the bytes -> remember identity -> sha256 and store the parsed models.

The parser (and lxml) is imported only when a source has to be parsed: a warm cache read imports
neither it nor requests (`tests/catalog/test_warm_imports.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from fwupdate.catalog.cache import CatalogCache, default_cache_dir
from fwupdate.catalog.models import Catalog
from fwupdate.catalog.sources import CatalogSource, resolve_source
from fwupdate.catalog.systems import normalize_system_id

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)


class _HashingReader:
    """Reads a stream and hashes every byte that went through (the raw, compressed bytes)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        while True:  # gzip may stop before trailing bytes; hash what is left
            block = self._raw.read(1 << 20)
            if not block:
                break
            self._hash.update(block)
        return self._hash.hexdigest()


def _parse_source(
    src: CatalogSource, system_id: str | None, prefilter: bool, skip_blocks: bool = False
) -> Catalog:
    from fwupdate.catalog.parser import parse_catalog

    with src.open() as raw:
        reader = _HashingReader(raw)
        catalog = parse_catalog(
            reader,  # type: ignore[arg-type]  # only read() is used
            source=src.label,
            system_id=system_id,
            prefilter=prefilter,
            skip_blocks=skip_blocks,
        )
        return dataclasses.replace(catalog, sha256=reader.hexdigest())


def load_catalog(
    source: str,
    *,
    system_id: str | None = None,
    cache_dir: str | Path | None = None,
    ca_bundle: str | None = None,
    use_cache: bool = True,
    allow_http: bool = False,
    session: requests.Session | None = None,
) -> Catalog:
    """Load a catalog from a file, folder, SUU ISO or https URL, keeping only the components
    (and bundles) for `system_id` when given ('04F7', '4f7').

    Parsed results are cached under `cache_dir` (default: see `default_cache_dir`), keyed by
    the sha256 of the catalog bytes, the parser version and the filter; reopening an unchanged
    source costs one stat() and one small JSON read.  `Catalog.sha256` always names the bytes
    the result came from.  Raises CatalogError (exit 2) for unusable sources.
    """
    sid = normalize_system_id(system_id) if system_id else None
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    src = resolve_source(source, cache_dir=root, ca_bundle=ca_bundle, allow_http=allow_http,
                         session=session)
    filter_key = sid or "all"
    from fwupdate.gcpause import gc_paused  # the one pause; models are acyclic

    cache = CatalogCache(root) if use_cache else None
    if cache is not None:
        sha = cache.sha_for(src.identity)
        if sha is not None:
            with gc_paused():
                cached = cache.load(sha, filter_key)
            if cached is not None:
                log.debug("catalog cache hit for %s (%s)", src.label, filter_key)
                return dataclasses.replace(cached, source=src.label)

    from fwupdate.catalog.parser import BlockSkipFallback, PrefilteredParseError

    with gc_paused():
        try:
            try:
                catalog = _parse_source(src, sid, prefilter=True, skip_blocks=True)
            except BlockSkipFallback:
                # Something the block skipping cannot prove equal to a full parse, or an
                # error: the parse without it gives the answer (and the error, line and column).
                log.info("re-reading %s without skipping repeated blocks", src.label)
                catalog = _parse_source(src, sid, prefilter=True)
        except PrefilteredParseError:
            # The raw pre-filter may have cut the document at a comment holding a component
            # tag; the full parse decides (and reports the true error and line).
            log.info("re-reading %s without the raw pre-filter", src.label)
            catalog = _parse_source(src, sid, prefilter=False)

    if cache is not None and catalog.sha256:
        cache.remember(src.identity, catalog.sha256)
        cache.store(filter_key, catalog)
    return catalog
