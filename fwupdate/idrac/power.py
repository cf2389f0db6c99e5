"""Host power: read the state, reset, and the restart sequence that applies staged jobs.

`restart_host` uses `GracefulRestart` where the System offers it (iDRAC9+); iDRAC7/8 do not, so
there it is GracefulShutdown -> wait (bounded) for PowerState Off -> ForceOff if the OS ignored
it -> On, the sequence of Dell's own `reboot_server()`.  Every wait is bounded.
"""

from __future__ import annotations

import logging

from fwupdate.errors import DeviceError, FwupdateError, UnsupportedOperationError, WaitTimeoutError
from fwupdate.idrac.models import Capabilities
from fwupdate.idrac.timing import Timing
from fwupdate.idrac.transport import RedfishTransport

log = logging.getLogger(__name__)


def _system_uri(t: RedfishTransport, caps: Capabilities, step: str) -> str:
    if not caps.system_uri:
        raise UnsupportedOperationError("no ComputerSystem found", host=t.host, step=step)
    return caps.system_uri


def power_state(t: RedfishTransport, caps: Capabilities, *, attempts: int | None = None) -> str:
    step = "read power state"
    doc = t.get(_system_uri(t, caps, step), step=step, attempts=attempts).json()
    state = doc.get("PowerState")
    if not isinstance(state, str):
        raise DeviceError("the System reports no PowerState", host=t.host, step=step)
    return state


def reset_system(t: RedfishTransport, caps: Capabilities, reset_type: str) -> None:
    """POST ComputerSystem.Reset (checked against the advertised ResetType values)."""
    step = f"host {reset_type}"
    if caps.system_reset_types and reset_type not in caps.system_reset_types:
        raise UnsupportedOperationError(
            f"ResetType {reset_type} not offered (offered: {', '.join(caps.system_reset_types)})",
            host=t.host,
            step=step,
        )
    uri = f"{_system_uri(t, caps, step).rstrip('/')}/Actions/ComputerSystem.Reset"
    t.post(uri, {"ResetType": reset_type}, step=step)


def wait_power(
    t: RedfishTransport, caps: Capabilities, want: str, *, timeout: float, timing: Timing
) -> bool:
    """Poll PowerState until it equals `want`; False when `timeout` (device s) passes."""
    deadline = timing.deadline(timeout)
    while True:
        try:
            if power_state(t, caps, attempts=1) == want:
                return True
        except FwupdateError as exc:
            if isinstance(exc, UnsupportedOperationError):
                raise
            log.info("%s: reading power state: %s", t.name, exc)
        left = timing.remaining(deadline)
        if left <= 0:
            return False
        timing.pause(min(timing.power_poll, left))


def restart_host(
    t: RedfishTransport, caps: Capabilities, *, timing: Timing | None = None
) -> tuple[str, ...]:
    """Restart the host so staged jobs run; returns the reset types sent, in order."""
    tm = timing or t.timing
    if "GracefulRestart" in caps.system_reset_types:
        reset_system(t, caps, "GracefulRestart")
        return ("GracefulRestart",)
    sent: list[str] = []
    if power_state(t, caps) != "Off":
        offered = caps.system_reset_types
        if not offered or "GracefulShutdown" in offered:
            reset_system(t, caps, "GracefulShutdown")
            sent.append("GracefulShutdown")
            off = wait_power(t, caps, "Off", timeout=tm.graceful_shutdown_timeout, timing=tm)
        else:
            off = False
        if not off:
            log.warning("%s: host did not shut down gracefully; forcing it off", t.name)
            reset_system(t, caps, "ForceOff")
            sent.append("ForceOff")
            if not wait_power(t, caps, "Off", timeout=tm.power_off_timeout, timing=tm):
                raise WaitTimeoutError(
                    "the host is still on after ForceOff", host=t.host, step="host ForceOff"
                )
    reset_system(t, caps, "On")
    sent.append("On")
    if not wait_power(t, caps, "On", timeout=tm.power_on_timeout, timing=tm):
        raise WaitTimeoutError("the host did not report PowerState On", host=t.host, step="host On")
    return tuple(sent)
