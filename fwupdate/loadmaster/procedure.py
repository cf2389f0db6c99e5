"""Kemp's HA upgrade procedure [doc HA-UPD], in pieces: the one place it lives.

`PairUpgrade` (upgrade.py, `fwupdate lm upgrade-pair`) runs them all in order; the night run's
steps (fwupdate/run/steps_lm.py) call them one at a time around the iDRAC work:

  refuse_downgrade   target older than the unit: refused unless explicitly allowed
  backup_units       configuration backup of both units before the first change (0600)
  set_no_preferred   "No Preferred Host" on every unit, read back
  handover           orderly hand-over of the Active role (API `shutdown`); True only once the
                     partner reported Active and holds the shared address
  wait_partner_active  the partner is Active (and answers on the shared address)
  wait_rebooted      the unit answers again with a new boot time
  check_back         version = target, HA role settled, pair healthy with the VS baseline
  restore_previous   the safety net: `restorepatch`, reboot, back on the previous version

Every wait goes through a `Waiter` (the night's time-scaled `RunContext.wait_for`, or
`PollWaiter` for the hand-driven command), so every wait is bounded.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from fwupdate.errors import (
    BadInputError,
    DeviceError,
    DeviceUnreachableError,
    FwupdateError,
    HASafetyError,
    WaitTimeoutError,
)
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.loadmaster.ha import PASSIVE_HINT, PairClient
from fwupdate.loadmaster.models import HaRole, PairStatus
from fwupdate.loadmaster.versions import version_key, version_matches
from fwupdate.waits import poll_until

log = logging.getLogger(__name__)
T = TypeVar("T")
UP_ROLES = (HaRole.ACTIVE, HaRole.STANDBY)


class Waiter(Protocol):
    def __call__(self, what: str, check: Callable[[], T | None], *, timeout: float, host: str,
                 step: str) -> T: ...  # fmt: skip


class PollWaiter:
    """Call `check` every `interval` s until it returns a value; device errors are tolerated
    (the last one is named); WaitTimeoutError after `timeout` s."""

    def __init__(self, interval: float, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.interval, self._sleep, self._clock = interval, sleep, clock

    def __call__(self, what: str, check: Callable[[], T | None], *, timeout: float, host: str,
                 step: str) -> T:  # fmt: skip
        return poll_until(what, check, timeout=timeout, host=host, step=step, clock=self._clock,
                          pause=lambda left: self._sleep(min(self.interval, left)))


def role(unit: LoadMasterClient) -> HaRole | None:
    """The unit's HA role, None when it does not answer."""
    try:
        return unit.ha_role()
    except FwupdateError:
        return None


def is_downgrade(current: str | None, target: str) -> bool:
    return bool(current) and not version_matches(current, target) and \
        version_key(target) < version_key(current or "")  # fmt: skip


def refuse_downgrade(current: str | None, target: str, *, allowed: bool, host: str, step: str,
                     how: str) -> None:  # fmt: skip
    """BadInputError when `target` is older than `current` and the downgrade was not asked for
    (`how` names the way to ask)."""
    if not allowed and is_downgrade(current, target):
        raise BadInputError(f"runs LoadMaster {current}, newer than {target}: refusing to "
                            f"downgrade ({how})", host=host, step=step)  # fmt: skip


