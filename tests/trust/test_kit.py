"""The signing kit in a deep folder: gpg-agent's sockets need a short GnuPG home."""

from __future__ import annotations

from pathlib import Path

from fwupdate.trust.kit import SigningKit

from .conftest import needs_tools


@needs_tools
def test_a_kit_in_a_folder_too_deep_for_the_agents_sockets_still_signs(tmp_path: Path) -> None:
    """`fwupdate demo --out` a deep folder (or a test under pytest-xdist): the agent could not
    create its sockets there ("gpg: key generation failed: No agent running")."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    kit = SigningKit(deep / "kit")
    try:
        home = kit.gnupg_home
        assert len(str(home / "S.gpg-agent.browser")) <= 107
        signed = deep / "file.bin"
        signed.write_bytes(b"payload")
        assert kit.sign_detached(signed).read_bytes().startswith(b"-----BEGIN PGP SIGNATURE")
        assert kit.pgp_public.is_file() and kit.pgp_fingerprint
    finally:
        kit.close()
    assert not home.exists()  # the temporary home goes with the kit


@needs_tools
def test_a_kit_in_a_short_folder_keeps_its_gnupg_home_inside(tmp_path: Path) -> None:
    kit = SigningKit(tmp_path / "kit")
    try:
        assert kit.gnupg_home == tmp_path / "kit" / "gnupg"
    finally:
        kit.close()
    assert kit.gnupg_home.is_dir()
