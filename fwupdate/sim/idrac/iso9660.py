"""A minimal ISO 9660 reader for the simulated iDRAC's virtual CD (stdlib only).

Enough to find `repository/Catalog.xml` and the packages in a Dell update ISO: the primary volume
descriptor, a Joliet supplementary descriptor when present (UCS-2 names), directory records and
single-extent files.  Names compare case-insensitively, without the ";1" version suffix.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SECTOR = 2048
MAX_DEPTH = 8
MAX_ENTRIES = 100_000


class IsoError(Exception):
    pass


@dataclass(frozen=True)
class IsoFile:
    path: str  # "repository/Catalog.xml"
    extent: int
    size: int


def _records(f: BinaryIO, extent: int, size: int) -> Iterator[bytes]:
    f.seek(extent * SECTOR)
    data = f.read(size)
    pos = 0
    while pos < len(data):
        length = data[pos]
        if length == 0:  # records never cross a sector boundary: skip to the next sector
            pos = (pos // SECTOR + 1) * SECTOR
            continue
        yield data[pos:pos + length]
        pos += length


def _name(rec: bytes, joliet: bool) -> str:
    n = rec[32]
    raw = rec[33:33 + n]
    name = raw.decode("utf-16-be", "replace") if joliet else raw.decode("ascii", "replace")
    return name.split(";", 1)[0].rstrip(".")


def list_files(path: Path) -> list[IsoFile]:
    with Path(path).open("rb") as f:
        root: tuple[int, int] | None = None
        joliet = False
        for sector in range(16, 64):
            f.seek(sector * SECTOR)
            vd = f.read(SECTOR)
            if len(vd) < SECTOR or vd[1:6] != b"CD001":
                raise IsoError("not an ISO 9660 image")
            kind = vd[0]
            if kind == 255:
                break
            rec = vd[156:190]
            loc = struct.unpack_from("<I", rec, 2)[0], struct.unpack_from("<I", rec, 10)[0]
            if kind == 1 and root is None:
                root = loc
            elif kind == 2 and vd[88:90] == b"%/" and vd[90:91] in (b"@", b"C", b"E"):
                root, joliet = loc, True
        if root is None:
            raise IsoError("no primary volume descriptor")
        out: list[IsoFile] = []

        def walk(extent: int, size: int, prefix: str, depth: int) -> None:
            if depth > MAX_DEPTH:
                return
            for rec in _records(f, extent, size):
                if len(rec) < 34 or (rec[32] == 1 and rec[33] in (0, 1)):
                    continue  # "." and ".."
                ext = struct.unpack_from("<I", rec, 2)[0]
                length = struct.unpack_from("<I", rec, 10)[0]
                name = _name(rec, joliet)
                if rec[25] & 0x02:
                    walk(ext, length, f"{prefix}{name}/", depth + 1)
                else:
                    out.append(IsoFile(prefix + name, ext, length))
                if len(out) > MAX_ENTRIES:
                    raise IsoError("too many files")

        walk(root[0], root[1], "", 0)
        return out


def find(files: list[IsoFile], name: str) -> IsoFile | None:
    folded = name.casefold()
    return next((x for x in files if x.path.casefold() == folded), None)


def read(path: Path, item: IsoFile, limit: int) -> bytes:
    if item.size > limit:
        raise IsoError(f"{item.path} is larger than {limit} bytes")
    with Path(path).open("rb") as f:
        f.seek(item.extent * SECTOR)
        return f.read(item.size)


def copy_out(path: Path, item: IsoFile, dest: Path) -> Path:
    with Path(path).open("rb") as f, dest.open("wb") as out:
        f.seek(item.extent * SECTOR)
        left = item.size
        while left > 0:
            block = f.read(min(1 << 20, left))
            if not block:
                raise IsoError(f"{item.path}: image truncated")
            out.write(block)
            left -= len(block)
    return dest
