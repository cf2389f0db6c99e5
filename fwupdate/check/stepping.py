"""iDRAC7 stepping stones as the checker knows them (its own table, not the planner's).

Dell's iDRAC7 firmware must pass 1.66.65 and then 2.10.10.10 (or go from >= 1.66.65 straight to
2.20.20.20) on the way up (catalog-and-dup.md §4.3, idrac-redfish.md §9); a skipped stone can
brick real hardware.
"""

from __future__ import annotations

from fwupdate.catalog.versions import compare_versions

# (stone, versions above which a device below the stone must not go, allowed exception)
GATES: tuple[tuple[str, str | None], ...] = (
    ("1.66.65", None),
    ("2.10.10.10", "2.20.20.20"),
)


def skipped_stone(old: str, new: str) -> str | None:
    """The stepping stone an upgrade old -> new skips, or None when the jump is allowed."""
    for i, (stone, exception) in enumerate(GATES):
        if compare_versions(old, stone) >= 0 or compare_versions(new, stone) <= 0:
            continue
        earlier_passed = all(compare_versions(old, s) >= 0 for s, _ in GATES[:i])
        if exception is not None and earlier_passed and compare_versions(new, exception) == 0:
            continue
        return stone
    return None
