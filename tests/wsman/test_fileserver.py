"""The plan file server: only registered files, random per-run paths, read-only, streamed."""

from __future__ import annotations

import http.client
import logging
import os
import ssl
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from fwupdate.errors import BadInputError
from fwupdate.fileserver import FileServer
from fwupdate.sim.tls import SimCA


def _raw(server: FileServer, method: str, path: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read(), dict(resp.getheaders())
    finally:
        conn.close()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    img = tmp_path / "firmimg.d7"
    img.write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # > 1 chunk: streamed in blocks
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the iDRAC\n")
    return {"img": img, "secret": secret}


def test_serves_registered_file_under_random_paths(files: dict[str, Path]) -> None:
    with FileServer() as a, FileServer() as b:
        url_a = a.register(files["img"])
        url_b = b.register(files["img"])
        url_a2 = a.register(files["img"])
        # Different run tokens per server, different set tokens per registration.
        pa, pb, pa2 = (urlsplit(u).path.split("/") for u in (url_a, url_b, url_a2))
        assert pa[1] != pb[1] and pa[1] == pa2[1] and pa[2] != pa2[2]
        assert len(pa[1]) >= 20 and pa[-1] == "firmimg.d7"
        r = requests.get(url_a, timeout=5)
        assert r.status_code == 200
        assert r.content == files["img"].read_bytes()
        assert r.headers["Content-Length"] == str(files["img"].stat().st_size)
        h = requests.head(url_a, timeout=5)
        assert h.status_code == 200 and h.content == b""
        assert h.headers["Content-Length"] == str(files["img"].stat().st_size)
        # The server records an access after the last byte went out: wait (bounded) for both.
        deadline = time.monotonic() + 5
        while len(a.accesses()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        got = sorted((x.method, x.name, x.status, x.bytes_sent) for x in a.accesses())
        size = files["img"].stat().st_size
        assert got == [("GET", "firmimg.d7", 200, size), ("HEAD", "firmimg.d7", 200, 0)]


def test_only_registered_files_and_no_listing(files: dict[str, Path]) -> None:
    with FileServer() as srv:
        url = srv.register(files["img"])
        path = urlsplit(url).path
        run, token = path.split("/")[1:3]
        for probe in (
            "/",
            f"/{run}/",
            f"/{run}/{token}/",
            f"/{run}/{token}/secret.txt",
            f"/{run}/{token}/../{token}/secret.txt",
            f"/{run}/{token}/%2e%2e/secret.txt",
            f"/{run}/{token}/..%2Fsecret.txt",
            "/" + str(files["secret"]),
            "/etc/passwd",
            f"/{run}/x/firmimg.d7",  # right name, wrong token
            path + "/",
        ):
            status, body, _ = _raw(srv, "GET", probe)
            assert status == 404, probe
            assert b"not for the iDRAC" not in body
        # Query strings do not change what is served.
        status, body, _ = _raw(srv, "GET", path + "?x=../../secret.txt")
        assert status == 200 and body == files["img"].read_bytes()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"])
def test_read_only(files: dict[str, Path], method: str) -> None:
    with FileServer() as srv:
        url = srv.register(files["img"])
        status, _, headers = _raw(srv, method, urlsplit(url).path)
        assert status == 405
        assert headers["Allow"] == "GET, HEAD"
        assert files["img"].stat().st_size == 3 * 1024 * 1024 + 17


def test_range_and_changed_file(files: dict[str, Path], tmp_path: Path) -> None:
    with FileServer() as srv:
        url = srv.register(files["img"])
        path = urlsplit(url).path
        data = files["img"].read_bytes()
        status, body, headers = _raw(srv, "GET", path, {"Range": "bytes=10-19"})
        assert status == 206 and body == data[10:20]
        assert headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        status, body, _ = _raw(srv, "GET", path, {"Range": "bytes=-5"})
        assert status == 206 and body == data[-5:]
        status, _, _ = _raw(srv, "GET", path, {"Range": f"bytes={len(data)}-"})
        assert status == 416
        # A file that changed size since registration is refused, not half-served.
        files["img"].write_bytes(b"short")
        status, body, _ = _raw(srv, "GET", path)
        assert status == 409 and b"short" not in body


def test_repository_set_keeps_relative_layout(tmp_path: Path) -> None:
    (tmp_path / "FOLDER01").mkdir()
    dup = tmp_path / "FOLDER01" / "BIOS_X.EXE"
    dup.write_bytes(b"MZ" + b"\0" * 100)
    cat = tmp_path / "Catalog.xml"
    cat.write_text("<Manifest/>")
    with FileServer() as srv:
        base = srv.register_set({"Catalog.xml": cat, "FOLDER01/BIOS_X.EXE": dup})
        assert base.endswith("/")
        assert requests.get(base + "Catalog.xml", timeout=5).text == "<Manifest/>"
        assert requests.get(base + "FOLDER01/BIOS_X.EXE", timeout=5).content == dup.read_bytes()
        assert requests.get(base + "FOLDER01/", timeout=5).status_code == 404


def test_refuses_unsafe_registrations(files: dict[str, Path], tmp_path: Path) -> None:
    link = tmp_path / "link.d7"
    link.symlink_to(files["img"])
    with FileServer() as srv:
        for bad in ("../x", "/abs", "a/../b", "a\\b", ".hidden", "a//b", ""):
            with pytest.raises(BadInputError):
                srv.register_set({bad: files["img"]})
        with pytest.raises(BadInputError):
            srv.register(tmp_path)  # a folder
        with pytest.raises(BadInputError):
            srv.register(tmp_path / "missing.d7")
        # A link is resolved at registration; swapping the link later changes nothing served.
        url = srv.register(link)
        link.unlink()
        link.symlink_to(files["secret"])
        assert requests.get(url, timeout=5).content == files["img"].read_bytes()
    with pytest.raises(BadInputError, match="wildcard"):
        FileServer("0.0.0.0")  # noqa: S104


def test_https_with_given_certificate(files: dict[str, Path], tmp_path: Path) -> None:
    ca = SimCA()
    issued = ca.issue("orchestrator")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_bytes(issued.cert_pem)
    key.write_bytes(issued.key_pem)
    bundle = ca.write_bundle(tmp_path / "ca.pem")
    with FileServer(certfile=cert, keyfile=key) as srv:
        url = srv.register(files["img"])
        assert url.startswith("https://127.0.0.1:")
        r = requests.get(url, verify=str(bundle), timeout=5)
        assert r.content == files["img"].read_bytes()
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, timeout=5)
        # A plain-HTTP client gets nothing.
        with pytest.raises((requests.exceptions.ConnectionError, ssl.SSLError)):
            requests.get(url.replace("https://", "http://"), timeout=5)


def test_access_log_masks_tokens(files: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fwupdate.fileserver")
    with FileServer() as srv:
        url = srv.register(files["img"])
        requests.get(url, timeout=5)
        requests.get(url + "x", timeout=5)
        deadline = time.monotonic() + 5
        while len(srv.accesses()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    text = caplog.text
    assert "firmimg.d7 -> 200" in text and " - -> 404" in text
    assert srv.run_token not in text
    assert urlsplit(url).path.split("/")[2] not in text
