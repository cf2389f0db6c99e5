"""Every wait, poll interval and back-off of the Redfish client, in one value object.

Durations are in *device seconds* (what a real R320 iDRAC takes).  `scale` divides them into
wall-clock seconds, so tests and the executor can run against the simulator at its time-scale
(`Timing(scale=sim.time_scale)`) with the production defaults otherwise unchanged.  Request
(network) timeouts are not here: they are real seconds, per endpoint (fleet file `timeout`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from fwupdate.errors import FwupdateError
from fwupdate.waits import poll_until

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    scale: float = 1.0  # device seconds per wall-clock second (the simulator's time-scale)

    # idempotent GETs: attempts and exponential back-off on transport errors / 503
    get_attempts: int = 3
    # a busy iDRAC (503 without a session-cap id) is waited out longer: Dell's own scripts retry
    # 500/503 after 60 s, and 503s are normal for minutes around an LC job (2+4+8+16+30 s)
    busy_attempts: int = 6
    retry_backoff: float = 2.0
    retry_backoff_max: float = 30.0

    # jobs: gentle polling (>= 5 s apart, as peers advise), Retry-After honoured when longer
    poll_interval: float = 10.0
    job_timeout: float = 7200.0  # 2 h, like Dell's repository script and Ansible
    job_create_grace: float = 30.0  # a just-created task may 404 briefly (BMC race)

    # host power
    power_poll: float = 5.0
    graceful_shutdown_timeout: float = 300.0  # then ForceOff (Dell's reboot_server: 5 min)
    power_off_timeout: float = 120.0  # ForceOff must take effect within this
    power_on_timeout: float = 120.0  # PowerState On reported within this

    # iDRAC reset / self-update: go down, come back, N consecutive good answers, re-login
    idrac_down_timeout: float = 300.0
    idrac_up_timeout: float = 900.0
    idrac_probe_interval: float = 10.0
    required_successes: int = 3
    probe_timeout: float = 10.0  # real seconds for one liveness probe (not scaled)

    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    monotonic: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    def real(self, device_seconds: float) -> float:
        """Wall-clock seconds for `device_seconds` at this scale."""
        return max(0.0, device_seconds) / self.scale

    def pause(self, device_seconds: float) -> None:
        """Sleep `device_seconds` of device time."""
        self.sleep(self.real(device_seconds))

    def deadline(self, device_seconds: float) -> float:
        """A monotonic wall-clock deadline `device_seconds` of device time from now."""
        return self.monotonic() + self.real(device_seconds)

    def remaining(self, deadline: float) -> float:
        """Device seconds left until `deadline` (0 when passed)."""
        return max(0.0, (deadline - self.monotonic()) * self.scale)

    def poll_until(
        self,
        what: str,
        check: Callable[[], T | None],
        *,
        timeout: float,
        interval: float,
        host: str,
        step: str,
        tolerate: tuple[type[BaseException], ...] = (FwupdateError,),
    ) -> T:
        """`fwupdate.waits.poll_until` on this clock: `check()` every `interval` device seconds
        for at most `timeout` device seconds (the message states device seconds)."""
        pause = self.real(interval)
        return poll_until(what, check, timeout=self.real(timeout), host=host, step=step,
                          clock=self.monotonic, pause=lambda left: self.sleep(min(pause, left)),
                          label=timeout, tolerate=tolerate)  # fmt: skip

    def scaled(self, scale: float) -> Timing:
        return replace(self, scale=scale)
