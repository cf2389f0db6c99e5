"""Write a file whole or not at all: a temporary file in the same folder, fsync, os.replace.

Every command that writes an output file (plan, inventory, reports) goes through here, so a
crash, a full disk or Ctrl-C never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from fwupdate.errors import BadInputError


def write_text_atomic(path: Path | str, text: str, *, mode: int = 0o644) -> Path:
    """Write `text` (UTF-8) to `path`; an OS error becomes one BadInputError line naming it."""
    return write_pieces_atomic(path, (text,), mode=mode)


def write_pieces_atomic(path: Path | str, pieces: Iterable[str], *, mode: int = 0o644) -> Path:
    """`write_text_atomic` of `"".join(pieces)`, written as they come: a large document (a
    1,000-pair plan, 28 MB) is never held whole as text nor as bytes."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise BadInputError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for piece in pieces:
                f.write(piece)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise BadInputError(f"{path}: cannot write: {exc.strerror}") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path
