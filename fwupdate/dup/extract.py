"""Safe, all-or-nothing extraction of a DUP's payload.

Rules (docs/dups.md): the whole archive is assessed first and any unsafe member (escaping name,
link, device node, encrypted, over the size or ratio caps, duplicate) refuses the extraction
before a byte is written.  Files are streamed into a private staging folder inside the target
with real byte counts checked against the declared sizes, and only when every file is complete
are they moved into place with os.replace.  On any error, everything this call wrote (files and
folders it created) is removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from fwupdate.dup.archive import DupArchive, Listing, Member, MemberKind
from fwupdate.dup.detect import DupFormat, detect
from fwupdate.dup.image import bare_image_generation
from fwupdate.dup.limits import DEFAULT_LIMITS, ExtractLimits
from fwupdate.dup.reader import inspect_dup, read_component
from fwupdate.errors import BadInputError, DupError, UnsafeArchiveError
from fwupdate.pathsafe import normalize_name, unsafe_name_reason

COPY_CHUNK = 1 << 20
PAYLOAD_PREFIX = "payload/"


@dataclass(frozen=True)
class ExtractedFile:
    member: str  # normalised member path, e.g. payload/firmimg.d7
    path: str  # where it was written
    size: int


@dataclass(frozen=True)
class ExtractResult:
    source: str
    target: str
    files: tuple[ExtractedFile, ...]


def select_members(
    listing: Listing, names: Sequence[str] | None, *, all_files: bool
) -> list[Member]:
    """Members to write: `names` exactly, else every file (`all_files`), else `payload/**`."""
    files = [m for m in listing.members if m.kind is MemberKind.FILE and m.path]
    if names:
        chosen: list[Member] = []
        by_path = {m.path: m for m in files if m.path}
        for raw in names:
            if unsafe_name_reason(raw):
                raise BadInputError(f"--member {raw!r}: not a plain relative member name")
            m = by_path.get(normalize_name(raw))
            if m is None:
                payload = sorted(p for p in by_path if p.startswith(PAYLOAD_PREFIX))
                available = ", ".join(payload[:10])
                raise DupError(
                    f"no file member {raw!r} in the package (payload files: {available or 'none'})"
                )
            if m not in chosen:
                chosen.append(m)
        return chosen
    if all_files:
        return files
    chosen = [m for m in files if m.path and m.path.startswith(PAYLOAD_PREFIX)]
    if not chosen:
        raise DupError("the package has no payload/ files to extract")
    return chosen


def _inside(root_real: str, candidate: str) -> bool:
    real = os.path.realpath(candidate)
    return real == root_real or real.startswith(root_real + os.sep)


class _Writer:
    """Tracks everything one extraction creates so a failure can remove exactly that."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.created_dirs: list[Path] = []
        self.placed: list[Path] = []
        self.staging: Path | None = None

    def makedirs(self, d: Path) -> None:
        missing: list[Path] = []
        p = d
        while not p.exists():
            missing.append(p)
            if p.parent == p:
                break
            p = p.parent
        for m in reversed(missing):
            m.mkdir()
            self.created_dirs.append(m)

    def rollback(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        for f in reversed(self.placed):
            with contextlib.suppress(OSError):
                f.unlink()
        for d in reversed(self.created_dirs):
            with contextlib.suppress(OSError):
                d.rmdir()  # only if empty: never removes what someone else put there


def _copy_limited(src: IO[bytes], dst: IO[bytes], member: Member, what: str) -> int:
    """Copy exactly the declared size; more bytes than declared is refused, fewer is damage."""
    left = member.size
    written = 0
    while True:
        block = src.read(min(COPY_CHUNK, left + 1))
        if not block:
            break
        if len(block) > left:
            raise UnsafeArchiveError(
                f"{what}: member {member.name!r} holds more data than its declared "
                f"{member.size} bytes"
            )
        dst.write(block)
        left -= len(block)
        written += len(block)
    if written != member.size:
        raise DupError(
            f"{what}: member {member.name!r} is truncated ({written} of {member.size} bytes)"
        )
    return written


def extract_dup(
    path: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    members: Sequence[str] | None = None,
    all_files: bool = False,
    limits: ExtractLimits = DEFAULT_LIMITS,
) -> ExtractResult:
    """Extract `payload/**` (or `members`, or every file) of the DUP at `path` into `target`.

    Output keeps member paths relative to `target` (`payload/firmimg.d7`).  Existing regular
    files at those paths are replaced; a link or folder in the way refuses the extraction.
    """
    d = detect(path, limits=limits)
    what = str(d.path)
    if d.format is DupFormat.IMAGE:
        raise DupError(
            f"{what}: a bare iDRAC firmware image, not a DUP: no package.xml and nothing to "
            "extract (upload it as it is)"
        )
    tgt = Path(target)
    if tgt.exists() and not tgt.is_dir():
        raise BadInputError(f"{tgt}: target exists and is not a folder")
    with DupArchive(d, limits) as arc:
        read_component(arc)  # the same package.xml check as `dup inspect`
        listing = arc.list_members()
        if listing.problems:
            n = len(listing.problems)
            more = f" (and {n - 1} more problems)" if n > 1 else ""
            raise UnsafeArchiveError(f"{what}: refusing to extract: {listing.problems[0]}{more}")
        chosen = select_members(listing, members, all_files=all_files)
        writer = _Writer(tgt)
        try:
            return _extract_into(arc, listing, chosen, writer, what)
        except BaseException:
            writer.rollback()
            raise


def _extract_into(
    arc: DupArchive, listing: Listing, chosen: list[Member], writer: _Writer, what: str
) -> ExtractResult:
    tgt = writer.target
    writer.makedirs(tgt)
    root_real = os.path.realpath(tgt)
    # Every destination must resolve inside the target (an existing symlinked folder in the
    # target could otherwise redirect a write) and must not be a link or a folder.
    for m in chosen:
        assert m.path is not None
        dest = tgt / m.path
        if not _inside(root_real, str(dest)):
            raise UnsafeArchiveError(f"{what}: {m.path} would be written outside {tgt}")
        if dest.is_symlink() or dest.is_dir():
            raise UnsafeArchiveError(f"{dest}: is a link or a folder; refusing to replace it")
    staging = Path(tempfile.mkdtemp(prefix=".fwupdate-extract-", dir=tgt))
    writer.staging = staging
    staged: dict[str, Path] = {}
    wanted = {m.path for m in chosen if m.path}

    def sink(m: Member, stream: IO[bytes]) -> None:
        assert m.path is not None
        tmp = staging / f"{len(staged):05d}.part"
        with tmp.open("xb") as out:
            _copy_limited(stream, out, m, what)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o644)
        staged[m.path] = tmp

    arc.each_member_stream(wanted, sink, listing)
    missing = wanted - staged.keys()
    if missing:
        raise DupError(f"{what}: members not found while reading: {', '.join(sorted(missing))}")
    results: list[ExtractedFile] = []
    for m in chosen:
        assert m.path is not None
        dest = tgt / m.path
        writer.makedirs(dest.parent)
        if not _inside(root_real, str(dest.parent)) or dest.is_symlink() or dest.is_dir():
            raise UnsafeArchiveError(f"{what}: {m.path} would be written outside {tgt}")
        os.replace(staged[m.path], dest)
        writer.placed.append(dest)
        results.append(ExtractedFile(member=m.path, path=str(dest), size=m.size))
    shutil.rmtree(staging, ignore_errors=True)
    writer.staging = None
    return ExtractResult(source=what, target=str(tgt), files=tuple(results))


def bare_image_member(member_paths: Sequence[str]) -> str | None:
    """The DUP member that is a bare iDRAC image (`payload/firmimg.d7`, `.d9`...), if any."""
    for name in member_paths:
        if name.startswith("payload/") and bare_image_generation(name):
            return name
    return None


def extract_bare_image(dup: Path, workdir: Path, member: str | None = None) -> Path:
    """Which bare image is sent for this DUP: `member` (the plan's `payload`) or else the
    DUP's own `payload/firmimg.d7` (or .d9), extracted into `workdir`; the one procedure the
    executor and `fwupdate idrac update-self` share."""
    if member is None:
        found = bare_image_member([m.path for m in inspect_dup(dup).members if m.path])
        if found is None:
            raise BadInputError(f"{dup.name}: no payload/firmimg.d7 (or .d9) inside the package")
        member = found
    extract_dup(dup, workdir, members=[member])
    out = workdir / member
    if not out.is_file():
        raise BadInputError(f"{dup.name}: has no member {member}")
    return out
