"""`fwupdate --log-format json`: every log event as one JSON object per line on stderr.

Stable fields: `time` (UTC ISO 8601, ms), `level`, `event`, `message`, `logger`, and `run`,
`pair`, `node`, `step` where they apply (from fwupdate.observe.context); extra fields an event
carries are added as they are.  Every string passes `fwupdate.logsafe.redact`.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from fwupdate.logsafe import install_redaction, redact
from fwupdate.observe.context import where

FORMATS = ("text", "json")
_state = {"format": "text"}
_write_lock = threading.Lock()
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime"}


def reset() -> None:
    """Back to text until the root callback says otherwise (each `main()` call)."""
    _state["format"] = "text"


def json_mode() -> bool:
    return _state["format"] == "json"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def document(level: str, event: str, message: str, *, at: float | None = None,
             **fields: Any) -> dict[str, Any]:
    """One event as the JSON object written (context fields filled where not given)."""
    doc: dict[str, Any] = {"time": _stamp(at if at is not None else datetime.now(UTC).timestamp()),
                           "level": level, "event": event, "message": message}
    ctx = where()
    for key in ("run", "pair", "node", "step"):
        doc[key] = fields.pop(key, None) or ctx[key]
    doc.update(fields)
    cleaned: dict[str, Any] = _clean(doc)
    return cleaned


def emit(level: str, event: str, message: str, **fields: Any) -> None:
    """Write one event line to stderr now (used for progress and lifecycle events)."""
    line = json.dumps(document(level, event, message, **fields), sort_keys=False)
    with _write_lock:
        print(line, file=sys.stderr, flush=True)


def line(text: str, *, level: str = "warning", event: str = "notice", **fields: Any) -> None:
    """A line a command writes on stderr: as is in text mode, one JSON event in json mode
    (the `fwupdate: ` prefix dropped; `message` keeps the rest)."""
    if not json_mode():
        with _write_lock:
            print(text, file=sys.stderr, flush=True)
        return
    emit(level, event, " ".join(text.removeprefix("fwupdate: ").split()), **fields)


class _StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            with _write_lock:
                print(line, file=sys.stderr, flush=True)
        except Exception:
            self.handleError(record)


class JsonFormatter(logging.Formatter):
    """A logging record as one JSON line (event = `log` unless the record names one)."""

    def format(self, record: logging.LogRecord) -> str:
        extra = {k: v for k, v in record.__dict__.items() if k not in _RESERVED}
        event = str(extra.pop("event", "log"))
        msg = record.getMessage()
        if record.exc_info:
            msg += " | " + " ".join(self.formatException(record.exc_info).split())
        doc = document(record.levelname.lower(), event, msg, at=record.created,
                       logger=record.name, **extra)
        return json.dumps(doc)


def configure(fmt: str, level: int) -> None:
    """Set up root logging on stderr in `fmt` (text or json) at `level`; masking installed."""
    _state["format"] = fmt
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, _StderrHandler) or fmt == "json":
            root.removeHandler(h)
    if fmt == "json":
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(level)
    else:
        logging.basicConfig(level=level,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction()
