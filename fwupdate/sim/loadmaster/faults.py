"""LoadMaster faults by name, for `fwupdate sim serve --fault NAME:KIND[=ARG]` and tests.

NAME is a LoadMaster unit's device name, its node's name, or a pair's name.  Unit faults:

  patch-refused          installpatch answers 422 (verification failed)
  never-returns          the next boot hangs: the unit stays down (until cleared + host reset)
  old-version            the next boot does not apply the staged patch
  split-after-reboot     after its next boot the unit goes Active although the partner is Active
  secret-mismatch        after its next boot the partner connection fails (unit reports Passive)
  vs-down-when-active[=INDEX]   VS INDEX (default 1) is Down whenever this unit is Active
  vs-down-after-patch[=INDEX]   VS INDEX is Down once this unit boots a patched image, until it
                         boots another one (restorepatch)
  api-disabled           the API answers 404 (as when "Enable API Interface" is off)
  rate-limit=N[/SECONDS] change the API rate limit (0 disables; default 30/3 device s)

Pair faults (NAME = pair, or a node/unit of it): split (both units Active now),
vs-down[=INDEX] (VS INDEX is Down now).
"""

from __future__ import annotations

from typing import Protocol

from fwupdate.sim.device import SimDevice
from fwupdate.sim.loadmaster.pair import SharedAddress
from fwupdate.sim.loadmaster.unit import HaLink, LoadMasterUnit

UNIT_FAULTS = (
    "patch-refused", "never-returns", "old-version", "split-after-reboot", "secret-mismatch",
    "vs-down-when-active", "vs-down-after-patch", "api-disabled", "rate-limit",
)  # fmt: skip
PAIR_FAULTS = ("split", "vs-down")
FAULT_KINDS = UNIT_FAULTS + PAIR_FAULTS


class _Fleet(Protocol):
    devices: dict[str, SimDevice]
    shared: dict[str, SimDevice]


def _index(arg: str | None) -> int:
    try:
        return int(arg) if arg else 1
    except ValueError:
        raise ValueError(f"VS index must be a number, not {arg!r}") from None


def apply_unit_fault(unit: LoadMasterUnit, kind: str, arg: str | None = None) -> None:
    f = unit.faults
    with unit.lock:
        if kind == "patch-refused":
            f.patch_refused = True
        elif kind == "never-returns":
            f.never_returns = True
        elif kind == "old-version":
            f.old_version = True
        elif kind == "split-after-reboot":
            f.split_after_reboot = True
        elif kind == "secret-mismatch":
            f.secret_mismatch = True
        elif kind == "vs-down-when-active":
            f.vs_down_when_active.add(_index(arg))
        elif kind == "vs-down-after-patch":
            f.vs_down_on_patch.add(_index(arg))
        elif kind == "api-disabled":
            unit.api_enabled = False
        elif kind == "rate-limit":
            limit, _, window = (arg or "30").partition("/")
            try:
                unit.rate_limit.limit = int(limit)
                unit.rate_limit.window = float(window) if window else 3.0
            except ValueError:
                raise ValueError(f"rate-limit wants N[/SECONDS], not {arg!r}") from None
        else:
            raise ValueError(f"unknown LoadMaster unit fault {kind!r}")
    unit.emit("lm.fault", fault=kind, arg=arg)


def apply_pair_fault(pair: HaLink, kind: str, arg: str | None = None) -> None:
    if kind == "split":
        pair.set_split(True)
    elif kind == "vs-down":
        pair.set_vs_down(_index(arg))
    else:
        raise ValueError(f"unknown LoadMaster pair fault {kind!r}")


def apply_fault(sim: _Fleet, name: str, kind: str, arg: str | None = None) -> bool:
    """Apply a LoadMaster fault to `name`; False if `kind` is not a LoadMaster fault at all.

    Raises ValueError when the target does not exist or does not fit the fault."""
    if kind not in FAULT_KINDS:
        return False
    unit: LoadMasterUnit | None = None
    pair: HaLink | None = None
    shared = sim.shared.get(name)
    if isinstance(shared, SharedAddress):
        pair = shared.pair
    else:
        dev = sim.devices.get(name)
        if isinstance(dev, LoadMasterUnit):
            unit = dev
        else:
            units = [
                d for d in sim.devices.values() if isinstance(d, LoadMasterUnit) and d.node == name
            ]
            if not units:
                raise ValueError(f"no simulated LoadMaster, node or pair named {name!r}")
            unit = units[0]
        pair = unit.pair
    if kind in PAIR_FAULTS:
        if pair is None:
            raise ValueError(f"{name}: fault {kind!r} needs an HA pair")
        apply_pair_fault(pair, kind, arg)
    else:
        if unit is None:
            raise ValueError(f"{name}: fault {kind!r} applies to a unit, not a pair")
        apply_unit_fault(unit, kind, arg)
    return True
