"""One request in flight per iDRAC, whatever the protocol (design fact 17: iDRACs crash under
heavy polling): the Redfish transport and the WS-Man client take the same lock per host."""

from __future__ import annotations

import threading

_locks_guard = threading.Lock()
_host_locks: dict[str, threading.RLock] = {}


def host_lock(host: str) -> threading.RLock:
    """The lock that keeps one request in flight per iDRAC, shared by every transport to it."""
    key = host.lower()
    with _locks_guard:
        lock = _host_locks.get(key)
        if lock is None:
            lock = _host_locks[key] = threading.RLock()
        return lock
