"""Use cases: run a plan (the night), walk it dry, and resume a run from its journal.
No prompts and no printing: progress goes to the `progress` callback, the caller decides what
to confirm and how to stop (`stop`, a threading.Event-like object).  docs/running.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.plan import planfile
from fwupdate.plan.models import Plan
from fwupdate.run import session
from fwupdate.run.context import ProgressFn, RunSettings
from fwupdate.run.executor import RunResult
from fwupdate.run.journal import DONE, SKIPPED, Journal

RUNS_DIR = Path("fwupdate-runs")


def _no_progress(_group: str, _message: str) -> None:
    """Progress nobody listens to."""


@dataclass(frozen=True)
class RunRequest:
    plan_file: Path
    fleet_file: Path
    repo: Path | None = None  # default: the folder of the plan's catalog
    lm_image: Path | None = None  # default: the plan's, beside the plan
    runs_dir: Path = RUNS_DIR
    run_id: str | None = None
    concurrency: int | None = None  # default: the plan's
    max_failures: int | None = None
    window_end: float | None = None  # epoch seconds
    window_spec: str | None = None  # how the window was given ("--window 21:00-05:30")
    time_scale: float = 1.0
    serve_address: str = "127.0.0.1"
    insecure: bool = False
    lm_min_interval: float = 0.25
    lm_rollback: bool = True
    metrics_file: Path | None = None


@dataclass(frozen=True)
class RunOutcome:
    journal: Path
    result: RunResult

    @property
    def run_id(self) -> str:
        return self.journal.stem


@dataclass(frozen=True)
class ResumeRequest:
    run: str  # run id or journal file
    runs_dir: Path = RUNS_DIR
    fleet_file: Path | None = None  # default: the one the run started with
    time_scale: float | None = None  # None: the run's
    window: tuple[float | None, str | None] | None = None  # a new (end, spec); None: the run's
    metrics_file: Path | None = None


@dataclass(frozen=True)
class ResumeTarget:
    """The run to resume, as read from its journal before anything runs."""

    journal: Path
    plan: Plan
    window_end: float | None
    time_scale: float  # the override, else the run's
    done_pairs: tuple[str, ...]  # groups whose every step is done or skipped already


def load_plan(path: Path) -> Plan:
    return session.load_plan(path)[0]


def settings(req: RunRequest, plan: Plan, *, dry_run: bool = False) -> RunSettings:
    return RunSettings(
        time_scale=req.time_scale,
        concurrency=req.concurrency or plan.schedule.concurrency or 8,
        max_failures=req.max_failures,
        window_end=req.window_end,
        window_spec=req.window_spec,
        serve_address=req.serve_address,
        insecure=req.insecure,
        dry_run=dry_run,
        lm_min_interval=req.lm_min_interval,
        lm_rollback=req.lm_rollback,
        metrics_file=str(req.metrics_file.resolve()) if req.metrics_file else None,
    )


def dry_run(req: RunRequest) -> list[dict[str, Any]]:
    """The plan walked against live inventory; nothing changes.  One row per check."""
    from fwupdate.run.dryrun import dry_run as walk

    cfg = settings(req, load_plan(req.plan_file), dry_run=True)
    return walk(req.plan_file, req.fleet_file, cfg, repo=req.repo, lm_image=req.lm_image)


def start(req: RunRequest, *, progress: ProgressFn = _no_progress, stop: Any = None,
          on_journal: Callable[[Path], None] | None = None) -> RunOutcome:
    """Run the plan: a new journal under `runs_dir`, every group to its end (or the window's,
    or `stop`)."""
    cfg = settings(req, load_plan(req.plan_file))
    path, result = session.start(
        req.plan_file, req.fleet_file, runs_dir=req.runs_dir, settings=cfg, repo=req.repo,
        lm_image=req.lm_image, run_id=req.run_id, progress=progress, stop=stop,
        on_journal=on_journal or (lambda _p: None),
    )
    return RunOutcome(path, result)


def resume_target(req: ResumeRequest) -> ResumeTarget:
    path = session.resolve_run(req.run, req.runs_dir)
    with Journal.open(path) as journal:
        plan = planfile.loads(json.dumps(journal.plan))
        settings_doc = journal.options.get("settings", {})
        end = settings_doc.get("window_end")
        scale = req.time_scale or settings_doc.get("time_scale") or 1.0
        done = done_pairs(plan, journal)
    if req.window is not None:
        end = req.window[0]
    return ResumeTarget(path, plan, end, float(scale), tuple(done))


def done_pairs(plan: Plan, journal: Journal) -> list[str]:
    """The groups whose every step the journal has done or skipped."""
    finished = {r.step_id for r in journal.steps() if r.state in (DONE, SKIPPED)}
    return [g.name for g in plan.groups if all(s.step_id in finished for s in g.steps)]


def resume(req: ResumeRequest, target: ResumeTarget | None = None, *,
           progress: ProgressFn = _no_progress, stop: Any = None) -> RunOutcome:
    """Continue the run: in-flight steps first ask the device what happened."""
    t = target or resume_target(req)
    overrides: dict[str, Any] = {"time_scale": req.time_scale} if req.time_scale else {}
    if req.window is not None:
        overrides.update(window_end=req.window[0], window_spec=req.window[1])
    if req.metrics_file:
        overrides["metrics_file"] = str(req.metrics_file.resolve())
    result = session.resume(t.journal, fleet_path=req.fleet_file, progress=progress, stop=stop,
                            overrides=overrides)  # fmt: skip
    return RunOutcome(t.journal, result)
