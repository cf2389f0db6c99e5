"""One SSL context per CA bundle, shared by every device session (memory flat in the fleet)."""

from __future__ import annotations

import ssl
from pathlib import Path

import requests

from fwupdate.fleet.models import TlsSettings
from fwupdate.tls import configure_session, shared_context


def _ca(tmp_path: Path) -> Path:
    import certifi  # a real PEM bundle to load

    p = tmp_path / "ca.pem"
    p.write_bytes(Path(certifi.where()).read_bytes())
    return p


def test_sessions_share_one_context_per_ca_bundle(tmp_path: Path) -> None:
    ca = _ca(tmp_path)
    sessions = []
    for _ in range(3):
        s = requests.Session()
        configure_session(s, TlsSettings(ca_bundle=ca))
        sessions.append(s)
    contexts = {id(s.get_adapter("https://x").poolmanager.connection_pool_kw["ssl_context"])
                for s in sessions}
    assert len(contexts) == 1
    ctx = shared_context(str(ca))
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    insecure = shared_context(False)
    assert insecure is not ctx and insecure.verify_mode == ssl.CERT_NONE
    for s in sessions:
        s.close()


def test_pinned_sessions_share_the_unverified_context_and_keep_their_pins() -> None:
    from fwupdate.tls import shared_context_count

    pins = ["ab" * 32, "cd" * 32]
    sessions = []
    for pin in pins:
        s = requests.Session()
        configure_session(s, TlsSettings(fingerprint=pin))
        sessions.append(s)
    kws = [s.get_adapter("https://x").poolmanager.connection_pool_kw for s in sessions]
    assert kws[0]["ssl_context"] is kws[1]["ssl_context"] is shared_context(False)
    assert [kw["assert_fingerprint"] for kw in kws] == pins
    before = shared_context_count()
    configure_session(requests.Session(), TlsSettings(fingerprint=pins[0]))
    assert shared_context_count() == before
    for s in sessions:
        s.close()
