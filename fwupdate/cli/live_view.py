"""The live per-pair view of `fwupdate run` / `resume` on a terminal (issue 14).

One event source, two renderers: the executor's progress calls `(pair, message)` go either to
the plain lines (`run_cmd._Log`, unchanged) or to `LiveProgress`, which keeps one row per pair
(node, step, status, elapsed, estimate, last message), a header (run, window end, pairs done,
failed) and the last few events, and redraws them with rich's Live at most 4 times a second.

`--progress auto` (the default; `FWUPDATE_PROGRESS`) draws the view only when stderr is a
terminal, the log format is text and TERM is not `dumb`; `plain` never draws it; `live` draws it
even off a terminal (a JSON log still wins).  A rendering error never fails the night: the view
stops, says so in one line and the plain lines take over.  The view is stopped (cursor shown,
stderr and log handlers given back) on the way out of the night, whatever ends it.

rich.live is imported only when a view starts: read-only commands never load it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any, Protocol

from fwupdate.app.run import done_pairs as journal_done_pairs
from fwupdate.observe import jsonlog
from fwupdate.plan.models import Plan, StepKind
from fwupdate.run.journal import Journal

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

ProgressFn = Callable[[str, str], None]

# a pair's last progress message starts with one of these (the executor's `_record_group`;
# `degraded`: a done pair's baseline VS no longer Up at the run's end, run/endcheck.py)
FINAL_STATUSES = ("done", "failed", "stopped", "deferred", "interrupted", "degraded")
REFRESH_SECONDS = 0.25  # at most ~4 redraws a second, when an event changed something
IDLE_REFRESH_SECONDS = 1.0  # else once a second (elapsed times); a 50-pair frame costs ~70 ms
RECENT_EVENTS = 5
_STEP_KINDS = frozenset(k.value for k in StepKind)
_STYLES = {"running": "bold cyan", "waiting": "dim", "done": "green", "failed": "bold red",
           "stopped": "yellow", "deferred": "yellow", "interrupted": "yellow",
           "degraded": "bold red"}
_ORDER = {"running": 0, "failed": 1, "degraded": 1, "stopped": 1, "interrupted": 1, "waiting": 2,
          "deferred": 3, "done": 4}


class ProgressMode(StrEnum):
    auto = "auto"
    plain = "plain"
    live = "live"


def wants_live(mode: ProgressMode, stream: IO[str] | Any,
               env: Mapping[str, str] | None = None) -> bool:
    """Whether the night draws the live view: never under `--log-format json` or `plain`;
    under `auto` only on a terminal whose TERM is not `dumb`."""
    if jsonlog.json_mode() or mode is ProgressMode.plain:
        return False
    if mode is ProgressMode.live:
        return True
    term = (os.environ if env is None else env).get("TERM", "")
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and term != "dumb"


@dataclass
class PairRow:
    """What the view shows of one pair (or standalone node)."""

    name: str
    nodes: tuple[str, ...]
    estimate: float  # real seconds (the plan's estimate divided by the time-scale)
    status: str = "waiting"
    node: str = ""
    step: str = ""
    detail: str = ""
    started: float | None = None
    ended: float | None = None

    def elapsed(self, now: float) -> float | None:
        if self.started is None:
            return None
        return (self.ended if self.ended is not None else now) - self.started


@dataclass(frozen=True)
class NightFacts:
    """What the header shows besides the counts."""

    run: str | None
    window_end: float | None


def pair_rows(plan: Plan, time_scale: float, done: Iterable[str] = ()) -> list[PairRow]:
    """A row per group of the plan; `done` (a resume): pairs an earlier night finished, which
    this one does not report again."""
    scale = time_scale if time_scale > 0 else 1.0
    finished = set(done)
    return [PairRow(g.name, tuple(g.order), g.totals.estimated_seconds / scale,
                    status="done" if g.name in finished else "waiting",
                    detail="done before this resume" if g.name in finished else "")
            for g in plan.groups]


def done_pairs(plan: Plan, journal: Journal) -> list[str]:
    """The groups whose every step the journal has done or skipped (the resume use case's
    rule, fwupdate.app.run.done_pairs)."""
    return journal_done_pairs(plan, journal)


class NightState:
    """The pairs as the progress events describe them (thread-safe: workers call `event`)."""

    def __init__(self, rows: Sequence[PairRow], facts: NightFacts,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rows = {r.name: r for r in rows}
        self.facts = facts
        self.clock = clock
        self.t0 = clock()
        self.recent: deque[str] = deque(maxlen=RECENT_EVENTS)
        self.lock = threading.Lock()
        self.changes = 0  # events seen: the view redraws sooner when this moved

    def named(self, run: str) -> None:
        with self.lock:
            self.facts = NightFacts(run, self.facts.window_end)

    def event(self, group: str, message: str) -> None:
        """One progress event: the pair's row and the recent events follow it."""
        now = self.clock()
        with self.lock:
            self.changes += 1
            self.recent.append(f"{time.strftime('%H:%M:%S')} [{group}] {message}")
            row = self.rows.get(group)
            if row is not None:
                _apply(row, message, now)

    def counts(self) -> tuple[int, int, int]:
        """(pairs finished, failed, all)."""
        statuses = [r.status for r in self.rows.values()]
        finished = sum(1 for s in statuses if s in FINAL_STATUSES)
        return finished, statuses.count("failed"), len(statuses)


