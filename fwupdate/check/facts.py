"""Small readers over the raw evidence: who is who, what the report says, what the plan wants.

Only plain lookups live here; the judgements are in invariants.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fwupdate.check.models import Evidence
from fwupdate.plan.models import Step


@dataclass(frozen=True)
class NodeDevices:
    node: str
    pair: str | None
    idrac: str | None
    lm: str | None


def node_devices(ev: Evidence) -> dict[str, NodeDevices]:
    """Node -> its simulated iDRAC and LoadMaster device names (from the state dump)."""
    found: dict[str, dict[str, Any]] = {}
    for name, d in (ev.sim_state.get("devices") or {}).items():
        node = str(d.get("node") or name)
        slot = found.setdefault(node, {"pair": d.get("pair"), "idrac": None, "lm": None})
        if d.get("kind") == "idrac":
            slot["idrac"] = name
        elif d.get("kind") == "loadmaster":
            slot["lm"] = name
    return {n: NodeDevices(n, v["pair"], v["idrac"], v["lm"]) for n, v in found.items()}


def device(ev: Evidence, name: str | None) -> dict[str, Any]:
    if name is None:
        return {}
    return dict((ev.sim_state.get("devices") or {}).get(name) or {})


def report_node_status(ev: Evidence) -> dict[str, str]:
    return {str(n.get("node")): str(n.get("status")) for n in ev.report.get("nodes") or []}


def report_group_status(ev: Evidence) -> dict[str, str]:
    return {str(g.get("group")): str(g.get("status")) for g in ev.report.get("groups") or []}


def pairs(ev: Evidence) -> list[str]:
    return [g.name for g in ev.plan.groups if not g.standalone]


def node_pair(ev: Evidence) -> dict[str, str]:
    return {n.name: g.name for g in ev.plan.groups for n in g.nodes}


def records(ev: Evidence, event: str) -> list[dict[str, Any]]:
    return [r for r in ev.sim_events if r.get("event") == event]


def wall_epoch(rec: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(rec["wall"])).timestamp()


def cite(rec: dict[str, Any], *keys: str) -> str:
    """One event as evidence: `seq 41 t=812.0 lb1a-idrac flashed component=bios ...`."""
    extra = " ".join(f"{k}={rec.get(k)}" for k in keys if k in rec)
    return f"seq {rec.get('seq')} t={rec.get('t')} {rec.get('device')} {rec.get('event')}" + (
        f" {extra}" if extra else ""
    )


def settings(ev: Evidence) -> dict[str, Any]:
    try:
        opts = json.loads(ev.journal.meta.get("options") or "{}")
    except json.JSONDecodeError:
        return {}
    return dict(opts.get("settings") or {})


def time_scale(ev: Evidence) -> float:
    scale = settings(ev).get("time_scale") or ev.sim_state.get("time_scale") or 1.0
    return float(scale)


def run_created(ev: Evidence) -> float:
    """When the judged run's journal was created (epoch seconds; 0 when unknown)."""
    try:
        return float(ev.journal.meta.get("created_at") or 0.0)
    except ValueError:
        return 0.0


def window_end(ev: Evidence, at: float | None = None) -> float | None:
    """The window end in force at `at` (epoch seconds): the evidence's own, else the latest new
    window the journal recorded before `at` (`window` notes of a resume with a new window, or
    `window_end` in a `resume` note), else the journal's settings."""
    if ev.window_end is not None:
        return ev.window_end
    end = settings(ev).get("window_end")
    for e in ev.journal.events:
        data = e.get("data") or {}
        if at is not None and e.get("at") is not None and float(e["at"]) > at:
            continue
        if e.get("kind") == "window" and data.get("end") is not None:
            end = data["end"]
        elif e.get("kind") == "resume" and data.get("window_end") is not None:
            end = data["window_end"]
    return None if end is None else float(end)


def plan_step(ev: Evidence, step_id: str) -> Step | None:
    return next((s for s in ev.plan.steps() if s.step_id == step_id), None)


def walk(doc: Any) -> Iterator[dict[str, Any]]:
    """Every dict inside a JSON document."""
    if isinstance(doc, dict):
        yield doc
        for v in doc.values():
            yield from walk(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from walk(v)


def report_says(report: dict[str, Any], subject: str, words: tuple[str, ...]) -> bool:
    """Does some entry of the report name `subject` and one of `words` (case-insensitive)?"""
    for d in walk(report):
        if subject not in {str(v) for v in d.values() if isinstance(v, str)}:
            continue
        text = json.dumps(d, default=str).lower()
        if any(w.lower() in text for w in words):
            return True
    return False


def norm_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
