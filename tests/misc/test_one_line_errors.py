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


def test_lone_surrogates_and_control_characters_are_escaped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hostile input echoed in a message (a root element name decoded with surrogateescape, a
    terminal escape sequence) is printed escaped, never as raw bytes or a crash."""

    def boom(*_a: object, **_k: object) -> None:
        raise CatalogError("root element is <a\udc80b\x1b[31m\x07>")

    command = main_mod.typer.main.get_command(main_mod.app)
    monkeypatch.setattr(type(command), "main", boom)
    assert main_mod.main(["catalog", "models"]) == 2
    err = capsys.readouterr().err
    assert "\\udc80" in err and "\\x1b" in err and "\x1b" not in err and "\x07" not in err
    assert err.count("\n") == 1
