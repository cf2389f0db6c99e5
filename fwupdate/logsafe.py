"""Keep secrets out of logs.

Credentials are registered here when they are loaded (fleet file, environment, secret file); a
logging filter installed on the root handlers replaces any registered value with `***`.  This is a
second line of defence: the code never formats a secret into a message on purpose.
"""

from __future__ import annotations

import logging
import re
import threading

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is masked wherever it would be logged."""
    if value and len(value) >= 3:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg:
            record.msg = clean
            record.args = None
        return True


_FILTER = RedactingFilter()


def install_redaction() -> None:
    """Attach the redacting filter to every root handler (idempotent)."""
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


_SECRET_OPTION_WORDS = ("password", "passwd", "secret", "token", "apikey", "api-key")


def mask_argv(argv: list[str] | tuple[str, ...]) -> list[str]:
    """A command line safe to keep (run journal): registered secrets masked, and the value of
    any option whose name says it is a secret (`--password X`, `--token=X`) replaced by `***`.
    Options naming where a secret lives (`--password-env`, `--password-file`) are kept."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        name, eq, _value = arg.partition("=")
        if arg.startswith("-") and _secret_option(name):
            if eq:
                out.append(f"{name}=***")
            else:
                out.append(arg)
                hide_next = True
            continue
        out.append(redact(arg))
    return out


def _secret_option(name: str) -> bool:
    low = name.lower()
    if low.endswith(("-env", "-file")):
        return False
    return any(w in low for w in _SECRET_OPTION_WORDS)


# --- URLs in messages ------------------------------------------------------------------------

_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def redact_url(url: str) -> str:
    """The one URL sanitiser for messages and labels: no `user:password@`, no query string,
    no fragment (they carry passwords and tokens).  Works on malformed URLs too."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    return f"{scheme}{sep}{_mask_port(authority)}{slash}{path}"


def _mask_port(authority: str) -> str:
    """`host:port` with a port that is not a number (a password typed in its place) masked."""
    if authority.startswith("["):
        host, bracket, port = authority.partition("]")
        host += bracket
    elif authority.count(":") > 1:
        host, _, port = authority.partition(":")
        port = ":" + port
    else:
        host, port = authority, ""
        if ":" in authority:
            host, _, rest = authority.partition(":")
            port = ":" + rest
    if port and not port[1:].isdigit():
        port = ":***"
    return host + port


def redact_urls(text: str) -> str:
    """`text` with every URL in it passed through `redact_url`."""
    return _URL_RE.sub(lambda m: redact_url(m.group(0)), text)
