"""Report tests: a fixture run journal (one HA pair and a standalone node, a failover, a failed
iDRAC update, a step left in flight) and the helpers that turn it into a run-report document."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fwupdate.run.journal import Journal

_HERE = Path(__file__).resolve().parent
for folder in (_HERE, _HERE.parent / "plan"):  # report_support; plan_factories for inputs
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

T0 = 1_796_083_200.0  # 2026-12-01 00:00:00 UTC


class FakeClock:
    def __init__(self, start: float = T0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


# (step id, node, pair, kind); pair steps have no node.
STEPS: list[tuple[str, str | None, str | None, str]] = [
    ("p1/000-pair_precheck", None, "p1", "pair_precheck"),
    ("p1/001-precheck", "p1-b", "p1", "precheck"),
    ("p1/002-idrac_update", "p1-b", "p1", "idrac_update"),
    ("p1/003-firmware_stage", "p1-b", "p1", "firmware_stage"),
    ("p1/004-lm_stage", "p1-b", "p1", "lm_stage"),
    ("p1/005-host_reboot", "p1-b", "p1", "host_reboot"),
    ("p1/006-verify", "p1-b", "p1", "verify"),
    ("p1/007-precheck", "p1-a", "p1", "precheck"),
    ("p1/008-idrac_update", "p1-a", "p1", "idrac_update"),
    ("p1/009-firmware_stage", "p1-a", "p1", "firmware_stage"),
    ("p1/010-lm_stage", "p1-a", "p1", "lm_stage"),
    ("p1/011-host_reboot", "p1-a", "p1", "host_reboot"),
    ("p1/012-verify", "p1-a", "p1", "verify"),
    ("p1/013-pair_postcheck", None, "p1", "pair_postcheck"),
    ("solo/000-precheck", "solo", None, "precheck"),
    ("solo/001-idrac_update", "solo", None, "idrac_update"),
    ("solo/002-lm_reboot", "solo", None, "lm_reboot"),
    ("solo/003-verify", "solo", None, "verify"),
]

DURATIONS = {
    "pair_precheck": 15,
    "precheck": 20,
    "idrac_update": 540,
    "firmware_stage": 90,
    "lm_stage": 120,
    "host_reboot": 780,
    "verify": 30,
    "pair_postcheck": 25,
    "lm_reboot": 240,
}


def _run_step(j: Journal, clock: FakeClock, step_id: str, kind: str, **outcome: Any) -> None:
    j.intent(step_id, {"kind": kind})
    clock.advance(DURATIONS[kind])
    j.outcome(step_id, ok=outcome.pop("ok", True), **outcome)
    clock.advance(5)


def _plan(steps: list[tuple[str, str | None, str | None, str]], solo: str) -> dict[str, Any]:
    """Just the plan keys the run report reads: groups, their node order and step ids."""
    def group_steps(name: str) -> list[dict[str, Any]]:
        return [{"id": sid, "kind": kind, "estimated_seconds": DURATIONS[kind]}
                for sid, node, pair, kind in steps if (pair or node) == name]

    return {
        "schema": "fwupdate-plan",
        "groups": [
            {"name": "p1", "standalone": False, "order": ["p1-b", "p1-a"],
             "steps": group_steps("p1"), "totals": {"failovers": 1}},
            {"name": solo, "standalone": True, "order": [solo], "steps": group_steps(solo),
             "totals": {"failovers": 0}},
        ],
    }


def build_journal(
    path: Path,
    *,
    solo_name: str = "solo",
    solo_error: str = "image signature check failed",
) -> Journal:
    """Pair p1 (standby p1-b first, then p1-a handing the Active role over at its host reboot)
    finishes; the standalone node fails its iDRAC update (RED007) and the run is interrupted
    with its verify step in flight."""
    clock = FakeClock()
    steps = [
        (sid.replace("solo", solo_name), solo_name if node == "solo" else node, pair, kind)
        for sid, node, pair, kind in STEPS
    ]
    j = Journal.create(path, run_id="night-1", plan=_plan(steps, solo_name), steps=steps,
                       options={"started_at": T0}, now=clock)
    j.set_status("running")
    for sid, node, _pair, kind in steps:
        if node == solo_name:
            continue
        if sid == "p1/011-host_reboot":
            j.intent(sid, {"kind": kind})
            clock.advance(40)
            j.record("p1-a", sid, "handover", {"to": "p1-b"})
            clock.advance(DURATIONS[kind] - 40)
            j.outcome(sid, ok=True)
            clock.advance(5)
            continue
        _run_step(j, clock, sid, kind)
    # the standalone node ran in parallel with the pair: start it back at T0 + 60 s
    solo_clock_start = T0 + 60
    clock.t, saved = solo_clock_start, clock.t
    s0, s1, _s2, s3 = (sid for sid, node, _, _ in steps if node == solo_name)
    _run_step(j, clock, s0, "precheck")
    _run_step(j, clock, s1, "idrac_update", ok=False, message_id="RED007", error=solo_error)
    j.intent(s3, {"kind": "verify"})  # in flight when the run stopped
    clock.t = max(saved, clock.t)
    j.set_status("interrupted")
    j.set_meta("finished_at", repr(clock.t))
    return j


def report_from_journal(j: Journal) -> dict[str, Any]:
    """The run-report document, from the executor's pure builder (read the next morning)."""
    from fwupdate.report.run_report import build_run_report

    return build_run_report(j, now=T0 + 8 * 3600)


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    j = build_journal(tmp_path / "runs" / "night-1.db")
    j.close()
    return j.path


@pytest.fixture
def run_doc(journal_path: Path) -> dict[str, Any]:
    with Journal.open(journal_path) as j:
        return report_from_journal(j)


@pytest.fixture
def make_run_doc(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    def _make(**kw: Any) -> dict[str, Any]:
        path = tmp_path / "runs" / f"r{len(list(tmp_path.glob('runs/*.db')))}.db"
        with build_journal(path, **kw) as j:
            return report_from_journal(j)

    return _make
