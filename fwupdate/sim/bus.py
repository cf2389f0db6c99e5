"""A tiny in-process publish/subscribe bus that couples simulated devices.

The one coupling that matters: a host power change issued through a node's iDRAC
(`topic = host_topic(node)`) takes that node's LoadMaster down and up again, exactly as the real
appliance reboots when its R320 host is reset.  Events: "off", "on", "reset" with
`boot_seconds` (simulated) in the data where relevant.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[[str, dict[str, Any]], None]


def host_topic(node: str) -> str:
    return f"host:{node}"


class Bus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> None:
        with self._lock:
            self._subs[topic].append(handler)

    def publish(self, topic: str, event: str, **data: Any) -> None:
        with self._lock:
            handlers = list(self._subs.get(topic, ()))
        for h in handlers:
            h(event, data)
