"""The simulator's LoadMaster patch file format, and a builder for tests and the demo.

Real Kemp patch files are opaque to us; the simulator accepts this documented stand-in
(docs/loadmaster.md):

    KEMP-LM-PATCH <version> <platform>\\n      header line, ASCII, at most 200 bytes
    <payload bytes>                             anything
    \\nKEMP-LM-SHA256 <64 hex>\\n                 trailer: SHA-256 of everything before it

`<platform>` must be `BARE-METAL` for the simulated R320 units.  The fwupdate client never
imports this module (it only reads the header line to learn the target version); tests and the
demo build files with `build_patch` / `write_patch`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAGIC = b"KEMP-LM-PATCH"
PLATFORM = "BARE-METAL"
TRAILER_TAG = b"\nKEMP-LM-SHA256 "
TRAILER_LEN = len(TRAILER_TAG) + 64 + 1
MAX_HEADER = 200
_CHUNK = 1024 * 1024


class PatchFormatError(ValueError):
    """The bytes are not a valid simulator patch file (the reason is in the message)."""


@dataclass(frozen=True)
class PatchInfo:
    version: str
    platform: str
    size: int


def build_patch(
    version: str,
    *,
    platform: str = PLATFORM,
    payload: bytes | None = None,
    payload_size: int = 4096,
) -> bytes:
    """A valid patch file for `version` (payload: given bytes or `payload_size` filler bytes)."""
    if not version or any(c.isspace() for c in version):
        raise ValueError("version must be one word")
    header = MAGIC + b" " + version.encode("ascii") + b" " + platform.encode("ascii") + b"\n"
    if payload is None:
        seed = hashlib.sha256(version.encode()).digest()
        payload = (seed * (payload_size // len(seed) + 1))[:payload_size]
    body = header + payload
    return body + TRAILER_TAG + hashlib.sha256(body).hexdigest().encode("ascii") + b"\n"


def write_patch(
    path: Path,
    version: str,
    *,
    platform: str = PLATFORM,
    payload: bytes | None = None,
    payload_size: int = 4096,
) -> Path:
    """Write `build_patch(version, ...)` to `path` atomically; returns the path."""
    data = build_patch(version, platform=platform, payload=payload, payload_size=payload_size)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def corrupt(data: bytes) -> bytes:
    """The same file with one payload byte flipped (checksum no longer matches)."""
    if len(data) <= TRAILER_LEN + 1:
        raise ValueError("too short to corrupt")
    i = len(data) - TRAILER_LEN - 1
    return data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :]


def inspect_patch(stream: IO[bytes], length: int) -> PatchInfo:
    """Validate a patch read from `stream` (at position 0, `length` bytes) without loading it."""
    if length <= TRAILER_LEN:
        raise PatchFormatError("file too short")
    header = stream.readline(MAX_HEADER)
    if not header.endswith(b"\n"):
        raise PatchFormatError("no header line")
    parts = header.rstrip(b"\n").split(b" ")
    if len(parts) != 3 or parts[0] != MAGIC:
        raise PatchFormatError("not a LoadMaster patch file")
    try:
        version, platform = parts[1].decode("ascii"), parts[2].decode("ascii")
    except UnicodeDecodeError:
        raise PatchFormatError("header is not ASCII") from None
    digest = hashlib.sha256(header)
    remaining = length - TRAILER_LEN - len(header)
    if remaining < 0:
        raise PatchFormatError("file too short")
    while remaining > 0:
        chunk = stream.read(min(_CHUNK, remaining))
        if not chunk:
            raise PatchFormatError("file truncated")
        digest.update(chunk)
        remaining -= len(chunk)
    trailer = stream.read(TRAILER_LEN)
    if len(trailer) != TRAILER_LEN or not trailer.startswith(TRAILER_TAG):
        raise PatchFormatError("no checksum trailer")
    if trailer[len(TRAILER_TAG) : -1].decode("ascii", "replace") != digest.hexdigest():
        raise PatchFormatError("checksum mismatch")
    return PatchInfo(version=version, platform=platform, size=length)
