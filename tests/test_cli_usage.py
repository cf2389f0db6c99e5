"""Usage errors are one line on stderr with exit 2 (docs/exit-codes.md), like every other error:
no multi-line boxes, no usage block; help still prints in full and exits 0."""

from __future__ import annotations

import pytest

from fwupdate.cli.main import main


@pytest.mark.parametrize("argv,expect", [
    (["run", "--hlp"],
     "No such option '--hlp'. Did you mean '--help'? (see 'fwupdate run --help')"),
    (["nosuch"], "No such command 'nosuch'."),
    (["catalog", "show"], "Missing argument 'SOURCE'."),
    (["run", "plan.json", "fleet.toml", "--concurrency", "zero"], "'--concurrency'"),
])
def test_usage_error_is_one_line(argv: list[str], expect: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("fwupdate: usage: ")
    assert expect in err


def test_help_is_whole_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: fwupdate run [OPTIONS] PLAN_FILE FLEET_FILE")
    assert "--time-scale" in out


def test_group_alone_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog"]) == 2
    assert "Commands:" in capsys.readouterr().err


@pytest.mark.parametrize("words,cword,expect", [
    ("fwupdate ca", "1", "catalog"),
    ("fwupdate catalog s", "2", "show"),
    ("fwupdate run --con", "2", "--concurrency"),
])
def test_shell_completion_through_the_lazy_root(words: str, cword: str, expect: str) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, _FWUPDATE_COMPLETE="complete_bash", COMP_WORDS=words,
               COMP_CWORD=cword)
    out = subprocess.run([sys.executable, "-m", "fwupdate"], env=env, capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [expect]
