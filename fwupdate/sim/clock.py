"""Simulated time.

Every device delay in the simulator is expressed in *simulated* seconds (what a real R320 would
take) and divided by the time-scale to get wall-clock seconds, so a night runs in seconds.  A
single scheduler thread runs delayed callbacks (`call_later`) in simulated time.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class SimClock:
    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = float(time_scale)
        self._t0 = time.monotonic()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="sim-clock", daemon=True)
        self._thread.start()

    # --- time ---------------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated seconds since the simulator started."""
        return (time.monotonic() - self._t0) * self.time_scale

    def real(self, sim_seconds: float) -> float:
        """Wall-clock seconds that `sim_seconds` of simulated time take."""
        return max(0.0, sim_seconds) / self.time_scale

    def sleep(self, sim_seconds: float) -> None:
        time.sleep(self.real(sim_seconds))

    # --- scheduler ----------------------------------------------------------------------------

    def call_later(self, sim_delay: float, fn: Callable[[], None]) -> None:
        """Run `fn` once, `sim_delay` simulated seconds from now, on the scheduler thread."""
        due = self.now() + max(0.0, sim_delay)
        with self._cv:
            heapq.heappush(self._heap, (due, next(self._seq), fn))
            self._cv.notify()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and (not self._heap or self._heap[0][0] > self.now()):
                    timeout = None
                    if self._heap:
                        timeout = self.real(self._heap[0][0] - self.now())
                    self._cv.wait(timeout=min(timeout, 0.5) if timeout is not None else 0.5)
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:  # a device bug must not kill the clock; it is logged by the device
                import logging

                logging.getLogger(__name__).exception("simulator callback failed")

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify_all()
        self._thread.join(timeout=2)
