"""Reset an iDRAC, and wait out an iDRAC restart (reset or its own firmware update).

The recipe (sushy's and ironic's, bounded): (1) wait until the iDRAC stops answering (it may
already have); (2) wait for `required_successes` consecutive good answers of the service root,
`idrac_probe_interval` apart; (3) log in again (the old session died with the iDRAC); (4) read
`Manager.FirmwareVersion` and check it against what the update should have produced.  A BMC
update is confirmed by the version change, never by task state alone.
"""

from __future__ import annotations

import logging

from fwupdate.errors import (
    FwupdateError,
    JobFailedError,
    UnsupportedOperationError,
    cause_text,
)
from fwupdate.errors import WaitTimeoutError as _Timeout
from fwupdate.idrac.models import Capabilities
from fwupdate.idrac.redfish.transport import RedfishTransport
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
    deadline = timing.deadline(timing.idrac_down_timeout)
    while True:
        if not t.probe_alive():
            return True
        left = timing.remaining(deadline)
        if left <= 0:
            return False
        timing.pause(min(timing.idrac_probe_interval, left))


def wait_until_up(t: RedfishTransport, *, timing: Timing, deadline: float) -> None:
    """N consecutive good answers of the service root, or WaitTimeoutError."""
    good = 0
    while True:
        if t.probe_alive():
            good += 1
            if good >= timing.required_successes:
                return
        else:
            good = 0
        left = timing.remaining(deadline)
        if left <= 0:
            raise _Timeout(
                f"the iDRAC did not answer {timing.required_successes} times in a row within "
                f"{timing.idrac_up_timeout:g} s",
                host=t.host,
                step="wait for iDRAC",
            )
        timing.pause(min(timing.idrac_probe_interval, left))


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
    step = "wait for iDRAC"
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
    wait_until_up(t, timing=tm, deadline=deadline)
    version: str | None = None
    last: FwupdateError | None = None
    while version is None:
        try:
            t.relogin(logout_old=not went_down)
            went_down = True  # log the old session out at most once
            version = read_manager_version(t, caps, attempts=1)
        except FwupdateError as exc:  # the web server is up before the Redfish service is
            last = exc
            left = tm.remaining(deadline)
            if left <= 0:
                raise _Timeout(
                    f"the iDRAC answers but its Manager could not be read: "
                    f"{cause_text(exc, host=t.host)}",
                    host=t.host,
                    step=step,
                ) from None
            tm.pause(min(tm.idrac_probe_interval, left))
    if last is not None:
        log.info("%s: Manager readable again after: %s", t.name, last)
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
