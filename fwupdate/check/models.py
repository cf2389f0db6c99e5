"""The checker's data: the evidence of one night and the verdict per invariant.

Evidence is raw: the plan, the journal's rows (read with sqlite3, not through the executor), the
simulator's event log records, the simulator's final state dump and the run report.  Nothing here
comes from the executor's own view of what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fwupdate.plan.models import Plan

INVARIANTS: dict[str, str] = {
    "I1": "a pair always has an Active unit serving (no outage interval)",
    "I2": "every pair reported done has the same Virtual Services Up as in its baseline",
    "I3": "no component flashed twice per run (force-same: exactly once), no duplicate job",
    "I4": "no node-down step starts after the window end minus its remaining estimate",
    "I5": "every node reported done is at its plan's target versions on the device",
    "I6": "stepping stones are never skipped in the device's own version history",
    "I7": "no host left off and no staged job left armed without the report saying so",
    "I8": "the report's verdicts agree with the device truth",
}


@dataclass(frozen=True)
class JournalRows:
    """A run journal as rows: meta (key -> text), steps and events (dicts, JSON decoded)."""

    meta: dict[str, str]
    steps: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Evidence:
    plan: Plan
    journal: JournalRows
    sim_events: tuple[dict[str, Any], ...]  # the event log, in seq order
    sim_state: dict[str, Any]  # SimulatedFleet.state_dump()
    report: dict[str, Any]  # `fwupdate report RUN --format json`
    window_end: float | None = None  # epoch seconds; None: from the journal's settings
    label: str = ""  # e.g. "seed 7 night 3", printed with every violation
    night_start: float | None = None  # epoch the night began (baselines); None: journal created


@dataclass(frozen=True)
class Violation:
    invariant: str
    subject: str  # pair, node or device
    message: str
    evidence: tuple[str, ...] = ()  # "seq 41 t=812.0 lb1a-idrac flashed bios 2.4.2->2.9.0"

    def line(self) -> str:
        ev = "; ".join(self.evidence)
        return f"{self.invariant} {self.subject}: {self.message}" + (f" [{ev}]" if ev else "")


@dataclass(frozen=True)
class Verdict:
    invariant: str
    checked: int  # how many things were checked (pairs, nodes, components, steps)
    violations: tuple[Violation, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def title(self) -> str:
        return INVARIANTS[self.invariant]


def all_ok(verdicts: tuple[Verdict, ...]) -> bool:
    return all(v.ok for v in verdicts)
