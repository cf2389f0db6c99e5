"""TLS policy over real loopback HTTPS: CA bundle, pinned fingerprint, insecure; streamed upload.

Uses the simulator core (CA + DeviceServer) with a minimal Redfish device of our own, so these
tests do not depend on the simulated iDRAC model.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from fwupdate.errors import TLSVerificationError
from fwupdate.fleet.models import TlsSettings
from fwupdate.fleet.secrets import Credentials
from fwupdate.idrac.redfish import transport as transport_mod
from fwupdate.idrac.redfish.transport import RedfishTransport
from fwupdate.sim.bus import Bus
from fwupdate.sim.clock import SimClock
from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.events import EventLog
from fwupdate.sim.http import Drop, Request, Response
from fwupdate.sim.server import DeviceServer
from fwupdate.sim.tls import SimCA


class MiniRedfish(SimDevice):
    kind = "mini"

    def __init__(self, ctx: SimContext) -> None:
        super().__init__("mini", ctx, profile="mini")
        self.uploads: list[int] = []

    def handle(self, request: Request) -> Response | Drop:
        if request.path == "/redfish/v1":
            return Response.json(200, {"RedfishVersion": "1.4.0", "Links": {}})
        if request.method == "POST" and request.path == "/upload":
            self.uploads.append(request.body_length)
            return Response.json(201, {"Id": "Available-1-1"}, {"Location": "/upload/A-1"})
        return Response.json(404, {})


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[MiniRedfish, Path]]:
    clock = SimClock(1000.0)
    ctx = SimContext(clock=clock, events=EventLog(clock), bus=Bus(), ca=SimCA(), workdir=tmp_path)
    dev = MiniRedfish(ctx)
    srv = DeviceServer(dev).start()
    bundle = ctx.ca.write_bundle(tmp_path / "ca.pem")
    try:
        yield dev, bundle
    finally:
        srv.stop()
        clock.stop()


def _open(dev: MiniRedfish, tls: TlsSettings) -> RedfishTransport:
    t = RedfishTransport(dev.url, Credentials("root", "pw-xyz"), tls=tls, auth="basic", timeout=5)
    t.open()
    return t


def test_ca_bundle_verifies(server: tuple[MiniRedfish, Path]) -> None:
    dev, bundle = server
    t = _open(dev, TlsSettings(ca_bundle=bundle))
    assert t.root is not None and t.root["RedfishVersion"] == "1.4.0"
    t.close()


def test_unknown_ca_is_refused_by_default(server: tuple[MiniRedfish, Path]) -> None:
    dev, _ = server
    with pytest.raises(TLSVerificationError) as info:
        _open(dev, TlsSettings())
    msg = str(info.value)
    assert "did not verify" in msg and "--ca-bundle or --fingerprint" in msg
    assert info.value.step == "service root"


def test_pinned_fingerprint_accepts_matching_cert(server: tuple[MiniRedfish, Path]) -> None:
    dev, _ = server
    fp = ":".join(dev.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    t = _open(dev, TlsSettings(fingerprint=dev.fingerprint))
    t.close()
    # the colon form normalises the same way
    from fwupdate.fleet.loader import normalize_fingerprint

    assert normalize_fingerprint(fp) == dev.fingerprint


def test_pinned_fingerprint_rejects_other_cert(server: tuple[MiniRedfish, Path]) -> None:
    dev, _ = server
    wrong = ("0" if dev.fingerprint[0] != "0" else "1") + dev.fingerprint[1:]
    with pytest.raises(TLSVerificationError, match="does not match the pinned SHA-256"):
        _open(dev, TlsSettings(fingerprint=wrong))


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_insecure_accepts_anything(server: tuple[MiniRedfish, Path]) -> None:
    dev, _ = server
    _open(dev, TlsSettings(insecure=True)).close()


def test_upload_streams_from_disk(
    server: tuple[MiniRedfish, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev, bundle = server
    image = tmp_path / "firmimg.d7"
    size = 3 * 1024 * 1024 + 17
    with open(image, "wb") as f:
        f.write(b"\xa5" * size)
    reads: list[int] = []

    class Spy:
        def __init__(self, f: IO[bytes]) -> None:
            self._f = f

        def read(self, n: int = -1) -> bytes:
            data = self._f.read(n)
            reads.append(len(data))
            return data

        def __getattr__(self, name: str) -> Any:
            return getattr(self._f, name)

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *a: object) -> None:
            self._f.close()

    real_open = builtins.open

    def spy_open(path: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        f = real_open(path, mode, *a, **k)
        return Spy(f) if Path(path) == image else f

    monkeypatch.setattr(transport_mod, "open", spy_open, raising=False)
    t = _open(dev, TlsSettings(ca_bundle=bundle))
    resp = t.upload("/upload", image, step="push")
    t.close()
    assert resp.status == 201 and resp.location == "/upload/A-1"
    assert sum(reads) == size
    assert max(reads) < size // 4  # read in pieces, never the whole image at once
    assert dev.uploads and dev.uploads[0] > size  # multipart framing around the image
