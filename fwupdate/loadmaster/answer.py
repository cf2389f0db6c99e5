"""Tolerant parsing of LoadMaster API v1 answers (loadmaster-api.md §1.1, §7.10).

Shapes met in the field: `<Response stat="200" code="ok"><Success><Data>...` with data,
`<Success>Command completed ok</Success>` without, a bare `ok`/`OK` body from older commands,
and `<Response stat="4xx" code="fail"><Error>text</Error>` for errors (the HTTP status mirrors
`stat`).  Values may carry surrounding whitespace, newlines or quotes; tag casing varies
(`RsIndex` / `RSIndex`); a list of one comes back as a single element.  Parsing is hardened:
no entities, no DTD, no network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)
MAX_MESSAGE = 300


@dataclass(frozen=True)
class Answer:
    """One parsed API answer: `ok`, the status (`stat` or HTTP), the Data element if any, and
    the Success/Error text."""

    ok: bool
    status: int
    message: str = ""
    data: etree._Element | None = None


def clean(text: str | None) -> str:
    """Strip whitespace/newlines and one pair of surrounding quotes."""
    value = (text or "").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    return value


def _local(tag: object) -> str:
    return tag.split("}", 1)[-1].lower() if isinstance(tag, str) else ""


def children(el: etree._Element | None, name: str) -> list[etree._Element]:
    """Direct children named `name`, case-insensitively (one element or many: always a list)."""
    if el is None:
        return []
    want = name.lower()
    return [c for c in el if _local(c.tag) == want]


def child(el: etree._Element | None, *names: str) -> etree._Element | None:
    """The first direct child matching any of `names` (case-insensitive)."""
    for name in names:
        found = children(el, name)
        if found:
            return found[0]
    return None


def text(el: etree._Element | None, *names: str, default: str = "") -> str:
    """Cleaned text of the first child matching `names`, or of `el` itself if no names."""
    target = child(el, *names) if names else el
    if target is None:
        return default
    return clean("".join(str(t) for t in target.itertext()))


def flat(el: etree._Element | None) -> dict[str, str]:
    """Leaf children of `el` as {lower-case tag: cleaned text} (for get/getall answers)."""
    out: dict[str, str] = {}
    if el is None:
        return out
    for c in el:
        if len(c) == 0 and isinstance(c.tag, str):
            out.setdefault(_local(c.tag), clean(c.text))
    return out


def walk(el: etree._Element | None, name: str) -> Iterator[etree._Element]:
    """All descendants named `name` (case-insensitive)."""
    if el is None:
        return
    want = name.lower()
    for d in el.iter():
        if _local(d.tag) == want and d is not el:
            yield d


def _short(body: bytes) -> str:
    line = body.decode("utf-8", "replace").strip().splitlines()
    first = line[0] if line else ""
    return first[:MAX_MESSAGE]


def parse_answer(body: bytes, http_status: int) -> Answer:
    """Parse an answer body; never raises (a non-XML body becomes its first line of text)."""
    stripped = body.strip()
    if not stripped:
        return Answer(ok=200 <= http_status < 300, status=http_status)
    if stripped.lower() in (b"ok", b"ok."):
        return Answer(ok=200 <= http_status < 300, status=http_status, message="ok")
    if not stripped.startswith(b"<"):
        return Answer(ok=200 <= http_status < 300, status=http_status, message=_short(stripped))
    try:
        root = etree.fromstring(stripped, _PARSER)
    except etree.XMLSyntaxError:
        return Answer(ok=False, status=http_status, message=_short(stripped))
    if _local(root.tag) != "response":
        # An HTML error page (API disabled: 404) or something else that is not the API.
        title = text(root.find(".//title")) if root.find(".//title") is not None else ""
        return Answer(ok=False, status=http_status, message=title or _short(stripped))
    stat_text = clean(root.get("stat") or root.get("Stat"))
    try:
        stat = int(stat_text) if stat_text else http_status
    except ValueError:
        stat = http_status
    code = clean(root.get("code") or root.get("Code")).lower()
    error = child(root, "Error")
    success = child(root, "Success")
    if error is not None or code == "fail" or stat >= 400 or http_status >= 400:
        message = text(error) if error is not None else ""
        return Answer(ok=False, status=max(stat, http_status), message=message[:MAX_MESSAGE])
    if success is None:
        return Answer(ok=True, status=stat, data=child(root, "Data"))
    data = child(success, "Data")
    message = "" if data is not None else text(success)
    return Answer(ok=True, status=stat, message=message, data=data)
