"""Duration estimates per step, in simulated seconds, from documented constants.

Every constant names its source (docs/planning.md has the table).  A bundle may override any of
them in its `[estimates]` table; the executor scales them with the simulator's time-scale and the
benchmark compares measured makespans with the plan's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fwupdate.errors import ConfigError
from fwupdate.plan.models import ComponentKind


@dataclass(frozen=True)
class Estimates:
    # reachability + LC status + job list: a handful of reads (INFERENCE)
    precheck: int = 30
    # both units reachable, HA roles, VS baseline, set No Preferred Host (INFERENCE)
    pair_precheck: int = 30
    # VS health as before, HA in sync, preferred host restored; hatimeout <= 15 s (KR §3.22.4)
    pair_postcheck: int = 120
    # one iDRAC7 stepping stone: 5-8 min incl. the 60-180 s outage (PVESE R320 log, §9)
    idrac_update: int = 420
    # a no-reboot component applied now by LC (Diagnostics, Driver Pack): UNVERIFIED guess
    apply_now: int = 180
    # upload one DUP and schedule its job, no reboot (INFERENCE from the push flow, §4.1)
    stage: int = 60
    # R320 POST to the point LC starts (UNVERIFIED; no public figure)
    host_post: int = 120
    # "Collecting System Inventory On Restart": 2-3 min on an R320 (idrac-redfish.md, fact 8)
    lc_inventory: int = 150
    # LoadMaster OS boot + HA rejoin after POST; PS SDK waits 106 s, notes say budget longer
    lm_boot: int = 180
    # installpatch upload of a bare-metal patch (PS SDK timeout 500 s; typical far less)
    lm_stage: int = 180
    # applying a staged LoadMaster patch during boot (UNVERIFIED)
    lm_patch_apply: int = 120
    # CPLD: staged job, reboot, virtual AC cycle (idrac-redfish.md §4.5); UNVERIFIED length
    cpld: int = 600
    # read versions back, LoadMaster version and role, pair health
    verify: int = 60
    # LC applying one staged component during the host reboot, by family (UNVERIFIED guesses)
    apply_bios: int = 180
    apply_raid: int = 120
    apply_nic: int = 90
    apply_backplane: int = 60
    apply_disk: int = 90
    apply_psu: int = 300
    apply_other: int = 120

    def lc_apply(self, kind: ComponentKind) -> int:
        return {
            ComponentKind.BIOS: self.apply_bios,
            ComponentKind.RAID: self.apply_raid,
            ComponentKind.NIC: self.apply_nic,
            ComponentKind.BACKPLANE: self.apply_backplane,
            ComponentKind.ENCLOSURE: self.apply_backplane,
            ComponentKind.DISK: self.apply_disk,
            ComponentKind.PSU: self.apply_psu,
        }.get(kind, self.apply_other)

    def host_reboot(self, staged: tuple[ComponentKind, ...], lm_patch: bool) -> int:
        """One host reboot: POST, LC inventory, each staged job, the LoadMaster boot."""
        total = self.host_post + self.lc_inventory + sum(self.lc_apply(k) for k in staged)
        if staged:
            total += self.host_post  # LC reboots once more into the OS after applying
        return total + self.lm_boot + (self.lm_patch_apply if lm_patch else 0)

    def lm_reboot(self, lm_patch: bool) -> int:
        return self.host_post + self.lm_boot + (self.lm_patch_apply if lm_patch else 0)


def estimates_from_mapping(data: Mapping[str, Any], *, where: str) -> Estimates:
    names = {f.name for f in dataclasses.fields(Estimates)}
    changes: dict[str, int] = {}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(
                f"{where}: unknown estimate {key!r}; known: {', '.join(sorted(names))}"
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{where}: estimate {key} must be a whole number of seconds >= 0")
        changes[key] = value
    return dataclasses.replace(Estimates(), **changes)


def format_duration(seconds: int) -> str:
    """`5400` -> `1h30m`, `75` -> `1m15s`."""
    h, rest = divmod(max(0, int(seconds)), 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{s:02d}s" if s else f"{m}m"
    return f"{s}s"
