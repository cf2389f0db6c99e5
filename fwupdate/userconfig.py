"""The user's defaults: `$XDG_CONFIG_HOME/fwupdate/config.toml` (default
`~/.config/fwupdate/config.toml`; `FWUPDATE_CONFIG=PATH` names another file).

```toml
log_format = "json"            # text | json            env FWUPDATE_LOG_FORMAT
concurrency = 4                # run --concurrency      env FWUPDATE_CONCURRENCY
window = "21:00-05:30"         # run --window           env FWUPDATE_WINDOW
runs_dir = "/var/lib/fwupdate/runs"   # run/resume/report --runs-dir   env FWUPDATE_RUNS_DIR
ca_bundle = "/etc/fwupdate/ca.pem"    # inventory --ca-bundle (ad hoc) env FWUPDATE_CA_BUNDLE
progress = "plain"             # run/resume --progress (auto|plain|live) env FWUPDATE_PROGRESS
```

Precedence: flag > environment > this file > built-in default.  The values become click's
`default_map`, which a flag given on the command line always wins over.  A bad file is one
ConfigError line (exit 2).  docs/observability.md.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fwupdate.errors import ConfigError

LOG_FORMATS = ("text", "json")
PROGRESS_MODES = ("auto", "plain", "live")


def _fmt(v: Any) -> Any:
    if v not in LOG_FORMATS:
        raise ValueError("use text or json")
    return v


def _progress(v: Any) -> Any:
    if not isinstance(v, str) or v.lower() not in PROGRESS_MODES:
        raise ValueError("auto, plain or live")
    return v.lower()


def _conc(v: Any) -> Any:
    text = str(v).strip()
    if isinstance(v, bool) or not text.isdigit() or not 1 <= int(text) <= 256:
        raise ValueError("an integer from 1 to 256")
    return int(text)


def _text(v: Any) -> Any:
    if not isinstance(v, str) or not v.strip():
        raise ValueError("a non-empty string")
    return v


# key -> (environment variable, check/convert, commands (top-level) and their option names)
KEYS: dict[str, tuple[str, Callable[[Any], Any], tuple[tuple[str, str], ...]]] = {
    "log_format": ("FWUPDATE_LOG_FORMAT", _fmt, ()),
    "concurrency": ("FWUPDATE_CONCURRENCY", _conc, (("run", "concurrency"),)),
    "window": ("FWUPDATE_WINDOW", _text, (("run", "window"),)),
    "runs_dir": ("FWUPDATE_RUNS_DIR", _text,
                 (("run", "runs_dir"), ("resume", "runs_dir"), ("report", "runs_dir"))),
    "ca_bundle": ("FWUPDATE_CA_BUNDLE", _text, (("inventory", "ca_bundle"),)),
    "progress": ("FWUPDATE_PROGRESS", _progress, (("run", "progress"), ("resume", "progress"))),
}


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("FWUPDATE_CONFIG"):
        return Path(env["FWUPDATE_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "fwupdate" / "config.toml"


def load(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The effective settings: the config file overlaid with the environment (checked)."""
    env = os.environ if env is None else env
    path = config_path(env)
    values: dict[str, Any] = {}
    if path.is_file() or env.get("FWUPDATE_CONFIG"):
        values = _read(path)
    for key, (var, check, _) in KEYS.items():
        if env.get(var):
            values[key] = _check(check, env[var], f"environment {var}")
    return values


def _read(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (FWUPDATE_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            raise ConfigError(f"{path}: {key}: unknown key (allowed: {', '.join(KEYS)})")
        out[key] = _check(KEYS[key][1], value, f"{path}: {key}")
    return out


def _check(check: Callable[[Any], Any], value: Any, where: str) -> Any:
    try:
        return check(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {value!r}: expected {exc}") from None


def from_defaults(param: str) -> bool:
    """Whether the current command's `param` came from the config file / environment (click's
    default_map) rather than from a flag."""
    import click

    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.get_parameter_source(param) is (
        click.core.ParameterSource.DEFAULT_MAP)


def default_map(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """click's default_map for the root context: {command: {option: value}}."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        for command, option in KEYS[key][2]:
            out.setdefault(command, {})[option] = value
    return out
