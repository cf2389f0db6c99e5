"""Starting and resuming a run: plan file + fleet file in, journal out.

`start(...)` checks everything that can be checked before the night (plan integrity, fleet
match, every package present with its planned MD5/size), creates the journal (0600) and runs.
`resume(journal_path, ...)` reopens the journal and runs what is not done, each in-flight step
first asking its device what happened."""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fwupdate.errors import BadInputError, ConfigError, PlanError
from fwupdate.fileserver import FileServer
from fwupdate.fleet.loader import load_fleet
from fwupdate.fleet.models import Fleet
from fwupdate.inputfile import read_regular
from fwupdate.logsafe import mask_argv
from fwupdate.plan import planfile, planfile_check
from fwupdate.plan.models import Plan
from fwupdate.run import runlock, window
from fwupdate.run.context import ProgressFn, RunContext, RunSettings
from fwupdate.run.executor import Executor, RunResult, journal_steps
from fwupdate.run.journal import RESUME, RUN_START, Journal
from fwupdate.run.observing import build_observer
from fwupdate.run.packages import PackageStore, SignatureCheck


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def load_plan(path: Path) -> tuple[Plan, dict[str, Any]]:
    data = read_regular(path, max_bytes=planfile_check.MAX_PLAN_BYTES, what="plan file")
    try:
        plan = planfile.loads(data)
    except PlanError as exc:
        raise PlanError(f"{path}: {exc.message}") from None
    return plan, planfile_check.decode(data)


def default_repo(plan: Plan, plan_path: Path) -> Path | None:
    src = plan.inputs.catalog_source
    if "://" in src:
        return None
    for p in (Path(src), plan_path.parent / src):
        if p.is_dir():
            return p
        if p.is_file():
            return p.parent
    return None


def default_lm_image(plan: Plan, plan_path: Path) -> Path | None:
    name = plan.inputs.lm_image_file
    if not name:
        return None
    for p in (Path(name), plan_path.parent / name):
        if p.is_file():
            return p
    return None


def check_kinds(plan: Plan) -> None:
    """Refuse, before the night, a plan with steps this executor cannot run."""
    from fwupdate.run.executor import HANDLERS

    missing = sorted({s.kind.value for s in plan.steps() if s.kind not in HANDLERS})
    if missing:
        raise BadInputError(
            "the plan has steps this executor cannot run yet: " + ", ".join(missing)
            + " (re-plan without them, e.g. --skip cpld or [delivery] mode = push)"
        )


def check_fleet(plan: Plan, fleet: Fleet) -> None:
    names = {n.name for n in fleet.nodes()}
    pairs = {p.name: {n.name for n in p.nodes} for p in fleet.pairs}
    for g in plan.groups:
        for n in g.nodes:
            if n.name not in names:
                raise ConfigError(f"node {n.name} of the plan is not in the fleet file")
        if not g.standalone and (g.name not in pairs or pairs[g.name] != {n.name for n in g.nodes}):
            raise ConfigError(f"pair {g.name} of the plan does not match the fleet file")


def _settings_doc(s: RunSettings) -> dict[str, Any]:
    return {k: v for k, v in asdict(s).items()}


def execute(
    journal: Journal,
    plan: Plan,
    fleet: Fleet,
    store: PackageStore,
    settings: RunSettings,
    *,
    progress: ProgressFn,
    stop: Any = None,
    resumed: bool = False,
) -> RunResult:
    observer = build_observer(plan, fleet, journal, settings.metrics_file, resumed=resumed)
    files = FileServer(settings.serve_address)
    files.start()
    ctx = RunContext(plan, fleet, journal, store, settings, files=files, progress=progress,
                     observer=observer)
    if stop is not None:
        ctx.stop = stop
    journal.set_status("running")
    try:
        result = Executor(ctx).run()
    finally:
        files.stop()
        store.close()
        observer.close()  # idempotent: sinks drained even when the executor failed
    journal.set_status("interrupted" if result.interrupted else "finished")
    journal.set_meta("finished_at", repr(time.time()))
    return result


def prepare(
    plan_path: Path,
    fleet_path: Path,
    *,
    repo: Path | None,
    lm_image: Path | None,
) -> tuple[Plan, dict[str, Any], Fleet, PackageStore, Path | None, Path | None]:
    plan, doc = load_plan(plan_path)
    fleet = load_fleet(fleet_path)
    check_fleet(plan, fleet)
    check_kinds(plan)
    repo = repo or default_repo(plan, plan_path)
    lm_image = lm_image or default_lm_image(plan, plan_path)
    store = PackageStore(repo, lm_image, SignatureCheck.for_plan(plan))
    store.check_all(plan.steps())
    return plan, doc, fleet, store, repo, lm_image


