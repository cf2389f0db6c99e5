"""API v1 answers in the documented shapes (loadmaster-api.md §1.1).

Success: `<Response stat="200" code="ok"><Success><Data>...</Data></Success></Response>`, or
`<Success>Command completed ok</Success>` for commands without data.  Errors:
`<Response stat="4xx" code="fail"><Error>text</Error></Response>` with the same HTTP status.
The XML declaration names ISO-8859-1, as the appliance does; the body is encoded accordingly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from fwupdate.sim.http import Response

_DECL = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
_HEADERS = {"Content-Type": "text/xml"}
COMPLETED_OK = "Command completed ok"


@dataclass
class El:
    """A tiny element tree: tag, text, children (enough to render Data sections)."""

    tag: str
    text: str | None = None
    children: list[El] = field(default_factory=list)

    def render(self) -> str:
        inner = escape(self.text) if self.text is not None else ""
        inner += "".join(c.render() for c in self.children)
        return f"<{self.tag}>{inner}</{self.tag}>"


def fields(pairs: Iterable[tuple[str, object]]) -> list[El]:
    return [El(k, "" if v is None else str(v)) for k, v in pairs]


def _encode(text: str) -> bytes:
    return text.encode("iso-8859-1", errors="xmlcharrefreplace")


def ok_data(children: Sequence[El]) -> Response:
    body = "".join(c.render() for c in children)
    text = (
        f'{_DECL}<Response stat="200" code="ok">\n<Success><Data>{body}</Data></Success>\n'
        "</Response>\n"
    )
    return Response(200, _encode(text), dict(_HEADERS))


def ok_text(message: str = COMPLETED_OK) -> Response:
    text = (
        f'{_DECL}<Response stat="200" code="ok">\n<Success>{escape(message)}</Success>\n'
        "</Response>\n"
    )
    return Response(200, _encode(text), dict(_HEADERS))


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    text = (
        f'{_DECL}<Response stat="{status}" code="fail">\n<Error>{escape(message)}</Error>\n'
        "</Response>\n"
    )
    h = dict(_HEADERS)
    h.update(headers or {})
    return Response(status, _encode(text), h)


def not_found() -> Response:
    """What a unit with the API disabled answers on /access/* (a plain web-server 404)."""
    return Response(
        404,
        b"<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n",
        {"Content-Type": "text/html"},
    )
