"""`fwupdate demo` end to end (one pair, high time-scale, to stay quick): repository and patch
built, fleet simulated, planned, run, reported, availability checked, simulator stopped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fwupdate.trust.kit import missing_tools

pytestmark = pytest.mark.integration


def test_demo_one_pair(cli, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    r = cli("demo", "--out", str(out), "--pairs", "pair-3", "--time-scale", "1000", "--quiet")
    assert r.code == 0, r
    assert "pair-3: done" in r.out
    assert "pair-3: availability record: 0 outage(s), 1 failover(s) (planned 1) -> OK" in r.out
    assert "demo finished" in r.out
    doc = json.loads((out / "report.json").read_text())
    assert doc["status"] == "finished" and doc["totals"]["failed"] == 0
    assert doc["demo"]["availability"][0]["outages"] == 0
    assert (out / "plan.json").is_file() and (out / "fleet.toml").is_file()
    assert list((out / "runs").glob("*.db"))
    assert (out / "repository" / "Catalog.xml").is_file()
    # the evening compliance view has the LoadMaster's upgrade like every other component
    page = (out / "compliance.html").read_text()
    assert re.search(r"<td>loadmaster</td>.*?7\.2\.48\.3.*?7\.2\.48\.4", page, re.S), page
    if missing_tools():  # the demo says why it runs unsigned
        assert 'signatures = "off"' in r.out
        return
    assert "authenticode signature valid, signed by CN=fwupdate-demo-code-signing-NOT-Dell" in r.out
    assert "Catalog.xml: gpg signature valid, signed by fwupdate demo signing key" in r.out
    assert "tampered on purpose, refused: fwupdate: error: " in r.out
    assert "authenticode signature invalid: file digest does not match" in r.out
    plan = json.loads((out / "plan.json").read_text())
    assert plan["options"]["signatures"] == "require"
    sigs = [s["package"]["signature"] for g in plan["groups"] for s in g["steps"] if s["package"]]
    assert sigs and all(x["status"] == "valid" for x in sigs)
    assert doc["signatures"] == {"policy": "require", "allow_unsigned": False}


def test_demo_refuses_unknown_pair(cli, tmp_path: Path) -> None:
    r = cli("demo", "--out", str(tmp_path / "d"), "--pairs", "pair-9")
    assert r.code == 2
    assert "pair-9" in r.err
    assert not (tmp_path / "d").exists()


def test_demo_delivery_pair_uses_repository_and_virtual_media(cli, tmp_path: Path) -> None:
    """pair-4 (R640): lb4a takes the repository fwupdate serves, lb4b boots the update ISO."""
    out = tmp_path / "demo"
    r = cli("demo", "--out", str(out), "--pairs", "pair-4", "--time-scale", "1000", "--quiet")
    assert r.code == 0, r
    assert "pair-4: availability record: 0 outage(s), 1 failover(s) (planned 1) -> OK" in r.out
    plan = json.loads((out / "plan.json").read_text())
    kinds = {(s["node"], s["kind"]) for g in plan["groups"] for s in g["steps"]}
    assert ("lb4a", "repo_update") in kinds and ("lb4b", "vmedia_update") in kinds
    doc = json.loads((out / "report.json").read_text())
    assert doc["status"] == "finished" and doc["totals"]["failed"] == 0
    page = (out / "report.html").read_text()
    assert "repo_update" in page and "vmedia_update" in page
    assert "<svg" in (out / "report.html").read_text()
    assert (out / "compliance.html").read_text().count("lb4a") >= 1
    assert (out / "r640-update.iso").stat().st_size > 0
