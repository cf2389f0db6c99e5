"""The API rate limit: "the connection drops if more than 30 calls are performed in less than
3 seconds over all API interfaces" [doc KR §2.1].

Measured in real (wall-clock) seconds, not simulated ones: the limit is about how fast a client
talks, which the time-scale does not change.  Every call counts, dropped ones included, so a
client that keeps hammering stays cut off.  `limit=0` disables the limit (tests that poll fast).
"""

from __future__ import annotations

import threading
import time
from collections import deque


class ApiRateLimit:
    def __init__(self, limit: int = 30, window: float = 3.0) -> None:
        self.limit = limit
        self.window = window
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def allow(self) -> bool:
        """Count one call now; False if it is beyond the limit (drop the connection)."""
        if not self.enabled:
            return True
        now = time.monotonic()
        with self._lock:
            while self._calls and now - self._calls[0] >= self.window:
                self._calls.popleft()
            self._calls.append(now)
            return len(self._calls) <= self.limit
