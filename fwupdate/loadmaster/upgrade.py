"""Kemp's documented firmware upgrade of an HA pair, one pair at a time [doc HA-UPD].

  prepare()  read-only pre-check: both units healthy (ha.py), who is Active/Standby, which
             units are not at the target version yet.
  run()      1. back up both units' configuration to disk (0600, atomic)
             2. set "No Preferred Host" (haprefered=0), remembering the old value [doc HA-UPD]
             3. Standby first: installpatch, reboot, wait until it restarted and answers again
                (bounded), version = target, HA status Standby, pair healthy with the VS that
                were Up still Up.  Anything wrong here stops BEFORE the Active unit is touched.
             4. Active: pair healthy again, installpatch, reboot -- the Standby takes over (the
                one failover; there is no API failover command [doc KR; HA-UPD]) -- wait for
                the takeover, then for the old Active to come back Standby at the target.
             5. post-check: pair healthy, VS Up as before; restore the preferred host if asked.
Roles end swapped, which Kemp calls acceptable.  Every wait is bounded (UpgradeOptions) and
each unit is rebooted exactly once (more than 3 reboots in 5 min would pacify it).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

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
from fwupdate.loadmaster.versions import crosses_secret_boundary, version_matches

log = logging.getLogger(__name__)
E = TypeVar("E", bound=FwupdateError)


@dataclass(frozen=True)
class UpgradeOptions:
    backup_dir: Path = Path("lm-backups")
    restore_preferred: bool = False
    down_timeout: float = 300.0  # reboot accepted -> unit restarted (stops answering)
    boot_timeout: float = 1200.0  # restarted -> answering again (bare-metal POST is slow)
    role_timeout: float = 180.0  # answering -> HA role settled / takeover done
    poll_interval: float = 10.0


@dataclass(frozen=True)
class UpgradePlan:
    pair: str
    target_version: str
    active: str
    standby: str
    to_upgrade: tuple[str, ...]  # Standby first, then Active
    preferred_before: str
    before: PairStatus
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpgradeResult:
    pair: str
    target_version: str
    upgraded: tuple[str, ...]
    active_after: str | None
    preferred_before: str
    preferred_after: str
    backups: tuple[Path, ...] = ()
    after: PairStatus | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _secs(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:g} s"


def _with_note(exc: E, note: str) -> E:
    """The same error with a sentence appended (keeps class, host, step, message id)."""
    return type(exc)(f"{exc.message}; {note}", host=exc.host, step=exc.step,
                     message_id=exc.message_id)  # fmt: skip


class PairUpgrade:
    def __init__(
        self,
        pair: PairClient,
        image: Path,
        target_version: str,
        options: UpgradeOptions | None = None,
        *,
        progress: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pair = pair
        self.image = Path(image)
        if not self.image.is_file():
            raise BadInputError(f"patch file {self.image} does not exist")
        self.target = target_version
        self.options = options or UpgradeOptions()
        self._progress = progress or (lambda _msg: None)
        self._sleep = sleep
        self._clock = clock

    def say(self, message: str) -> None:
        log.info("%s: %s", self.pair.name, message)
        self._progress(f"{self.pair.name}: {message}")

    # --- plan -----------------------------------------------------------------------------------

    def prepare(self) -> UpgradePlan:
        """Read-only: check the pair and decide what to do.  Raises HASafetyError if unhealthy."""
        st = self.pair.snapshot()
        if not st.healthy or st.active is None or st.standby is None:
            raise HASafetyError(
                "the pair is not healthy, nothing was changed: " + "; ".join(st.problems),
                host=self.pair.name,
                step="pre-check",
            )
        versions = {u.name: u.version or "" for u in st.units}
        to_upgrade = tuple(
            n for n in (st.standby, st.active) if not version_matches(versions[n], self.target)
        )
        warnings = []
        if any(crosses_secret_boundary(versions[n], self.target) for n in to_upgrade):
            warnings.append(
                f"{self.target} is past the Partner Shared Secret boundary (7.2.54.10 LTSF / "
                "7.2.59.4 GA): unless both units already have the same secret "
                "(setlmcommsecret), the upgraded Standby cannot reach its partner and the "
                "upgrade stops before the Active unit is touched"
            )
        return UpgradePlan(
            pair=self.pair.name,
            target_version=self.target,
            active=st.active,
            standby=st.standby,
            to_upgrade=to_upgrade,
            preferred_before=st.preferred_host or "0",
            before=st,
            warnings=tuple(warnings),
        )

    # --- run ------------------------------------------------------------------------------------

    def run(self, plan: UpgradePlan) -> UpgradeResult:
        if not plan.to_upgrade:
            self.say(f"both units already run {self.target}; nothing to do")
            return UpgradeResult(
                pair=plan.pair,
                target_version=self.target,
                upgraded=(),
                active_after=plan.active,
                preferred_before=plan.preferred_before,
                preferred_after=plan.preferred_before,
                after=plan.before,
            )
        baseline = self.pair.snapshot()
        if not baseline.healthy or baseline.active != plan.active:
            raise HASafetyError(
                "the pair changed since the pre-check, nothing was changed: "
                + ("; ".join(baseline.problems) or f"the Active unit is now {baseline.active}"),
                host=self.pair.name,
                step="pre-check",
            )
        self.say(
            f"pre-check ok: {plan.active} Active, {plan.standby} Standby, "
            f"{baseline.vs_up} of {len(baseline.virtual_services)} Virtual Services Up"
        )
        backups = self.backup_all()
        self.set_no_preferred(plan)
        upgraded: list[str] = []
        if plan.standby in plan.to_upgrade:
            try:
                self.upgrade_standby(plan.standby, plan.active, baseline)
            except FwupdateError as exc:
                note = f"stopped before touching the Active unit {plan.active}"
                raise _with_note(exc, note) from exc
            upgraded.append(plan.standby)
        if plan.active in plan.to_upgrade:
            self.upgrade_active(plan.active, plan.standby, baseline)
            upgraded.append(plan.active)
        after = self.post_check(baseline)
        preferred_after, notes = self.restore_preferred(plan)
        self.say(f"done: {', '.join(upgraded)} upgraded to {self.target}; {after.active} Active")
        return UpgradeResult(
            pair=plan.pair,
            target_version=self.target,
            upgraded=tuple(upgraded),
            active_after=after.active,
            preferred_before=plan.preferred_before,
            preferred_after=preferred_after,
            backups=backups,
            after=after,
            notes=notes,
        )

    # --- steps ----------------------------------------------------------------------------------

    def backup_all(self) -> tuple[Path, ...]:
        folder = self.options.backup_dir
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise BadInputError(f"cannot create backup folder {folder}: {exc.strerror}") from None
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        out = []
        for c in self.pair.units:
            path = c.backup(folder / f"{self.pair.name}-{c.name}-{stamp}.lmbackup",
                            step=f"backup {c.name}")  # fmt: skip
            self.say(f"backed up {c.name} to {path} ({os.path.getsize(path)} bytes)")
            out.append(path)
        return tuple(out)

    def set_no_preferred(self, plan: UpgradePlan) -> None:
        if plan.preferred_before == "0":
            self.say("preferred host is already 'No Preferred Host'")
            return
        active = self.pair.unit(plan.active)
        active.set_preferred_host(0)
        now = active.preferred_host()
        if now != "0":
            raise DeviceError(
                f"haprefered still reads {now!r} after setting 0", host=active.name,
                step="set No Preferred Host",
            )  # fmt: skip
        self.say(f"set 'No Preferred Host' (was {plan.preferred_before}; remembered)")

    def upgrade_standby(self, name: str, active: str, baseline: PairStatus) -> None:
        prefix = f"standby {name}"
        unit = self.pair.unit(name)
        before = self._install_and_reboot(unit, prefix)
        self._wait_restart(unit, before, prefix)
        self._check_version(unit, prefix)
        self._wait_role(unit, HaRole.STANDBY, prefix)
        st = self.pair.snapshot(baseline=baseline)
        if not st.healthy or st.active != active:
            raise HASafetyError(
                "pair not healthy after the Standby upgrade: "
                + ("; ".join(st.problems) or f"Active unit is {st.active}, expected {active}"),
                host=self.pair.name,
                step=f"{prefix}: pair health",
            )
        self.say(f"{name} is back at {self.target} as Standby; pair healthy")

    def upgrade_active(self, name: str, standby: str, baseline: PairStatus) -> None:
        prefix = f"active {name}"
        st = self.pair.snapshot(baseline=baseline)
        if not st.healthy or st.active != name or st.standby != standby:
            raise HASafetyError(
                f"not rebooting the Active unit {name}: "
                + ("; ".join(st.problems) or f"Active {st.active}, Standby {st.standby}"),
                host=self.pair.name,
                step=f"{prefix}: pre-check",
            )
        unit = self.pair.unit(name)
        before = self._install_and_reboot(unit, prefix)
        self._wait_takeover(self.pair.unit(standby), prefix)
        self._wait_restart(unit, before, prefix)
        self._check_version(unit, prefix)
        self._wait_role(unit, HaRole.STANDBY, prefix)
        self.say(f"{name} is back at {self.target} as Standby")

    def _install_and_reboot(self, unit: LoadMasterClient, prefix: str) -> str:
        """Stage the patch and reboot; returns the boot time from before the reboot."""
        self.say(f"{unit.name}: uploading {self.image.name} (installpatch)")
        unit.install_patch(self.image, step=f"{prefix}: installpatch")
        before = unit.boot_time()
        self.say(f"{unit.name}: patch staged; rebooting")
        try:
            unit.reboot(step=f"{prefix}: reboot")
        except DeviceUnreachableError:
            # The answer was lost; the restart wait below tells whether the reboot happened.
            self.say(f"{unit.name}: no answer to the reboot command; watching for a restart")
        return before

    def _poll(self, timeout: float, check: Callable[[], bool]) -> bool:
        """Call `check` every poll_interval until it is True or `timeout` s have passed."""
        deadline = self._clock() + timeout
        while True:
            if check():
                return True
            if self._clock() >= deadline:
                return False
            self._sleep(min(self.options.poll_interval, max(0.0, deadline - self._clock())))

    def _wait_restart(self, unit: LoadMasterClient, before: str, prefix: str) -> None:
        state = {"down": False, "back": False}

        def restarted() -> bool:
            up, boot = unit.probe()
            if not up:
                state["down"] = True
                return True
            if boot is not None and boot != before:
                state["back"] = True  # went down and up between two polls
                return True
            return False

        if not self._poll(self.options.down_timeout, restarted):
            raise WaitTimeoutError(
                f"did not restart within {_secs(self.options.down_timeout)} of the reboot "
                "command (still answering with the same boot time)",
                host=unit.name,
                step=f"{prefix}: wait for restart",
            )
        if state["back"]:
            return
        self.say(f"{unit.name}: down; waiting for it to come back")

        def back() -> bool:
            up, boot = unit.probe()
            return up and boot is not None and boot != before

        if not self._poll(self.options.boot_timeout, back):
            raise WaitTimeoutError(
                f"did not come back within {_secs(self.options.boot_timeout)} of going down "
                "(check its console through the iDRAC)",
                host=unit.name,
                step=f"{prefix}: wait for boot",
            )

    def _check_version(self, unit: LoadMasterClient, prefix: str) -> None:
        version = unit.version()
        if not version_matches(version, self.target):
            raise DeviceError(
                f"came back running {version}, not {self.target}: the patch was not applied",
                host=unit.name,
                step=f"{prefix}: verify version",
            )

    def _wait_role(self, unit: LoadMasterClient, want: HaRole, prefix: str) -> None:
        seen: list[HaRole] = []

        def settled() -> bool:
            try:
                role = unit.ha_role()
            except DeviceUnreachableError:
                return False
            seen.append(role)
            return role is want

        if self._poll(self.options.role_timeout, settled):
            return
        last = seen[-1] if seen else HaRole.UNKNOWN
        hint = ""
        if last is HaRole.PASSIVE:
            hint = f": {PASSIVE_HINT}"
        elif last is HaRole.ACTIVE:
            hint = ": its partner is Active too (HA split)"
        raise HASafetyError(
            f"reports HA status {last.value.capitalize()} instead of "
            f"{want.value.capitalize()} after {_secs(self.options.role_timeout)}{hint}",
            host=unit.name,
            step=f"{prefix}: wait for HA role",
        )

    def _wait_takeover(self, partner: LoadMasterClient, prefix: str) -> None:
        shared = self.pair.shared
        partner_serial = partner.serial()

        def took_over() -> bool:
            try:
                if partner.ha_role() is not HaRole.ACTIVE:
                    return False
                return shared is None or shared.serial() == partner_serial
            except FwupdateError:
                return False

        timeout = self.options.down_timeout + self.options.role_timeout
        if not self._poll(timeout, took_over):
            raise HASafetyError(
                f"{partner.name} did not take over within {_secs(timeout)} of the reboot",
                host=self.pair.name,
                step=f"{prefix}: failover",
            )
        self.say(f"failover done: {partner.name} is Active")

    def post_check(self, baseline: PairStatus) -> PairStatus:
        st = self.pair.snapshot(baseline=baseline)
        if not st.healthy:
            raise HASafetyError(
                "pair not healthy after the upgrade: " + "; ".join(st.problems),
                host=self.pair.name,
                step="post-check",
            )
        self.say(f"post-check ok: {st.vs_up} of {len(st.virtual_services)} Virtual Services Up")
        return st

    def restore_preferred(self, plan: UpgradePlan) -> tuple[str, tuple[str, ...]]:
        old = plan.preferred_before
        if old == "0":
            return "0", ()
        if not self.options.restore_preferred:
            note = (
                f"preferred host left at 'No Preferred Host' (was {old}); "
                "pass --restore-preferred to put it back"
            )
            self.say(note)
            return "0", (note,)
        st = self.pair.snapshot()
        unit = self.pair.unit(st.active) if st.active else self.pair.units[0]
        unit.set_preferred_host(old)
        now = unit.preferred_host()
        if now != old:
            raise DeviceError(f"haprefered reads {now!r} after restoring {old}", host=unit.name,
                              step="restore preferred host")  # fmt: skip
        self.say(f"preferred host restored to {old} (acts when a unit next restarts)")
        return old, ()
