"""The run's lock (is its process alive?) and the masked command line kept in the journal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fwupdate.errors import BadInputError
from fwupdate.logsafe import mask_argv, register_secret
from fwupdate.run import runlock


def test_lock_is_held_only_while_a_process_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runlock, "ACQUIRE_SECONDS", 0.1)
    journal = tmp_path / "r.db"
    assert runlock.is_held(journal) is None  # no lock file yet (an older journal)
    with runlock.hold(journal):
        assert runlock.is_held(journal) is True
        assert oct(runlock.lock_path(journal).stat().st_mode & 0o777) == "0o600"
        with pytest.raises(BadInputError, match="still running in another process"), \
                runlock.hold(journal):
            pass
    assert runlock.is_held(journal) is False


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    """SIGKILL: the kernel drops the flock, so the report can tell the process is gone."""
    journal = tmp_path / "r.db"
    code = ("import sys,time; from pathlib import Path; from fwupdate.run import runlock\n"
            "with runlock.hold(Path(sys.argv[1])):\n print('held', flush=True); time.sleep(60)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", code, str(journal)], env=env,
                            stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"held"
        assert runlock.is_held(journal) is True
        assert runlock.process_alive(proc.pid, os.uname().nodename)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert runlock.is_held(journal) is False
    assert not runlock.process_alive(proc.pid, os.uname().nodename)
    assert not runlock.process_alive(os.getpid(), "another-host")


def test_command_line_is_masked() -> None:
    register_secret("s3cret-pw-99")
    argv = ["fwupdate", "run", "plan.json", "--password", "hunter22", "--api-token=abc123",
            "--password-env", "IDRAC_PW", "--note", "x s3cret-pw-99 y", "--yes"]
    assert mask_argv(argv) == ["fwupdate", "run", "plan.json", "--password", "***",
                               "--api-token=***", "--password-env", "IDRAC_PW", "--note",
                               "x *** y", "--yes"]
