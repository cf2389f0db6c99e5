"""Fixtures for fleet-file tests: a folder with a CA bundle and a 0600 password file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Path:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    secret = tmp_path / "idrac.secret"
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("s3cret-pass\n")
    return tmp_path


@pytest.fixture
def write_fleet(fleet_dir: Path) -> Callable[[str], Path]:
    def _write(text: str) -> Path:
        p = fleet_dir / "fleet.toml"
        p.write_text(text)
        return p

    return _write
