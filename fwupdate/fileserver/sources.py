"""File sources the file server can stream from besides plain files on disk.

A `FileSource` knows its size and opens a fresh, seekable binary stream for every request, so
concurrent downloads never share a file position.  Two are provided:

- `BytesSource`: a small document held in memory (a rewritten Catalog.xml);
- `FileSliceSource`: a byte range of a larger file (a file inside an ISO image, served straight
  out of the image without mounting or extracting it).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable


@runtime_checkable
class FileSource(Protocol):
    @property
    def size(self) -> int: ...

    @property
    def label(self) -> str: ...

    def open(self) -> BinaryIO: ...


@dataclass(frozen=True)
class BytesSource:
    data: bytes
    label: str = "memory"

    @property
    def size(self) -> int:
        return len(self.data)

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data)


class _Slice(io.RawIOBase):
    """A read-only, seekable window [offset, offset+size) of an open file."""

    def __init__(self, fd: int, offset: int, size: int) -> None:
        super().__init__()
        self._fd = fd
        self._offset = offset
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        left = self._size - self._pos
        if left <= 0:
            return 0
        n = min(len(buffer), left)
        data = os.pread(self._fd, n, self._offset + self._pos)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


@dataclass(frozen=True)
class FileSliceSource:
    path: Path
    offset: int
    length: int
    label: str = ""

    @property
    def size(self) -> int:
        return self.length

    def open(self) -> BinaryIO:
        flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.path, flags)
        if os.fstat(fd).st_size < self.offset + self.length:
            os.close(fd)
            raise OSError(f"{self.path} is shorter than the served member")
        return io.BufferedReader(_Slice(fd, self.offset, self.length), buffer_size=1 << 20)
