"""A transport failure's cause in words, for one-line errors.

`requests`/urllib3 exception text is long, repeats the URL (which may carry a file server token
or an API key) and names internal objects ("<urllib3.connection.HTTPSConnection object at
0x…>").  Errors say instead what failed in a few words: "connection refused", "connection
reset", "timed out", "host name not found", "network unreachable", "TLS handshake failed",
"connection failed".  TLS verification failures have their own message (fwupdate/tls.py).
"""

from __future__ import annotations

import requests

_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("refused",), "connection refused"),
    (("reset by peer", "connectionreseterror", "connection reset"), "connection reset"),
    (("remotedisconnected", "aborted", "connection closed", "closed connection",
      "incompleteread", "chunkedencodingerror", "protocolerror"), "connection dropped"),
    (("name or service not known", "nodename nor servname", "failed to resolve",
      "getaddrinfo", "temporary failure in name resolution"), "host name not found"),
    (("network is unreachable", "no route to host", "host is unreachable"),
     "network unreachable"),
    (("timed out", "timeout"), "timed out"),
    (("ssl", "tls", "certificate", "handshake"), "TLS handshake failed"),
)


def cause_in_words(exc: BaseException) -> str:
    """What went wrong below HTTP, in a few words (never the URL or the raw exception text)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer in time (read timed out)"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    text = f"{type(exc).__name__} {exc!s} {exc.__cause__!s} {exc.__context__!s}".lower()
    for needles, words in _WORDS:
        if any(n in text for n in needles):
            return words
    return "connection failed"
