"""What every step handler needs: settings, the journal, packages, device clients, the stop
flag, and bounded, time-scaled waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fwupdate.errors import FwupdateError
from fwupdate.fileserver import FileServer
from fwupdate.fleet.models import Fleet, Node, Pair
from fwupdate.idrac.facade import IdracFacade
from fwupdate.idrac.lc_ready import LcWaits
from fwupdate.idrac.timing import Timing
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.loadmaster.ha import PairClient
from fwupdate.plan.models import Plan, Step
from fwupdate.run.journal import Journal
from fwupdate.run.observing import RunObserver
from fwupdate.run.packages import PackageStore
from fwupdate.waits import poll_until

T = TypeVar("T")
SIM_MIN_REAL_POLL = 0.005  # the polling floor against the simulator (real seconds)
ProgressFn = Callable[[str, str], None]  # (group, message)


@dataclass(frozen=True)
class RunSettings:
    """How the night runs.  Durations are device seconds; `time_scale` divides them (rehearsals
    against `fwupdate sim serve --time-scale X`)."""

    time_scale: float = 1.0
    concurrency: int = 8
    max_failures: int | None = None  # stop starting groups once more groups than this failed
    window_end: float | None = None  # wall-clock epoch seconds; None = no window
    window_spec: str | None = None  # as given (`--window 21:00-05:30`, `--stop-at 05:30`)
    dry_run: bool = False
    serve_address: str = "127.0.0.1"
    timeout_factor: float = 3.0  # per-step timeout = factor x estimate ...
    timeout_floor: float = 900.0  # ... but at least this (device seconds)
    poll_interval: float = 10.0  # device seconds between polls of our own waits
    min_real_poll: float = 0.05  # never poll a real device faster than this (real seconds)
    insecure: bool = False
    lm_min_interval: float = 0.25  # real seconds between LoadMaster API calls per unit
    lm_rollback: bool = True  # safety net: restore the previous LoadMaster image of a unit
    # that came back on the new one but failed its checks (`--no-lm-rollback` turns it off)
    metrics_file: str | None = None  # Prometheus text file rewritten as the night goes on

    def real(self, device_seconds: float) -> float:
        return max(0.0, device_seconds) / self.time_scale

    @property
    def simulated(self) -> bool:
        """A time-scale other than 1 exists only against the simulator (rehearsal, demo,
        bench): real devices always run at 1 and keep the safe real-second pacing."""
        return self.time_scale != 1.0

    @property
    def lm_interval(self) -> float:
        """Real seconds between LoadMaster API calls per unit: the safe pacing for real units,
        divided by the time-scale against simulated ones (their API limit is time-scaled)."""
        return self.real(self.lm_min_interval) if self.simulated else self.lm_min_interval

    @property
    def poll_floor(self) -> float:
        """The fastest the executor polls a device (real seconds): `min_real_poll` for real
        devices, SIM_MIN_REAL_POLL against the simulator."""
        return SIM_MIN_REAL_POLL if self.simulated else self.min_real_poll

    def step_timeout(self, step: Step) -> float:
        """Device seconds a step may take before it is a failure."""
        return max(self.timeout_floor, self.timeout_factor * step.estimated_seconds)


@dataclass
class RunContext:
    plan: Plan
    fleet: Fleet
    journal: Journal
    store: PackageStore
    settings: RunSettings
    files: FileServer | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    progress: ProgressFn = lambda _g, _m: None
    clock: Callable[[], float] = time.monotonic
    observer: RunObserver = field(default_factory=RunObserver)  # docs/observability.md

    @property
    def timing(self) -> Timing:
        return Timing(scale=self.settings.time_scale)

    def idrac(self, node: Node) -> IdracFacade:
        f = IdracFacade.for_endpoint(
            node.idrac,
            name=node.name,
            timing=self.timing,
            lc_waits=LcWaits(),
            insecure=self.settings.insecure,
        )
        return f

    def lm_kwargs(self) -> dict[str, Any]:
        return {"retry_backoff": max(0.05, self.settings.real(2.0)),
                "min_interval": self.settings.lm_interval}

    def pair_client(self, pair: Pair) -> PairClient:
        return PairClient.from_fleet(pair, **self.lm_kwargs())

    def lm_client(self, node: Node) -> LoadMasterClient | None:
        if node.loadmaster is None:
            return None
        return LoadMasterClient.from_endpoint(node.loadmaster, name=node.name, **self.lm_kwargs())

    def pause(self) -> None:
        real = self.settings.real(self.settings.poll_interval)
        time.sleep(max(self.settings.poll_floor, real))

    def wait_for(
        self,
        what: str,
        check: Callable[[], T | None],
        *,
        timeout: float,
        host: str,
        step: str,
        tolerate: tuple[type[BaseException], ...] = (FwupdateError,),
    ) -> T:
        """Poll `check` (device errors tolerated) until it returns a value; bounded by `timeout`
        device seconds (fwupdate/waits.py, the one bounded wait)."""
        return poll_until(what, check, timeout=self.settings.real(timeout), host=host, step=step,
                          clock=self.clock, pause=lambda _left: self.pause(), label=timeout,
                          tolerate=tolerate)
