"""The compliance page: unit tests on a document, and `fwupdate compliance --format html`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import plan_factories as pf
import pytest
from report_support import assert_standalone, parse

from fwupdate.report.html import compliance_html


def _doc(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "catalog": {"source": "/srv/repo/Catalog.xml", "sha256": "ab" * 32},
        "policy": "r320-loadmaster",
        "status": "critical",
        "counts": {"ok": 1, "warning": 1, "critical": 1, "unknown": 1},
        "nodes": [
            {"node": "p1-a", "pair": "p1", "status": "critical", "model": "PowerEdge R320",
             "idrac_version": "2.50.50.50", "loadmaster": {"version": "7.1", "ha_role": "active"},
             "reboot_needed": True, "errors": [], "components": [
                 {"component": "BIOS", "kind": "bios", "current": "2.1.3", "target": "2.9.0",
                  "action": "upgrade", "planned": True, "criticality": "Urgent",
                  "reboot": "host-reboot", "package": "BIOS_1.EXE", "note": ""},
                 {"component": "PERC H310 Mini", "kind": "raid", "current": "20.13",
                  "target": None, "action": "excluded", "planned": False, "criticality": "",
                  "reboot": "", "package": None, "note": "excluded by the bundle"}]},
            {"node": "p1-b", "pair": "p1", "status": "warning", "components": [
                {"component": "iDRAC", "kind": "idrac", "current": "1.57.57",
                 "target": "2.65.65.65", "action": "upgrade", "planned": True,
                 "criticality": "Recommended", "reboot": "idrac-reset", "package": "i.EXE"}]},
            {"node": "solo", "pair": None, "status": "ok", "components": [
                {"component": "BIOS", "kind": "bios", "current": "2.9.0", "target": "2.9.0",
                 "action": "same", "planned": False, "criticality": "", "reboot": ""}]},
            {"node": "gone", "pair": None, "status": "unknown", "errors": ["connection refused"],
             "components": []},
        ],
    }
    doc.update(over)
    return doc


def test_fleet_rollup_and_node_tables() -> None:
    page = compliance_html(_doc())
    assert_standalone(page)
    dom = parse(page)
    cards = {c.attrs["data-status"]: c.text for c in dom.find("div", "card") if "data-status"
             in c.attrs}
    assert cards == {"critical": "1critical", "warning": "1warning", "ok": "1ok",
                     "unknown": "1unknown"}
    summary = dom.find("table", "nodes")[0]
    assert "p1-a" in summary.text and "standalone" in summary.text
    assert "connection refused" in summary.text
    sections = {s.attrs["data-node"]: s for s in dom.find("section", "node")}
    assert list(sections) == ["p1-a", "p1-b", "solo", "gone"]
    comp = next(t for t in dom.find("table", "components") if "BIOS_1.EXE" in t.text)
    assert "2.1.3 → 2.9.0" in comp.text and "Urgent" in comp.text and "host-reboot" in comp.text
    assert "excluded by the bundle" in comp.text
    urgent = [e for e in dom.find("span", "st-critical") if e.text == "Urgent"]
    assert urgent, "Urgent criticality is highlighted"
    assert "No component to show." in sections["gone"].text
    # same version: no arrow
    same = next(t for t in dom.find("table", "components") if "same" in t.text)
    assert "2.9.0" in same.text and "2.9.0 →" not in same.text


def test_hostile_component_names_are_escaped() -> None:
    doc = _doc()
    doc["nodes"][0]["node"] = '<script>alert("n")</script>'
    doc["nodes"][0]["components"][0]["component"] = "<img src=x onerror=alert(1)>"
    doc["nodes"][0]["components"][0]["note"] = "a & b 'quoted' \"double\""
    doc["policy"] = "</title><script>x</script>"
    page = compliance_html(doc)
    assert "<script" not in page and "<img" not in page
    assert_standalone(page)
    dom = parse(page)
    assert dom.find("title")[0].text == "fwupdate compliance"
    assert any(e.attrs.get("data-node") == '<script>alert("n")</script>'
               for e in dom.find("section"))
    assert "<img src=x onerror=alert(1)>" in "".join(dom.texts)


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    return pf.write_site(tmp_path)


def _args(site: dict[str, Path]) -> list[str]:
    return ["compliance", str(site["fleet"]), "--catalog", str(site["repo"]), "--inventory",
            str(site["inventory"]), "--bundle", str(site["bundle"])]


def test_cli_compliance_html_out(cli, site: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    out = site["tmp"] / "compliance.html"
    r = cli(*_args(site), "--format", "html", "--out", str(out))
    assert r.code == 0, r
    assert r.out == ""
    page = out.read_text(encoding="utf-8")
    assert_standalone(page)
    dom = parse(page)
    assert [s.attrs["data-node"] for s in dom.find("section", "node")] == ["p1-a", "p1-b", "solo"]
    # same data as --format json
    j = cli(*_args(site), "--format", "json")
    doc = json.loads(j.out)
    cards = {c.attrs["data-status"]: c.text for c in dom.find("div", "card")
             if "data-status" in c.attrs}
    assert cards["critical"] == f"{doc['counts']['critical']}critical"
    p1b = {c["component"]: c for n in doc["nodes"] if n["node"] == "p1-b"
           for c in n["components"]}
    idrac = p1b["Integrated Dell Remote Access Controller"]
    section = next(s for s in dom.find("section", "node") if s.attrs["data-node"] == "p1-b")
    assert f"{idrac['current']} → {idrac['target']}" in section.text
    assert not [p for p in os.listdir(site["tmp"]) if p.endswith(".tmp")]


def test_cli_compliance_html_to_stdout(cli, site: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    r = cli(*_args(site), "--format", "html")
    assert r.code == 0, r
    assert r.out.startswith("<!DOCTYPE html>") and "fwupdate compliance" in r.out


def test_cli_out_without_html_is_a_usage_error(cli, site: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    r = cli(*_args(site), "--format", "json", "--out", str(site["tmp"] / "x.json"))
    assert r.code == 2, r
    assert "--out is for --format html" in r.err and "Traceback" not in r.err


def test_other_commands_refuse_html(cli, site: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "models", "--format", "html")
    assert r.code == 2, r
    assert "html" in r.err and "Traceback" not in r.err
