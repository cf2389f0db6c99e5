"""Host power: read the state, reset, and the restart sequence that applies staged jobs.

`restart_host` uses `GracefulRestart` where the System offers it (iDRAC9+); iDRAC7/8 do not, so
there it is GracefulShutdown -> wait (bounded) for PowerState Off -> ForceOff if the OS ignored
it -> On, the sequence of Dell's own `reboot_server()`.  Every wait is bounded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fwupdate.dell import ALREADY_IN_POWER_STATE
from fwupdate.errors import DeviceError, FwupdateError, UnsupportedOperationError, WaitTimeoutError
from fwupdate.idrac.models import Capabilities
from fwupdate.idrac.redfish import errors as rerr
from fwupdate.idrac.redfish.transport import RedfishTransport
from fwupdate.idrac.timing import Timing

log = logging.getLogger(__name__)

OnReset = Callable[[str], None]  # called with the ResetType just before it is sent


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


def reset_system(t: RedfishTransport, caps: Capabilities, reset_type: str) -> bool:
    """POST ComputerSystem.Reset (checked against the advertised ResetType values).  False
    when the host is already in that state: iDRACs answer 409 PSU501 ("Server is already
    powered ON/OFF"), which is success for whoever wanted that state."""
    step = f"host {reset_type}"
    if caps.system_reset_types and reset_type not in caps.system_reset_types:
        raise UnsupportedOperationError(
            f"ResetType {reset_type} not offered (offered: {', '.join(caps.system_reset_types)})",
            host=t.host,
            step=step,
        )
    uri = f"{_system_uri(t, caps, step).rstrip('/')}/Actions/ComputerSystem.Reset"
    resp = t.post(uri, {"ResetType": reset_type}, step=step, ok=(200, 202, 204, 409))
    if resp.status != 409:
        return True
    if ALREADY_IN_POWER_STATE in rerr.message_ids(resp.body):
        log.info("%s: %s: the host is already there (409 %s)", t.name, step, ALREADY_IN_POWER_STATE)
        return False
    raise rerr.http_error(resp.status, resp.body, host=t.host, step=step, method="POST",
                          path=uri)


def wait_power(
    t: RedfishTransport, caps: Capabilities, want: str, *, timeout: float, timing: Timing
) -> bool:
    """Poll PowerState until it equals `want`; False when `timeout` (device s) passes."""

    def reached() -> bool | None:
        try:
            return True if power_state(t, caps, attempts=1) == want else None
        except UnsupportedOperationError:
            raise
        except FwupdateError as exc:
            log.info("%s: reading power state: %s", t.name, exc)
            return None

    try:
        return timing.poll_until(f"PowerState {want}", reached, timeout=timeout,
                                 interval=timing.power_poll, host=t.host, step="wait for power",
                                 tolerate=())  # fmt: skip
    except WaitTimeoutError:
        return False


def _send(t: RedfishTransport, caps: Capabilities, kind: str, sent: list[str],
          on_reset: OnReset | None) -> None:
    if on_reset is not None:
        on_reset(kind)  # the caller journals it before it reaches the device
    reset_system(t, caps, kind)
    sent.append(kind)


def restart_host(
    t: RedfishTransport,
    caps: Capabilities,
    *,
    timing: Timing | None = None,
    on_reset: OnReset | None = None,
) -> tuple[str, ...]:
    """Restart the host so staged jobs run; returns the reset types sent, in order.
    `on_reset(kind)` is called before each one is sent (a crash between GracefulShutdown and
    On must leave a trace: the resume then powers the host on)."""
    tm = timing or t.timing
    sent: list[str] = []
    if "GracefulRestart" in caps.system_reset_types:
        _send(t, caps, "GracefulRestart", sent, on_reset)
        return tuple(sent)
    if power_state(t, caps) != "Off":
        offered = caps.system_reset_types
        if not offered or "GracefulShutdown" in offered:
            _send(t, caps, "GracefulShutdown", sent, on_reset)
            off = wait_power(t, caps, "Off", timeout=tm.graceful_shutdown_timeout, timing=tm)
        else:
            off = False
        if not off:
            log.warning("%s: host did not shut down gracefully; forcing it off", t.name)
            _send(t, caps, "ForceOff", sent, on_reset)
            if not wait_power(t, caps, "Off", timeout=tm.power_off_timeout, timing=tm):
                raise WaitTimeoutError(
                    "the host is still on after ForceOff", host=t.host, step="host ForceOff"
                )
    return (*sent, *power_on(t, caps, timing=tm, on_reset=on_reset))


def power_on(
    t: RedfishTransport,
    caps: Capabilities,
    *,
    timing: Timing | None = None,
    on_reset: OnReset | None = None,
) -> tuple[str, ...]:
    """Power the host on unless it is on (On already there is fine: 409 PSU501) and wait for
    PowerState On; returns the reset types sent."""
    tm = timing or t.timing
    sent: list[str] = []
    if power_state(t, caps) != "On":
        _send(t, caps, "On", sent, on_reset)
    if not wait_power(t, caps, "On", timeout=tm.power_on_timeout, timing=tm):
        raise WaitTimeoutError("the host did not report PowerState On", host=t.host, step="host On")
    return tuple(sent)
