from __future__ import annotations

from fwupdate import __version__


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("--version")
    assert r.code == 0
    assert __version__ in r.out


def test_unknown_command_is_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("no-such-command")
    assert r.code == 2
    assert "Traceback" not in r.err
