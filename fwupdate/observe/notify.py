"""`[notify]` webhooks: one JSON POST per event to each target that wants it.

Sent from one background thread so that a slow receiver never holds a pair up; each POST is
retried (bounded attempts, exponential back-off) on a connection error, a timeout, 429 or 5xx.
A target's secret header value is read from its environment variable or 0600 file (like the
fleet's passwords, registered with logsafe) and never logged.  A notification that cannot be
delivered is logged as a warning: it never fails the night.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fwupdate.fleet.observe_models import NOTIFY_EVENTS, WebhookTarget
from fwupdate.logsafe import redact, register_secret
from fwupdate.observe.events import Event

log = logging.getLogger("fwupdate.notify")

EVENTS = NOTIFY_EVENTS
DRAIN_SECONDS = 60.0  # at most this long at the end of the run for the last notifications


def body(event: Event) -> dict[str, Any]:
    doc = {"time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
           "source": "fwupdate", **event.fields()}
    cleaned: dict[str, Any] = json.loads(redact(json.dumps(doc)))
    return cleaned


def _secret(target: WebhookTarget) -> str | None:
    from fwupdate.fleet.secrets import password_from_env, password_from_file

    what = f"notify webhook {target.shown}"
    if target.secret_env:
        return password_from_env(target.secret_env, what=what)
    if target.secret_file:
        return password_from_file(target.secret_file, what=what)
    return None


class WebhookSink:
    """Queues events and POSTs them from a daemon thread; `close()` drains (bounded)."""

    def __init__(self, targets: tuple[WebhookTarget, ...]) -> None:
        import requests

        self.targets = targets
        # secrets are resolved now, before the night: a missing one is a bad fleet file
        self._headers = {t.url: self._headers_of(t) for t in targets}
        self._session = requests.Session()
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="fwupdate-notify", daemon=True)
        self._thread.start()
        self.sent = 0
        self.failed = 0

    @staticmethod
    def _headers_of(t: WebhookTarget) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": "fwupdate"}
        query = urlsplit(t.url).query
        if len(query) >= 8:  # a token in the URL's query is masked wherever it could be logged
            register_secret(query)
        value = _secret(t)
        if t.header and value:
            headers[t.header] = value
        return headers

    def handle(self, event: Event) -> None:
        if any(event.name in t.events for t in self.targets):
            self._queue.put(event)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(DRAIN_SECONDS)
        if self._thread.is_alive():
            log.warning("notify: gave up waiting for the last notifications after %g s",
                        DRAIN_SECONDS)
        self._session.close()

    def _loop(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            payload = json.dumps(body(event)).encode("utf-8")
            for t in self.targets:
                if event.name in t.events:
                    self._deliver(t, event.name, payload)

    def _deliver(self, t: WebhookTarget, name: str, payload: bytes) -> None:
        import requests

        problem = ""
        for attempt in range(1, t.attempts + 1):
            try:
                r = self._session.post(t.url, data=payload, headers=self._headers[t.url],
                                       timeout=t.timeout, allow_redirects=False)
            except requests.RequestException as exc:
                problem = type(exc).__name__
            else:
                if r.status_code < 300:
                    self.sent += 1
                    return
                problem = f"HTTP {r.status_code}"
                if r.status_code < 500 and r.status_code != 429:
                    break  # the receiver refuses this request: repeating it will not help
            if attempt < t.attempts:
                time.sleep(t.backoff * 2 ** (attempt - 1))
        self.failed += 1
        log.warning("notify: %s to %s not delivered (%s); the run goes on",
                    name, t.shown, redact(problem))
