"""Where a repository comes from: a folder (DRM export, SUU `repository/` copy), a catalog file
beside its packages, or an SUU / bootable update ISO read without mounting.

`open_repository(path)` returns the catalog's bytes and a `{relative name: file}` map of every
file the image or folder holds, with case-insensitive lookup (ISO 9660 names are upper case,
catalog paths are not).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fwupdate.errors import BadInputError
from fwupdate.fileserver.sources import FileSource
from fwupdate.inputfile import read_regular
from fwupdate.pathsafe import package_relpath
from fwupdate.repo.iso import is_iso, iso_members

CATALOG_NAMES = ("Catalog.xml", "Catalog.xml.gz")
MAX_CATALOG = 512 * 1024 * 1024
MAX_FILES = 200_000


@dataclass(frozen=True)
class RepositoryContent:
    origin: str  # what the user gave
    kind: str  # folder | catalog | iso
    catalog_name: str  # the catalog's name relative to the repository root
    catalog: bytes
    files: Mapping[str, Path | FileSource] = field(repr=False)  # relative to the repository root

    def find(self, name: str) -> Path | FileSource | None:
        """The file a catalog path names, inside the repository (BadInputError for a path
        that would leave it; symbolic links were never listed)."""
        name = package_relpath(name)
        hit = self.files.get(name)
        if hit is not None:
            return hit
        folded = name.casefold()
        for key, value in self.files.items():
            if key.casefold() == folded:
                return value
        return None


def _read_source(src: Path | FileSource) -> bytes:
    if isinstance(src, Path):
        return read_regular(src, max_bytes=MAX_CATALOG, what="catalog")
    if src.size > MAX_CATALOG:
        raise BadInputError(f"{src.label}: catalog larger than {MAX_CATALOG} bytes")
    with src.open() as f:
        return f.read()


def _folder_files(root: Path) -> dict[str, Path | FileSource]:
    out: dict[str, Path | FileSource] = {}
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            p = Path(dirpath) / name
            if p.is_symlink() or not p.is_file():
                continue
            out[p.relative_to(root).as_posix()] = p
            if len(out) > MAX_FILES:
                raise BadInputError(f"{root}: more than {MAX_FILES} files; name the repository")
    return out


def _catalog_in(files: Mapping[str, object], what: str) -> tuple[str, str]:
    """(repository root prefix, catalog name): Catalog.xml at the top, else in repository/."""
    lower = {k.casefold(): k for k in files}
    for prefix in ("", "repository/"):
        for cat in CATALOG_NAMES:
            key = lower.get((prefix + cat).casefold())
            if key is not None:
                return key[: len(prefix)], key[len(prefix):]
    raise BadInputError(f"{what}: no Catalog.xml at the top or in repository/")


def _rooted(files: Mapping[str, Path | FileSource], prefix: str) -> dict[str, Path | FileSource]:
    if not prefix:
        return dict(files)
    n = len(prefix)
    return {k[n:]: v for k, v in files.items() if k[:n].casefold() == prefix.casefold()}


def open_repository(path: Path | str) -> RepositoryContent:
    """A repository from a folder, a Catalog.xml file (its folder holds the packages) or an ISO."""
    p = Path(path)
    if not p.exists():
        raise BadInputError(f"{p}: no such file or folder")
    if p.is_dir():
        files = _folder_files(p)
        prefix, cat = _catalog_in(files, str(p))
        rooted = _rooted(files, prefix)
        return RepositoryContent(str(p), "folder", cat, _read_source(rooted[cat]), rooted)
    if is_iso(p):
        members: dict[str, Path | FileSource] = dict(iso_members(p))
        prefix, cat = _catalog_in(members, str(p))
        rooted = _rooted(members, prefix)
        return RepositoryContent(str(p), "iso", cat, _read_source(rooted[cat]), rooted)
    if p.suffix.lower() in (".xml", ".gz"):
        files = _folder_files(p.parent)
        return RepositoryContent(str(p), "catalog", p.name, _read_source(p), files)
    raise BadInputError(f"{p}: not a repository folder, a Catalog.xml or an ISO image")
