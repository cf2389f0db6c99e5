"""List and read the members of a DUP's archive (ZIP in `.EXE`, tar.gz in `.BIN`).

Listing assesses every member against the safety rules (docs/dups.md): names that could escape
the target, links, device nodes, encrypted members, declared sizes and compression ratios over
the limits, duplicate names.  The tar.gz is read strictly as a stream (never random access) and
the listing stops as soon as the declared sizes pass the caps, so a tar bomb is never inflated.
"""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import IO, BinaryIO, Protocol

from fwupdate.dup.detect import Detected, DupFormat
from fwupdate.dup.limits import DEFAULT_LIMITS, ExtractLimits
from fwupdate.dup.scan import FileWindow
from fwupdate.errors import DupError, UnsafeArchiveError
from fwupdate.pathsafe import normalize_name, unsafe_name_reason

DAMAGE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    EOFError,
    zlib.error,
    gzip.BadGzipFile,
    NotImplementedError,  # unsupported zip compression method
)


class MemberKind(StrEnum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    DEVICE = "device"
    OTHER = "other"


@dataclass(frozen=True)
class Member:
    name: str  # as stored in the archive
    path: str | None  # normalised relative path; None when the name is unsafe
    kind: MemberKind
    size: int  # declared uncompressed size
    compressed_size: int | None = None
    link_target: str | None = None
    problem: str | None = None  # why extracting it would be refused


@dataclass(frozen=True)
class Listing:
    members: tuple[Member, ...]
    problems: tuple[str, ...]  # per-member and archive-wide, ready to show
    complete: bool  # False when listing stopped early at a limit
    compressed_size: int
    total_size: int  # sum of declared sizes listed

    @property
    def safe(self) -> bool:
        return not self.problems


def _zip_kind(zi: zipfile.ZipInfo) -> MemberKind:
    mode = zi.external_attr >> 16
    if zi.create_system == 3 and mode:  # made on Unix: honour the file type bits
        fmt = stat.S_IFMT(mode)
        if fmt == stat.S_IFLNK:
            return MemberKind.SYMLINK
        if fmt in (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK):
            return MemberKind.DEVICE
        if fmt == stat.S_IFDIR:
            return MemberKind.DIR
    if zi.create_system == 0 and zi.external_attr & 0x400:  # Windows reparse point
        return MemberKind.SYMLINK
    return MemberKind.DIR if zi.is_dir() else MemberKind.FILE


def _tar_kind(ti: tarfile.TarInfo) -> MemberKind:
    if ti.isreg():
        return MemberKind.FILE
    if ti.isdir():
        return MemberKind.DIR
    if ti.issym():
        return MemberKind.SYMLINK
    if ti.islnk():
        return MemberKind.HARDLINK
    if ti.ischr() or ti.isblk() or ti.isfifo():
        return MemberKind.DEVICE
    return MemberKind.OTHER


class _Assessor:
    """Accumulates members and problems while an archive is listed."""

    def __init__(self, limits: ExtractLimits, compressed_size: int) -> None:
        self.limits = limits
        self.compressed_size = compressed_size
        self.members: list[Member] = []
        self.problems: list[str] = []
        self.total = 0
        self.seen: dict[str, str] = {}
        self.stopped = False

    def add(
        self,
        name: str,
        kind: MemberKind,
        size: int,
        compressed: int | None = None,
        link_target: str | None = None,
        encrypted: bool = False,
    ) -> bool:
        """Record one member; returns False when listing must stop (limits passed)."""
        lim = self.limits
        reason = unsafe_name_reason(name)
        path = None if reason else normalize_name(name)
        if reason is None:
            if kind is MemberKind.SYMLINK:
                reason = f"symbolic link (to {link_target!r})" if link_target else "symbolic link"
            elif kind is MemberKind.HARDLINK:
                reason = f"hard link (to {link_target!r})"
            elif kind is MemberKind.DEVICE:
                reason = "device node, FIFO or socket"
            elif kind is MemberKind.OTHER:
                reason = "unsupported member type"
            elif encrypted:
                reason = "encrypted member"
            elif size < 0:
                reason = "negative size"
            elif size > lim.max_member_bytes:
                reason = f"declares {size} bytes, over the per-member cap of {lim.max_member_bytes}"
            elif (
                compressed is not None
                and size >= lim.ratio_min_bytes
                and size > lim.max_ratio * max(compressed, 1)
            ):
                reason = (
                    f"compression ratio {size / max(compressed, 1):.0f}:1 over the cap of "
                    f"{lim.max_ratio:.0f}:1 (zip bomb?)"
                )
        if reason is None and path is not None and kind is not MemberKind.DIR:
            key = path.casefold()
            if key in self.seen:
                reason = f"duplicate name (also {self.seen[key]!r})"
            else:
                self.seen[key] = name
        self.members.append(Member(name, path, kind, size, compressed, link_target, reason))
        if reason:
            self.problems.append(f"member {name!r}: {reason}")
        self.total += max(size, 0) if kind is MemberKind.FILE else 0
        if len(self.members) > lim.max_members:
            self.problems.append(f"more than {lim.max_members} members")
            return False
        if self.total > lim.max_total_bytes:
            self.problems.append(
                f"members declare more than the total cap of {lim.max_total_bytes} bytes"
            )
            return False
        return not (size > lim.max_member_bytes)  # never inflate an oversized member

    def finish(self, complete: bool) -> Listing:
        lim = self.limits
        # A file member that is also the folder of another member ("payload" and "payload/x").
        files = {m.path.casefold() for m in self.members if m.kind is MemberKind.FILE and m.path}
        for m in self.members:
            parts = m.path.casefold().split("/") if m.path else []
            clash = next(
                ("/".join(parts[:i]) for i in range(1, len(parts)) if "/".join(parts[:i]) in files),
                None,
            )
            if clash is not None:
                self.problems.append(f"member {m.name!r}: its folder {clash!r} is a file member")
        if (
            complete
            and self.total >= lim.ratio_min_bytes
            and self.total > lim.max_ratio * max(self.compressed_size, 1)
        ):
            self.problems.append(
                f"archive inflates {self.total / max(self.compressed_size, 1):.0f}:1, over the "
                f"cap of {lim.max_ratio:.0f}:1 (archive bomb?)"
            )
        return Listing(
            tuple(self.members),
            tuple(self.problems),
            complete,
            self.compressed_size,
            self.total,
        )


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _CappedReader(io.RawIOBase):
    """Passes reads through and fails once more than `cap` bytes have come out."""

    def __init__(self, raw: _Readable, cap: int, what: str) -> None:
        super().__init__()
        self._raw = raw
        self._left = cap
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        want = min(len(b), self._left + 1)
        data = self._raw.read(want)
        if len(data) > self._left:
            raise DupError(f"{self._what}: inflates past the size cap (archive bomb?)")
        self._left -= len(data)
        memoryview(b)[: len(data)] = data
        return len(data)


class _GzipMember(io.RawIOBase):
    """The first gzip member of a stream, decompressed; whatever follows it (an older packer's
    trailer, padding) is ignored instead of being read as a damaged second member."""

    def __init__(self, raw: _Readable, name: str) -> None:
        super().__init__()
        self._raw = raw
        self._z = zlib.decompressobj(wbits=31)
        self._buf = b""
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buf:
            if self._z.eof:
                return 0  # the member ended: bytes after it are never read as gzip
            data = self._z.unconsumed_tail or self._raw.read(1 << 16)
            if not data:
                raise EOFError(f"{self._name}: the gzip stream ends before its end marker")
            self._buf = self._z.decompress(data, 1 << 20)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


class DupArchive:
    """The archive inside an `.EXE` or `.BIN`; use as a context manager."""

    def __init__(self, detected: Detected, limits: ExtractLimits = DEFAULT_LIMITS) -> None:
        if detected.format is DupFormat.IMAGE:
            raise DupError(f"{detected.path}: a bare iDRAC image has no archive")
        self.detected = detected
        self.limits = limits
        self.name = str(detected.path)
        self._file: BinaryIO = detected.path.open("rb")
        self._zip: zipfile.ZipFile | None = None
        try:
            if detected.format is DupFormat.EXE:
                self._zip = zipfile.ZipFile(self._file)
        except DAMAGE_ERRORS as exc:
            self._file.close()
            raise DupError(f"{self.name}: damaged ZIP archive: {exc}") from None

    def __enter__(self) -> DupArchive:
        return self

    def __exit__(
        self,
        et: type[BaseException] | None,
        ev: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        self._file.close()

    # -- tar stream ---------------------------------------------------------------------------

    def _archive_span(self) -> tuple[int, int]:
        layout = self.detected.bin_layout
        if layout is None:
            return 0, self.detected.size
        return layout.archive_offset, self.detected.size - layout.archive_offset

    def _tar_stream(self) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
        offset, length = self._archive_span()
        window = FileWindow(self._file, offset, length)
        gz = _GzipMember(io.BufferedReader(window), self.name)
        # Tar adds headers and padding; allow some slack over the member caps.
        cap = self.limits.max_total_bytes + self.limits.max_members * 1024 + (1 << 20)
        capped = io.BufferedReader(_CappedReader(gz, cap, self.name))
        with tarfile.open(fileobj=capped, mode="r|") as tf:
            for ti in tf:
                yield tf, ti

    # -- public -------------------------------------------------------------------------------

    def list_members(self) -> Listing:
        """Every member with its assessment (see module docstring)."""
        _offset, length = self._archive_span()
        a = _Assessor(self.limits, length)
        try:
            if self._zip is not None:
                for zi in self._zip.infolist():
                    if not a.add(
                        zi.filename,
                        _zip_kind(zi),
                        zi.file_size,
                        zi.compress_size,
                        encrypted=bool(zi.flag_bits & 0x1),
                    ):
                        return a.finish(False)
                return a.finish(True)
            for _tf, ti in self._tar_stream():
                if not a.add(
                    ti.name,
                    _tar_kind(ti),
                    ti.size,
                    None,
                    link_target=ti.linkname or None,
                ):
                    return a.finish(False)
            return a.finish(True)
        except DAMAGE_ERRORS as exc:
            raise DupError(f"{self.name}: damaged or truncated archive: {exc}") from None

    def read_root_file(self, name: str, cap: int) -> bytes | None:
        """Bytes of a root-level ZIP member matched case-insensitively (`package.xml`)."""
        if self._zip is None:
            return None
        for zi in self._zip.infolist():
            if zi.filename.casefold() == name.casefold():
                if zi.file_size > cap:
                    raise DupError(f"{self.name}: {zi.filename} is larger than {cap} bytes")
                if zi.flag_bits & 0x1:
                    raise UnsafeArchiveError(
                        f"{self.name}: {zi.filename} is an encrypted ZIP member; refused"
                    )
                try:
                    with self._zip.open(zi) as f:
                        data = f.read(cap + 1)
                except DAMAGE_ERRORS as exc:
                    raise DupError(
                        f"{self.name}: damaged ZIP member {zi.filename}: {exc}"
                    ) from None
                if len(data) > cap:
                    raise DupError(f"{self.name}: {zi.filename} is larger than {cap} bytes")
                return data
        return None

    def read_package_xml_bytes(self) -> bytes | None:
        """The package XML: root `package.xml` of the ZIP, or the text between `.BIN` markers."""
        cap = self.limits.max_package_xml_bytes
        if self._zip is not None:
            return self.read_root_file("package.xml", cap)
        layout = self.detected.bin_layout
        if layout is None:
            return None
        if layout.package_offset is None or layout.package_end is None:
            return self._tar_root_file("package.xml", cap)  # an older .BIN: only in the archive
        length = layout.package_end - layout.package_offset
        if length > cap:
            raise DupError(f"{self.name}: package XML is larger than {cap} bytes")
        self._file.seek(layout.package_offset)
        return self._file.read(length)

    def _tar_root_file(self, name: str, cap: int) -> bytes | None:
        """Bytes of a root-level tar member matched case-insensitively (`./` prefix allowed)."""
        try:
            for tf, ti in self._tar_stream():
                if normalize_name(ti.name).casefold() != name.casefold() or not ti.isfile():
                    continue
                if ti.size > cap:
                    raise DupError(f"{self.name}: {ti.name} is larger than {cap} bytes")
                f = tf.extractfile(ti)
                return f.read(cap + 1) if f is not None else None
        except DAMAGE_ERRORS as exc:
            raise DupError(f"{self.name}: damaged or truncated archive: {exc}") from None
        return None

    def each_member_stream(
        self, wanted: set[str], sink: Callable[[Member, IO[bytes]], None], listing: Listing
    ) -> None:
        """Call `sink(member, stream)` for every listed FILE member whose path is in `wanted`."""
        by_path = {m.path: m for m in listing.members if m.path in wanted}
        try:
            if self._zip is not None:
                for zi in self._zip.infolist():
                    m = by_path.get(normalize_name(zi.filename))
                    if m is not None and m.name == zi.filename and m.kind is MemberKind.FILE:
                        with self._zip.open(zi) as f:
                            sink(m, f)
                return
            for tf, ti in self._tar_stream():
                m = by_path.get(normalize_name(ti.name))
                if m is not None and m.name == ti.name and m.kind is MemberKind.FILE:
                    member_stream = tf.extractfile(ti)
                    if member_stream is None:
                        raise DupError(f"{self.name}: cannot read member {ti.name!r}")
                    sink(m, member_stream)
        except DAMAGE_ERRORS as exc:
            raise DupError(f"{self.name}: damaged or truncated archive: {exc}") from None
