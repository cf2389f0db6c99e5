"""Every error the CLI prints is exactly one line (issue 15)."""

from __future__ import annotations

import pytest

from fwupdate.cli import main as main_mod
from fwupdate.errors import CatalogError


def test_an_error_with_newlines_is_printed_on_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise CatalogError("first line\nsecond line\r\n  third")

    command = main_mod.typer.main.get_command(main_mod.app)
    monkeypatch.setattr(type(command), "main", boom)
    code = main_mod.main(["catalog", "models"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "first line second line third" in err


def test_an_internal_error_with_newlines_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("a\nb")

    command = main_mod.typer.main.get_command(main_mod.app)
    monkeypatch.setattr(type(command), "main", boom)
    assert main_mod.main(["catalog", "models"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
