"""Issue 11 defect 11 against a real process: `fwupdate run` SIGKILLed mid-night, then the
report says "interrupted" with the resume hint and the crash (not "running"/"in_flight"); after
`resume` it lists the crash and the resume, and its status follows the groups' verdicts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runsim import night

pytestmark = pytest.mark.integration

SCALE = 800.0


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with log.open("ab") as f:
        return subprocess.Popen([sys.executable, "-m", "fwupdate", *args], stdout=f, stderr=f,
                                stdin=subprocess.DEVNULL, env=env)


def _wait_for(log: Path, text: bytes, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90  # bounded: a loaded 2-core machine starts Python slowly
    while time.monotonic() < deadline and proc.poll() is None:
        if text in log.read_bytes():
            return
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} in the executor's output: {log.read_text()[-2000:]}")


def _report(cli, runs: Path) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = cli("report", "k", "--runs-dir", str(runs), "--format", "json")
    assert r.code == 0, r
    return json.loads(r.out)  # type: ignore[no-any-return]


def test_report_after_sigkill_and_resume(cli, demo_inputs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        runs, log = tmp_path / "runs", tmp_path / "executor.log"
        proc = _spawn(n.run_args("--yes", "--run-id", "k", scale=SCALE), log)
        try:
            _wait_for(log, b"lb3b: lm_stage", proc)  # well into the standby's steps
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL

        doc = _report(cli, runs)
        assert doc["status"] == "interrupted", doc["status"]
        assert doc["journal_status"] == "running"  # what the dead process left behind
        assert doc["resume_hint"] == "fwupdate resume k"
        assert [(i["kind"], i["pid"]) for i in doc["interruptions"]] == [("crash", proc.pid)]
        assert doc["started_by"]["command"][:2] == ["fwupdate", "run"]
        assert "in_flight" not in {x["status"] for x in doc["nodes"]}
        r = cli("report", "k", "--runs-dir", str(runs))
        assert "status: interrupted" in r.out and "resume with: fwupdate resume k" in r.out

        r = cli("resume", "k", "--runs-dir", str(runs), "--yes")
        # (whether this resume completes the pair depends on where the kill landed: a kill
        # between the shutdown and the power-on is issue 11 defect 4, fixed elsewhere; either
        # way the report must say what happened)
        assert r.code in (0, 1), r
        doc = _report(cli, runs)
        assert doc["status"] == ("finished" if r.code == 0 else "failed"), doc["groups"]
        assert (doc["resume_hint"] is None) == (r.code == 0)
        assert [i["kind"] for i in doc["interruptions"]] == ["crash"]
        assert [x["pid"] for x in doc["resumes"]] == [os.getpid()]
        assert [s["end"] for s in doc["sessions"]] == ["crash", "finished"]
        html = cli("report", "k", "--runs-dir", str(runs), "--format", "html").out
        assert html.count('class="run-mark run-interrupted"') == 1
        assert html.count('class="run-mark run-resumed"') == 1
