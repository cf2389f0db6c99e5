"""`fwupdate run PLAN FLEET` (the night) and `fwupdate resume RUN`.

Exit codes: 0 every group done; 3 some groups failed, stopped, were deferred by the window
or the failure budget, or are degraded (a baseline VS Down at the run's end); 1 every group
failed (or the run itself failed); 2 bad input (edited plan, package hash mismatch, plan and
fleet disagree, missing package, no --yes without a terminal); 130 interrupted (Ctrl-C /
SIGTERM: the current steps finished, the journal is consistent, `fwupdate resume RUN`
continues).  docs/running.md has the details.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from fwupdate import userconfig
from fwupdate.app import run as app_run
from fwupdate.app.run import RUNS_DIR, ResumeRequest, RunRequest
from fwupdate.cli import live_view
from fwupdate.cli.live_view import ProgressMode
from fwupdate.cli.output import OutputFormat, emit
from fwupdate.cli.plan_cmd import summary_lines
from fwupdate.errors import BadInputError, ExitCode
from fwupdate.observe import jsonlog
from fwupdate.plan.models import Plan
from fwupdate.run.executor import G_DONE, G_FAILED, RunResult
from fwupdate.run.packages import SignatureCheck
from fwupdate.run.window import resume_hint, stop_at, window_end

RunsDir = Annotated[Path, typer.Option("--runs-dir", help="Where run journals live.")]
Window = Annotated[str | None, typer.Option(
    "--window", help="Maintenance window HH:MM-HH:MM (local time), e.g. 21:00-05:30.")]
StopAt = Annotated[str | None, typer.Option(
    "--stop-at", help="End of the window as HH:MM or an ISO date-time.")]
MetricsFile = Annotated[Path | None, typer.Option(
    "--metrics-file", help="Write Prometheus metrics (text format) here, rewritten atomically "
                           "as the night goes on (docs/observability.md).")]
TimeScale = Annotated[float, typer.Option(
    "--time-scale", min=0.001,
    help="Divide every estimate, timeout and poll interval by this: only for rehearsals "
         "against `fwupdate sim serve --time-scale X`.")]
Progress = Annotated[ProgressMode, typer.Option(
    "--progress", envvar="FWUPDATE_PROGRESS", case_sensitive=False,
    help="auto: a live view per pair when stderr is a terminal (text log, TERM not dumb), "
         "plain lines otherwise; plain: always lines; live: always the view.")]


# a pair's verdict (a `degraded` one follows its `done`: counted once)
_FINAL = tuple(s for s in live_view.FINAL_STATUSES if s != "degraded")


class _Log:
    """Progress: one line per event on stderr; on a terminal each line also shows the overall
    state (groups finished of all, elapsed time)."""

    def __init__(self, groups: int = 0) -> None:
        self.t0 = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.lock = threading.Lock()
        self.groups = groups
        self.finished = 0

    def __call__(self, group: str, message: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        final = message.split(":", 1)[0] in _FINAL
        if jsonlog.json_mode():  # --log-format json: one event, pair/node/step from the worker
            extra = {"node": None, "step": None} if final else {}
            jsonlog.emit("info", "progress", message, pair=group, **extra)
            return
        with self.lock:
            if final:
                self.finished += 1
            overall = ""
            if self.tty and self.groups:
                mins = (time.monotonic() - self.t0) / 60
                overall = f"({self.finished}/{self.groups} pairs, {mins:.0f} min) "
            print(f"{stamp} {overall}[{group}] {message}", file=sys.stderr, flush=True)


def exit_code(result: RunResult) -> int:
    if result.interrupted:
        return int(ExitCode.INTERRUPTED)
    n = len(result.groups)
    done = result.count(G_DONE)
    if n == 0 or done == n:
        return int(ExitCode.OK)
    if result.count(G_FAILED) == n:
        return int(ExitCode.FAILURE)
    return int(ExitCode.PARTIAL)


def _summary(run: str, result: RunResult) -> None:
    for g in result.groups:
        extra = f" at {g.step}" if g.step and g.status != G_DONE else ""
        err = f": {g.error}" if g.error else ""
        typer.echo(f"{g.name}: {g.status}{extra}{err}")
    counts = {s: result.count(s) for s in sorted({g.status for g in result.groups})}
    typer.echo("run " + run + ": " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if any(g.window for g in result.groups) and not result.interrupted:
        typer.echo(resume_hint(run, result.window_spec))
    elif result.interrupted or any(g.status != G_DONE for g in result.groups):
        typer.echo(f"resume with: fwupdate resume {run}")


def _window(window: str | None, stop_time: str | None) -> tuple[float | None, str | None]:
    """The end of the window given (`--window` or `--stop-at`) and how it was given."""
    if window and stop_time:
        raise BadInputError("give --window or --stop-at, not both")
    if window:
        return window_end(window), f"--window {window}"
    if stop_time:
        return stop_at(stop_time), f"--stop-at {stop_time}"
    return None, None


def _with_signals(fn: Any) -> tuple[Any, threading.Event]:
    stop = threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        jsonlog.line("fwupdate: stopping at the next safe point (finishing the current steps); "
                     "press Ctrl-C again to abort")
        stop.set()

    if threading.current_thread() is threading.main_thread():
        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    else:
        old = {}
    try:
        return fn(stop), stop
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _confirm(yes: bool, what: str, summary: list[str] | None = None) -> None:
    """Ask before anything changes; the question comes with what the night will do."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise BadInputError(f"{what}: no terminal to confirm on; add --yes to run unattended")
    for line in summary or []:
        typer.echo(line, err=True)
    if not typer.confirm(f"{what}: this updates firmware and reboots hosts. Continue?"):
        # declining is a choice, not an error: said in one line, exit 2 as documented
        jsonlog.line(f"fwupdate: {what}: not started (declined at the confirmation)",
                     level="info", event="declined")
        raise typer.Exit(int(ExitCode.BAD_INPUT))


