"""The compliance report as one standalone HTML page.

Input is the document `fwupdate compliance --format json` prints (fwupdate/app/compliance.py
`compliance_document`): fleet rollup (OME style: critical / warning / ok / unknown counts), one
summary row per node, then per node its component table (current → target, action, criticality,
reboot).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fwupdate.report.html_builder import BASE_CSS, Markup, el, page, table

STATUSES = ("critical", "warning", "ok", "unknown")
COMPONENT_COLUMNS = (
    "component", "kind", "current → target", "action", "criticality", "reboot", "package", "note",
)


def _list(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    raw = doc.get(key)
    return [x for x in raw if isinstance(x, Mapping)] if isinstance(raw, list) else []


def _status(value: Any) -> Markup:
    text = str(value or "unknown")
    return el("span", {"class": f"st-{text}"}, text)


def _versions(c: Mapping[str, Any]) -> Markup:
    current = str(c.get("current") or "")
    target = c.get("target")
    if not target or target == current:
        return el("span", {"class": "nw"}, current)
    return el(
        "span", None, el("span", {"class": "nw"}, current), el("span", {"class": "arrow"}, " → "),
        el("b", {"class": "nw"}, target),
    )


def _criticality(value: Any) -> Markup | str:
    text = str(value or "")
    if text == "Urgent":
        return el("span", {"class": "st-critical"}, text)
    return text


def render_compliance_html(doc: Mapping[str, Any], *, generated_at: datetime | None = None) -> str:
    nodes = _list(doc, "nodes")
    counts = doc.get("counts") if isinstance(doc.get("counts"), Mapping) else {}
    assert isinstance(counts, Mapping)
    catalog = doc.get("catalog") if isinstance(doc.get("catalog"), Mapping) else {}
    assert isinstance(catalog, Mapping)
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    head = el(
        "header",
        None,
        el("h1", None, "fwupdate compliance"),
        el(
            "p",
            {"class": "meta"},
            "fleet ", _status(doc.get("status")),
            f" · bundle {doc.get('policy') or '—'}",
            f" · catalog {catalog.get('source') or '—'}",
            f" (sha256 {str(catalog.get('sha256'))[:12]}…)" if catalog.get("sha256") else "",
            f" · generated {when}",
        ),
    )
    cards = el(
        "div",
        {"class": "cards rollup"},
        el("div", {"class": "card"}, el("b", None, len(nodes)), "nodes"),
        [
            el("div", {"class": f"card st-{s}", "data-status": s},
               el("b", None, int(counts.get(s, 0) or 0)), s)
            for s in STATUSES
        ],
    )
    summary = table(
        ("node", "pair", "status", "model", "iDRAC", "LoadMaster", "upgrades", "urgent",
         "host reboot", "errors"),
        [
            (
                n.get("node"),
                n.get("pair") or "standalone",
                _status(n.get("status")),
                n.get("model") or "",
                n.get("idrac_version") or "",
                _lm(n.get("loadmaster")),
                sum(1 for c in _list(n, "components") if c.get("planned")),
                sum(1 for c in _list(n, "components")
                    if c.get("planned") and c.get("criticality") == "Urgent"),
                "yes" if n.get("reboot_needed") else "no",
                "; ".join(str(e) for e in n.get("errors") or []),
            )
            for n in nodes
        ],
        class_="nodes",
    )
    sections = [_node_section(n) for n in nodes]
    body = (
        head,
        el("h2", None, "Fleet summary"),
        cards,
        summary,
        el("h2", None, "Components per node"),
        sections,
    )
    return page("fwupdate compliance", BASE_CSS, *body)


def _lm(raw: Any) -> str:
    if not isinstance(raw, Mapping):
        return ""
    version = raw.get("version") or "?"
    role = raw.get("ha_role")
    return f"{version} ({role})" if role else str(version)


def _node_section(n: Mapping[str, Any]) -> Markup:
    comps = _list(n, "components")
    name = str(n.get("node") or "")
    header = el("h3", None, name, " ", _status(n.get("status")),
                el("span", {"class": "meta"}, f" {n.get('model') or ''}"))
    errors = [el("p", {"class": "st-failed"}, str(e)) for e in n.get("errors") or []]
    if not comps:
        return el("section", {"class": "node", "data-node": name}, header, errors,
                  el("p", None, "No component to show."))
    rows = [
        (
            c.get("component") or "",
            c.get("kind") or "",
            _versions(c),
            el("span", {"class": "planned" if c.get("planned") else None}, c.get("action") or ""),
            _criticality(c.get("criticality")),
            el("span", {"class": "nw"}, c.get("reboot") or ""),
            el("code", {"class": "pkg"}, c.get("package") or ""),
            "; ".join(str(x) for x in (c.get("note"), c.get("error")) if x),
        )
        for c in comps
    ]
    classes = [
        "row-failed" if c.get("error") else (f"row-{c.get('action')}" if c.get("planned") else None)
        for c in comps
    ]
    return el(
        "section",
        {"class": "node", "data-node": name},
        header,
        errors,
        table(COMPONENT_COLUMNS, rows, class_="components", row_classes=classes),
    )
