"""Polite request pacing for one LoadMaster unit.

The API drops the connection when more than 30 calls arrive within 3 s "over all API
interfaces" [doc KR §2.1]; the PowerShell SDK waits 200 ms between calls.  A `Pacer` spaces the
starts of consecutive calls by `min_interval` seconds (default 0.25 s: at most 4 calls/s, so a
unit reached through both its direct and the pair's shared address stays under 30 in 3 s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_MIN_INTERVAL = 0.25


class Pacer:
    def __init__(
        self,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval = max(0.0, min_interval)
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this call may start; reserves the slot so concurrent callers queue."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.min_interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
