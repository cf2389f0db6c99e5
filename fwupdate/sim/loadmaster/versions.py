"""LoadMaster firmware version strings as the simulator needs them.

Versions come in several spellings (`7.2.48.3`, `7.2.54.12.22642.RELEASE`, `V7.1.40`,
`7.1-Patch28b`); comparing the numeric parts in order is enough for what the simulator decides:
whether a unit enforces the Partner Shared Secret (loadmaster-api.md §7.2).
"""

from __future__ import annotations

import re

_NUM = re.compile(r"\d+")

# From these versions on, HA partner connections need a matching Partner Shared Secret [doc PSS]:
# 7.2.54.10 on the 7.2.54 LTSF line, 7.2.59.4 on the GA line.
SECRET_BOUNDARY_LTSF = (7, 2, 54, 10)
SECRET_BOUNDARY_GA = (7, 2, 59, 4)


def version_key(version: str) -> tuple[int, ...]:
    """The numeric parts in order: `7.1-Patch28b` -> (7, 1, 28)."""
    return tuple(int(n) for n in _NUM.findall(version))


def enforces_partner_secret(version: str) -> bool:
    """True if a unit running `version` refuses partner connections without a matching secret."""
    key = version_key(version)
    if key >= SECRET_BOUNDARY_GA:
        return True
    return SECRET_BOUNDARY_LTSF <= key < (7, 2, 55)