def _night_summary(plan: Plan, end: float | None) -> list[str]:
    """What the confirmation shows: pairs, reboots, failovers, durations, the window."""
    lines = summary_lines(plan)
    if end is not None:
        lines.append("window ends " + time.strftime("%Y-%m-%d %H:%M", time.localtime(end)))
    return lines


def _header(path: Path, end: float | None) -> None:
    """The first line of a night: which run, where its journal is, when the window ends."""
    until = time.strftime("%H:%M", time.localtime(end)) if end is not None else "none"
    jsonlog.line(f"run {path.stem}: journal {path}; window ends {until}", level="info",
                 event="run_header", run=path.stem)


def run(
    plan_file: Annotated[Path, typer.Argument(help="Plan file written by `fwupdate plan --out`.")],
    fleet_file: Annotated[Path, typer.Argument(help="The fleet file the plan was made for.")],
    repo: Annotated[Path | None, typer.Option(
        "--repo", help="Repository folder holding the plan's packages (default: the folder "
                       "of the plan's catalog).")] = None,
    lm_image: Annotated[Path | None, typer.Option(
        "--lm-image", help="LoadMaster patch file (default: the plan's, beside the plan).")] = None,
    runs_dir: RunsDir = RUNS_DIR,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Name of the run.")] = None,
    resume_run: Annotated[str | None, typer.Option(
        "--resume", help="Resume this run instead (same as `fwupdate resume RUN`).")] = None,
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", min=1, max=256, help="Pairs at a time (default: the plan's).")] = None,
    max_failures: Annotated[int | None, typer.Option(
        "--max-failures", min=0,
        help="Stop starting pairs once more than this many failed.")] = None,
    window: Window = None,
    stop_time: StopAt = None,
    time_scale: TimeScale = 1.0,
    serve_address: Annotated[str, typer.Option(
        "--serve-address", help="Address of this host the iDRACs can reach (file server for "
                                "WS-Man installs).")] = "127.0.0.1",
    dry: Annotated[bool, typer.Option(
        "--dry-run", help="Walk the plan against live inventory; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="Do not verify device TLS certificates.")] = False,
    lm_min_interval: Annotated[float, typer.Option(
        "--lm-min-interval", min=0.0,
        help="Real seconds between LoadMaster API calls per unit (Kemp drops connections "
             "past 30 calls in 3 s; lower only against a simulator with its limit off).")] = 0.25,
    no_lm_rollback: Annotated[bool, typer.Option(
        "--no-lm-rollback",
        help="Leave a LoadMaster that came back on the new image but failed its checks as it "
             "is (default: restore its previous image, then stop the pair).")] = False,
    metrics_file: MetricsFile = None,
    progress: Progress = ProgressMode.auto,
) -> None:
    """Run a plan overnight: every pair updated one node at a time, journaled, resumable."""
    if stop_time and window and userconfig.from_defaults("window"):
        window = None  # a --stop-at flag beats the configured window (flag > env > config)
    end, spec = _window(window, stop_time)
    if resume_run:
        _resume(resume_run, runs_dir, None, yes, time_scale if time_scale != 1.0 else None,
                (end, spec) if spec else None, metrics_file, progress)
        return
    req = RunRequest(
        plan_file=plan_file, fleet_file=fleet_file, repo=repo, lm_image=lm_image,
        runs_dir=runs_dir, run_id=run_id, concurrency=concurrency, max_failures=max_failures,
        window_end=end, window_spec=spec, time_scale=time_scale, serve_address=serve_address,
        insecure=insecure, lm_min_interval=lm_min_interval, lm_rollback=not no_lm_rollback,
        metrics_file=metrics_file,
    )
    if dry:
        rows = app_run.dry_run(req)
        emit(OutputFormat.table, document={"checks": rows}, rows=rows,
             columns=["group", "node", "check", "ok", "detail"], title="Dry run")
        raise typer.Exit(0 if all(r["ok"] for r in rows) else int(ExitCode.PARTIAL))
    plan = app_run.load_plan(plan_file)
    # on the confirmation here; the run's first progress line repeats it (session.start)
    notice = SignatureCheck.for_plan(plan).notice()
    _confirm(yes, f"run {plan_file}" + (f" ({notice})" if notice else ""),
             _night_summary(plan, end))
    log = live_view.for_night(progress, _Log(len(plan.groups)), plan, run=run_id,
                              time_scale=time_scale, window_end=end)

    def journal_made(p: Path) -> None:
        _header(p, end)
        live_view.named(log, p.stem)

    def go(stop: threading.Event) -> app_run.RunOutcome:
        return app_run.start(req, progress=log, stop=stop, on_journal=journal_made)

    with live_view.drawn(log):
        outcome, _ = _with_signals(go)
    _summary(outcome.run_id, outcome.result)
    typer.echo(f"journal: {outcome.journal}")
    raise typer.Exit(exit_code(outcome.result))


def _resume(ref: str, runs_dir: Path, fleet: Path | None, yes: bool,
            time_scale: float | None,
            new_window: tuple[float | None, str | None] | None = None,
            metrics_file: Path | None = None,
            progress: ProgressMode = ProgressMode.auto) -> None:
    req = ResumeRequest(run=ref, runs_dir=runs_dir, fleet_file=fleet, time_scale=time_scale,
                        window=new_window, metrics_file=metrics_file)
    target = app_run.resume_target(req)  # what the resumed night is about, for the prompt
    end = target.window_end
    _confirm(yes, f"resume {target.journal.stem}", _night_summary(target.plan, end))
    _header(target.journal, end)
    log = live_view.for_night(  # plain: the "(n/N pairs, min)" prefix on a terminal, as in run
        progress, _Log(len(target.plan.groups)), target.plan, time_scale=target.time_scale,
        window_end=end, run=target.journal.stem, done=list(target.done_pairs))
    with live_view.drawn(log):
        outcome, _ = _with_signals(
            lambda stop: app_run.resume(req, target, progress=log, stop=stop))
    _summary(outcome.run_id, outcome.result)
    typer.echo(f"journal: {outcome.journal}")
    raise typer.Exit(exit_code(outcome.result))


def resume(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id or journal file.")],
    runs_dir: RunsDir = RUNS_DIR,
    fleet_file: Annotated[Path | None, typer.Option(
        "--fleet", help="Fleet file (default: the one the run started with).")] = None,
    time_scale: Annotated[float | None, typer.Option(
        "--time-scale", min=0.001, help="Override the run's time-scale (rehearsals).")] = None,
    window: Window = None,
    stop_time: StopAt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    metrics_file: MetricsFile = None,
    progress: Progress = ProgressMode.auto,
) -> None:
    """Continue a run: in-flight steps first ask the device what happened; nothing done twice.
    A run the window stopped continues on a later night with a new --window / --stop-at."""
    end, spec = _window(window, stop_time)
    _resume(run_ref, runs_dir, fleet_file, yes, time_scale, (end, spec) if spec else None,
            metrics_file, progress)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("resume")(resume)
