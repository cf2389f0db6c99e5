"""What the fleet file's `[notify]` and `[hooks]` sections say, as plain data.

The fleet package owns these models (it parses them, fleet/observe_sections.py); the
observability package (fwupdate/observe) runs them.  Imports flow observe -> fleet only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fwupdate.logsafe import redact_url

# --- [hooks] -----------------------------------------------------------------------------------

HOOK_POINTS = ("pre_pair", "post_pair", "pre_node", "post_node")
HOOK_TIMEOUT = 60.0


@dataclass(frozen=True)
class HookCommand:
    argv: tuple[str, ...]
    timeout: float = HOOK_TIMEOUT


@dataclass(frozen=True)
class Hooks:
    pre_pair: HookCommand | None = None
    post_pair: HookCommand | None = None
    pre_node: HookCommand | None = None
    post_node: HookCommand | None = None

    def command(self, point: str) -> HookCommand | None:
        cmd: HookCommand | None = getattr(self, point)
        return cmd

    @property
    def any(self) -> bool:
        return any(self.command(p) for p in HOOK_POINTS)


# --- [notify] ----------------------------------------------------------------------------------

NOTIFY_EVENTS = ("run_started", "pair_failed", "pair_done", "pair_degraded", "window_reached",
                 "run_finished")
WEBHOOK_TIMEOUT = 10.0
WEBHOOK_ATTEMPTS = 3
WEBHOOK_BACKOFF = 1.0


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    events: frozenset[str] = frozenset(NOTIFY_EVENTS)
    header: str | None = None  # e.g. "Authorization" or "X-Fwupdate-Token"
    secret_env: str | None = None
    secret_file: Path | None = None
    timeout: float = WEBHOOK_TIMEOUT
    attempts: int = WEBHOOK_ATTEMPTS
    backoff: float = WEBHOOK_BACKOFF  # seconds before the 2nd attempt, doubled each time

    @property
    def shown(self) -> str:
        """The URL as logged: no query, no user info (logsafe's one URL sanitiser)."""
        return redact_url(self.url)
