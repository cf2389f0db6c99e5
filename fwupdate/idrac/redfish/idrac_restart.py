"""Reset an iDRAC, and wait out an iDRAC restart (reset or its own firmware update).

The recipe (sushy's and ironic's, bounded): (1) wait until the iDRAC stops answering (it may
already have); (2) wait for `required_successes` consecutive good answers of the service root,
`idrac_probe_interval` apart (`restart_wait.wait_answers_in_a_row`, shared with WS-Man); (3) log
in again (the old session died with the iDRAC); (4) read `Manager.FirmwareVersion` and check it
against what the update should have produced.  A BMC update is confirmed by the version change,
never by task state alone.  Every wait is a `Timing.poll_until` (device seconds).
"""

from __future__ import annotations

import logging

from fwupdate.errors import (
    FwupdateError,
    JobFailedError,
    UnsupportedOperationError,
    WaitTimeoutError,
    cause_text,
)
from fwupdate.idrac.models import Capabilities
from fwupdate.idrac.redfish.transport import RedfishTransport
from fwupdate.idrac.restart_wait import ALIVE, wait_answers_in_a_row
from fwupdate.idrac.timing import Timing

log = logging.getLogger(__name__)


def reset_idrac(t: RedfishTransport, caps: Capabilities) -> None:
    """Manager.Reset GracefulRestart (the only type iDRAC7/8/9 offer)."""
    step = "iDRAC reset"
    if not caps.manager_uri:
        raise UnsupportedOperationError("no Manager found", host=t.host, step=step)
    if caps.manager_reset_types and "GracefulRestart" not in caps.manager_reset_types:
        raise UnsupportedOperationError(
            f"Manager.Reset offers no GracefulRestart ({', '.join(caps.manager_reset_types)})",
            host=t.host,
            step=step,
        )
    uri = f"{caps.manager_uri.rstrip('/')}/Actions/Manager.Reset"
    t.post(uri, {"ResetType": "GracefulRestart"}, step=step)


def wait_until_down(t: RedfishTransport, *, timing: Timing) -> bool:
    """True once the service root stops answering; False if it kept answering until timeout."""
    try:
        return timing.poll_until("the iDRAC going down",
                                 lambda: True if not t.probe_alive() else None,
                                 timeout=timing.idrac_down_timeout,
                                 interval=timing.idrac_probe_interval, host=t.host,
                                 step="wait for iDRAC", tolerate=())  # fmt: skip
    except WaitTimeoutError:
        return False


def wait_until_up(t: RedfishTransport, *, timing: Timing, timeout: float | None = None) -> None:
    """N consecutive good answers of the service root (`restart_wait.wait_answers_in_a_row`),
    within `timeout` device seconds (default `idrac_up_timeout`), or WaitTimeoutError."""
    wait_answers_in_a_row(lambda: ALIVE if t.probe_alive() else None, timing, host=t.host,
                          step="wait for iDRAC", timeout=timeout)  # fmt: skip


def wait_for_restart(
    t: RedfishTransport,
    caps: Capabilities,
    *,
    timing: Timing | None = None,
    previous_version: str | None = None,
    expected_version: str | None = None,
    already_down: bool = False,
) -> str:
    """Wait for the iDRAC to go down and come back, log in again; returns its new version.

    With `expected_version`, a different version is a JobFailedError; with only
    `previous_version`, an unchanged version is.
    """
    tm = timing or t.timing
    if (
        not already_down
        and expected_version is not None
        and _already_running(t, caps, expected_version)
    ):
        # The restart happened while the caller followed the job (the version only changes
        # when the new firmware runs): no need to wait for an outage that is already over.
        log.info("%s: the iDRAC already runs %s", t.name, expected_version)
        already_down = True
    went_down = already_down or wait_until_down(t, timing=tm)
    if not went_down:
        log.warning(
            "%s: the iDRAC kept answering for %g s; checking its version anyway",
            t.name,
            tm.idrac_down_timeout,
        )
    deadline = tm.deadline(tm.idrac_up_timeout)
    wait_until_up(t, timing=tm)
    version = _reread_manager(t, caps, tm, left=tm.remaining(deadline), logout_old=not went_down)
    if expected_version is not None and version != expected_version:
        raise JobFailedError(
            f"the iDRAC came back running {version}, not {expected_version}",
            host=t.host,
            step="verify iDRAC version",
        )
    if expected_version is None and previous_version is not None and version == previous_version:
        raise JobFailedError(
            f"the iDRAC came back still running {version}",
            host=t.host,
            step="verify iDRAC version",
        )
    log.info("%s: iDRAC back, running %s", t.name, version)
    return version


def _reread_manager(
    t: RedfishTransport, caps: Capabilities, tm: Timing, *, left: float, logout_old: bool
) -> str:
    """Log in again and read Manager.FirmwareVersion, retrying for `left` device seconds: the
    web server is up before the Redfish service is."""
    step = "wait for iDRAC"
    seen: list[FwupdateError] = []
    logout = [logout_old]

    def read() -> str:
        try:
            t.relogin(logout_old=logout[0])
            logout[0] = False  # log the old session out at most once
            return read_manager_version(t, caps, attempts=1)
        except FwupdateError as exc:
            seen.append(exc)
            raise

    try:
        version = tm.poll_until("the Manager readable", read, timeout=left,
                                interval=tm.idrac_probe_interval, host=t.host,
                                step=step)  # fmt: skip
    except WaitTimeoutError:
        raise WaitTimeoutError(f"the iDRAC answers but its Manager could not be read: "
                               f"{cause_text(seen[-1], host=t.host)}", host=t.host,
                               step=step) from None  # fmt: skip
    if seen:
        log.info("%s: Manager readable again after: %s", t.name, seen[-1])
    return version


def _already_running(t: RedfishTransport, caps: Capabilities, expected: str) -> bool:
    try:
        if read_manager_version(t, caps, attempts=1) == expected:
            return True
    except FwupdateError as exc:
        log.debug("%s: version check before waiting: %s", t.name, exc)
    return False


def read_manager_version(
    t: RedfishTransport, caps: Capabilities, *, attempts: int | None = None
) -> str:
    step = "read iDRAC version"
    if not caps.manager_uri:
        raise UnsupportedOperationError("no Manager found", host=t.host, step=step)
    doc = t.get(caps.manager_uri, step=step, attempts=attempts).json()
    version = doc.get("FirmwareVersion")
    if not isinstance(version, str) or not version:
        raise JobFailedError("the Manager reports no FirmwareVersion", host=t.host, step=step)
    return version
