"""The one way fwupdate opens a file it was given to read: a regular file, of bounded size.

A FIFO would block the open (or the read) forever, a device such as /dev/zero never ends, a
folder is not a file: each is refused at once with one line.  Opening uses O_NONBLOCK so that
even a FIFO without a writer cannot hang the open; the type is checked on the open descriptor
(no race with a swapped path), and reads stop one byte past the limit.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from fwupdate.errors import BadInputError, FwupdateError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a file")


@contextlib.contextmanager
def open_regular(
    path: Path | str,
    *,
    max_bytes: int,
    what: str,
    error: type[FwupdateError] = BadInputError,
) -> Iterator[BinaryIO]:
    """Open `path` for reading when it is a regular file of at most `max_bytes`."""
    label = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise error(f"{label}: {what} not found") from None
    except OSError as exc:
        raise error(f"{label}: cannot read the {what}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise error(f"{label}: is a folder, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{label}: not a regular file ({_kind(st.st_mode)}); refused as {what}")
        if st.st_size > max_bytes:
            raise error(f"{label}: {st.st_size} bytes, more than a {what} may be ({max_bytes})")
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as fh:
        yield fh


def read_regular(
    path: Path | str,
    *,
    max_bytes: int,
    what: str,
    error: type[FwupdateError] = BadInputError,
) -> bytes:
    """The whole content of a regular file of at most `max_bytes` (see `open_regular`)."""
    with open_regular(path, max_bytes=max_bytes, what=what, error=error) as fh:
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise error(f"{path}: cannot read the {what}: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise error(f"{path}: grew past {max_bytes} bytes while read; refused as {what}")
    return data


def file_sha256(path: Path, *, block: int = 1 << 20) -> str:
    """SHA-256 of a file, streamed (constant memory): the one place files are hashed whole."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()
