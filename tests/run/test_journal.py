from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fwupdate.errors import BadInputError
from fwupdate.logsafe import register_secret
from fwupdate.run.journal import DONE, FAILED, PENDING, STARTED, Journal

STEPS = [
    ("n1:precheck", "n1", "p1", "precheck"),
    ("n1:idrac:1", "n1", "p1", "idrac_update"),
    ("n1:reboot", "n1", "p1", "host_reboot"),
]


def _make(tmp_path: Path) -> Journal:
    return Journal.create(tmp_path / "runs" / "r1.db", run_id="r1", plan={"schema": 1}, steps=STEPS)


def test_create_is_private_and_records_plan(tmp_path: Path) -> None:
    j = _make(tmp_path)
    assert stat.S_IMODE(j.path.stat().st_mode) == 0o600
    assert j.run_id == "r1"
    assert j.plan == {"schema": 1}
    assert [s.state for s in j.steps()] == [PENDING] * 3
    assert [s.step_id for s in j.steps(node="n1")] == [s[0] for s in STEPS]
    with pytest.raises(BadInputError):
        _make(tmp_path)


def test_intent_then_outcome(tmp_path: Path) -> None:
    j = _make(tmp_path)
    j.intent("n1:idrac:1", {"image": "firmimg.d7", "to": "1.66.65"})
    assert j.step("n1:idrac:1").in_flight
    j.record("n1", "n1:idrac:1", "job", {"jid": "JID_123456789012"})
    j.outcome("n1:idrac:1", ok=False, message_id="RED007", error="signature")
    s = j.step("n1:idrac:1")
    assert (s.state, s.message_id, s.attempts) == (FAILED, "RED007", 1)
    assert j.last_note("n1:idrac:1", "job") == {"jid": "JID_123456789012"}
    j.intent("n1:idrac:1")
    j.outcome("n1:idrac:1", ok=True, data={"version": "1.66.65"})
    s = j.step("n1:idrac:1")
    assert (s.state, s.attempts, s.outcome) == (DONE, 2, {"version": "1.66.65"})
    kinds = [e.kind for e in j.events(step_id="n1:idrac:1")]
    assert kinds == ["intent", "job", "outcome", "intent", "outcome"]


