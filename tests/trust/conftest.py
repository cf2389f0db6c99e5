"""Signing fixtures: a kit whose CA and OpenPGP key the test store trusts, and a second kit
that nobody trusts (untrusted root, unknown key).  Made once per session (key generation and
osslsigncode are the slow part); each test gets its own trust store folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fwupdate.trust import TrustStore
from fwupdate.trust.kit import SigningKit, missing_tools

MISSING = missing_tools()
needs_tools = pytest.mark.skipif(
    bool(MISSING),
    reason=f"signing tools not installed: {', '.join(MISSING)} (make test installs them as root)",
)


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningKit]:
    if MISSING:
        pytest.skip(f"signing tools not installed: {', '.join(MISSING)}")
    k = SigningKit(tmp_path_factory.mktemp("kit"))
    yield k
    k.close()


@pytest.fixture(scope="session")
def rogue_kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningKit]:
    if MISSING:
        pytest.skip(f"signing tools not installed: {', '.join(MISSING)}")
    k = SigningKit(tmp_path_factory.mktemp("rogue"), uid="rogue <rogue@fwupdate.invalid>")
    yield k
    k.close()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit: SigningKit) -> TrustStore:
    """The test's own trust store (FWUPDATE_TRUST_DIR), trusting `kit`'s CA and key."""
    folder = tmp_path / "trust"
    monkeypatch.setenv("FWUPDATE_TRUST_DIR", str(folder))
    s = TrustStore()
    s.import_file(kit.ca.cert_pem)
    s.import_file(kit.pgp_public)
    return s
