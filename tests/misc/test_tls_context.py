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
