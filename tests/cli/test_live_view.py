"""The live per-pair view of a night (issue 14): fed by the same progress events as the plain
lines, drawn only on a terminal, never the cause of a failed night, always stopped."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from fwupdate.cli import live_view
from fwupdate.cli.live_view import LiveProgress, NightFacts, NightState, PairRow, ProgressMode
from fwupdate.observe import jsonlog
from fwupdate.run.journal import Journal
from fwupdate.waits import poll_until

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

# what the executor says during a short night of two pairs and a standalone node
SCRIPT = [
    ("run", 'signatures = "off": packages that do not verify are sent anyway'),
    ("pair-1", "pair-1: pair_precheck"),
    ("pair-1", "pair-1: backed up lb1a to /runs/x.lmbackup (940 bytes)"),
    ("pair-3", "pair-3: pair_precheck"),
    ("pair-1", "lb1b: precheck"),
    ("pair-1", "lb1b: idrac_update"),
    ("pair-1", "lb1b: installing firmimg.d7 (1.57.57 -> 1.66.65)"),
    ("pair-3", "lb3b: firmware_stage (resume)"),
    ("pair-3", "failed: lb3b: job JID_1 failed [RED007]"),
]


def _rows() -> list[PairRow]:
    return [PairRow("pair-1", ("lb1a", "lb1b"), 3900.0), PairRow("pair-3", ("lb3a", "lb3b"),
            5000.0), PairRow("web9", ("web9",), 600.0)]


def _state(run: str | None = "night-7") -> NightState:
    return NightState(_rows(), NightFacts(run, None))


def _shown(state: NightState, width: int = 120, height: int = 60) -> str:
    console = Console(file=io.StringIO(), force_terminal=True, width=width)
    console.print(live_view.render(state, height))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return _ANSI.sub("", out)


def _row(text: str, pair: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(pair + " "))


def test_the_view_shows_a_row_per_pair_with_node_step_and_status() -> None:
    state = _state()
    for group, message in SCRIPT:
        state.event(group, message)
    text = _shown(state)
    assert "run night-7" in text and "window ends none" in text
    assert "1/3 pairs finished" in text and "1 failed" in text
    assert _row(text, "pair-1").split()[:4] == ["pair-1", "lb1b", "idrac_update", "running"]
    assert "installing firmimg.d7 (1.57.57 -> 1.66.65)" in _row(text, "pair-1")
    assert "1h05m" in _row(text, "pair-1")  # the estimate
    p3 = _row(text, "pair-3").split()
    assert p3[:3] == ["pair-3", "lb3b", "firmware_stage"] and "failed" in p3
    assert "RED007" in _row(text, "pair-3")
    assert _row(text, "web9").split()[:2] == ["web9", "waiting"]
    # the last events under the table, as the plain lines would say them
    assert "[pair-3] failed: lb3b: job JID_1 failed [RED007]" in text
    assert "[pair-1] lb1b: idrac_update" in text


def test_a_pair_degraded_at_the_end_of_the_night_is_shown_so() -> None:
    """run/endcheck.py: a done pair whose baseline VS went Down since is `degraded`."""
    state = _state()
    state.event("pair-1", "done")
    state.event("pair-1", "degraded: VS api (10.0.0.1:443) was Up, now Down after the pair "
                "finished at 03:12")
    text = _shown(state)
    assert _row(text, "pair-1").split()[:2] == ["pair-1", "degraded"], text
    assert "1/3 pairs finished" in text


def test_a_resume_shows_pairs_done_before_and_counts_them() -> None:
    rows = live_view.pair_rows(_plan_of_two(), 1.0, done=["pair-b"])
    state = NightState(rows, NightFacts("r1", None))
    text = _shown(state)
    assert "1/2 pairs finished" in text
    assert _row(text, "pair-b").split()[:2] == ["pair-b", "done"]


def test_a_long_fleet_keeps_running_pairs_and_sums_up_the_rest() -> None:
    rows = [PairRow(f"p{i:02d}", (f"n{i}a", f"n{i}b"), 60.0) for i in range(40)]
    state = NightState(rows, NightFacts("big", None))
    state.event("p39", "n39a: verify")
    text = _shown(state, height=30)
    assert _row(text, "p39").split()[:4] == ["p39", "n39a", "verify", "running"]
    assert re.search(r"\.\.\. \d+ more pairs \(\d+ waiting\)", text)
    assert len(text.splitlines()) <= 30


def test_a_narrow_terminal_cuts_the_last_message_not_the_pair_names() -> None:
    state = _state()
    for group, message in SCRIPT:
        state.event(group, message)
    text = _shown(state, width=72)
    assert _row(text, "pair-1").split()[:4] == ["pair-1", "lb1b", "idrac_update", "running"]
    assert all(len(line) <= 72 for line in text.splitlines())


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_picks_plain_lines_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    tty, env = _Tty(), {"TERM": "xterm-256color"}
    assert not live_view.wants_live(ProgressMode.auto, io.StringIO(), env)
    assert live_view.wants_live(ProgressMode.auto, tty, env)
    assert not live_view.wants_live(ProgressMode.auto, tty, {"TERM": "dumb"})
    assert not live_view.wants_live(ProgressMode.plain, tty, env)
    assert live_view.wants_live(ProgressMode.live, io.StringIO(), env)
    monkeypatch.setitem(jsonlog._state, "format", "json")
    assert not live_view.wants_live(ProgressMode.auto, tty, env)
    assert not live_view.wants_live(ProgressMode.live, tty, env)


def test_off_a_terminal_the_progress_function_is_the_plain_one_itself(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def plain(_g: str, _m: str) -> None:
        pass

    monkeypatch.setattr("sys.stderr", io.StringIO())
    got = live_view.for_night(ProgressMode.auto, plain, _plan_of_two(), time_scale=1.0,
                              window_end=None)
    assert got is plain
    with live_view.drawn(got):
        live_view.named(got, "x")  # both no-ops on plain lines
    monkeypatch.setattr("sys.stderr", _Tty())
    assert isinstance(live_view.for_night(ProgressMode.auto, plain, _plan_of_two(),
                                          time_scale=1.0, window_end=None), LiveProgress)


def _view(plain: list[tuple[str, str]] | None = None) -> tuple[LiveProgress, io.StringIO]:
    out = io.StringIO()
    got = plain if plain is not None else []
    console = Console(file=out, force_terminal=True, width=120)
    return LiveProgress(_state(), lambda g, m: got.append((g, m)), console), out


def test_the_view_is_stopped_and_the_terminal_given_back_on_an_exception() -> None:
    view, out = _view()
    before = sys.stderr
    handler = logging.StreamHandler(before)
    logging.getLogger().addHandler(handler)
    try:
        with pytest.raises(KeyboardInterrupt), live_view.drawn(view):
            assert sys.stderr is not before  # writes go above the view while it is drawn
            assert handler.stream is sys.stderr
            view("pair-1", "lb1b: idrac_update")
            raise KeyboardInterrupt  # a second Ctrl-C
    finally:
        logging.getLogger().removeHandler(handler)
    assert sys.stderr is before and handler.stream is before
    text = out.getvalue()
    assert "\x1b[?25l" in text and text.rstrip().endswith("\x1b[?25h")  # cursor shown again
    assert "idrac_update" in _ANSI.sub("", text)  # the last frame stays on screen
    assert view._ticker is not None and not view._ticker.is_alive()


def _wait(what: str, check: Any) -> None:
    poll_until(what, check, timeout=5.0, host="test", step="live-view", clock=time.monotonic,
               pause=lambda left: time.sleep(min(left, 0.05)))


def test_a_rendering_error_falls_back_to_plain_lines(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    plain: list[tuple[str, str]] = []
    view, _out = _view(plain)

    def broken(_state: NightState, _height: int = 60) -> Any:
        raise RuntimeError("cannot draw")

    with live_view.drawn(view):
        view("pair-1", "pair-1: pair_precheck")
        monkeypatch.setattr(live_view, "render", broken)
        _wait("the view gives up", lambda: view.failed or None)
        view("pair-1", "lb1b: precheck")
    assert plain == [("pair-1", "lb1b: precheck")]
    err = capsys.readouterr().err
    assert "live progress view off (RuntimeError: cannot draw); plain progress lines follow" in err


def test_an_event_the_view_cannot_take_goes_to_the_plain_lines() -> None:
    plain: list[tuple[str, str]] = []
    view, _out = _view(plain)

    def broken(_g: str, _m: str) -> None:
        raise ValueError("bad row")

    view.state.event = broken  # type: ignore[method-assign]
    view("pair-1", "lb1b: precheck")
    view("pair-1", "done")
    assert plain == [("pair-1", "lb1b: precheck"), ("pair-1", "done")] and view.failed


def _plan_of_two() -> Any:
    from fwupdate.plan.models import PairPlan, Totals

    class _Plan:
        groups = (PairPlan("pair-a", False, ("a1", "a2"), (), (), Totals(estimated_seconds=600)),
                  PairPlan("pair-b", False, ("b1", "b2"), (), (), Totals(estimated_seconds=60)))

    return _Plan()


# --- a night drawn live -------------------------------------------------------------------

SCALE = 800.0


def _journal_facts(path: Path) -> tuple[list[tuple[str, str, int]], list[tuple[str | None, str]],
                                        list[str]]:
    from fwupdate.plan import planfile

    with Journal.open(path) as j:
        steps = [(s.step_id, s.state, s.attempts) for s in j.steps()]
        events = [(e.step_id, e.kind) for e in j.events()]
        plan = planfile.loads(json.dumps(j.plan))
        done = live_view.done_pairs(plan, j)  # what a resume's view shows as done already
    return steps, events, done


@pytest.mark.integration
def test_a_night_drawn_live_ends_and_journals_as_a_plain_one(cli, demo_inputs,
                                                             tmp_path: Path) -> None:
    from runsim import night

    runs: dict[str, Any] = {}
    for mode in ("plain", "live"):
        with night(tmp_path / mode, demo_inputs, ("pair-3",), SCALE) as n:
            r = cli(*n.run_args("--yes", "--run-id", f"night-{mode}", "--progress", mode,
                                scale=SCALE))
            runs[mode] = (r, _journal_facts(tmp_path / mode / "runs" / f"night-{mode}.db"))
    (plain, plain_journal), (live, live_journal) = runs["plain"], runs["live"]
    assert live.code == plain.code == 0, live
    assert live_journal == plain_journal and live_journal[2] == ["pair-3"]
    assert live.out.replace("night-live", "x").replace("/live/", "/") == \
        plain.out.replace("night-plain", "x").replace("/plain/", "/")
    text = _ANSI.sub("", live.err)
    assert "run night-live" in text and "1/1 pairs finished" in text
    last_frame = text[text.rindex("run night-live  window ends"):]
    assert re.search(r"^pair-3 +pair_postcheck +done ", last_frame, re.MULTILINE), last_frame
    assert "\x1b[?25h" in live.err  # the cursor is shown again
    assert re.search(r"^\d\d:\d\d:\d\d \[pair-3\] lb3b: verify$", plain.err, re.MULTILINE)
