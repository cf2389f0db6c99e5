"""`--lm-image` reads only regular files of bounded size (issue 15): a FIFO or /dev/zero is
refused at once instead of hanging."""

from __future__ import annotations

import os
from pathlib import Path

import plan_factories as pf
import pytest


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    site = pf.write_site(tmp_path)
    for c in pf.r320_catalog().components:
        (site["repo"] / c.file_name).write_bytes(b"dup")
    return site


def _plan(cli, site: dict[str, Path], image: str):  # type: ignore[no-untyped-def]
    return cli("plan", str(site["fleet"]), "--catalog", str(site["repo"]), "--inventory",
               str(site["inventory"]), "--bundle", str(site["bundle"]), "--lm-image", image)


@pytest.mark.timeout(20)
def test_fifo_is_refused_without_hanging(cli, site: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    fifo = site["tmp"] / "7.1-Patch28b-BARE-METAL.bin"
    os.mkfifo(fifo)
    r = _plan(cli, site, str(fifo))
    assert r.code == 2, r
    assert "not a regular file" in r.err and r.err.count("\n") == 1


@pytest.mark.timeout(20)
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_devices_are_refused(cli, site: dict[str, Path], device: str) -> None:  # type: ignore[no-untyped-def]
    r = _plan(cli, site, device)
    assert r.code == 2, r
    assert "not a regular file" in r.err and r.err.count("\n") == 1


@pytest.mark.timeout(20)
def test_folder_is_refused(cli, site: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    r = _plan(cli, site, str(site["tmp"]))
    assert r.code == 2, r
    assert r.err.count("\n") == 1
