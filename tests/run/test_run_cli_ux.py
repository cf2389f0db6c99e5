"""What an operator sees around the night (issue 14): the confirmation shows what the night
will do and declining says so in one line (exit 2, nothing changed); every run and resume
starts with a header line naming the run, its journal and the window end."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from runsim import night

pytestmark = pytest.mark.integration

SCALE = 800.0


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_declining_shows_the_summary_and_says_not_started(cli, demo_inputs, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    asked: list[str] = []
    monkeypatch.setattr("sys.stdin", _Tty())
    monkeypatch.setattr(typer, "confirm", lambda text, **_: asked.append(text) or False)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        r = cli(*n.run_args("--run-id", "declined", "--window", "00:00-23:59", scale=SCALE))
        assert r.code == 2, r
        assert asked and "this updates firmware and reboots hosts" in asked[0]
        assert "fleet: 1 group(s)" in r.err and "failover(s)" in r.err
        assert "window ends" in r.err
        assert r.err.strip().splitlines()[-1].endswith("not started (declined at the confirmation)")
        assert n.records("flashed") == []
        assert not (tmp_path / "runs" / "declined.db").exists()


def test_run_and_resume_start_with_a_header_line(cli, demo_inputs, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        r = cli(*n.run_args("--yes", "--run-id", "night-h", scale=SCALE))
        assert r.code == 0, r
        journal = tmp_path / "runs" / "night-h.db"
        first = r.err.splitlines()[0]
        assert first == f"run night-h: journal {journal}; window ends none", r.err
        r = cli("resume", "night-h", "--runs-dir", str(tmp_path / "runs"), "--yes")
        assert r.code == 0, r
        assert r.err.splitlines()[0] == f"run night-h: journal {journal}; window ends none"
