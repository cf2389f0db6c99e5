"""Caps that keep a hostile or damaged DUP from filling the disk (zip/tar bombs).

Real iDRAC DUPs are 30-120 MB and their payloads are already compressed (squashfs, signed
capsules), so the defaults leave ample room while refusing anything absurd.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fwupdate.errors import BadInputError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class ExtractLimits:
    """Per-archive caps applied to declared sizes before writing and to real bytes while writing.

    `max_ratio` (uncompressed / compressed) applies only to members of at least
    `ratio_min_bytes`, so small, highly compressible XML files are never flagged.
    """

    max_total_bytes: int = 2 * GiB
    max_member_bytes: int = 1 * GiB
    max_members: int = 10_000
    max_ratio: float = 200.0
    ratio_min_bytes: int = 1 * MiB
    max_package_xml_bytes: int = 16 * MiB


DEFAULT_LIMITS = ExtractLimits()

_SIZE_RE = re.compile(r"^\s*(\d+)\s*([KMGT]i?B?|B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": KiB, "M": MiB, "G": GiB, "T": 1024 * GiB}


def parse_size(text: str) -> int:
    """Parse `1000`, `512MiB`, `2G`, `2GiB` (binary units) into bytes."""
    m = _SIZE_RE.match(text)
    if not m:
        raise BadInputError(f"not a size: {text!r} (use e.g. 500MiB or 2GiB)")
    unit = (m.group(2) or "").upper()[:1]
    value = int(m.group(1)) * _UNITS[unit]
    if value <= 0:
        raise BadInputError(f"size must be positive: {text!r}")
    return value
