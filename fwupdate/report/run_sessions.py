"""Who worked on a run and how each of those processes ended (pure, from the journal's events).

A *session* is one process working on the run: the first `fwupdate run`, then each `resume`.
Each begins with a RUN_START or RESUME note (pid, host, command line with secrets masked) and
normally ends with a final RUN_STATUS (`finished`, or `interrupted` after Ctrl-C / SIGTERM at a
safe point).  A session without a final status before the next one began — or at the end of the
journal when no process holds the run any more — crashed (SIGKILL, power loss, OOM).  Journals
written before these notes existed have one implicit first session without pid or host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fwupdate.run.journal import RESUME, RUN_START, RUN_STATUS, JournalEvent

FINAL = ("finished", "interrupted")


def sessions(
    events: Sequence[JournalEvent], *, started_at: float | None, alive: bool
) -> list[dict[str, Any]]:
    """One dict per session, oldest first: kind (start | resume), at, pid, host, command,
    end (finished | interrupted | crash | running) and ended_at."""
    starts = [i for i, e in enumerate(events) if e.kind in (RUN_START, RESUME)]
    if not starts or events[starts[0]].kind != RUN_START:
        starts = [-1, *starts]  # an implicit first session (older journals)
    out: list[dict[str, Any]] = []
    for k, lo in enumerate(starts):
        hi = starts[k + 1] if k + 1 < len(starts) else len(events)
        body = events[max(lo, 0):hi]
        head = events[lo] if lo >= 0 else None
        last = k + 1 == len(starts)
        out.append({
            "kind": "resume" if head is not None and head.kind == RESUME else "start",
            "at": head.at if head is not None else (started_at or (body[0].at if body else None)),
            "pid": head.data.get("pid") if head is not None else None,
            "host": head.data.get("host") if head is not None else None,
            "command": head.data.get("command") if head is not None else None,
            **_ending(body, running=last and alive),
        })
    return out


def _ending(body: Sequence[JournalEvent], *, running: bool) -> dict[str, Any]:
    final = [e for e in body if e.kind == RUN_STATUS and e.data.get("status") in FINAL]
    if final:
        return {"end": final[-1].data["status"], "ended_at": final[-1].at}
    if running:
        return {"end": "running", "ended_at": None}
    return {"end": "crash", "ended_at": body[-1].at if body else None}


def interruptions(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every session that did not finish: crashed, or stopped by a signal at a safe point."""
    out = []
    for s in runs:
        if s["end"] not in ("crash", "interrupted"):
            continue
        crash = s["end"] == "crash"
        who = f"process {s['pid']} on {s['host']}" if s.get("pid") else "the process"
        out.append({
            "at": s["ended_at"], "kind": "crash" if crash else "signal",
            "pid": s.get("pid"), "host": s.get("host"),
            "detail": f"{who} died without a final status (SIGKILL, power loss?); the time is "
            "its last journal entry" if crash else
            f"{who} stopped at a safe point (Ctrl-C / SIGTERM)",
        })
    return out


def resumes(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"at": s["at"], "pid": s["pid"], "host": s["host"], "command": s["command"]}
            for s in runs if s["kind"] == "resume"]


def top_status(last_end: str, group_states: Sequence[str]) -> str:
    """finished (every group done) | partial | failed (every group failed) | interrupted (the
    last process crashed or was stopped) | running."""
    if last_end == "running":
        return "running"
    if last_end in ("crash", "interrupted"):
        return "interrupted"
    if all(s == "done" for s in group_states):
        return "finished"
    if all(s == "failed" for s in group_states):
        return "failed"
    return "partial"
