"""Synthetic DUPs that look like Dell's, for the demo, the simulator seeding and the tests.

- `build_exe_dup`: PE stub (`MZ` ... `PE\\0\\0` + filler) with a ZIP appended holding
  `package.xml` and `payload/...`, like a Windows DUP.
- `build_bin_dup`: `#!/bin/sh` header that only exits, `#####Startofpackage#####`, the package
  XML, `#####Startofarchive#####`, then a gzip tar with `package.xml` and `payload/...`.
- `build_firmware_image`: a bare `firmimg.d7` with fwupdate's synthetic header (see image.py).

Output is deterministic (fixed timestamps, no gzip mtime), so the same spec always gives the
same bytes and the same MD5.  Every file is written to a temporary name and moved into place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import io
import os
import shutil
import struct
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from fwupdate.catalog.models import SoftwareComponent
from fwupdate.dup.component_xml import package_xml_bytes
from fwupdate.dup.detect import ARCHIVE_MARKER, PACKAGE_MARKER
from fwupdate.dup.image import make_image_bytes
from fwupdate.dup.verify import file_digests
from fwupdate.errors import BadInputError
from fwupdate.pathsafe import normalize_name, unsafe_name_reason

PayloadSource = bytes | str | os.PathLike[str]
ZIP_DATE = (2017, 12, 1, 0, 0, 0)
TAR_MTIME = 1512086400  # 2017-12-01T00:00:00Z
PE32_OPTIONAL_SIZE = 224


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temp file beside `path`; on success fsync and os.replace, on error delete it."""
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def pe_stub(size: int = 4096, *, seed: bytes = b"fwupdate") -> bytes:
    """A DOS/PE header (`MZ`, e_lfanew -> `PE\\0\\0`, i386, a PE32 optional header with 16 empty
    data directories, no sections) plus deterministic filler.

    The optional header makes the stub a PE that Authenticode tools (osslsigncode) can sign: the
    signature then goes into the certificate table at the end of the file, after the ZIP.
    """
    head = bytearray(0x80)
    head[0:2] = b"MZ"
    head[0x3C:0x40] = (0x80).to_bytes(4, "little")
    msg = b"This program cannot be run in DOS mode.\r\r\n$"
    head[0x4E : 0x4E + len(msg)] = msg
    coff = struct.pack("<HHIIIHH", 0x014C, 0, 0, 0, 0, PE32_OPTIONAL_SIZE, 0x0102)
    opt = bytearray(PE32_OPTIONAL_SIZE)
    struct.pack_into("<H", opt, 0, 0x10B)  # PE32
    struct.pack_into("<II", opt, 32, 0x1000, 0x200)  # section / file alignment
    struct.pack_into("<II", opt, 56, 0x1000, 0x200)  # size of image / of headers
    struct.pack_into("<H", opt, 68, 3)  # console subsystem
    struct.pack_into("<I", opt, 92, 16)  # number of data directories
    pe = b"PE\x00\x00" + coff + bytes(opt)
    note = b"fwupdate synthetic Dell Update Package - installs nothing\x00"
    out = bytearray(head + pe + note)
    block = b"".join(hashlib.sha256(seed + i.to_bytes(8, "big")).digest() for i in range(128))
    if len(out) < size:
        out += block * ((size - len(out)) // len(block) + 1)
    return bytes(out[: max(size, len(head) + len(pe) + len(note))])


def _payload_members(payload: Mapping[str, PayloadSource]) -> list[tuple[str, PayloadSource]]:
    out: list[tuple[str, PayloadSource]] = []
    for name, src in payload.items():
        member = name if name.startswith("payload/") else f"payload/{name}"
        reason = unsafe_name_reason(member)
        if reason:
            raise BadInputError(f"payload name {name!r}: {reason}")
        out.append((normalize_name(member), src))
    return out


def _source_size(src: PayloadSource) -> int:
    return len(src) if isinstance(src, bytes) else Path(src).stat().st_size


def _open_source(src: PayloadSource) -> BinaryIO:
    return io.BytesIO(src) if isinstance(src, bytes) else Path(src).open("rb")


def write_zip(
    out: BinaryIO,
    members: list[tuple[str, PayloadSource]],
) -> None:
    """Append a deterministic ZIP holding `members` to `out` (at its current position)."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        dirs_done: set[str] = set()
        for name, src in members:
            parent = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
            if parent and parent not in dirs_done:
                zf.writestr(zipfile.ZipInfo(parent, ZIP_DATE), b"")
                dirs_done.add(parent)
            zi = zipfile.ZipInfo(name, ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o100644 << 16
            zi.create_system = 3
            zi.file_size = _source_size(src)
            with _open_source(src) as f, zf.open(zi, "w", force_zip64=zi.file_size > 2**31) as w:
                shutil.copyfileobj(f, w, 1 << 20)


def write_tar_gz(out: BinaryIO, members: list[tuple[str, PayloadSource]]) -> None:
    """Append a deterministic gzip'ed tar holding `members` to `out`."""
    with (
        gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz,
        tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tf,
    ):
        dirs_done: set[str] = set()
        for name, src in members:
            parent = name.rsplit("/", 1)[0] if "/" in name else ""
            if parent and parent not in dirs_done:
                d = tarfile.TarInfo(parent)
                d.type = tarfile.DIRTYPE
                d.mode = 0o755
                d.mtime = TAR_MTIME
                tf.addfile(d)
                dirs_done.add(parent)
            ti = tarfile.TarInfo(name)
            ti.size = _source_size(src)
            ti.mode = 0o644
            ti.mtime = TAR_MTIME
            ti.uname = ti.gname = "root"
            with _open_source(src) as f:
                tf.addfile(ti, f)


def bin_script_header(*, padding: int = 0) -> bytes:
    """The shell part of a synthetic `.BIN` (it only exits); `padding` adds comment filler so
    tests can push the markers to large offsets."""
    lines = [
        b"#!/bin/sh",
        b"# Synthetic Dell Update Package built by fwupdate (tests, demo, simulator).",
        b"# It installs nothing. Layout as in Dell's Linux DUPs: package XML after the package",
        b"# marker line, gzip tar after the archive marker line. Like Dell's own scripts this one",
        b"# mentions a marker inside a line, which readers must ignore:",
        b"# ARCHIVE=$(awk '/^" + ARCHIVE_MARKER + b'/ {print NR + 1; exit 0; }\' "$0")',
        b'echo "fwupdate synthetic package: nothing to install" >&2',
        b"exit 1",
    ]
    head = b"\n".join(lines) + b"\n"
    if padding > 0:
        line = b"#" + b"-" * 78 + b"\n"
        head += line * (padding // len(line) + 1)
    return head


def assemble_bin(
    out: BinaryIO,
    package_xml: bytes,
    members: list[tuple[str, PayloadSource]],
    *,
    padding: int = 0,
) -> None:
    """Shell header + package marker + XML + archive marker + tar.gz, written to `out`."""
    out.write(bin_script_header(padding=padding))
    out.write(PACKAGE_MARKER + b"\n")
    out.write(package_xml.rstrip(b"\n") + b"\n")
    out.write(ARCHIVE_MARKER + b"\n")
    write_tar_gz(out, members)


def build_exe_dup(
    path: str | os.PathLike[str],
    component: SoftwareComponent,
    payload: Mapping[str, PayloadSource],
    *,
    stub_size: int = 4096,
    extra_members: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a Windows-style DUP at `path`; `payload` names go under `payload/`."""
    members: list[tuple[str, PayloadSource]] = [("package.xml", package_xml_bytes(component))]
    members += [(n, b) for n, b in (extra_members or {}).items()]
    members += _payload_members(payload)
    with atomic_output(path) as out:
        out.write(pe_stub(stub_size, seed=component.path.encode()))
        write_zip(out, members)
    return Path(path)


def build_bin_dup(
    path: str | os.PathLike[str],
    component: SoftwareComponent,
    payload: Mapping[str, PayloadSource],
    *,
    padding: int = 0,
) -> Path:
    """Write a Linux-style DUP at `path`; the tar also carries package.xml, as Dell's do."""
    xml = package_xml_bytes(component)
    members: list[tuple[str, PayloadSource]] = [("package.xml", xml), *_payload_members(payload)]
    with atomic_output(path) as out:
        assemble_bin(out, xml, members, padding=padding)
    return Path(path)


def build_tar_gz_package(
    path: str | os.PathLike[str], component: SoftwareComponent, payload: Mapping[str, PayloadSource]
) -> Path:
    """A plain tarball (catalog packageType GZ), for completeness of rebuilt repositories."""
    members: list[tuple[str, PayloadSource]] = [
        ("package.xml", package_xml_bytes(component)),
        *_payload_members(payload),
    ]
    with atomic_output(path) as out:
        write_tar_gz(out, members)
    return Path(path)


def build_firmware_image(
    path: str | os.PathLike[str],
    *,
    target: str = "idrac7",
    version: str = "2.65.65.65",
    size: int = 64 * 1024,
) -> Path:
    """A bare image whose first line is `FWUPDATE-SIM-IMAGE <target> <version>` (image.py)."""
    try:
        data = make_image_bytes(target, version, size)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    with atomic_output(path) as out:
        out.write(data)
    return Path(path)


def catalog_entry_for(
    dup_path: str | os.PathLike[str], component: SoftwareComponent
) -> SoftwareComponent:
    """`component` with the real MD5 and size of the built file, for a matching Catalog.xml."""
    d = file_digests(dup_path)
    return dataclasses.replace(component, hash_md5=d.md5, size=d.size)


PayloadFactory = Callable[[SoftwareComponent], Mapping[str, PayloadSource]]
