"""The run timeline as inline SVG: one row of bars per node on a shared time axis.

Bars are steps (iDRAC update, firmware stage, host reboot, LoadMaster stage/reboot, verify...),
coloured by kind; a failed step is red and carries its message id and error in a `<title>`
tooltip; a step still in flight (intent without outcome) is drawn to the end of the axis with a
dashed outline.  Failover moments are diamonds on a dashed vertical line across the rows of the
pair.  Interruptions of the run (its process crashed or was stopped) and resumes are vertical
lines across every row.  Pair-level steps (pair pre/post checks) get a row of their own under
the pair's nodes.  Times on the axis are UTC.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fwupdate.report.html_builder import Markup, el

# (kind, label, colour): the legend order; unknown kinds get OTHER_COLOUR.
KINDS: tuple[tuple[str, str, str], ...] = (
    ("precheck", "precheck", "#8c959f"),
    ("pair_precheck", "pair precheck", "#8c959f"),
    ("idrac_update", "iDRAC update", "#0969da"),
    ("firmware_apply_now", "firmware apply", "#8250df"),
    ("firmware_stage", "firmware stage", "#d4a72c"),
    ("lm_stage", "LoadMaster stage", "#fb8f44"),
    ("host_reboot", "host reboot", "#1b7c83"),
    ("cpld_apply", "CPLD apply", "#6639ba"),
    ("lm_reboot", "LoadMaster reboot", "#953800"),
    ("verify", "verify", "#2da44e"),
    ("pair_postcheck", "pair postcheck", "#8c959f"),
)
OTHER_COLOUR = "#57606a"
FAILED_COLOUR = "#cf222e"
FAILOVER_COLOUR = "#bf3989"
RUN_MARK_COLOURS = {"interrupted": "#24292f", "resumed": "#0550ae"}
_COLOURS = {k: c for k, _, c in KINDS}
_LABELS = {k: label for k, label, _ in KINDS}

LABEL_W = 180
ROW_H = 30
BAR_H = 18
AXIS_H = 34
LEGEND_ROW_H = 20
CHAR_W = 6.2  # average glyph width at 11px, to decide whether a label fits in its bar


def kind_label(kind: str) -> str:
    return _LABELS.get(kind, kind.replace("_", " "))


def kind_colour(kind: str) -> str:
    return _COLOURS.get(kind, OTHER_COLOUR)


@dataclass(frozen=True)
class Bar:
    step_id: str
    kind: str
    start: float
    end: float | None  # None: still in flight (drawn to the end of the axis)
    state: str  # done | failed | started | skipped
    message_id: str | None = None
    error: str | None = None
    attempts: int = 1


@dataclass(frozen=True)
class Marker:
    at: float
    label: str  # tooltip text, e.g. "failover p1: p1-a -> p1-b"


@dataclass(frozen=True)
class Row:
    label: str
    node: str | None  # None for a pair-level row
    pair: str | None
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Timeline:
    start: float
    end: float
    rows: tuple[Row, ...]
    # (pair or None, marker): drawn across the rows of that pair, or of every row when None
    failovers: tuple[tuple[str | None, Marker], ...] = ()
    # ("interrupted" | "resumed", marker): the run's process died or stopped / a resume began;
    # a vertical line across every row
    run_marks: tuple[tuple[str, Marker], ...] = ()


_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)


def _tick_step(span: float, max_ticks: int = 10) -> int:
    for s in _STEPS_S:
        if span / s <= max_ticks:
            return s
    return 86400 * max(1, math.ceil(span / 86400 / max_ticks))


def _clock(t: float, step: int) -> str:
    d = datetime.fromtimestamp(t, UTC)
    return d.strftime("%H:%M:%S" if step < 60 else "%H:%M")


def _fmt_duration(seconds: float) -> str:
    s = max(0, round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{sec:02d}s"
    return f"{sec}s"


def _bar_title(bar: Bar, row: Row, end: float) -> str:
    finished = bar.end if bar.end is not None else end
    parts = [
        f"{row.label}: {kind_label(bar.kind)} ({bar.step_id})",
        f"state {bar.state}",
        f"{_clock(bar.start, 1)} to {_clock(finished, 1)} UTC, "
        f"{_fmt_duration(finished - bar.start)}",
    ]
    if bar.attempts > 1:
        parts.append(f"{bar.attempts} attempts")
    if bar.message_id:
        parts.append(f"message id {bar.message_id}")
    if bar.error:
        parts.append(bar.error)
    return "\n".join(parts)


def render_timeline(tl: Timeline, *, width: int = 1100) -> Markup:
    """The whole timeline picture (axis, rows, failover markers, legend) as one `<svg>`."""
    plot_w = width - LABEL_W - 16
    span = max(tl.end - tl.start, 1.0)

    def x(t: float) -> float:
        return LABEL_W + (min(max(t, tl.start), tl.end) - tl.start) / span * plot_w

    rows_h = ROW_H * len(tl.rows)
    legend_y = AXIS_H + rows_h + 14
    legend_cols = max(1, plot_w // 170)
    legend_items = [*((k, label, c) for k, label, c in KINDS), ("_failed", "failed", "")]
    legend_items += [("_inflight", "in flight / interrupted", ""), ("_failover", "failover", "")]
    legend_items += [(f"_{k}", k, RUN_MARK_COLOURS[k])
                     for k in RUN_MARK_COLOURS if any(m == k for m, _ in tl.run_marks)]
    legend_h = LEGEND_ROW_H * math.ceil(len(legend_items) / legend_cols) + 6
    height = legend_y + legend_h

    parts: list[Markup] = [
        el("title", None, "Run timeline (UTC)"),
        el("rect", {"x": 0, "y": 0, "width": width, "height": height, "fill": "#ffffff"}),
    ]
    # axis and grid
    step = _tick_step(span)
    first = math.ceil(tl.start / step) * step
    ticks: list[Markup] = []
    t = float(first)
    for _ in range(200):
        if t > tl.end:
            break
        xt = x(t)
        ticks.append(
            el(
                "line",
                {"x1": xt, "x2": xt, "y1": AXIS_H - 6, "y2": AXIS_H + rows_h,
                 "stroke": "#d0d7de", "stroke-width": 1},
            )
        )
        label = _clock(t, step)
        # a label centred on a tick near the right edge would be cut off: end it at the edge
        half = len(label) * CHAR_W / 2 + 2
        anchor, tx = ("end", width - 2) if xt + half > width else ("middle", xt)
        ticks.append(
            el("text", {"x": tx, "y": AXIS_H - 10, "text-anchor": anchor, "class": "tick"},
               label)
        )
        t += step
    parts.append(el("g", {"class": "axis"}, ticks))
    parts.append(
        el("text", {"x": 4, "y": AXIS_H - 10, "class": "tick"},
           f"UTC, {_fmt_duration(tl.end - tl.start)} total")
    )
    # rows
    row_y: dict[int, float] = {}
    for i, row in enumerate(tl.rows):
        y = AXIS_H + i * ROW_H
        row_y[i] = y
        bars: list[Markup] = []
        for bar in row.bars:
            bars.append(_bar(bar, row, x, y, tl.end))
        cls = "row node-row" if row.node is not None else "row pair-row"
        parts.append(
            el(
                "g",
                {"class": cls, "data-node": row.node, "data-pair": row.pair},
                el("rect", {"x": 0, "y": y, "width": width, "height": ROW_H,
                            "fill": "#f6f8fa" if i % 2 else "#ffffff"}),
                el("text", {"x": 6, "y": y + ROW_H / 2 + 4, "class": "rowlabel"},
                   _clip(row.label, 26)),
                bars,
            )
        )
    parts.append(
        el("line", {"x1": LABEL_W, "x2": LABEL_W, "y1": AXIS_H, "y2": AXIS_H + rows_h,
                    "stroke": "#8c959f", "stroke-width": 1})
    )
    # failover markers
    for pair, marker in tl.failovers:
        idx = [i for i, r in enumerate(tl.rows) if pair is None or r.pair == pair]
        if not idx:
            idx = list(range(len(tl.rows)))
        if not idx:
            continue
        top = row_y[min(idx)]
        bottom = row_y[max(idx)] + ROW_H
        xm = x(marker.at)
        d = 6
        parts.append(
            el(
                "g",
                {"class": "failover", "data-pair": pair},
                el("title", None, marker.label),
                el("line", {"x1": xm, "x2": xm, "y1": top, "y2": bottom, "stroke": FAILOVER_COLOUR,
                            "stroke-width": 2, "stroke-dasharray": "4 3"}),
                el("path", {"d": f"M{xm:.1f} {top - d + 2:.1f} l{d} {d} l{-d} {d} l{-d} {-d} z",
                            "fill": FAILOVER_COLOUR}),
            )
        )
    parts += [_run_mark(kind, m, x(m.at), rows_h) for kind, m in tl.run_marks]
    parts.append(_legend(legend_items, legend_y, legend_cols))
    style = el(
        "style",
        None,
        ".tick{font:11px system-ui,sans-serif;fill:#57606a}"
        ".rowlabel{font:12px system-ui,sans-serif;fill:#1b1f24}"
        ".barlabel{font:11px system-ui,sans-serif;fill:#ffffff;pointer-events:none}"
        ".barlabel.dark{fill:#1b1f24}"
        ".legend{font:11px system-ui,sans-serif;fill:#1b1f24}",
    )
    return el(
        "svg",
        {"class": "timeline", "role": "img",
         "aria-label": "Run timeline", "width": width, "height": height,
         "viewBox": f"0 0 {width} {height}"},
        style,
        parts,
    )


def _run_mark(kind: str, marker: Marker, xm: float, rows_h: float) -> Markup:
    """The run's process died or stopped (solid) / a resume began (dashed), across all rows."""
    colour = RUN_MARK_COLOURS.get(kind, OTHER_COLOUR)
    dash = {"stroke-dasharray": "6 3"} if kind == "resumed" else {}
    return el(
        "g",
        {"class": f"run-mark run-{kind}"},
        el("title", None, marker.label),
        el("line", {"x1": xm, "x2": xm, "y1": AXIS_H - 4, "y2": AXIS_H + rows_h,
                    "stroke": colour, "stroke-width": 2, **dash}),
        el("text", {"x": xm + 3, "y": AXIS_H - 1, "class": "tick"}, kind),
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _bar(bar: Bar, row: Row, x: Callable[[float], float], y: float, end: float) -> Markup:
    x0 = x(bar.start)
    x1 = x(bar.end if bar.end is not None else end)
    w = max(x1 - x0, 3.0)
    failed = bar.state == "failed"
    in_flight = bar.end is None or bar.state == "started"
    fill = FAILED_COLOUR if failed else kind_colour(bar.kind)
    rect: dict[str, str | float | int | None] = {
        "x": x0, "y": y + (ROW_H - BAR_H) / 2, "width": w, "height": BAR_H, "rx": 2,
        "fill": fill, "fill-opacity": 0.45 if in_flight else (0.5 if bar.state == "skipped" else 1),
    }
    if in_flight:
        rect.update({"stroke": fill, "stroke-width": 1.5, "stroke-dasharray": "4 2"})
    elif not failed:
        rect.update({"stroke": "#ffffff", "stroke-width": 1})  # back-to-back steps stay apart
    if failed:
        rect.update({"stroke": "#82071e", "stroke-width": 1.5})
    label = kind_label(bar.kind) if not failed else f"{kind_label(bar.kind)} ✗"
    if failed and bar.message_id:
        label += f" {bar.message_id}"
    text = None
    if len(label) * CHAR_W + 6 <= w:
        cls = "barlabel dark" if in_flight or bar.state == "skipped" else "barlabel"
        text = el("text", {"x": x0 + 4, "y": y + ROW_H / 2 + 4, "class": cls}, label)
    state_cls = f"bar bar-{bar.state} kind-{bar.kind}"
    return el(
        "g",
        {"class": state_cls, "data-step": bar.step_id, "data-kind": bar.kind,
         "data-message-id": bar.message_id},
        el("title", None, _bar_title(bar, row, end)),
        el("rect", rect),
        text,
    )


def _legend(items: list[tuple[str, str, str]], y0: float, cols: int) -> Markup:
    out: list[Markup] = []
    for i, (key, label, colour) in enumerate(items):
        cx = LABEL_W + (i % cols) * 170
        cy = y0 + (i // cols) * LEGEND_ROW_H
        if key == "_failed":
            sw = el("rect", {"x": cx, "y": cy, "width": 22, "height": 12, "rx": 2,
                             "fill": FAILED_COLOUR, "stroke": "#82071e"})
        elif key == "_inflight":
            sw = el("rect", {"x": cx, "y": cy, "width": 22, "height": 12, "rx": 2,
                             "fill": OTHER_COLOUR, "fill-opacity": 0.45, "stroke": OTHER_COLOUR,
                             "stroke-dasharray": "4 2"})
        elif key == "_failover":
            sw = el("path", {"d": f"M{cx + 11} {cy} l6 6 l-6 6 l-6 -6 z", "fill": FAILOVER_COLOUR})
        elif key.lstrip("_") in RUN_MARK_COLOURS:
            sw = el("line", {"x1": cx + 11, "x2": cx + 11, "y1": cy, "y2": cy + 12,
                             "stroke": colour, "stroke-width": 2})
        else:
            sw = el("rect", {"x": cx, "y": cy, "width": 22, "height": 12, "rx": 2, "fill": colour})
        out.append(el("g", {"class": "legend-item", "data-kind": key.lstrip("_")}, sw,
                      el("text", {"x": cx + 28, "y": cy + 10, "class": "legend"}, label)))
    return el("g", {"class": "legend"}, out)
