"""Kill the executor (SIGKILL) at random moments, resume each time: the night converges, no
component is flashed twice and no job is created twice for the same package."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runsim import at_target, duplicate_jobs, flashed_twice, night

pytestmark = pytest.mark.integration

SCALE = 400.0
KILLS = 5


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as f:
        return subprocess.Popen([sys.executable, "-m", "fwupdate", *args], stdout=f, stderr=f,
                                stdin=subprocess.DEVNULL, env=_env())


def _wait_for_progress(proc: subprocess.Popen[bytes], log: Path, offset: int) -> bool:
    """True once `proc` wrote a progress line past `offset` of the log (bounded: 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with log.open("rb") as f:
            f.seek(offset)
            if b"] " in f.read():
                return True
        time.sleep(0.05)
    return False


def test_sigkill_at_random_points_then_resume_converges(demo_inputs, tmp_path: Path) -> None:
    rng = random.Random(7)
    log = tmp_path / "executor.log"
    with night(tmp_path, demo_inputs, ("pair-1",), SCALE) as n:
        runs = tmp_path / "runs"
        args = n.run_args("--yes", "--run-id", "killed", scale=SCALE)
        offset = 0
        proc = _spawn(args, log)
        kills = 0
        for _ in range(KILLS):
            # the random moment counts from the process's first progress line: on a loaded
            # machine start-up alone can outlast the sleep, and a kill before the journal
            # exists would test nothing
            _wait_for_progress(proc, log, offset)
            time.sleep(rng.uniform(0.8, 3.5))
            if proc.poll() is not None:
                break
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            kills += 1
            assert (runs / "killed.db").is_file()
            offset = log.stat().st_size
            proc = _spawn(["resume", "killed", "--runs-dir", str(runs), "--yes"], log)
        # then a polite stop: SIGTERM finishes the current step, journals, exits 130.  Wait for
        # the resumed process's first progress line: its signal handlers are installed by then
        # (a fixed sleep is not enough on a loaded machine).
        started = _wait_for_progress(proc, log, offset)
        if started and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=120)
            assert code == 130, (code, log.read_text()[-3000:])
            assert "resume with: fwupdate resume killed" in log.read_text()
            proc = _spawn(["resume", "killed", "--runs-dir", str(runs), "--yes"], log)
        code = proc.wait(timeout=120)
        assert kills >= 3, log.read_text()
        assert code == 0, log.read_text()[-3000:]
        assert at_target(n) == []
        assert flashed_twice(n) == []
        assert duplicate_jobs(n) == []
        outages, failovers = n.availability("pair-1")
        assert outages == 0
        assert failovers == 1
