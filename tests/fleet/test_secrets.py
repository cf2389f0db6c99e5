"""Credential references resolve only on demand, refuse open files, and never leak a value."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from fwupdate.errors import ConfigError
from fwupdate.fleet.models import CredentialRef
from fwupdate.fleet.secrets import resolve, resolve_password
from fwupdate.logsafe import install_redaction


def _secret(path: Path, text: str, mode: int) -> Path:
    path.write_text(text)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_private_file_is_read(tmp_path: Path, mode: int) -> None:
    p = _secret(tmp_path / "pw", "hunter2-xyz\n", mode)
    creds = resolve(CredentialRef("root", password_file=p), what="n1 iDRAC")
    assert creds.username == "root" and creds.password == "hunter2-xyz"
    assert "hunter2" not in repr(creds)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o620])
def test_group_or_other_access_is_refused(tmp_path: Path, mode: int) -> None:
    p = _secret(tmp_path / "pw", "hunter2-xyz\n", mode)
    with pytest.raises(ConfigError) as info:
        resolve_password(CredentialRef("root", password_file=p), what="n1 iDRAC")
    msg = str(info.value)
    assert msg.startswith("n1 iDRAC: password file") and f"mode {mode:04o}" in msg
    assert "chmod 600" in msg and "hunter2" not in msg


def test_missing_empty_and_multiline_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_password(CredentialRef("u", password_file=tmp_path / "nope"))
    empty = _secret(tmp_path / "empty", "\n", 0o600)
    with pytest.raises(ConfigError, match="is empty"):
        resolve_password(CredentialRef("u", password_file=empty))
    two = _secret(tmp_path / "two", "a-secret\nb-secret\n", 0o600)
    with pytest.raises(ConfigError, match="one line") as info:
        resolve_password(CredentialRef("u", password_file=two))
    assert "a-secret" not in str(info.value)


def test_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FW_TEST_PW", "env-pass-123")
    assert resolve_password(CredentialRef("u", password_env="FW_TEST_PW")) == "env-pass-123"
    monkeypatch.delenv("FW_TEST_PW")
    with pytest.raises(ConfigError, match="environment variable FW_TEST_PW is not set"):
        resolve_password(CredentialRef("u", password_env="FW_TEST_PW"), what="x")


def test_resolved_secret_is_masked_in_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    p = _secret(tmp_path / "pw", "very-secret-value-42\n", 0o600)
    value = resolve_password(CredentialRef("root", password_file=p))
    caplog.set_level(logging.INFO)
    install_redaction()
    logging.getLogger("fwupdate.test").info("oops, printing %s", value)
    assert "very-secret-value-42" not in caplog.text
    assert "***" in caplog.text
