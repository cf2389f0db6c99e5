"""A tiny escaping-safe HTML/SVG builder for the standalone reports.

Every value that reaches the page goes through `html.escape` unless it is already `Markup` built
by this module; tag and attribute names come from our own code and are checked against a strict
pattern.  There is no template engine and no script: a report is one self-contained file with
inline CSS and inline SVG, readable offline and when printed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import TypeAlias

_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9:_-]*$")
# Elements that never have content in HTML (written without a closing tag).
_VOID = frozenset({"meta", "br", "hr", "img", "link", "col", "wbr", "input"})


class Markup(str):
    """Text that is already safe HTML (built by `el`, `join` or `raw`)."""

    __slots__ = ()


Child: TypeAlias = Markup | str | int | float | Iterable["Child"] | None
AttrValue = str | int | float | bool | None


def escape(value: object) -> Markup:
    """Escape any value for use in text or a quoted attribute (quotes included)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(_text(value), quote=True))


def raw(trusted: str) -> Markup:
    """Mark a constant written in this package (CSS) as safe. Never pass device data here."""
    return Markup(trusted)


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _children(children: Iterable[Child]) -> Iterable[Markup]:
    for c in children:
        if c is None:
            continue
        if isinstance(c, str | int | float):
            yield escape(c)
        else:
            yield from _children(c)


def join(*children: Child) -> Markup:
    return Markup("".join(_children(children)))


def attrs(values: Mapping[str, AttrValue]) -> Markup:
    parts: list[str] = []
    for name, value in values.items():
        attr = name.rstrip("_").replace("_", "-")  # class_ -> class, data_node -> data-node
        if not _NAME.match(attr):
            raise ValueError(f"bad attribute name {name!r}")
        if value is None or value is False:
            continue
        if value is True:
            parts.append(f" {attr}")
        else:
            parts.append(f' {attr}="{escape(value)}"')
    return Markup("".join(parts))


def el(tag: str, attributes: Mapping[str, AttrValue] | None = None, *children: Child) -> Markup:
    """`<tag attrs>children</tag>` with every str child and attribute value escaped."""
    if not _NAME.match(tag):
        raise ValueError(f"bad tag name {tag!r}")
    opening = f"<{tag}{attrs(attributes or {})}>"
    if tag in _VOID:
        return Markup(opening)
    return Markup(f"{opening}{join(*children)}</{tag}>")


def page(title: str, css: str, *body: Child) -> str:
    """A whole standalone document: no script, no external asset."""
    head = el(
        "head",
        None,
        el("meta", {"charset": "utf-8"}),
        el("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
        el("title", None, title),
        el("style", None, raw(css)),
    )
    return "<!DOCTYPE html>\n" + el("html", {"lang": "en"}, head, el("body", None, *body)) + "\n"


def table(
    columns: Iterable[str],
    rows: Iterable[Iterable[Child]],
    *,
    class_: str | None = None,
    row_classes: Iterable[str | None] | None = None,
) -> Markup:
    head = el("thead", None, el("tr", None, [el("th", {"scope": "col"}, c) for c in columns]))
    classes = list(row_classes) if row_classes is not None else None
    body_rows = []
    for i, row in enumerate(rows):
        cls = classes[i] if classes is not None and i < len(classes) else None
        body_rows.append(el("tr", {"class": cls}, [el("td", None, cell) for cell in row]))
    return el("table", {"class": class_}, head, el("tbody", None, body_rows))


BASE_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24;
       margin: 24px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 24px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 2px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.meta { color: #57606a; margin: 0 0 12px; }
table { border-collapse: collapse; margin: 4px 0 12px; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 3px 6px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f6f8fa; }
code { font: 12px ui-monospace, Menlo, Consolas, monospace; }
.cards { display: flex; gap: 10px; flex-wrap: wrap; margin: 8px 0; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 12px; min-width: 90px; }
.card b { display: block; font-size: 22px; }
.st-critical, .st-failed, .st-degraded { color: #a40e26; font-weight: 600; }
.st-interrupted, .st-stopped, .st-aborted, .st-crash { color: #a40e26; font-weight: 600; }
.st-warning, .st-partial, .st-started, .st-in_flight, .st-running { color: #9a6700;
  font-weight: 600; }
.st-ok, .st-done, .st-finished { color: #1a7f37; font-weight: 600; }
.st-unknown, .st-pending, .st-skipped, .st-created, .st-deferred { color: #57606a;
  font-weight: 600; }
tr.row-failed td { background: #ffebe9; }
tr.row-upgrade td:nth-child(4) { font-weight: 600; }
.arrow { color: #57606a; }
.nw { white-space: nowrap; }
code.pkg { word-break: break-all; }
svg { max-width: 100%; height: auto; }
@media print {
  body { margin: 8mm; font-size: 11px; }
  h2 { break-after: avoid; }
  table, svg, .card { break-inside: avoid; }
  tr { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