def _apply(row: PairRow, message: str, now: float) -> None:
    head, sep, rest = message.partition(":")
    if head in FINAL_STATUSES:
        row.status, row.ended, row.detail = head, now, rest.strip()
        row.started = row.started if row.started is not None else now
        return
    if row.started is None:
        row.started = now
    row.status = "running"
    if sep and (head in row.nodes or head == row.name):
        row.node = head if head in row.nodes else ""
        text = rest.strip()
        kind = text.removesuffix(" (resume)")
        if kind in _STEP_KINDS:
            row.step, row.detail = kind, "resumed" if kind != text else ""
        else:
            row.detail = text
        return
    row.detail = message


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(max(0.0, seconds))
    h, m = divmod(s // 60, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s % 60:02d}s"


def _header(state: NightState, now: float) -> str:
    finished, failed, total = state.counts()
    run = state.facts.run or "(starting)"
    end = state.facts.window_end
    until = time.strftime("%H:%M", time.localtime(end)) if end is not None else "none"
    return (f"run {run}  window ends {until}  {finished}/{total} pairs finished  "
            f"{failed} failed  {_duration(now - state.t0)} elapsed")


def _shown_rows(rows: list[PairRow], limit: int) -> tuple[list[PairRow], str]:
    """The rows that fit (running and failed first), and a line for the others."""
    ordered = sorted(rows, key=lambda r: _ORDER.get(r.status, 2))
    if len(ordered) <= limit:
        return ordered, ""
    rest = ordered[limit:]
    counts: dict[str, int] = {}
    for r in rest:
        counts[r.status] = counts.get(r.status, 0) + 1
    more = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    return ordered[:limit], f"... {len(rest)} more pairs ({more})"


def render(state: NightState, height: int = 60) -> RenderableType:
    """The whole view as one rich renderable: header, a row per pair, the last events."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    now = state.clock()
    with state.lock:
        header = _header(state, now)
        rows, more = _shown_rows(list(state.rows.values()), max(3, height - RECENT_EVENTS - 8))
        cells = [(r.name, r.node, r.step, r.status, _duration(r.elapsed(now)),
                  _duration(r.estimate), r.detail) for r in rows]
        recent = list(state.recent)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("pair", "node", "step", "status", "elapsed", "estimate"):
        table.add_column(name, no_wrap=True)
    table.add_column("last")  # the one column that gives way when the terminal is narrow
    for cell in cells:
        table.add_row(*cell[:3], Text(cell[3], style=_STYLES.get(cell[3], "")), *cell[4:6],
                      Text(cell[6], no_wrap=True, overflow="ellipsis"))
    parts: list[RenderableType] = [Text(header, style="bold"), table]
    if more:
        parts.append(Text(more, style="dim"))
    parts.extend(Text(line, style="dim", no_wrap=True, overflow="ellipsis") for line in recent)
    return Group(*parts)


class _LiveLike(Protocol):
    def start(self, refresh: bool = False) -> None: ...

    def refresh(self) -> None: ...

    def stop(self) -> None: ...


class LiveProgress:
    """A progress function that feeds the live view; falls back to `plain` if drawing fails."""

    def __init__(self, state: NightState, plain: ProgressFn, console: Console) -> None:
        self.state = state
        self.plain = plain
        self.console = console
        self.failed = False
        self._live: _LiveLike | None = None
        self._done = threading.Event()
        self._ticker: threading.Thread | None = None
        self._handlers: list[tuple[logging.StreamHandler[Any], Any]] = []
        self._switch = threading.Lock()

    def __call__(self, group: str, message: str) -> None:
        if not self.failed:
            try:
                self.state.event(group, message)
                return
            except Exception as exc:  # the night goes on in plain lines
                self.give_up(exc)
        self.plain(group, message)

    def named(self, run: str) -> None:
        self.state.named(run)

    def start(self) -> None:
        from rich.live import Live

        before = sys.stderr
        live = Live(get_renderable=self._frame, console=self.console, auto_refresh=False,
                    transient=False, redirect_stdout=False, redirect_stderr=True)
        self._live = live
        live.start(refresh=True)
        self._route_log_handlers(before, sys.stderr)
        self._ticker = threading.Thread(target=self._tick, name="fwupdate-live-view", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Stop drawing (last frame left on screen) and give back stderr and the log handlers."""
        self._done.set()
        ticker = self._ticker
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join(timeout=5)
        with self._switch:
            live, self._live = self._live, None
            try:
                if live is not None:
                    live.stop()
            finally:
                self._restore_log_handlers()

    def _frame(self) -> RenderableType:
        return render(self.state, self.console.size.height)

    def _tick(self) -> None:
        """Redraw after events at most every REFRESH_SECONDS, else every IDLE_REFRESH_SECONDS
        (elapsed times move between events too)."""
        seen, drawn_at = -1, 0.0
        while not self._done.wait(REFRESH_SECONDS):
            now, changes = time.monotonic(), self.state.changes
            if changes == seen and now - drawn_at < IDLE_REFRESH_SECONDS:
                continue
            seen, drawn_at = changes, now
            try:
                with self._switch:
                    if self._live is not None:
                        self._live.refresh()
            except Exception as exc:
                self.give_up(exc)
                return

    def give_up(self, exc: Exception) -> None:
        """Drawing failed: stop the view, say so in one line, go on in plain lines."""
        with self._switch:
            if self.failed:
                return
            self.failed = True
        self._done.set()
        try:
            self.stop()
        except Exception:  # the terminal may be gone; the plain lines still go to stderr
            self._live = None
        jsonlog.line(f"fwupdate: live progress view off ({type(exc).__name__}: {exc}); "
                     "plain progress lines follow")

    def _route_log_handlers(self, before: Any, proxy: Any) -> None:
        """Log records written to the terminal go above the view while it is drawn."""
        if proxy is before:
            return
        for h in logging.getLogger().handlers:
            if type(h) is logging.StreamHandler and h.stream is before:
                self._handlers.append((h, before))
                h.setStream(proxy)

    def _restore_log_handlers(self) -> None:
        for h, stream in self._handlers:
            h.setStream(stream)
        self._handlers.clear()


def make_console(mode: ProgressMode, stream: IO[str]) -> Console:
    from rich.console import Console

    return Console(file=stream, force_terminal=True if mode is ProgressMode.live else None)


def for_night(mode: ProgressMode, plain: ProgressFn, plan: Plan, *, time_scale: float,
              window_end: float | None, run: str | None = None,
              done: Iterable[str] = ()) -> ProgressFn:
    """The night's progress function: `plain` itself, or a live view falling back to it.
    The view draws only inside `with drawn(progress):`."""
    if not wants_live(mode, sys.stderr):
        return plain
    state = NightState(pair_rows(plan, time_scale, done), NightFacts(run, window_end))
    return LiveProgress(state, plain, make_console(mode, sys.stderr))


def named(progress: ProgressFn, run: str) -> None:
    """The run's id, once its journal exists (the header of the view shows it)."""
    if isinstance(progress, LiveProgress):
        progress.named(run)


@contextmanager
def drawn(progress: ProgressFn) -> Iterator[None]:
    """Draw the live view (if `progress` is one) for the `with` block; stopped on every way out
    (the night's end, Ctrl-C, SIGTERM, an exception), so the terminal is given back before the
    summary is printed."""
    if not isinstance(progress, LiveProgress):
        yield
        return
    try:
        progress.start()
    except Exception as exc:  # a terminal rich cannot draw on: plain lines
        progress.give_up(exc)
    try:
        yield
    finally:
        progress.stop()
