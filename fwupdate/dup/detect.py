"""Tell a Windows DUP, a Linux DUP and a bare iDRAC image apart by their content.

- Windows `.EXE`: PE stub (`MZ`) with a ZIP appended (zipfile tolerates the leading bytes).
- Linux `.BIN`: shell script (`#!`) with a `#####Startofpackage#####` line (package XML follows,
  up to the archive marker) and a `#####Startofarchive#####` line (gzip tar follows the newline);
  older ones: `#####EndOfScriptFileMarker#` as the archive marker, no package section (the
  package.xml is in the archive), blanks after a marker, bytes after the gzip stream.
- Bare iDRAC image: `firmimg.d6/.d7/.d9`, `firmimgFIT.d9` (by name, when the content is neither
  of the above) or any file with fwupdate's synthetic image header.

Nothing is ever executed; the file name alone never decides.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from fwupdate.dup.image import ImageHeader, bare_image_generation, parse_image_header
from fwupdate.dup.limits import DEFAULT_LIMITS, ExtractLimits
from fwupdate.dup.scan import DEFAULT_CHUNK, find_marker_line, iter_marker_lines
from fwupdate.errors import BadInputError, DupError

PACKAGE_MARKER = b"#####Startofpackage#####"
ARCHIVE_MARKER = b"#####Startofarchive#####"
OLD_ARCHIVE_MARKER = b"#####EndOfScriptFileMarker#"  # older packers (firmware-tools' dupMarkers)
ARCHIVE_MARKERS = (ARCHIVE_MARKER, OLD_ARCHIVE_MARKER)
GZIP_MAGIC = b"\x1f\x8b"
HEAD_BYTES = 4096


class DupFormat(StrEnum):
    EXE = "exe"
    BIN = "bin"
    IMAGE = "image"


@dataclass(frozen=True)
class BinLayout:
    """Offsets inside a `.BIN`: package XML is `[package_offset, package_end)` (None: an older
    `.BIN` whose package.xml is only inside the archive), the gzip tar starts at
    `archive_offset`."""

    package_offset: int | None
    package_end: int | None
    archive_offset: int


@dataclass(frozen=True)
class Detected:
    path: Path
    format: DupFormat
    size: int
    bin_layout: BinLayout | None = None
    image_generation: str | None = None  # from a known bare-image file name
    image_header: ImageHeader | None = None  # from fwupdate's synthetic header


def locate_bin_layout(
    stream: BinaryIO,
    *,
    name: str = "file",
    limits: ExtractLimits = DEFAULT_LIMITS,
    chunk_size: int = DEFAULT_CHUNK,
) -> BinLayout:
    """Find the package and archive markers of a Linux DUP by scanning `stream` in chunks.

    The archive marker is the first line equal to one of ARCHIVE_MARKERS (`#####Startofarchive
    #####`, or the older `#####EndOfScriptFileMarker#` firmware-tools also accepts) after the
    package marker that is followed by gzip data, so the marker text inside the package XML (or
    inside the shell code) is not mistaken for the real one.  An older `.BIN` without the
    package marker keeps its package.xml only inside the archive (`package_offset` None).
    """
    pkg = find_marker_line(stream, PACKAGE_MARKER, chunk_size=chunk_size)
    start = pkg[1] if pkg is not None else 0
    hits: list[tuple[int, int]] = []
    saw_marker = False
    for marker in ARCHIVE_MARKERS:
        for marker_off, data_off in iter_marker_lines(stream, marker, start,
                                                      chunk_size=chunk_size):
            saw_marker = True
            if pkg is not None and marker_off - start > limits.max_package_xml_bytes:
                break
            stream.seek(data_off)
            if stream.read(2) == GZIP_MAGIC:
                hits.append((marker_off, data_off))
                break
        if hits:  # the current marker found: no need to scan the file for the older one
            break
    if hits:
        marker_off, data_off = min(hits)
        if pkg is None:
            return BinLayout(None, None, data_off)
        return BinLayout(pkg[1], marker_off, data_off)
    if saw_marker:
        raise DupError(
            f"{name}: damaged Linux DUP: no gzip archive follows {ARCHIVE_MARKER.decode()} "
            f"within {limits.max_package_xml_bytes} bytes of the package XML (truncated?)"
        )
    if pkg is None:
        raise DupError(
            f"{name}: not a DUP: shell script without a {PACKAGE_MARKER.decode()} or "
            f"{ARCHIVE_MARKER.decode()} line"
        )
    raise DupError(
        f"{name}: not a DUP (or truncated): shell script without a {ARCHIVE_MARKER.decode()} line"
    )


def detect_stream(
    stream: BinaryIO,
    *,
    name: str,
    size: int,
    limits: ExtractLimits = DEFAULT_LIMITS,
    chunk_size: int = DEFAULT_CHUNK,
) -> Detected:
    """Classify an open, seekable binary stream; `name` is used for messages and image names."""
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    path = Path(name)
    if head[:2] == b"MZ":
        stream.seek(0)
        if not zipfile.is_zipfile(stream):
            raise DupError(
                f"{name}: not a DUP: a Windows executable with no ZIP archive appended "
                "(truncated, or another kind of installer)"
            )
        return Detected(path, DupFormat.EXE, size)
    if head[:2] == b"#!":
        layout = locate_bin_layout(stream, name=name, limits=limits, chunk_size=chunk_size)
        return Detected(path, DupFormat.BIN, size, bin_layout=layout)
    header = parse_image_header(head)
    generation = bare_image_generation(path.name)
    if header is not None or generation is not None:
        return Detected(
            path, DupFormat.IMAGE, size, image_generation=generation, image_header=header
        )
    raise DupError(
        f"{name}: not a DUP: neither a Windows DUP (MZ + ZIP), a Linux DUP (shell script with "
        "package and archive markers) nor a bare iDRAC image"
    )


def detect(
    path: str | os.PathLike[str],
    *,
    limits: ExtractLimits = DEFAULT_LIMITS,
    chunk_size: int = DEFAULT_CHUNK,
) -> Detected:
    """Classify the file at `path` (see module docstring); raises DupError for anything else."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise BadInputError(f"{p}: no such file") from None
    except OSError as exc:
        raise BadInputError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if not p.is_file():
        raise BadInputError(f"{p}: not a regular file")
    try:
        with p.open("rb") as f:
            d = detect_stream(f, name=str(p), size=st.st_size, limits=limits, chunk_size=chunk_size)
    except OSError as exc:
        raise BadInputError(f"{p}: cannot read: {exc.strerror or exc}") from None
    return d
