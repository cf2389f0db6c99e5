"""`--inventory FILE` reads only a regular file of bounded size, and deep JSON is bad input
(issue 15: every read bounded in size and time)."""

from __future__ import annotations

import os
from pathlib import Path

import plan_factories as pf
import pytest


def _compliance(cli, site: dict[str, Path], inventory: str):  # type: ignore[no-untyped-def]
    return cli("compliance", str(site["fleet"]), "--catalog", str(site["repo"]),
               "--inventory", inventory)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "deep"])
def test_hostile_inventory_is_bad_input(cli, tmp_path: Path, kind: str) -> None:  # type: ignore[no-untyped-def]
    site = pf.write_site(tmp_path)
    target = tmp_path / "inv.json"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "deep":
        target.write_text('{"nodes": ' + "[" * 100_000)
    else:
        target = Path(kind)
    r = _compliance(cli, site, str(target))
    assert r.code == 2, r
    assert r.err.count("\n") == 1 and "internal error" not in r.err
