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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fwupdate.errors import ConfigError
from fwupdate.fleet.observe_models import HOOK_POINTS as POINTS
from fwupdate.fleet.observe_models import NOTIFY_EVENTS as EVENTS
from fwupdate.fleet.observe_models import HookCommand, Hooks, WebhookTarget
from fwupdate.fleet.secrets import ENV_NAME

if TYPE_CHECKING:  # msgspec is loaded only when a fleet file is read (not by --help)
    from fwupdate.fleet.document import Hook, HooksDoc, SectionsDoc, WebhookDoc

KEYS = ("notify", "hooks")


@dataclass(frozen=True)
class ObserveSettings:
    webhooks: tuple[WebhookTarget, ...] = ()
    hooks: Hooks = field(default_factory=Hooks)


Fail = Callable[[str, str], ConfigError]


def parse_sections(data: Mapping[str, Any], *, base: Path, label: str) -> ObserveSettings | None:
    """The `[notify]` / `[hooks]` tables of a parsed fleet file; None when it has neither."""
    if "notify" not in data and "hooks" not in data:
        return None
    from fwupdate.fleet.document import SectionsDoc, convert_fleet

    doc = convert_fleet({k: data[k] for k in KEYS if k in data}, SectionsDoc, label=label)
    return observe_settings(doc, base=base, label=label)


def observe_settings(doc: SectionsDoc, *, base: Path, label: str) -> ObserveSettings:
    """The checked settings of converted `[notify]` / `[hooks]` tables."""

    def fail(keypath: str, message: str) -> ConfigError:
        return ConfigError(f"{label}: {keypath}: {message}")

    webhooks: tuple[WebhookTarget, ...] = ()
    if doc.notify is not None:
        webhooks = tuple(_webhook(w, f"notify.webhooks[{i}]", base, fail)
                         for i, w in enumerate(doc.notify.webhooks))
    hooks = Hooks() if doc.hooks is None else _hooks(doc.hooks, fail)
    return ObserveSettings(webhooks=webhooks, hooks=hooks)


def _number(raw: float, path: str, fail: Fail, low: float, high: float) -> float:
    if not math.isfinite(raw):
        raise fail(path, "expected a number")
    if not low < raw <= high:
        raise fail(path, f"must be > {low:g} and at most {high:g}")
    return float(raw)


def _string(raw: str, path: str, fail: Fail) -> str:
    if not raw.strip():
        raise fail(path, "expected a non-empty string")
    return raw


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _events(doc: WebhookDoc, path: str, fail: Fail) -> frozenset[str]:
    if doc.events is None:
        return frozenset(EVENTS)
    if not doc.events:
        raise fail(f"{path}.events", "expected a non-empty array of event names")
    bad = [e for e in doc.events if e not in EVENTS]
    if bad:
        raise fail(f"{path}.events", f"unknown event {bad[0]!r} (known: {', '.join(EVENTS)})")
    return frozenset(doc.events)


def _webhook(doc: WebhookDoc, path: str, base: Path, fail: Fail) -> WebhookTarget:
    url = _string(doc.url, f"{path}.url", fail)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise fail(f"{path}.url", "expected an https:// URL")
    if parts.username or parts.password:
        raise fail(f"{path}.url", "credentials must not be part of the URL (use header)")
    events = _events(doc, path, fail)
    header = None if doc.header is None else _string(doc.header, f"{path}.header", fail)
    secret_env = secret_file = None
    if doc.secret_env is not None:
        secret_env = _string(doc.secret_env, f"{path}.secret_env", fail)
        if not ENV_NAME.match(secret_env):
            raise fail(f"{path}.secret_env", f"{secret_env!r} is not an environment variable name")
    if doc.secret_file is not None:
        p = Path(_string(doc.secret_file, f"{path}.secret_file", fail)).expanduser()
        secret_file = p if p.is_absolute() else base / p
    if secret_env and secret_file:
        raise fail(path, "give secret_env or secret_file, not both")
    if (secret_env or secret_file) and not header:
        raise fail(path, "secret_env/secret_file need header (the header that carries it)")
    if header and not (secret_env or secret_file):
        raise fail(path, "header needs secret_env or secret_file (its value)")
    if header and parts.scheme == "http" and not _loopback(parts.hostname):
        raise fail(f"{path}.url", "a secret header goes over https only (http: loopback only)")
    timeout = _number(doc.timeout, f"{path}.timeout", fail, 0, 300)
    if not 1 <= doc.attempts <= 10:
        raise fail(f"{path}.attempts", "expected an integer from 1 to 10")
    return WebhookTarget(url=url, events=events, header=header, secret_env=secret_env,
                         secret_file=secret_file, timeout=timeout, attempts=doc.attempts)


def _hooks(doc: HooksDoc, fail: Fail) -> Hooks:
    default = _number(doc.timeout, "hooks.timeout", fail, 0, 86400)
    found: dict[str, HookCommand] = {}
    for point in POINTS:
        hook: Hook | None = getattr(doc, point)
        if hook is not None:
            found[point] = _hook(hook, f"hooks.{point}", default, fail)
    return Hooks(**found)


def _hook(doc: Hook, path: str, default: float, fail: Fail) -> HookCommand:
    if isinstance(doc, list):
        argv, timeout, where = doc, default, path
    else:
        argv, where = doc.argv, f"{path}.argv"
        timeout = default if doc.timeout is None else _number(
            doc.timeout, f"{path}.timeout", fail, 0, 86400)
    if not argv or not all(argv):
        raise fail(where, "expected a command as a non-empty array of strings (no shell)")
    return HookCommand(argv=tuple(argv), timeout=timeout)
