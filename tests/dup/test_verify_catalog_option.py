"""`dup verify --catalog` like every other command; `--against` stays as a hidden alias."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def repo(tmp_path: Path, kit, monkeypatch):  # type: ignore[no-untyped-def]
    from fwupdate.dup import build_repository

    monkeypatch.setenv("FWUPDATE_CACHE_DIR", str(tmp_path / "cache"))
    build_repository(tmp_path / "repo", [kit.idrac_component()])
    return tmp_path / "repo"


def test_verify_takes_catalog_and_still_against(cli, repo: Path, kit) -> None:  # type: ignore[no-untyped-def]
    dup = str(repo / kit.IDRAC_EXE)
    r = cli("dup", "verify", dup, "--catalog", str(repo / "Catalog.xml"), "--allow-unsigned",
            "-f", "json")
    assert r.code == 0, r
    assert json.loads(r.out)["result"] == "ok"
    r = cli("dup", "verify", dup, "--against", str(repo), "--allow-unsigned")
    assert r.code == 0, r
    r = cli("dup", "verify", "--help")
    assert "--catalog" in r.out and "--against" not in r.out
