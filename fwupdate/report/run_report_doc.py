"""The run-report document (docs/reports.md, "Run page") as typed models.

`report/run_report.py` builds a `RunReport` from the journal; `documents.to_builtins` makes the
JSON-able dict that `fwupdate report --json`, the HTML page and the rehearsal read, with the
same keys, in the same order, as the hand-built dict it replaces.  The parts whose keys come
from elsewhere stay mappings: a group's verdict (the executor's `group` event, keys added by
the run), the sessions (report/run_sessions.py) and the signature policy (the journal's).
msgspec is loaded only when a report is built (this module is imported inside the builder).
"""

from __future__ import annotations

from typing import Any

import msgspec


class _Record(msgspec.Struct, frozen=True):
    """A record of the report: every field always written (null when unknown)."""


class StepEntry(_Record, frozen=True):
    """One step: its journal state, attempts, times and what the plan expected of it."""

    step_id: str
    seq: int
    node: str | None
    pair: str | None
    kind: str
    state: str
    attempts: int
    started_at: float | None
    finished_at: float | None
    duration_s: float | None
    estimated_s: Any  # the plan's `estimated_seconds`, as the plan file has it
    from_version: str | None
    to_version: str | None
    component: str | None
    message_id: str | None
    error: str | None
    outcome: dict[str, Any] | None  # the step's outcome record, as journaled


class NodeRecord(_Record, frozen=True):
    node: str
    pair: str | None
    status: str  # done | failed | in_flight | interrupted | partial | pending
    steps: int
    done: int


class Failover(_Record, frozen=True):
    """A change of the Active unit: an orderly handover, or one found on the devices."""

    at: float
    pair: str | None
    from_node: str | None = msgspec.field(name="from")
    to: Any
    step_id: str | None
    detail: str


class Failure(_Record, frozen=True):
    step_id: str
    node: str | None
    pair: str | None
    kind: str
    message_id: str | None
    error: str | None
    at: float | None


class Remaining(_Record, frozen=True):
    """A step left for the next night (pending, in flight or failed)."""

    step_id: str
    node: str | None
    pair: str | None
    kind: str
    state: str


class LeftBehind(_Record, frozen=True):
    """A node a stopped pair left with the host powered off or a staged job armed."""

    node: str
    pair: str | None
    at: float
    power: Any
    powered_off: bool
    armed_jobs: list[Any]
    detail: str


class Totals(_Record, frozen=True):
    steps: int
    done: int
    failed: int
    pending: int
    in_flight: int
    failovers: int
    planned_failovers: int


class RunReport(_Record, frozen=True, kw_only=True):
    schema: str = "fwupdate-run-report"
    schema_version: int = 1
    run_id: str
    status: str  # finished | partial | failed | interrupted | running
    journal_status: str
    resume_hint: str | None
    started_by: dict[str, Any]
    sessions: list[dict[str, Any]]
    interruptions: list[dict[str, Any]]
    resumes: list[dict[str, Any]]
    started_at: Any  # as the journal's options hold it
    finished_at: float | None
    time_scale: float  # device seconds per real second (a rehearsal against the simulator)
    generated_at: float
    totals: Totals
    groups: list[dict[str, Any]]
    nodes: list[NodeRecord]
    steps: list[StepEntry]
    failovers: list[Failover]
    failures: list[Failure]
    remaining: list[Remaining]
    signatures: dict[str, Any]
    left_behind: list[LeftBehind]


def as_document(report: RunReport) -> dict[str, Any]:
    """The report as the JSON-able dict every reader takes (keys in the documented order)."""
    from fwupdate.documents import to_builtins

    doc: dict[str, Any] = to_builtins(report)
    return doc
