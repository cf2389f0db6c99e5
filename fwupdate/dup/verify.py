"""Streaming digests of a package and verification against its catalog entry.

Server catalogs give `hashMD5` (lower- or upper-case) and, online, `size` (catalog-and-dup.md
§1.6-1.7); both are checked when present.  SHA-256 is computed too, for records and reports.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fwupdate.catalog.models import SoftwareComponent
from fwupdate.errors import BadInputError, DupError, HashMismatchError

CHUNK = 1 << 20


@dataclass(frozen=True)
class Digests:
    size: int
    md5: str  # lower-case hex
    sha256: str  # lower-case hex


def stream_digests(stream: BinaryIO, chunk_size: int = CHUNK) -> Digests:
    """MD5, SHA-256 and length of everything left in `stream`, read in chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    size = 0
    while True:
        block = stream.read(chunk_size)
        if not block:
            break
        md5.update(block)
        sha.update(block)
        size += len(block)
    return Digests(size=size, md5=md5.hexdigest(), sha256=sha.hexdigest())


def file_digests(path: str | os.PathLike[str]) -> Digests:
    p = Path(path)
    try:
        with p.open("rb") as f:
            return stream_digests(f)
    except FileNotFoundError:
        raise BadInputError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise BadInputError(f"{p}: not a regular file") from None
    except OSError as exc:
        raise BadInputError(f"{p}: cannot read: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Verification:
    """A successful check: what was compared and found equal."""

    path: str
    component_path: str
    size: int
    md5: str
    sha256: str
    expected_md5: str | None
    expected_size: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.path,
            "catalog_path": self.component_path,
            "result": "ok",
            "size": self.size,
            "expected_size": self.expected_size,
            "md5": self.md5,
            "expected_md5": self.expected_md5,
            "sha256": self.sha256,
        }


def verify_against_component(
    path: str | os.PathLike[str],
    component: SoftwareComponent,
    *,
    digests: Digests | None = None,
) -> Verification:
    """Check size (when the catalog has one) and MD5 (case-insensitive) of the file at `path`.

    Raises HashMismatchError naming the file, the expected and the actual value; DupError when
    the catalog entry has neither a hash nor a size to check against.
    """
    p = Path(path)
    expected_md5 = (component.hash_md5 or "").strip().lower() or None
    if expected_md5 is None and component.size is None:
        raise DupError(
            f"{p}: cannot verify: catalog entry {component.path} has neither hashMD5 nor size"
        )
    d = digests or file_digests(p)
    if component.size is not None and d.size != component.size:
        raise HashMismatchError(
            f"{p}: size mismatch: catalog {component.path} expects {component.size} bytes, "
            f"file has {d.size} bytes"
        )
    if expected_md5 is not None and d.md5 != expected_md5:
        raise HashMismatchError(
            f"{p}: MD5 mismatch: catalog {component.path} expects {expected_md5}, file has {d.md5}"
        )
    return Verification(
        path=str(p),
        component_path=component.path,
        size=d.size,
        md5=d.md5,
        sha256=d.sha256,
        expected_md5=expected_md5,
        expected_size=component.size,
    )