def start(
    plan_path: Path,
    fleet_path: Path,
    *,
    runs_dir: Path,
    settings: RunSettings,
    repo: Path | None = None,
    lm_image: Path | None = None,
    run_id: str | None = None,
    progress: ProgressFn = lambda _g, _m: None,
    stop: Any = None,
    on_journal: Callable[[Path], None] = lambda _p: None,
) -> tuple[Path, RunResult]:
    plan, doc, fleet, store, repo, lm_image = prepare(plan_path, fleet_path, repo=repo,
                                                      lm_image=lm_image)
    rid = run_id or new_run_id()
    path = runs_dir / f"{rid}.db"
    options = {
        "plan_file": str(plan_path.resolve()),
        "fleet": str(fleet_path.resolve()),
        "repo": str(repo.resolve()) if repo else None,
        "lm_image": str(lm_image.resolve()) if lm_image else None,
        "settings": _settings_doc(settings),
        "started_at": time.time(),
        "signatures": SignatureCheck.for_plan(plan).as_dict(),
    }
    journal = Journal.create(path, run_id=rid, plan=doc, steps=journal_steps(plan),
                             options=options)
    del doc  # the plan file's JSON data (4 MB at 50 pairs): journaled, not needed by the run
    on_journal(path)
    notice = SignatureCheck.for_plan(plan).notice()
    if notice:  # loud, and only once the plan, the fleet and every package were accepted
        progress("run", notice)
    with journal, runlock.hold(path):
        journal.record(None, None, RUN_START, session_note())
        return path, execute(journal, plan, fleet, store, settings, progress=progress, stop=stop)


def session_note() -> dict[str, Any]:
    """Who works on the run now (journaled at start and at each resume): time (the event's),
    pid, host and the command line with secrets masked."""
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "command": mask_argv(["fwupdate", *sys.argv[1:]])}


def resolve_run(ref: str, runs_dir: Path) -> Path:
    p = Path(ref)
    if p.is_file():
        return p
    cand = runs_dir / (ref if ref.endswith(".db") else f"{ref}.db")
    if cand.is_file():
        return cand
    raise BadInputError(f"no run journal {ref} (looked in {runs_dir})")


def _resumed_settings(journal: Journal, overrides: dict[str, Any]) -> RunSettings:
    """The run's saved settings with `overrides`.  A new window (`window_end`) is journaled and
    kept for later resumes; without one, a window that is over is refused (the pairs would only
    be deferred again): continuing on a later night needs a new window -- unless a step is in
    flight on a device (a power cycle cut, a job running): then the resume finishes only what
    is in flight (no host stays off) and stops every pair before anything new."""
    opts = journal.options
    saved = dict(opts.get("settings") or {})
    saved.update(overrides)
    settings = replace(RunSettings(), **saved)
    if "window_end" in overrides:
        journal.record(None, None, "window", {"end": settings.window_end,
                                              "spec": settings.window_spec})
        journal.set_options({**opts, "settings": _settings_doc(settings)})
    elif settings.window_end is not None and settings.window_end <= time.time() \
            and not window.any_touched(journal):
        ended = datetime.fromtimestamp(settings.window_end).astimezone()
        raise BadInputError(
            f"run {journal.run_id}: its window ended at {ended:%Y-%m-%d %H:%M}; continue it "
            "with a new one: --window HH:MM-HH:MM or --stop-at HH:MM")
    return settings


def resume(
    journal_path: Path,
    *,
    settings: RunSettings | None = None,
    fleet_path: Path | None = None,
    progress: ProgressFn = lambda _g, _m: None,
    stop: Any = None,
    overrides: dict[str, Any] | None = None,
) -> RunResult:
    journal = Journal.open(journal_path)
    with journal, runlock.hold(journal_path):  # refuses a second process on a live run
        opts = journal.options
        plan = planfile.loads(json.dumps(journal.plan))
        fleet = load_fleet(fleet_path or Path(opts["fleet"]))
        check_fleet(plan, fleet)
        store = PackageStore(Path(opts["repo"]) if opts.get("repo") else None,
                             Path(opts["lm_image"]) if opts.get("lm_image") else None,
                             SignatureCheck.for_plan(plan))
        store.check_all(plan.steps())
        if settings is None:
            settings = _resumed_settings(journal, overrides or {})
        journal.record(None, None, RESUME, session_note())
        return execute(journal, plan, fleet, store, settings, progress=progress, stop=stop,
                       resumed=True)
