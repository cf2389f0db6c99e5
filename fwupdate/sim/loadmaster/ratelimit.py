"""The API rate limit: "the connection drops if more than 30 calls are performed in less than
3 seconds over all API interfaces" [doc KR §2.1].

Measured in simulated (device) seconds, like everything else a simulated unit does: a unit at
time-scale X is a unit X times faster, so a client that paces its calls by the time-scale (the
executor does against the simulator; real units keep its real-second pacing) meets the same
limit as it would on a real unit.  Every call counts, dropped ones included, so a
client that keeps hammering stays cut off.  `limit=0` disables the limit (tests that poll fast).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class ApiRateLimit:
    def __init__(
        self, limit: int = 30, window: float = 3.0, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window  # seconds of `now` (the simulator's clock: device seconds)
        self._now = now
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def allow(self) -> bool:
        """Count one call now; False if it is beyond the limit (drop the connection)."""
        if not self.enabled:
            return True
        now = self._now()
        with self._lock:
            while self._calls and now - self._calls[0] >= self.window:
                self._calls.popleft()
            self._calls.append(now)
            return len(self._calls) <= self.limit