def backup_units(pc: PairClient, folder: Path, *, say: Callable[[str], None]) -> tuple[Path, ...]:
    """`backup` of both units to `folder` (`<pair>-<node>-<UTC>.lmbackup`, 0600, atomic)."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise BadInputError(f"cannot create backup folder {folder}: {exc.strerror}") from None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = []
    for c in pc.units:
        path = c.backup(folder / f"{pc.name}-{c.name}-{stamp}.lmbackup", step=f"backup {c.name}")
        os.chmod(path, 0o600)
        say(f"backed up {c.name} to {path} ({os.path.getsize(path)} bytes)")
        out.append(path)
    return tuple(out)


def set_no_preferred(pc: PairClient, *, step: str = "set No Preferred Host") -> list[str]:
    """haprefered=0 on every unit that has another value, read back; the units changed."""
    changed = []
    for unit in pc.units:
        if unit.preferred_host() == "0":
            continue
        unit.set_preferred_host(0)
        now = unit.preferred_host()
        if now != "0":
            raise DeviceError(f"haprefered still reads {now!r} after setting 0", host=unit.name,
                              step=step)  # fmt: skip
        changed.append(unit.name)
    return changed


def wait_partner_active(pc: PairClient, partner: str, wait: Waiter, *, timeout: float,
                        step: str) -> None:  # fmt: skip
    """`partner` reports Active and the shared address (if any) answers with its serial."""
    other = pc.unit(partner)
    serial = other.serial()

    def took_over() -> bool | None:
        if role(other) is not HaRole.ACTIVE:
            return None
        return True if pc.shared is None or pc.read_shared_serial() == serial else None

    wait(f"{partner} Active", took_over, timeout=timeout, host=pc.name, step=step)


def handover(pc: PairClient, name: str, wait: Waiter, *, timeout: float, step: str,
             before_send: Callable[[], None] = lambda: None) -> bool:  # fmt: skip
    """If `name` is Active, stop its OS in order (API `shutdown`) so that its partner takes the
    shared address without a gap.  True only once the partner confirmed the Active role: a
    caller journals the handover after this returns, never before (a crash before the
    `shutdown` left the unit Active, and resume must see it so).  `before_send` may record the
    intent.  The partner must be Standby, or nothing is sent."""
    unit = pc.unit(name)
    if role(unit) is not HaRole.ACTIVE:
        return False
    partner = pc.partner(name)
    if role(partner) is not HaRole.STANDBY:
        raise HASafetyError(f"not handing over: partner {partner.name} is not Standby",
                            host=name, step=step)  # fmt: skip
    before_send()
    unit.call("shutdown", step=f"{step}: shutdown", retry=False)
    wait_partner_active(pc, partner.name, wait, timeout=timeout, step=step)
    return True


def wait_rebooted(unit: LoadMasterClient, before_boot: str | None, wait: Waiter, *,
                  timeout: float, step: str) -> str:  # fmt: skip
    """The unit answers again with a boot time other than `before_boot`; returns it."""

    def back() -> str | None:
        ok, boot = unit.probe()
        if not ok or boot is None or (before_boot is not None and boot == before_boot):
            return None
        return boot

    return wait("LoadMaster back", back, timeout=timeout, host=unit.name, step=step)


def check_back(pc: PairClient, name: str, target: str | None, baseline: Sequence[str] | None,
               wait: Waiter, *, timeout: float, step: str,
               roles: tuple[HaRole, ...] = UP_ROLES) -> PairStatus:  # fmt: skip
    """After a reboot: version = `target`, HA role one of `roles`, pair healthy with every
    Virtual Service of the baseline Up (each bounded by `timeout`)."""
    unit = pc.unit(name)
    version = unit.version()
    if target and not version_matches(version, target):
        raise DeviceError(f"LoadMaster came back with {version}, expected {target}: the patch "
                          "was not applied", host=name, step=f"{step}: verify version")  # fmt: skip
    seen: list[HaRole] = []

    def settled() -> HaRole | None:
        r = role(unit)
        if r is not None:
            seen.append(r)
        return r if r in roles else None

    try:
        wait(f"{name} HA role", settled, timeout=timeout, host=name, step=step)
    except WaitTimeoutError:
        last = seen[-1] if seen else HaRole.UNKNOWN
        hint = {HaRole.PASSIVE: f": {PASSIVE_HINT}",
                HaRole.ACTIVE: ": its partner is Active too (HA split)"}.get(last, "")  # fmt: skip
        want = " or ".join(r.value.capitalize() for r in roles)
        raise HASafetyError(f"reports HA status {last.value.capitalize()} instead of {want} "
                            f"after {timeout:g} s{hint}", host=name,
                            step=f"{step}: wait for HA role") from None  # fmt: skip
    return wait_healthy(pc, baseline, wait, timeout=timeout, step=f"{step}: pair health")


def wait_healthy(pc: PairClient, baseline: Sequence[str] | None, wait: Waiter, *,
                 timeout: float, step: str) -> PairStatus:  # fmt: skip
    """The pair healthy, every VS Up at the baseline Up again (bounded wait for recovery)."""

    def healthy() -> PairStatus:
        st = pc.snapshot(baseline=baseline)
        if not st.healthy:
            raise HASafetyError("pair not healthy: " + "; ".join(st.problems), host=pc.name,
                                step=step)  # fmt: skip
        return st

    try:
        return wait("pair healthy", healthy, timeout=timeout, host=pc.name, step=step)
    except WaitTimeoutError as exc:
        raise HASafetyError(exc.message, host=pc.name, step=step) from None


def restore_previous(pc: PairClient, name: str, baseline: Sequence[str] | None, wait: Waiter,
                     *, timeout: float, step: str, say: Callable[[str], None],
                     gave_up_active: Callable[[str], None] = lambda _: None) -> str:  # fmt: skip
    """The safety net: `name` came back on the new image but failed its checks.  With its
    partner Active (still serving), `restorepatch`, reboot, and check it is back on the previous
    version as Standby with the pair healthy.  Returns that version; raises (saying the
    rollback failed) otherwise.  When `name` claimed the Active role too (an HA split), its
    reboot leaves the partner the only Active unit: `gave_up_active(partner)` is called once
    the reboot was sent, so the caller can count that failover."""
    unit = pc.unit(name)
    partner = pc.partner(name)
    if role(partner) is not HaRole.ACTIVE:
        raise HASafetyError(f"not restoring {name}: its partner {partner.name} is not Active",
                            host=name, step=step)  # fmt: skip
    previous = unit.previous_version()
    if not previous:
        raise HASafetyError("no previous version to restore", host=name, step=step)
    say(f"{name}: restoring the previous image {previous} (restorepatch, reboot)")
    _, boot = unit.probe()
    claimed = role(unit) is HaRole.ACTIVE
    unit.restore_patch(step=f"{step}: restorepatch")
    try:
        unit.reboot(step=f"{step}: reboot")
    except DeviceUnreachableError:
        say(f"{name}: no answer to the reboot command; watching for a restart")
    if claimed:
        gave_up_active(partner.name)
    wait_rebooted(unit, boot, wait, timeout=timeout, step=step)
    check_back(pc, name, previous, baseline, wait, timeout=timeout, step=step,
               roles=(HaRole.STANDBY,))  # fmt: skip
    log.info("%s: %s restored to %s", pc.name, name, previous)
    return previous
