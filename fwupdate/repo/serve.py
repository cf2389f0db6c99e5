"""Serve a repository from the orchestrator host for one run: catalog (rewritten) + its packages.

Only the files the catalog names are registered with the file server (plus its bundle XMLs when
present), each under the file server's per-run random path; nothing else of the folder or image
is reachable.  The catalog is served from memory after `rewrite_catalog`, so an online-style
catalog cannot send the iDRAC to downloads.dell.com (RED006).
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from fwupdate.errors import BadInputError
from fwupdate.fileserver import FileServer
from fwupdate.fileserver.sources import BytesSource, FileSource
from fwupdate.idrac.share import ShareParameters, share_from_url
from fwupdate.repo.rewrite import package_paths, rewrite_catalog
from fwupdate.repo.source import RepositoryContent, open_repository

log = logging.getLogger(__name__)
MAX_GUNZIPPED = 512 * 1024 * 1024
SERVED_CATALOG = "Catalog.xml"


@dataclass(frozen=True)
class ServedRepository:
    origin: str
    kind: str  # folder | catalog | iso
    base_url: str  # ends in '/'
    catalog_url: str
    share: ShareParameters
    packages: tuple[str, ...]  # served package paths
    missing: tuple[str, ...]  # catalog paths with no file in the repository
    rewrites: tuple[str, ...]  # what rewrite_catalog changed


def _plain_catalog(data: bytes, what: str) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            out = gz.read(MAX_GUNZIPPED + 1)
    except (OSError, EOFError) as exc:
        raise BadInputError(f"{what}: damaged gzip catalog: {exc}") from None
    if len(out) > MAX_GUNZIPPED:
        raise BadInputError(f"{what}: catalog larger than {MAX_GUNZIPPED} bytes unpacked")
    return out


def prepare(
    content: RepositoryContent,
    *,
    rewrite: bool = True,
    only: Collection[str] | None = None,
) -> tuple[
    dict[str, Path | FileSource], tuple[str, ...], tuple[str, ...], tuple[str, ...]
]:
    """({served name: file}, packages, missing, rewrites) for a repository's content."""
    what = f"{content.origin}:{content.catalog_name}"
    data = _plain_catalog(content.catalog, what)
    rewrites: tuple[str, ...] = ()
    if rewrite or only is not None:
        result = rewrite_catalog(
            data, keep_paths=only, what=what, base_location=None if not rewrite else ""
        )
        data, rewrites = result.data, result.changes
    comps, bundles = package_paths(data, what=what)
    files: dict[str, Path | FileSource] = {SERVED_CATALOG: BytesSource(data, "Catalog.xml")}
    served: list[str] = []
    missing: list[str] = []
    for rel in comps:
        src = content.find(rel)
        if src is None:
            missing.append(rel)
            continue
        files[rel] = src
        served.append(rel)
    for rel in bundles:
        src = content.find(rel)
        if src is not None:
            files[rel] = src
    return files, tuple(served), tuple(missing), rewrites


def serve_repository(
    fileserver: FileServer,
    source: Path | str,
    *,
    rewrite: bool = True,
    only: Collection[str] | None = None,
    verify: Callable[[RepositoryContent, Collection[str]], None] | None = None,
) -> ServedRepository:
    """Register a repository's catalog and packages with a started file server; `only` limits
    the served catalog to those package paths (the plan's).  `verify(content, served paths)`
    runs before anything is registered and refuses (raises) to serve nothing."""
    content = open_repository(source)
    files, served, missing, rewrites = prepare(content, rewrite=rewrite, only=only)
    if verify is not None:
        verify(content, served)
    if not served:
        raise BadInputError(
            f"{content.origin}: the catalog names no package present in the repository"
            + (f" (missing e.g. {missing[0]})" if missing else "")
        )
    for change in rewrites:
        log.info("repository %s: catalog rewritten: %s", content.origin, change)
    if missing:
        log.warning(
            "repository %s: %d package(s) named by the catalog are absent (e.g. %s)",
            content.origin, len(missing), missing[0],
        )
    base = fileserver.register_set(files)
    return ServedRepository(
        origin=content.origin,
        kind=content.kind,
        base_url=base,
        catalog_url=base + SERVED_CATALOG,
        share=share_from_url(base, catalog_file=SERVED_CATALOG, secret_path=True),
        packages=served,
        missing=missing,
        rewrites=rewrites,
    )
