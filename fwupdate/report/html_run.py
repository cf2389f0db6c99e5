"""A run report as one standalone HTML page: summary, timeline picture, failures, steps, what is
left.

Input is the run-report document (the JSON `fwupdate report RUN --format json` prints; its shape
is in docs/reports.md).  The renderer reads it defensively: missing keys give empty sections, not
errors, so a report of a run that never started still renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fwupdate.report.html_builder import BASE_CSS, Markup, el, page, table
from fwupdate.report.run_report import signature_line
from fwupdate.report.svg_timeline import (
    Bar,
    Marker,
    Row,
    Timeline,
    kind_label,
    render_timeline,
)

IN_FLIGHT_STATES = ("started", "running", "in_flight", "in-flight")
TIMELINE_CSS = """
.timeline-wrap { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px; }
"""


def ts(value: Any) -> float | None:
    """Epoch seconds from a float, an int, a numeric string or an ISO-8601 text."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            pass
        try:
            d = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if d.tzinfo is None:
            d = d.replace(tzinfo=UTC)
        return d.timestamp()
    return None


def clock(value: Any) -> str:
    t = ts(value)
    if t is None:
        return ""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = max(0, round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _list(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    raw = doc.get(key)
    if not isinstance(raw, list):
        return []
    return [x for x in raw if isinstance(x, Mapping)]


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def steps_of(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Steps from the top-level `steps` list, or gathered from `nodes[].steps`."""
    steps = _list(doc, "steps")
    if steps:
        return steps
    out: list[Mapping[str, Any]] = []
    for n in _list(doc, "nodes"):
        for s in _list(n, "steps"):
            out.append({"node": n.get("node"), "pair": n.get("pair"), **s})
    return out


def _node_order(doc: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for n in _list(doc, "nodes"):
        name = _str(n.get("node") or n.get("name"))
        if name and name not in names:
            names.append(name)
    for s in steps:
        name = _str(s.get("node"))
        if name and name not in names:
            names.append(name)
    return names


def _pair_of(doc: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    pairs: dict[str, str | None] = {}
    for n in _list(doc, "nodes"):
        name = _str(n.get("node") or n.get("name"))
        if name:
            pairs[name] = _str(n.get("pair"))
    for s in steps:
        name = _str(s.get("node"))
        if name and pairs.get(name) is None:
            pairs[name] = _str(s.get("pair"))
    return pairs


LIVE_STATUSES = ("running", "in_progress", "started")


def _end_of_view(doc: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> float | None:
    """The right edge: the last thing the journal saw (a step time, a failover, the run's end);
    the report's own time only while the run is still going, so a report read the next morning
    does not stretch the picture to breakfast."""
    candidates = [ts(doc.get("finished_at"))]
    if str(doc.get("status") or "") in LIVE_STATUSES:
        candidates += [ts(doc.get(k)) for k in ("generated_at", "as_of", "updated_at")]
    for s in steps:
        candidates += [ts(s.get("started_at")), ts(s.get("finished_at"))]
    for f in _list(doc, "failovers"):
        candidates.append(ts(f.get("at")))
    candidates += [ts(m.at) for _k, m in run_marks(doc)]
    known = [c for c in candidates if c is not None]
    return max(known) if known else None


def timeline_from_report(doc: Mapping[str, Any]) -> Timeline | None:
    """The timeline model of a run report; None when no step has started."""
    steps = steps_of(doc)
    started = [s for s in steps if ts(s.get("started_at")) is not None]
    if not started:
        return None
    start = min(ts(s.get("started_at")) or 0.0 for s in started)
    run_start = ts(doc.get("started_at"))
    if run_start is not None:
        start = min(start, run_start)
    end = _end_of_view(doc, steps) or start
    if end - start < 1:
        end = start + 1
    pairs = _pair_of(doc, steps)
    by_node: dict[str, list[Bar]] = {n: [] for n in _node_order(doc, steps)}
    by_pair: dict[str, list[Bar]] = {}
    for s in started:
        bar = Bar(
            step_id=str(s.get("step_id") or s.get("id") or ""),
            kind=str(s.get("kind") or "step"),
            start=ts(s.get("started_at")) or start,
            end=ts(s.get("finished_at")),
            state=str(s.get("state") or "started"),
            message_id=_str(s.get("message_id")),
            error=_str(s.get("error")),
            attempts=int(s.get("attempts") or 1),
        )
        node = _str(s.get("node"))
        if node:
            by_node.setdefault(node, []).append(bar)
        else:
            by_pair.setdefault(_str(s.get("pair")) or "run", []).append(bar)
    rows: list[Row] = []
    placed_pairs: set[str] = set()
    names = list(by_node)
    for i, node in enumerate(names):
        pair = pairs.get(node)
        rows.append(Row(node, node, pair, tuple(by_node[node])))
        last_of_pair = i + 1 == len(names) or pairs.get(names[i + 1]) != pair
        if pair and last_of_pair and pair in by_pair and pair not in placed_pairs:
            rows.append(Row(f"pair {pair}", None, pair, tuple(by_pair[pair])))
            placed_pairs.add(pair)
    for pair, bars in by_pair.items():
        if pair not in placed_pairs:
            rows.append(Row(f"pair {pair}" if pair != "run" else "run", None, pair, tuple(bars)))
    markers: list[tuple[str | None, Marker]] = []
    for f in _list(doc, "failovers"):
        at = ts(f.get("at"))
        if at is None:
            continue
        pair = _str(f.get("pair"))
        if pair is None and _str(f.get("node")):
            pair = pairs.get(str(f.get("node")))
        markers.append((pair, Marker(at, failover_text(f))))
    return Timeline(start, end, tuple(rows), tuple(markers), run_marks(doc))


def run_marks(doc: Mapping[str, Any]) -> tuple[tuple[str, Marker], ...]:
    """The run's interruptions (crash or signal) and resumes, as timeline marks."""
    marks: list[tuple[str, Marker]] = []
    for i in _list(doc, "interruptions"):
        at = ts(i.get("at"))
        if at is not None:
            what = "crashed" if i.get("kind") == "crash" else "stopped"
            marks.append(("interrupted", Marker(at, f"run {what} at {clock(at)}: "
                                                    f"{i.get('detail') or ''}")))
    for r in _list(doc, "resumes"):
        at = ts(r.get("at"))
        if at is not None:
            marks.append(("resumed", Marker(at, f"resumed at {clock(at)} by "
                                                f"{_command(r.get('command'))}")))
    return tuple(sorted(marks, key=lambda m: m[1].at))


def _command(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(x) for x in value)
    return str(value or "")


def sessions_table(doc: Mapping[str, Any]) -> Markup | None:
    """One row per process that worked on the run: how it began and how it ended."""
    runs = _list(doc, "sessions")
    if not runs:
        return None
    return table(
        ("began", "as", "pid", "host", "command", "ended", "how"),
        [
            (
                clock(r.get("at")),
                str(r.get("kind") or ""),
                str(r.get("pid") or ""),
                str(r.get("host") or ""),
                el("code", None, _command(r.get("command"))),
                clock(r.get("ended_at")),
                _status(str(r.get("end") or "")),
            )
            for r in runs
        ],
        class_="sessions",
        row_classes=["row-failed" if r.get("end") == "crash" else None for r in runs],
    )


def failover_text(f: Mapping[str, Any]) -> str:
    who = " ".join(x for x in (_str(f.get("pair")),) if x) or "pair"
    src = _str(f.get("from") or f.get("old_active"))
    dst = _str(f.get("to") or f.get("new_active"))
    text = f"failover {who} at {clock(f.get('at'))}"
    if src or dst:
        text += f": {src or '?'} → {dst or '?'}"
    cause = _str(f.get("step_id") or f.get("cause"))
    if cause:
        text += f" ({cause})"
    detail = _str(f.get("detail") or f.get("reason"))
    if detail:
        text += f" — {detail}"
    return text


def _state_of(steps: Sequence[Mapping[str, Any]]) -> str:
    states = [str(s.get("state") or "pending") for s in steps]
    if any(s == "failed" for s in states):
        return "failed"
    if any(s in IN_FLIGHT_STATES for s in states):
        return "started"
    if states and all(s in ("done", "skipped") for s in states):
        return "done"
    if all(s == "pending" for s in states):
        return "pending"
    return "partial"


def _status(value: str) -> Markup:
    return el("span", {"class": f"st-{value}"}, value)


def left_behind_table(doc: Mapping[str, Any]) -> Any:
    """Nodes a stopped pair left with the host powered off or a staged job armed (None: none)."""
    rows = _list(doc, "left_behind")
    if not rows:
        return None
    return table(("node", "pair", "at", "what"),
                 [(r.get("node") or "", r.get("pair") or "", clock(r.get("at")),
                   r.get("detail") or "") for r in rows],
                 class_="left-behind", row_classes=["row-failed"] * len(rows))


def failures_of(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    failures = _list(doc, "failures")
    if failures or "failures" in doc:
        return failures
    return [s for s in steps_of(doc) if s.get("state") == "failed"]


def remaining_of(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = doc.get("remaining")
    if isinstance(raw, list):
        return [x if isinstance(x, Mapping) else {"step_id": x} for x in raw]
    return [s for s in steps_of(doc) if s.get("state") in ("pending", *IN_FLIGHT_STATES)]


def render_run_html(doc: Mapping[str, Any], *, title: str | None = None) -> str:
    """The whole standalone page for one run report."""
    run_id = str(doc.get("run_id") or "")
    steps = steps_of(doc)
    nodes = _node_order(doc, steps)
    pairs = _pair_of(doc, steps)
    node_docs = {str(n.get("node") or n.get("name")): n for n in _list(doc, "nodes")}
    run_status = str(doc.get("status") or _state_of(steps))
    raw_scale = doc.get("time_scale")
    scale = float(raw_scale) if isinstance(raw_scale, int | float) and raw_scale > 0 else 1.0
    scaled = scale != 1.0
    started = ts(doc.get("started_at"))
    finished = ts(doc.get("finished_at"))
    tl = timeline_from_report(doc)
    if started is None and tl is not None:
        started = tl.start
    head = el(
        "header",
        None,
        el("h1", None, title or f"fwupdate run {run_id}"),
        el(
            "p",
            {"class": "meta"},
            "status ", _status(run_status),
            f" · started {clock(started) or '—'}",
            f" · finished {clock(finished)}" if finished else " · not finished",
            f" · duration {duration(finished - started)}" if finished and started else "",
            f" · {signature_line(dict(doc))}",
        ),
        el("p", {"class": "meta time-scale"},
           f"Time-scaled run (time-scale {scale:g}): durations and the timeline are real time, "
           "estimates are device time.") if scaled else None,
        el("p", {"class": "meta resume-hint"}, "resume with: ", el("code", None, hint))
        if (hint := _str(doc.get("resume_hint"))) else None,
    )
    node_states = {
        n: str(
            node_docs.get(n, {}).get("status")
            or _state_of([s for s in steps if s.get("node") == n])
        )
        for n in nodes
    }
    counts: dict[str, int] = {}
    for st in node_states.values():
        counts[st] = counts.get(st, 0) + 1
    step_counts: dict[str, int] = {}
    for s in steps:
        st = str(s.get("state") or "pending")
        step_counts[st] = step_counts.get(st, 0) + 1
    cards = el(
        "div",
        {"class": "cards"},
        el("div", {"class": "card"}, el("b", None, len(nodes)), "nodes"),
        [el("div", {"class": f"card st-{k}"}, el("b", None, v), f"nodes {k}")
         for k, v in sorted(counts.items())],
        el("div", {"class": "card"}, el("b", None, len(steps)), "steps"),
        [el("div", {"class": f"card st-{k}"}, el("b", None, v), f"steps {k}")
         for k, v in sorted(step_counts.items())],
    )
    timeline = (
        el("div", {"class": "timeline-wrap"}, render_timeline(tl))
        if tl is not None
        else el("p", {"class": "meta"}, "No step has started yet: nothing to draw.")
    )
    failures = failures_of(doc)
    failure_table = (
        table(
            ("node", "step", "kind", "message id", "error", "at"),
            [
                (
                    s.get("node") or s.get("pair"),
                    el("code", None, s.get("step_id") or ""),
                    kind_label(str(s.get("kind") or "")),
                    el("code", None, s.get("message_id") or ""),
                    s.get("error") or "",
                    clock(s.get("at") or s.get("finished_at")),
                )
                for s in failures
            ],
            class_="failures",
            row_classes=["row-failed"] * len(failures),
        )
        if failures
        else el("p", None, "No failure.")
    )
    failovers = _list(doc, "failovers")
    failover_table = (
        table(
            ("at", "pair", "from", "to", "step", "detail"),
            [
                (
                    clock(f.get("at")),
                    f.get("pair") or pairs.get(str(f.get("node"))) or "",
                    f.get("from") or f.get("old_active") or "",
                    f.get("to") or f.get("new_active") or "",
                    el("code", None, f.get("step_id") or ""),
                    f.get("detail") or f.get("reason") or "",
                )
                for f in failovers
            ],
            class_="failovers",
        )
        if failovers
        else el("p", None, "No failover recorded.")
    )
    node_summary = table(
        ("node", "pair", "status", "steps done", "steps", "time"),
        [
            (
                n,
                pairs.get(n) or "",
                _status(node_states[n]),
                sum(1 for s in steps if s.get("node") == n and s.get("state") == "done"),
                sum(1 for s in steps if s.get("node") == n),
                duration(_node_time(steps, n)),
            )
            for n in nodes
        ],
        class_="nodes",
    )
    groups = _list(doc, "groups")
    groups_block = (
        table(
            ("group", "verdict", "failovers (done / planned)", "stopped at", "message id",
             "error"),
            [
                (
                    g.get("group") or g.get("name") or "",
                    _status(str(g.get("status") or "pending")),
                    f"{g.get('failovers', '')} / {g.get('planned_failovers', '')}",
                    el("code", None, g.get("step") or ""),
                    el("code", None, g.get("message_id") or ""),
                    g.get("error") or "",
                )
                for g in groups
            ],
            class_="groups",
            row_classes=["row-failed" if g.get("status") in ("failed", "degraded") else None
                         for g in groups],
        )
        if groups
        else None
    )
    remaining = remaining_of(doc)
    remaining_block = (
        table(
            ("step", "node", "kind", "state"),
            [
                (
                    el("code", None, r.get("step_id") or ""),
                    r.get("node") or r.get("pair") or "",
                    kind_label(str(r.get("kind") or "")),
                    _status(str(r.get("state") or "pending")),
                )
                for r in remaining
            ],
            class_="remaining",
        )
        if remaining
        else el("p", None, "Nothing left: every step has an outcome.")
    )
    step_tables = [
        el(
            "section",
            {"class": "node-steps", "data-node": group},
            el("h3", None, group),
            table(
                ("#", "step", "kind", "change", "state", "started",
                 "duration (real)" if scaled else "duration",
                 "estimate (device)" if scaled else "estimate",
                 "attempts", "message id", "error"),
                [_step_cells(s) for s in group_steps],
                row_classes=["row-failed" if s.get("state") == "failed" else None
                             for s in group_steps],
            ),
        )
        for group, group_steps in _grouped(steps, nodes)
    ]
    body = (
        head,
        cards,
        el("h2", None, "Timeline"),
        timeline,
        el("h2", None, "Failures"),
        failure_table,
        *((el("h2", None, "Left behind"), left) if (left := left_behind_table(doc)) else ()),
        el("h2", None, "Failovers"),
        failover_table,
        *((el("h2", None, "Runs, interruptions and resumes"), runs_block)
          if (runs_block := sessions_table(doc)) is not None else ()),
        el("h2", None, "Pairs and nodes"),
        groups_block,
        node_summary,
        el("h2", None, "What is left"),
        remaining_block,
        el("h2", None, "Steps"),
        step_tables,
        el("p", {"class": "meta"}, f"Generated {clock(doc.get('generated_at'))} by fwupdate."),
    )
    return page(title or f"fwupdate run {run_id}", BASE_CSS + TIMELINE_CSS, *body)


def _node_time(steps: Sequence[Mapping[str, Any]], node: str) -> float | None:
    spans = [
        (ts(s.get("started_at")), ts(s.get("finished_at")))
        for s in steps
        if s.get("node") == node
    ]
    starts = [a for a, _ in spans if a is not None]
    ends = [b for _, b in spans if b is not None]
    if not starts or not ends:
        return None
    return max(ends) - min(starts)


def _grouped(
    steps: Sequence[Mapping[str, Any]], nodes: Sequence[str]
) -> list[tuple[str, list[Mapping[str, Any]]]]:
    out: list[tuple[str, list[Mapping[str, Any]]]] = [
        (n, [s for s in steps if s.get("node") == n]) for n in nodes
    ]
    pair_steps: dict[str, list[Mapping[str, Any]]] = {}
    for s in steps:
        if not s.get("node"):
            pair_steps.setdefault(f"pair {s.get('pair') or '—'}", []).append(s)
    out += list(pair_steps.items())
    return [(g, ss) for g, ss in out if ss]


def _change(s: Mapping[str, Any]) -> str:
    old, new = s.get("from_version"), s.get("to_version")
    what = str(s.get("component") or "")
    if not old and not new:
        return what
    return f"{what} {old or '?'} → {new or '?'}".strip()


def _step_cells(s: Mapping[str, Any]) -> tuple[Any, ...]:
    start = ts(s.get("started_at"))
    end = ts(s.get("finished_at"))
    dur = s.get("duration_s")
    seconds = (
        float(dur)
        if isinstance(dur, int | float)
        else (end - start if start is not None and end is not None else None)
    )
    return (
        s.get("seq") if s.get("seq") is not None else "",
        el("code", None, s.get("step_id") or ""),
        kind_label(str(s.get("kind") or "")),
        _change(s),
        _status(str(s.get("state") or "pending")),
        clock(start),
        duration(seconds),
        duration(float(est)) if isinstance(est := s.get("estimated_s"), int | float) else "",
        s.get("attempts") or "",
        el("code", None, s.get("message_id") or ""),
        s.get("error") or "",
    )
