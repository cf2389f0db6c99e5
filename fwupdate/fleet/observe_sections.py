"""`[notify]` and `[hooks]` of the fleet file (docs/fleet.md, docs/observability.md).

```toml
[notify]
[[notify.webhooks]]
url = "https://alerts.example.net/hooks/fwupdate"
events = ["pair_failed", "run_finished"]     # default: every notify event
header = "Authorization"                      # the secret header ...
secret_env = "FWUPDATE_WEBHOOK_TOKEN"         # ... its value (or secret_file, 0600)
timeout = 10
attempts = 3

[hooks]
timeout = 60                                  # default per hook (seconds)
pre_pair = ["/usr/local/bin/silence", "--minutes", "120"]
post_node = { argv = ["/usr/local/bin/unsilence-node"], timeout = 20 }
```

Same rules as the rest of the file: unknown keys are errors, every mistake is one line naming
the key path.  Secrets stay references here; they are read when the run starts.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fwupdate.errors import ConfigError
from fwupdate.fleet.observe_models import HOOK_POINTS as POINTS
from fwupdate.fleet.observe_models import HOOK_TIMEOUT as DEFAULT_TIMEOUT
from fwupdate.fleet.observe_models import NOTIFY_EVENTS as EVENTS
from fwupdate.fleet.observe_models import HookCommand, Hooks, WebhookTarget
from fwupdate.fleet.secrets import ENV_NAME

KEYS = ("notify", "hooks")
_NOTIFY_KEYS = frozenset({"webhooks"})
_WEBHOOK_KEYS = frozenset({"url", "events", "header", "secret_env", "secret_file", "timeout",
                           "attempts"})
_HOOKS_KEYS = frozenset({"timeout", *POINTS})
_HOOK_KEYS = frozenset({"argv", "timeout"})


@dataclass(frozen=True)
class ObserveSettings:
    webhooks: tuple[WebhookTarget, ...] = ()
    hooks: Hooks = field(default_factory=Hooks)


Fail = Callable[[str, str], ConfigError]


def parse_sections(data: Mapping[str, Any], *, base: Path, label: str) -> ObserveSettings | None:
    """The `[notify]` / `[hooks]` tables of a parsed fleet file; None when it has neither."""
    if "notify" not in data and "hooks" not in data:
        return None

    def fail(keypath: str, message: str) -> ConfigError:
        return ConfigError(f"{label}: {keypath}: {message}")

    webhooks: tuple[WebhookTarget, ...] = ()
    if "notify" in data:
        notify = _table(data["notify"], "notify", fail, _NOTIFY_KEYS)
        raw = notify.get("webhooks", [])
        if not isinstance(raw, list):
            raise fail("notify.webhooks", "expected an array of tables ([[notify.webhooks]])")
        webhooks = tuple(_webhook(w, f"notify.webhooks[{i}]", base, fail)
                         for i, w in enumerate(raw))
    hooks = Hooks()
    if "hooks" in data:
        hooks = _hooks(_table(data["hooks"], "hooks", fail, _HOOKS_KEYS), fail)
    return ObserveSettings(webhooks=webhooks, hooks=hooks)


def _table(raw: Any, path: str, fail: Fail, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise fail(path, "expected a table")
    for key in raw:
        if key not in allowed:
            raise fail(f"{path}.{key}", f"unknown key (allowed here: {', '.join(sorted(allowed))})")
    return raw


def _number(raw: Any, path: str, fail: Fail, low: float, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise fail(path, "expected a number")
    if not low < raw <= high:
        raise fail(path, f"must be > {low:g} and at most {high:g}")
    return float(raw)


def _string(raw: Any, path: str, fail: Fail) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise fail(path, "expected a non-empty string")
    return raw


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _webhook(raw: Any, path: str, base: Path, fail: Fail) -> WebhookTarget:
    t = _table(raw, path, fail, _WEBHOOK_KEYS)
    if "url" not in t:
        raise fail(path, "missing url")
    url = _string(t["url"], f"{path}.url", fail)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise fail(f"{path}.url", "expected an https:// URL")
    if parts.username or parts.password:
        raise fail(f"{path}.url", "credentials must not be part of the URL (use header)")
    events = frozenset(EVENTS)
    if "events" in t:
        if not isinstance(t["events"], list) or not t["events"]:
            raise fail(f"{path}.events", "expected a non-empty array of event names")
        bad = [e for e in t["events"] if e not in EVENTS]
        if bad:
            raise fail(f"{path}.events", f"unknown event {bad[0]!r} (known: {', '.join(EVENTS)})")
        events = frozenset(t["events"])
    header = _string(t["header"], f"{path}.header", fail) if "header" in t else None
    secret_env = secret_file = None
    if "secret_env" in t:
        secret_env = _string(t["secret_env"], f"{path}.secret_env", fail)
        if not ENV_NAME.match(secret_env):
            raise fail(f"{path}.secret_env", f"{secret_env!r} is not an environment variable name")
    if "secret_file" in t:
        p = Path(_string(t["secret_file"], f"{path}.secret_file", fail)).expanduser()
        secret_file = p if p.is_absolute() else base / p
    if secret_env and secret_file:
        raise fail(path, "give secret_env or secret_file, not both")
    if (secret_env or secret_file) and not header:
        raise fail(path, "secret_env/secret_file need header (the header that carries it)")
    if header and not (secret_env or secret_file):
        raise fail(path, "header needs secret_env or secret_file (its value)")
    if header and parts.scheme == "http" and not _loopback(parts.hostname):
        raise fail(f"{path}.url", "a secret header goes over https only (http: loopback only)")
    timeout = _number(t.get("timeout", 10), f"{path}.timeout", fail, 0, 300)
    attempts = t.get("attempts", 3)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 10:
        raise fail(f"{path}.attempts", "expected an integer from 1 to 10")
    return WebhookTarget(url=url, events=events, header=header, secret_env=secret_env,
                         secret_file=secret_file, timeout=timeout, attempts=attempts)


def _hooks(t: dict[str, Any], fail: Fail) -> Hooks:
    default = _number(t.get("timeout", DEFAULT_TIMEOUT), "hooks.timeout", fail, 0, 86400)
    found: dict[str, HookCommand] = {}
    for point in POINTS:
        if point in t:
            found[point] = _hook(t[point], f"hooks.{point}", default, fail)
    return Hooks(**found)


def _hook(raw: Any, path: str, default: float, fail: Fail) -> HookCommand:
    timeout = default
    argv_raw = raw
    if isinstance(raw, dict):
        _table(raw, path, fail, _HOOK_KEYS)
        if "argv" not in raw:
            raise fail(path, "missing argv")
        argv_raw = raw["argv"]
        if "timeout" in raw:
            timeout = _number(raw["timeout"], f"{path}.timeout", fail, 0, 86400)
    where = f"{path}.argv" if isinstance(raw, dict) else path
    if (not isinstance(argv_raw, list) or not argv_raw
            or not all(isinstance(a, str) and a for a in argv_raw)):
        raise fail(where, "expected a command as a non-empty array of strings (no shell)")
    return HookCommand(argv=tuple(argv_raw), timeout=timeout)