class _KeepsCursors:
    """The journal's connection with every cursor kept alive, as a profiler or the collector's
    object list (`gc.get_objects()`) may keep one for a while."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.kept: list[Any] = []

    def execute(self, *args: Any) -> Any:
        cur = self.conn.execute(*args)
        self.kept.append(cur)
        return cur

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def test_a_cursor_held_elsewhere_never_leaves_the_journal_in_a_transaction(
        tmp_path: Path) -> None:  # fmt: skip
    """Issue 12 helper's bench nights (4 of 12 with a sampling profiler): a part-read statement
    (the WAL checkpoint's answer) kept by someone else made the next COMMIT fail "SQL
    statements in progress"; the open transaction then refused every later write of the run
    ("cannot start a transaction within a transaction") in every group."""
    j = _make(tmp_path)
    j._conn = _KeepsCursors(j._conn)  # type: ignore[assignment]
    j.record(None, "n1:idrac:1", "roles-at-start", {"active": "n1"})
    j.checkpoint()
    assert j.step("n1:idrac:1").state == PENDING and j.meta("run_id") == "r1"
    j.record(None, "n1:idrac:1", "note", {"k": 1})
    j.intent("n1:idrac:1")
    j.outcome("n1:idrac:1", ok=True)
    assert j.step("n1:idrac:1").state == DONE
    assert [e.kind for e in j.events(step_id="n1:idrac:1")][-1] == "outcome"
    assert not j._conn.in_transaction


def test_secrets_never_stored(tmp_path: Path) -> None:
    register_secret("s3cr3t-pass")
    j = _make(tmp_path)
    j.intent("n1:precheck", {"oops": "password s3cr3t-pass"})
    j.outcome("n1:precheck", ok=False, error="login with s3cr3t-pass refused")
    j.close()
    raw = b"".join(p.read_bytes() for p in j.path.parent.iterdir())
    assert b"s3cr3t-pass" not in raw


def test_survives_sigkill_mid_run(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    Journal.create(path, run_id="k", plan={}, steps=STEPS).close()
    code = (
        "import os, sys\n"
        "from fwupdate.run.journal import Journal\n"
        f"j = Journal.open({str(path)!r})\n"
        "j.intent('n1:precheck')\n"
        "j.outcome('n1:precheck', ok=True)\n"
        "j.intent('n1:idrac:1')\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], timeout=60, check=False)
    assert proc.returncode == -9
    j = Journal.open(path)
    assert j.step("n1:precheck").state == DONE
    assert j.step("n1:idrac:1").state == STARTED  # in flight: resume must ask the device
    assert j.step("n1:reboot").state == PENDING


def test_open_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(BadInputError):
        Journal.open(bad)
    with pytest.raises(BadInputError):
        Journal.open(tmp_path / "missing.db")
    assert os.path.exists(bad)


def test_reads_and_a_reboot_request_alone_do_not_make_a_step_touched(tmp_path: Path) -> None:
    """Chaos seed 404 --intensity 3 night 18: a killed process had journaled only
    `reboot-requested` (and the next one its identity checks) -- nothing was sent, so the
    window check must still apply; a `power-reset` note (journaled before every power change)
    or a job makes the step one to finish whatever the window says."""
    from fwupdate.run import window

    j = _make(tmp_path)
    j.intent("n1:reboot")
    j.record("n1", "n1:reboot", "identity-check", {"ok": True})
    j.record("n1", "n1:reboot", "reboot-requested", {"boot_time": "1", "jobs": []})
    assert not window.touched(j, j.step("n1:reboot")) and not window.any_touched(j)
    j.record("n1", "n1:reboot", "power-reset", {"reset": "GracefulShutdown"})
    assert window.touched(j, j.step("n1:reboot")) and window.any_touched(j)


def test_release_puts_an_untouched_started_step_back_to_pending(tmp_path: Path) -> None:
    """Chaos seed 404 --intensity 3 night 18: a step started by a killed process and stopped
    by the window must not stay `started` (the report showed it in flight after the night)."""
    j = _make(tmp_path)
    j.intent("n1:reboot")
    j.release("n1:reboot", "window: stopped before it")
    s = j.step("n1:reboot")
    assert (s.state, s.attempts, s.in_flight) == (PENDING, 1, False)
    assert j.last_note("n1:reboot", "released") == {"reason": "window: stopped before it"}
    j.outcome("n1:precheck", ok=True)
    j.release("n1:precheck", "not started")  # only a started step is released
    assert j.step("n1:precheck").state == DONE


def test_a_resume_after_the_window_finishes_what_is_in_flight(tmp_path: Path) -> None:
    """Chaos seed 404 --intensity 3 night 15: killed in the middle of a power cycle, then the
    window passed; `resume` without a new window refused (exit 2) and the host stayed off.  With
    a step in flight on a device the resume goes on (the executor finishes only that step and
    stops every pair before anything new); with nothing in flight it still refuses."""
    import time

    from fwupdate.run import session
    from fwupdate.run.context import RunSettings

    j = _make(tmp_path)
    j.set_options({"settings": session._settings_doc(RunSettings(window_end=time.time() - 5))})
    j.intent("n1:reboot")
    j.record("n1", "n1:reboot", "reboot-requested", {"boot_time": "1", "jobs": []})
    with pytest.raises(BadInputError, match="window ended"):
        session._resumed_settings(j, {})
    j.record("n1", "n1:reboot", "power-reset", {"reset": "GracefulShutdown"})
    assert session._resumed_settings(j, {}).window_end is not None


def test_a_standby_claiming_the_active_role_in_a_split_took_over() -> None:
    """Chaos seed 3030 --intensity 3 night 122: the handover lb3a -> lb3b was lost with the WAL,
    then lb3a came back claiming Active too (split): the resume must still count lb3b's
    takeover (the report said 0 failovers against one on the devices)."""
    from fwupdate.loadmaster.models import HaRole, LoadMasterStatus, PairStatus
    from fwupdate.run.steps_lm import _took_over

    def pair(a: HaRole, b: HaRole) -> PairStatus:
        units = (LoadMasterStatus("a", True, ha_role=a, name="lb3a"),
                 LoadMasterStatus("b", True, ha_role=b, name="lb3b"))
        one = [u.name for u in units if u.ha_role is HaRole.ACTIVE]
        return PairStatus("pair-3", units, active=one[0] if len(one) == 1 else None)

    assert _took_over(pair(HaRole.ACTIVE, HaRole.ACTIVE), "lb3a") == "lb3b"
    assert _took_over(pair(HaRole.STANDBY, HaRole.ACTIVE), "lb3a") == "lb3b"
    assert _took_over(pair(HaRole.ACTIVE, HaRole.STANDBY), "lb3a") == "lb3a"
    assert _took_over(pair(HaRole.UNKNOWN, HaRole.UNKNOWN), "lb3a") is None
