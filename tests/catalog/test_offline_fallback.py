"""A catalog URL whose server went away: the cached copy of an earlier download is used, with
one warning line saying so (a real loopback HTTPS server that is stopped between the reads)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from fwupdate.catalog import load_catalog
from fwupdate.errors import DeviceUnreachableError
from fwupdate.fileserver import FileServer
from fwupdate.sim.tls import SimCA

from .conftest import SUU_CATALOG


@pytest.fixture
def tls(tmp_path: Path) -> tuple[Path, Path, Path]:
    ca = SimCA()
    issued = ca.issue("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes(issued.cert_pem)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(issued.key_pem)
    return ca.write_bundle(tmp_path / "ca.pem"), cert, key


def test_the_cached_copy_is_used_when_the_server_is_down(
    tmp_path: Path, tls: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    bundle, cert, key = tls
    cache = tmp_path / "cache"
    server = FileServer("127.0.0.1", certfile=cert, keyfile=key)
    server.start()
    try:
        url = server.register(SUU_CATALOG, name="Catalog.xml")
        first = load_catalog(url, system_id="04F7", cache_dir=cache, ca_bundle=str(bundle))
    finally:
        server.stop()
    assert len(first.components) == 27
    caplog.set_level(logging.WARNING)
    again = load_catalog(url, system_id="04F7", cache_dir=cache, ca_bundle=str(bundle))
    assert again.sha256 == first.sha256 and again.components == first.components
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    line = warnings[0]
    assert "unreachable (connection refused)" in line and "using the cached copy" in line
    assert "\n" not in line


def test_no_cached_copy_is_still_an_error(tmp_path: Path, tls: tuple[Path, Path, Path]) -> None:
    bundle, cert, key = tls
    server = FileServer("127.0.0.1", certfile=cert, keyfile=key)
    server.start()
    url = server.register(SUU_CATALOG, name="Catalog.xml")
    server.stop()
    with pytest.raises(DeviceUnreachableError, match="catalog download"):
        load_catalog(url, cache_dir=tmp_path / "cache", ca_bundle=str(bundle))


def test_a_damaged_cached_copy_is_not_used(tmp_path: Path, tls: tuple[Path, Path, Path]) -> None:
    bundle, cert, key = tls
    cache = tmp_path / "cache"
    server = FileServer("127.0.0.1", certfile=cert, keyfile=key)
    server.start()
    url = server.register(SUU_CATALOG, name="Catalog.xml")
    load_catalog(url, cache_dir=cache, ca_bundle=str(bundle))
    server.stop()
    (copy,) = (p for p in (cache / "downloads").rglob("Catalog.xml"))
    copy.write_bytes(copy.read_bytes()[:-10])
    with pytest.raises(DeviceUnreachableError):
        load_catalog(url, cache_dir=cache, ca_bundle=str(bundle))
