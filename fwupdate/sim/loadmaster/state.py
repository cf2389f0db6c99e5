"""Power and HA-role states of a simulated LoadMaster unit, and its injectable faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Power(StrEnum):
    UP = "up"
    STOPPING = "stopping"  # reboot/shutdown accepted; services still run until it goes down
    DOWN = "down"  # off, booting, or hung at boot


class Role(StrEnum):
    """What `get?param=hastatus` answers (loadmaster-api.md §4.2)."""

    ACTIVE = "Active"
    STANDBY = "Standby"
    # Not ready to take over: pacified (>3 reboots in 5 min) or the partner connection failed
    # (Partner Shared Secret mismatch).  Kemp lists `Passive` as a hastatus value; using it for
    # these two states is the simulator's choice [inferred from the WUI "not ready" squares].
    PASSIVE = "Passive"
    NOT_HA = "HA not configured"


@dataclass
class UnitFaults:
    """Faults of one unit (Python API; `faults.py` maps CLI names onto these).

    `old_version`, `split_after_reboot` and `secret_mismatch` act on the next boot only;
    the others stay until cleared.
    """

    patch_refused: bool = False  # installpatch answers 422 (verification failed)
    never_returns: bool = False  # the next boot hangs: unit stays down
    old_version: bool = False  # the next boot does not apply the staged patch
    split_after_reboot: bool = False  # comes back Active although the partner is Active
    secret_mismatch: bool = False  # after the next boot the partner connection fails
    vs_down_when_active: set[int] = field(default_factory=set)  # VS indexes Down on this unit
    # VS indexes Down (pair-wide) while this unit runs an image it was patched to: the new
    # image breaks them; booting another version (restorepatch) clears it
    vs_down_on_patch: set[int] = field(default_factory=set)
