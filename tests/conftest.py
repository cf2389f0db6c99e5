"""Suite-wide test fixtures. Package-specific fixtures live in each tests/<area>/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwupdate.cli.main import main


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out[:500]!r}, err={self.err[:500]!r})"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `fwupdate ARGS...` in-process through the real entry point; returns code/out/err."""

    def _run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return _run


def check_cli_contract(r: CliResult, *, secrets: tuple[str, ...] = ()) -> None:
    """The contract for any input, however hostile (issue 15): exit 0 or 2, exactly one
    stderr line on error, no traceback, no internal error, no secret echoed."""
    assert r.code in (0, 2), r
    assert "Traceback" not in r.err and "internal error" not in r.err, r
    if r.code:
        assert len(r.err.splitlines()) == 1, r
    for s in secrets:
        assert s not in r.err and s not in r.out, r


@pytest.fixture
def cli_contract():  # type: ignore[no-untyped-def]
    """`check_cli_contract` for tests in folders without an importable helper module."""
    return check_cli_contract


def files_under(root: Path) -> set[Path]:
    """Every path below `root` (to check that a command wrote nothing where it should not)."""
    return set(root.rglob("*"))


@pytest.fixture
def snapshot_files():  # type: ignore[no-untyped-def]
    return files_under


@pytest.fixture(autouse=True)
def _private_trust_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's own trust store (~/.config/fwupdate/trust)."""
    monkeypatch.setenv("FWUPDATE_TRUST_DIR", str(tmp_path_factory.mktemp("trust-store")))
