"""Chunked byte scanning and a read-only window over part of a file.

A Linux DUP can be ~100 MB and its markers sit at offsets that vary between files, so the reader
never loads the file whole: it scans fixed-size chunks that overlap by the marker length.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import BinaryIO

DEFAULT_CHUNK = 1 << 20
MAX_TRAILING_BLANKS = 16  # spaces/tabs allowed between a marker and its line end


def iter_marker_lines(
    stream: BinaryIO,
    marker: bytes,
    start: int = 0,
    *,
    chunk_size: int = DEFAULT_CHUNK,
) -> Iterator[tuple[int, int]]:
    """Yield `(marker_offset, data_offset)` for every line that is exactly `marker`.

    A match must start a line (at `start` or right after `\\n`) and be followed by `\\n` or
    `\\r\\n`, after at most MAX_TRAILING_BLANKS spaces or tabs; `data_offset` is the first
    byte after that newline.  Mentions of the marker inside
    a line (a shell script's own `awk '/^#####Startofarchive#####/'`) are ignored.  The stream
    must be seekable; it is read in `chunk_size` pieces, never whole.
    """
    if not marker or b"\n" in marker:
        raise ValueError("marker must be a non-empty single line")
    needle = b"\n" + marker
    # A virtual newline before `start` lets a marker on the very first line match.
    buf = b"\n"
    buf_start = start - 1
    read_pos = start
    search_from = 0
    eof = False
    while True:
        if not eof:
            stream.seek(read_pos)
            chunk = stream.read(chunk_size)
            if chunk:
                read_pos += len(chunk)
                buf += chunk
            else:
                eof = True
        pending: int | None = None
        while True:
            i = buf.find(needle, search_from)
            if i < 0:
                break
            end = i + len(needle)
            # older packers leave blanks after the marker ("#####Startofarchive##### ")
            blank = end
            while blank < len(buf) and blank - end < MAX_TRAILING_BLANKS and buf[blank] in b" \t":
                blank += 1
            tail = buf[blank : blank + 2]
            if len(tail) < 2 and not eof:
                pending = i  # need more bytes to see the line ending
                break
            if tail[:1] == b"\n":
                yield buf_start + i + 1, buf_start + blank + 1
            elif tail == b"\r\n":
                yield buf_start + i + 1, buf_start + blank + 2
            search_from = i + 1
        if eof:
            return
        # Drop what can no longer start a match; keep a partial needle (or a pending match).
        cut = pending if pending is not None else max(0, len(buf) - len(needle) + 1)
        buf = buf[cut:]
        buf_start += cut
        search_from = max(0, search_from - cut)


def find_marker_line(
    stream: BinaryIO, marker: bytes, start: int = 0, *, chunk_size: int = DEFAULT_CHUNK
) -> tuple[int, int] | None:
    """First `(marker_offset, data_offset)` of a line equal to `marker`, or None."""
    for hit in iter_marker_lines(stream, marker, start, chunk_size=chunk_size):
        return hit
    return None


class FileWindow(io.RawIOBase):
    """Read-only, seekable view of `[offset, offset + length)` of an open binary file.

    Used to hand the tar.gz part of a `.BIN` to `tarfile`/`gzip`, whose rewinds seek to 0 and
    must land on the archive start, not on the shell header.
    """

    def __init__(self, raw: BinaryIO, offset: int, length: int) -> None:
        super().__init__()
        self._raw = raw
        self._offset = offset
        self._length = max(0, length)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            new = pos
        elif whence == os.SEEK_CUR:
            new = self._pos + pos
        elif whence == os.SEEK_END:
            new = self._length + pos
        else:
            raise ValueError(f"bad whence {whence}")
        if new < 0:
            raise OSError("negative seek position")
        self._pos = new
        return new

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        remaining = self._length - self._pos
        if remaining <= 0:
            return 0
        n = min(len(b), remaining)
        self._raw.seek(self._offset + self._pos)
        data = self._raw.read(n)
        got = len(data)
        memoryview(b)[:got] = data
        self._pos += got
        return got
