"""Archive member names: normalise and refuse anything that could land outside the target."""

from __future__ import annotations

import re

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
MAX_NAME_BYTES = 1024
MAX_COMPONENT_BYTES = 255


def unsafe_name_reason(name: str) -> str | None:
    """Why `name` may not be extracted, or None when it is a plain relative path.

    Refused: empty names, NUL/control characters, backslashes (Windows separators or tricks),
    absolute paths, drive letters, `..` components, over-long names.
    """
    if not name or name.strip("/.") == "":
        return "empty name"
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):
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
