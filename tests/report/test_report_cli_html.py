"""`fwupdate report RUN --format html` end to end through the CLI, on a fixture journal."""

from __future__ import annotations

import json
import os
from pathlib import Path

from report_support import assert_standalone, parse


def test_report_html_out(cli, journal_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "night.html"
    r = cli("report", "night-1", "--runs-dir", str(journal_path.parent), "--format", "html",
            "--out", str(out))
    assert r.code == 0, r
    assert r.out == ""
    page = out.read_text(encoding="utf-8")
    assert_standalone(page)
    dom = parse(page)
    assert [g.attrs["data-node"] for g in dom.find("g", "node-row")] == ["p1-b", "p1-a", "solo"]
    assert len(dom.find("g", "bar")) == 17 and len(dom.find("g", "failover")) == 1
    assert "RED007" in dom.find("table", "failures")[0].text
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    # the same facts as --format json
    j = cli("report", str(journal_path), "--format", "json")
    assert j.code == 0, j
    doc = json.loads(j.out)
    assert [f["message_id"] for f in doc["failures"]] == ["RED007"]
    left = dom.find("table", "remaining")[0].text
    assert all(s["step_id"] in left for s in doc["remaining"])


def test_report_html_to_stdout(cli, journal_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("report", str(journal_path), "--format", "html")
    assert r.code == 0, r
    assert r.out.startswith("<!DOCTYPE html>") and "fwupdate run night-1" in r.out


def test_report_out_needs_html(cli, journal_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("report", str(journal_path), "--format", "csv", "--out", str(tmp_path / "x.csv"))
    assert r.code == 2, r
    assert "--out is for --format html" in r.err and "Traceback" not in r.err
