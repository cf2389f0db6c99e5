"""The simulator's event log: one JSON object per thing a device did.

Tests and later issues prove invariants from it (no component flashed twice, a pair always had an
active unit).  Records: {"seq", "t" (simulated s), "wall" (ISO UTC), "device", "event", ...fields}.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from fwupdate.sim.clock import SimClock


class EventLog:
    def __init__(self, clock: SimClock, path: Path | None = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._file: TextIO | None = path.open("a", encoding="utf-8") if path else None
        self.path = path
        self._listeners: list[Callable[[dict[str, Any]], None]] = []

    def add_listener(self, fn: Callable[[dict[str, Any]], None]) -> None:
        """Call fn(record) after every record (in the emitting thread, outside the log's lock;
        fn must not block: `fwupdate.sim.hooks` hands its actions to a thread)."""
        with self._lock:
            self._listeners.append(fn)

    def emit(self, device: str, event: str, **fields: Any) -> dict[str, Any]:
        with self._lock:
            rec: dict[str, Any] = {
                "seq": len(self._records),
                "t": round(self._clock.now(), 3),
                "wall": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "device": device,
                "event": event,
            }
            rec.update(fields)
            self._records.append(rec)
            if self._file is not None:
                self._file.write(json.dumps(rec, default=str) + "\n")
                self._file.flush()
            listeners = list(self._listeners)
        for fn in listeners:
            fn(rec)
        return rec

    def records(
        self, *, device: str | None = None, event: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            return [
                r
                for r in self._records
                if (device is None or r["device"] == device)
                and (event is None or r["event"] == event)
            ]

    def select(self, pred: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self._records if pred(r)]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
