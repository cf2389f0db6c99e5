"""Kemp's documented firmware upgrade of an HA pair, one pair at a time [doc HA-UPD]: the
whole procedure, built from the pieces in procedure.py that the night run's steps use too.

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
A target older than a unit is refused unless `allow_downgrade`.  Safety net (`rollback`, on by
default): a Standby that came back on the new image but fails its checks is restored to its
previous image (restorepatch, reboot, verified) before the error stops the upgrade.
Roles end swapped, which Kemp calls acceptable.  Every wait is bounded (UpgradeOptions) and
each unit is rebooted exactly once (more than 3 reboots in 5 min would pacify it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
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
from fwupdate.loadmaster import procedure as proc
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.loadmaster.ha import PairClient, vs_baseline
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
    allow_downgrade: bool = False  # a target older than a unit is refused unless this is set
    rollback: bool = True  # safety net: restore the Standby's previous image if it fails checks


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
        self._wait = proc.PollWaiter(self.options.poll_interval, sleep=sleep, clock=clock)

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
        for n in to_upgrade:
            proc.refuse_downgrade(versions[n], self.target, allowed=self.options.allow_downgrade,
                                  host=n, step="pre-check",
                                  how="pass --allow-downgrade to mean it")  # fmt: skip
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
        before = self.pair.snapshot()
        if not before.healthy or before.active != plan.active:
            raise HASafetyError(
                "the pair changed since the pre-check, nothing was changed: "
                + ("; ".join(before.problems) or f"the Active unit is now {before.active}"),
                host=self.pair.name,
                step="pre-check",
            )
        baseline = vs_baseline(before.virtual_services)
        self.say(
            f"pre-check ok: {plan.active} Active, {plan.standby} Standby, "
            f"{before.vs_up} of {before.vs_total} Virtual Services Up"
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
        return proc.backup_units(self.pair, self.options.backup_dir, say=self.say)

    def set_no_preferred(self, plan: UpgradePlan) -> None:
        if plan.preferred_before == "0":
            self.say("preferred host is already 'No Preferred Host'")
            return
        proc.set_no_preferred(self.pair)
        self.say(f"set 'No Preferred Host' (was {plan.preferred_before}; remembered)")

    def upgrade_standby(self, name: str, active: str, baseline: Sequence[str]) -> None:
        prefix = f"standby {name}"
        unit = self.pair.unit(name)
        before = self._install_and_reboot(unit, prefix)
        self._wait_restart(unit, before, prefix)
        try:
            st = proc.check_back(self.pair, name, self.target, baseline, self._wait,
                                 timeout=self.options.role_timeout, step=prefix,
                                 roles=(HaRole.STANDBY,))  # fmt: skip
        except FwupdateError as exc:
            raise self._safety_net(name, exc, baseline) from None
        if st.active != active:
            raise HASafetyError(f"pair not healthy after the Standby upgrade: Active unit is "
                                f"{st.active}, expected {active}", host=self.pair.name,
                                step=f"{prefix}: pair health")  # fmt: skip
        self.say(f"{name} is back at {self.target} as Standby; pair healthy")

    def _safety_net(self, name: str, exc: FwupdateError, baseline: Sequence[str]) -> FwupdateError:
        """The Standby failed a check after its reboot: if it runs the new image (and the
        policy is on), restore the previous one; the error says what happened."""
        try:
            on_new = version_matches(self.pair.unit(name).version(), self.target)
        except FwupdateError:
            on_new = False
        if not on_new:
            return exc
        if not self.options.rollback:
            return _with_note(exc, f"{name} left on {self.target} (rollback off)")
        o = self.options
        try:
            previous = proc.restore_previous(
                self.pair, name, baseline, self._wait,
                timeout=o.down_timeout + o.boot_timeout + o.role_timeout,
                step=f"standby {name}: safety net", say=self.say)
        except FwupdateError as rexc:
            return _with_note(exc, f"safety net failed: {rexc}")
        return _with_note(exc, f"safety net: restored {name} to {previous} (restorepatch), "
                               "healthy as Standby")  # fmt: skip

    def upgrade_active(self, name: str, standby: str, baseline: Sequence[str]) -> None:
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
        # no API failover exists: the Active unit's reboot hands the role over [doc HA-UPD]
        o = self.options
        try:
            proc.wait_partner_active(self.pair, standby, self._wait,
                                     timeout=o.down_timeout + o.role_timeout,
                                     step=f"{prefix}: failover")  # fmt: skip
        except WaitTimeoutError as exc:
            raise HASafetyError(exc.message, host=self.pair.name, step=exc.step) from None
        self.say(f"failover done: {standby} is Active")
        self._wait_restart(unit, before, prefix)
        proc.check_back(self.pair, name, self.target, None, self._wait, timeout=o.role_timeout,
                        step=prefix, roles=(HaRole.STANDBY,))  # fmt: skip
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

    def _wait_restart(self, unit: LoadMasterClient, before: str, prefix: str) -> None:
        """Down (or a new boot time) within down_timeout, then back within boot_timeout."""

        def restarted() -> str | None:
            up, boot = unit.probe()
            if not up:
                return "down"
            return "back" if boot is not None and boot != before else None

        try:
            state = self._wait(f"{unit.name} restart", restarted,
                               timeout=self.options.down_timeout, host=unit.name,
                               step=f"{prefix}: wait for restart")  # fmt: skip
        except WaitTimeoutError:
            raise WaitTimeoutError(
                f"did not restart within {_secs(self.options.down_timeout)} of the reboot "
                "command (still answering with the same boot time)",
                host=unit.name, step=f"{prefix}: wait for restart") from None
        if state == "back":
            return
        self.say(f"{unit.name}: down; waiting for it to come back")
        try:
            proc.wait_rebooted(unit, before, self._wait, timeout=self.options.boot_timeout,
                               step=f"{prefix}: wait for boot")  # fmt: skip
        except WaitTimeoutError:
            raise WaitTimeoutError(
                f"did not come back within {_secs(self.options.boot_timeout)} of going down "
                "(check its console through the iDRAC)",
                host=unit.name, step=f"{prefix}: wait for boot") from None

    def post_check(self, baseline: Sequence[str]) -> PairStatus:
        st = self.pair.snapshot(baseline=baseline)
        if not st.healthy:
            raise HASafetyError(
                "pair not healthy after the upgrade: " + "; ".join(st.problems),
                host=self.pair.name,
                step="post-check",
            )
        self.say(f"post-check ok: {st.vs_up} of {st.vs_total} Virtual Services Up")
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
