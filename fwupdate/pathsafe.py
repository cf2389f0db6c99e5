"""The one place that decides whether a relative path may be used inside a folder.

Archive member names (DUP extraction), catalog package paths (catalog, plan, plan files), the
files the executor sends (run), repository lookups (repo) and the names the file server serves
all go through here, so "inside its repository" means the same everywhere.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from fwupdate.errors import BadInputError

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")  # one regex search, not a Python loop per character
MAX_NAME_BYTES = 1024
MAX_COMPONENT_BYTES = 255


def unsafe_name_reason(name: str) -> str | None:
    """Why `name` may not be used below a folder, or None when it is a plain relative path.

    Refused: empty names, NUL/control characters, backslashes (Windows separators or tricks),
    absolute paths, drive letters, `..` components, over-long names.
    """
    if not name or name.strip("/.") == "":
        return "empty name"
    if _CONTROL_RE.search(name):
        return "control character in name"
    if "\\" in name:
        return "backslash in name"
    if name.startswith("/"):
        return "absolute path"
    if _DRIVE_RE.match(name):
        return "drive letter in name"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        return "name too long"
    for part in name.split("/"):
        if part == "..":
            return "'..' component in name"
        if len(part.encode("utf-8", "surrogateescape")) > MAX_COMPONENT_BYTES:
            return "path component too long"
    return None


def normalize_name(name: str) -> str:
    """`./payload//firmimg.d7` -> `payload/firmimg.d7` (only for names that passed the check)."""
    return "/".join(p for p in name.split("/") if p not in ("", "."))


def package_path_reason(path: str) -> str | None:
    """Why a catalog package path cannot name a file inside its repository, or None.

    Catalog paths use `/` (online: `FOLDER05623521M/1/x.EXE`); a `\\` is read as a separator,
    so `FOLDER\\..\\x` is refused for its `..` like `FOLDER/../x`."""
    return unsafe_name_reason(path.replace("\\", "/"))


def package_relpath(path: str, *, what: str = "package path") -> str:
    """The normalised relative form of a package path; BadInputError when it would leave its
    repository."""
    reason = package_path_reason(path)
    if reason:
        raise BadInputError(f"{what} {_shown(path)}: {reason}; refused")
    return normalize_name(path.replace("\\", "/"))


def resolve_inside(root: Path, path: str, *, what: str = "package path") -> Path:
    """`root / path`, refused (BadInputError) when the path is absolute, climbs with `..`, or
    resolves (through symbolic links) to somewhere outside `root`."""
    rel = package_relpath(path, what=what)
    candidate = root / rel
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    if os.path.commonpath([real_root, real]) != real_root:
        raise BadInputError(f"{what} {_shown(path)}: resolves outside {root}; refused")
    return candidate


def _shown(path: str) -> str:
    text = path if len(path) <= 200 else path[:200] + "..."
    return repr(text)
