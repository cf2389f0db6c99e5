"""One chaos night: a random fleet, random faults (at the start, at a wall time or on a device
event), `fwupdate run` in a subprocess killed (SIGKILL/SIGTERM) at random moments, operator
mistakes, then resume to the end -- and the independent checker's verdicts.

Everything random comes from one `random.Random(f"{seed}:{night}")`, so a night is reproduced
by its seed and number (`python -m fwupdate.chaos --seed S --night N`).  Timing under load can
still change where a kill lands; the draws themselves do not change.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fwupdate.app.plan import PlanRequest, make_plan
from fwupdate.app.report import ReportRequest, run_report
from fwupdate.chaos.inputs import KINDS, CampaignInputs, fleet_spec
from fwupdate.chaos.outcomes import FaultSeen, judge, pair_of
from fwupdate.check import Verdict, check_night, evidence, read_journal
from fwupdate.errors import BadInputError, ExitCode, FwupdateError
from fwupdate.sim.fleet import SimulatedFleet
from fwupdate.sim.hooks import EventHooks, inject

ROOT = Path(__file__).resolve().parents[2]
LM_PACE = "0.02"  # LoadMaster call pacing: the simulated units' rate limit is off
PROC_TIMEOUT = 240.0  # real seconds one run/resume process may take before it is called hung
MAX_FINAL_RESUMES = 3
NEWEST_IDRAC = "iDRAC-with-Lifecycle-Controller_Firmware_*_WN64_2.65.65.65_*.EXE"
# journal notes (docs/running.md "The journal"): a process starts, its end check begins
SESSION_NOTES = ("run-start", "resume")
END_CHECK_NOTE = "end-check"

IDRAC_FAULTS: tuple[tuple[str, str | None], ...] = (
    ("busy", "3"), ("task-vanish", None), ("slow-return", "200"), ("job-fail", "RED007,1"),
    ("lc-busy", "LC068,1"), ("drop", "2"), ("stuck-scheduled", None), ("never-return", None),
)  # fmt: skip
LM_UNIT_FAULTS: tuple[tuple[str, str | None], ...] = (
    ("patch-refused", None), ("never-returns", None), ("old-version", None),
    ("split-after-reboot", None), ("secret-mismatch", None), ("vs-down-when-active", "1"),
    ("vs-down-after-patch", "1"),
)  # fmt: skip
PAIR_FAULTS: tuple[tuple[str, str | None], ...] = (("vs-down", "1"), ("vs-down", "2"),
                                                   ("split", None))  # fmt: skip
# device events a fault can be hung on: (event, device kind, extra match)
IDRAC_TRIGGERS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("job_created", {}), ("host_power", {"state": "off"}), ("host_power", {"state": "on"}),
    ("reachability", {"reachable": True}), ("flashed", {}), ("job_state", {"state": "Scheduled"}),
)  # fmt: skip
LM_TRIGGERS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("lm.stopping", {}), ("lm.down", {}), ("lm.up", {}), ("lm.installpatch", {}),
)
# progress lines to kill at (the narrow windows of issue 11 among them)
NARROW_LINES = ("handing the Active role", "rebooting the host", "installing ")
KILL_LINES = ("handing the Active role", "rebooting the host", "installing ", "host_reboot",
              "idrac_update", "firmware_stage", "lm_stage", "precheck",
              "waiting for the iDRAC to restart", "verify")  # fmt: skip


@dataclass(frozen=True)
class FaultPlan:
    target: str  # iDRAC device, LoadMaster unit or pair
    kind: str
    arg: str | None
    when: str  # "start", "wall", or a device event name
    on_device: str | None = None
    match: tuple[tuple[str, Any], ...] = ()
    delay: float = 0.0  # "wall": real seconds after the run starts

    def text(self) -> str:
        what = f"{self.target}:{self.kind}" + (f"={self.arg}" if self.arg else "")
        if self.when == "start":
            return f"{what} at start"
        if self.when == "wall":
            return f"{what} after {self.delay:.1f} s"
        cond = "".join(f" {k}={v}" for k, v in self.match)
        return f"{what} on {self.on_device} {self.when}{cond}"


@dataclass(frozen=True)
class KillPlan:
    sig: str  # KILL | TERM
    at_line: str | None  # kill after this progress line ...
    delay: float  # ... plus this many seconds (or this long after the process started)
    then: str  # resume | rerun (mistake: a fresh run) | wal (mistake: WAL removed, then resume)


@dataclass(frozen=True)
class NightPlan:
    seed: int
    night: int
    pairs: tuple[str, ...]
    active_b: frozenset[str]
    faults: tuple[FaultPlan, ...]
    kills: tuple[KillPlan, ...]
    swap: tuple[str, str] | None  # mistake: these nodes' iDRAC URLs swapped in the fleet file
    window_s: float | None  # --stop-at this many real seconds after the start
    update_self: str | None = None  # mistake: `idrac update-self` of the newest image here first

    @property
    def label(self) -> str:
        return f"seed {self.seed} night {self.night}"

    def mistakes(self) -> list[str]:
        out = [f"swapped iDRAC URLs {self.swap[0]}/{self.swap[1]}"] if self.swap else []
        if self.update_self:
            out.append(f"update-self of the newest iDRAC image on {self.update_self}")
        out += ["fresh run instead of resume" for k in self.kills if k.then == "rerun"]
        out += ["journal WAL removed before resume" for k in self.kills if k.then == "wal"]
        return out


@dataclass
class NightResult:
    plan: NightPlan
    verdicts: tuple[Verdict, ...] = ()
    kills: int = 0
    terms: int = 0
    exits: list[int] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)  # the operator mistakes actually made
    faults_fired: int = 0
    hung: bool = False
    error: str | None = None
    seconds: float = 0.0
    outcomes: list[str] = field(default_factory=list)  # pairs not ended as their faults document
    late_faults: list[str] = field(default_factory=list)  # wall faults due after the run's end
    judged: int = 0  # pairs whose end was judged against the outcome table
    crashes: list[int] = field(default_factory=list)  # processes that died of a signal not sent

    @property
    def violations(self) -> int:
        return sum(len(v.violations) for v in self.verdicts) + len(self.outcomes)


# --- drawing a night ----------------------------------------------------------------------------


def _nodes(pairs: tuple[str, ...]) -> list[str]:
    return [f"{p.replace('pair-', 'lb')}{x}" for p in pairs for x in "ab"]


def _draw_fault(rng: random.Random, pairs: tuple[str, ...]) -> FaultPlan:
    node = rng.choice(_nodes(pairs))
    pair = next(p for p in pairs if node.startswith(p.replace("pair-", "lb")))
    family = rng.choices(("idrac", "lm", "pair"), weights=(5, 4, 2))[0]
    if family == "idrac":
        target = f"{node}-idrac"
        kind, arg = rng.choice(IDRAC_FAULTS)
    elif family == "lm":
        target = f"{node}-lm"
        kind, arg = rng.choice(LM_UNIT_FAULTS)
    else:
        target = pair
        kind, arg = rng.choice(PAIR_FAULTS)
    when = rng.choices(("start", "wall", "event"), weights=(2, 3, 5))[0]
    if when == "start":
        return FaultPlan(target, kind, arg, "start")
    if when == "wall":
        return FaultPlan(target, kind, arg, "wall", delay=rng.uniform(0.5, 8.0))
    on = rng.choice(_nodes(pairs))
    if rng.random() < 0.6:
        event, match = rng.choice(IDRAC_TRIGGERS)
        device = f"{on}-idrac"
    else:
        event, match = rng.choice(LM_TRIGGERS)
        device = f"{on}-lm"
    return FaultPlan(target, kind, arg, event, device, tuple(sorted(match.items())))


def _draw_kill(rng: random.Random) -> KillPlan:
    sig = "KILL" if rng.random() < 0.8 else "TERM"
    then = rng.choices(("resume", "rerun", "wal"), weights=(7, 1.5, 1.5))[0]
    if rng.random() < 0.6:
        line = rng.choice(KILL_LINES)
        # the narrow windows (a note journaled, the device call not yet sent) last milliseconds
        delay = rng.uniform(0.0, 0.06) if line in NARROW_LINES else rng.uniform(0.0, 0.4)
        return KillPlan(sig, line, delay, then)
    return KillPlan(sig, None, rng.uniform(0.5, 6.0), then)


def draw_night(seed: int, night: int, *, kinds: tuple[str, ...] = tuple(KINDS),
               max_pairs: int = 3, intensity: int = 1) -> NightPlan:  # fmt: skip
    """One night's draw, reproducible from (seed, night, intensity). `intensity` K draws the
    number of faults and of kills K times and adds them up (a harsher night, same kinds)."""
    rng = random.Random(f"{seed}:{night}" if intensity == 1 else f"{seed}:{night}:x{intensity}")
    pairs = tuple(sorted(rng.sample(kinds, rng.randint(1, min(max_pairs, len(kinds))))))
    active_b = frozenset(p for p in pairs if rng.random() < 0.3)
    n_faults = sum(rng.choice((0, 1, 1, 2, 3)) for _ in range(intensity))
    faults = tuple(_draw_fault(rng, pairs) for _ in range(n_faults))
    n_kills = sum(rng.choice((0, 1, 2, 2, 3, 4)) for _ in range(intensity))
    kills = tuple(_draw_kill(rng) for _ in range(n_kills))
    swap = None
    if rng.random() < 0.1:
        a, b = rng.sample(_nodes(pairs), 2)
        swap = (a, b)
    window_s = rng.uniform(6.0, 30.0) if rng.random() < 0.15 else None
    update_self = None
    if "pair-1" in pairs and rng.random() < 0.3:  # the 1.57 pair: the image skips two stones
        update_self = rng.choice(("lb1a", "lb1b"))
    return NightPlan(seed, night, pairs, active_b, faults, kills, swap, window_s, update_self)


# --- running it ---------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                     else "")  # fmt: skip
    return env


def run_has_ended(journal: Path) -> bool:
    """The run's last process has begun its end check (an `end-check` note after its
    `run-start`/`resume` note): it looks at no device after that.  Read-only, live (the
    process may still be writing): never a checkpoint, never a change to the journal."""
    if not journal.is_file():
        return False
    kinds = (*SESSION_NOTES, END_CHECK_NOTE)
    try:
        with contextlib.closing(sqlite3.connect(f"{journal.resolve().as_uri()}?mode=ro", uri=True,
                                                timeout=2.0)) as conn:  # fmt: skip
            row = conn.execute("SELECT kind FROM events WHERE kind IN (?, ?, ?) "
                               "ORDER BY id DESC LIMIT 1", kinds).fetchone()  # fmt: skip
    except sqlite3.Error:
        return False
    return row is not None and row[0] == END_CHECK_NOTE


def _report_document(journal: Path) -> dict[str, Any]:
    """The run's report document as `fwupdate report --format json` prints it (JSON types)."""
    try:
        doc = run_report(ReportRequest(str(journal))).document
    except Exception:  # as the CLI's exit != 0 was: any failure is a report the checker flags
        return {"status": "unreadable"}
    report: dict[str, Any] = json.loads(json.dumps(doc, default=str))
    return report


class _Night:
    def __init__(self, plan: NightPlan, inputs: CampaignInputs, out: Path, scale: float) -> None:
        self.plan = plan
        self.inputs = inputs
        self.out = out
        self.scale = scale
        self.runs = out / "runs"
        self.log = out / "executor.log"
        self.run_id = "night"
        self.result = NightResult(plan)
        self.stop_at: float | None = None
        self.night_start: float | None = None  # just before the operator's first command
        self._timers: list[threading.Timer] = []
        self._wall_fired = 0
        self._wall_lock = threading.Lock()
        self._night_over = False  # the operator's last process has exited
        self._fired: list[FaultPlan] = []  # start and wall faults set (hooks: EventHooks.fired)
        self._hooked: dict[int, FaultPlan] = {}  # id(hook) -> its fault
        self._hooks: EventHooks | None = None

    # processes

    def _spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as f:
            f.write(f"\n$ fwupdate {' '.join(args)}\n".encode())
            f.flush()
            return subprocess.Popen([sys.executable, "-m", "fwupdate", *args], stdout=f,
                                    stderr=f, stdin=subprocess.DEVNULL, env=_env(),
                                    cwd=self.out)  # fmt: skip

    def _run_args(self, fleet: Path, plan: Path) -> list[str]:
        args = ["run", str(plan), str(fleet), "--repo", str(self.inputs.repo), "--lm-image",
                str(self.inputs.lm_image), "--runs-dir", str(self.runs), "--run-id",
                self.run_id, "--time-scale", str(self.scale), "--lm-min-interval", LM_PACE,
                "--yes"]  # fmt: skip
        if self.stop_at is not None:
            args += ["--stop-at", datetime.fromtimestamp(self.stop_at).astimezone().isoformat()]
        return args

    def _resume(self, fleet: Path, plan: Path) -> subprocess.Popen[bytes]:
        """Resume the run; killed before its journal existed, start it again instead."""
        if not (self.runs / f"{self.run_id}.db").is_file():
            return self._spawn(self._run_args(fleet, plan))
        return self._spawn(["resume", self.run_id, "--runs-dir", str(self.runs), "--yes"])

    def _wait_line(self, proc: subprocess.Popen[bytes], offset: int, text: str | None,
                   delay: float) -> bool:  # fmt: skip
        """Wait for `text` in the log past `offset` (bounded), then `delay`; True if alive."""
        deadline = time.monotonic() + PROC_TIMEOUT / 4
        if text is not None:
            found = False
            while not found and time.monotonic() < deadline and proc.poll() is None:
                with self.log.open("rb") as f:
                    f.seek(offset)
                    found = text.encode() in f.read()
                if not found:
                    time.sleep(0.005)
            if not found:
                return False
        time.sleep(delay)
        return proc.poll() is None

    def _wait(self, proc: subprocess.Popen[bytes]) -> int:
        try:
            code = proc.wait(timeout=PROC_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.result.hung = True
            proc.kill()
            code = proc.wait(timeout=30)
        self.result.exits.append(code)
        return code

    # the night

    def _arm_faults(self, sim: SimulatedFleet, hooks: EventHooks) -> None:
        for f in self.plan.faults:
            if f.when == "start":
                inject(sim, f.target, f.kind, f.arg)
                self._fired.append(f)
            elif f.when == "wall":
                t = threading.Timer(f.delay, self._inject_later, (sim, f))
                t.daemon = True
                self._timers.append(t)
            else:
                hook = hooks.inject_when(f.when, f.on_device, f.target, f.kind, f.arg,
                                         **dict(f.match))  # fmt: skip
                self._hooked[id(hook)] = f

    def _inject_later(self, sim: SimulatedFleet, f: FaultPlan) -> None:
        """A wall fault, during the night only: not once the run's last look at the devices
        (its end check) has begun or its last process has exited -- the product cannot see
        a change after that, and the checker judges the state after the night."""
        with self._wall_lock:
            if self._night_over or run_has_ended(self.runs / f"{self.run_id}.db"):
                return  # listed by _end_night
            with contextlib.suppress(ValueError):
                inject(sim, f.target, f.kind, f.arg)
                self._wall_fired += 1
                self._fired.append(f)

    def _end_night(self) -> None:
        """The operator's last process has exited: wall faults still due are not fired; the
        night's lines name every wall fault that was not."""
        with self._wall_lock:
            self._night_over = True
            for t in self._timers:
                t.cancel()
        self.result.late_faults = [f.text() for f in self.plan.faults if f.when == "wall"
                                   and not any(f is g for g in self._fired)]  # fmt: skip

    def _fleet_file(self, sim: SimulatedFleet) -> tuple[Path, Path]:
        """(the fleet the plan is made from, the fleet the operator runs with)."""
        good = sim.write_fleet_file(self.out / "fleet.toml")
        if self.plan.swap is None:
            return good, good
        self.result.mistakes.append(f"swapped iDRAC URLs of {' and '.join(self.plan.swap)}")
        a, b = (sim.device(f"{n}-idrac").url for n in self.plan.swap)
        text = good.read_text(encoding="utf-8")
        text = text.replace(a, "\0").replace(b, a).replace("\0", b)
        bad = self.out / "fleet-swapped.toml"
        bad.write_text(text, encoding="utf-8")
        for suffix in ("idrac-password", "lm-password"):
            src = self.out / f"fleet.{suffix}"
            dst = self.out / f"fleet-swapped.{suffix}"
            dst.write_bytes(src.read_bytes())
            dst.chmod(0o600)
        bad.write_text(text.replace("fleet.idrac-password", "fleet-swapped.idrac-password")
                       .replace("fleet.lm-password", "fleet-swapped.lm-password"),
                       encoding="utf-8")  # fmt: skip
        return good, bad

    def _make_plan(self, fleet: Path) -> Path:
        path = self.out / "plan.json"
        try:
            made = make_plan(PlanRequest(fleet, str(self.inputs.catalog), self.inputs.bundle,
                                         lm_image=self.inputs.lm_image, out=path))
        except FwupdateError as exc:
            raise RuntimeError(f"plan failed (exit {int(exc.exit_code)}): {exc}") from None
        if made.unreadable:
            raise RuntimeError(f"plan failed (exit {int(ExitCode.PARTIAL)})")
        return path

    def _update_self(self, fleet: Path) -> None:
        """The operator's mistake before the night: the newest iDRAC image sent by hand."""
        node = self.plan.update_self
        image = next(iter(sorted(self.inputs.repo.glob(NEWEST_IDRAC))), None)
        if node is None or image is None:
            return
        proc = self._spawn(["idrac", "update-self", str(fleet), node, "--image", str(image),
                            "--time-scale", str(self.scale)])  # fmt: skip
        self.result.mistakes.append(f"update-self of {image.name} on {node}")
        self._wait(proc)

    def _operate(self, fleet: Path, plan: Path) -> None:
        """Run, kill, make the drawn mistakes, resume to the end."""
        proc = self._spawn(self._run_args(fleet, plan))
        for t in self._timers:
            t.start()
        for k in self.plan.kills:
            offset = self.log.stat().st_size if k.at_line else 0
            if not self._wait_line(proc, offset, k.at_line, k.delay):
                break
            proc.send_signal(signal.SIGKILL if k.sig == "KILL" else signal.SIGTERM)
            if k.sig == "KILL":
                self.result.kills += 1
            else:
                self.result.terms += 1
            self._wait(proc)
            proc = self._after_kill(k, fleet, plan)
        code = self._wait(proc)
        for _ in range(MAX_FINAL_RESUMES):
            if code == 2 and not self._journal_readable():
                # the WAL held everything (killed right after the journal was created): resume
                # refuses, so the operator can only start the plan again under a new run id
                self.run_id = f"night-fresh{len(self.result.exits)}"
                self.result.mistakes.append("lost journal: fresh run")
                code = self._wait(self._spawn(self._run_args(fleet, plan)))
                continue
            if code < 0 and code not in (-signal.SIGKILL, -signal.SIGTERM):
                # died of a signal nobody sent (seed 505 --intensity 3 night 17: SIGSEGV): a
                # finding of its own; the operator resumes as after any crash
                self.result.crashes.append(code)
            elif code not in (130, -signal.SIGKILL, -signal.SIGTERM) or self.result.hung:
                break
            code = self._wait(self._resume(fleet, plan))

    def _journal_readable(self) -> bool:
        try:
            read_journal(self.runs / f"{self.run_id}.db")
        except BadInputError:
            return False
        return True

    def _after_kill(self, k: KillPlan, fleet: Path, plan: Path) -> subprocess.Popen[bytes]:
        if k.then == "rerun":
            self.run_id = f"night-rerun{len(self.result.exits)}"
            self.result.mistakes.append("fresh run instead of resume")
            return self._spawn(self._run_args(fleet, plan))
        if k.then == "wal":
            self.result.mistakes.append("journal WAL removed before resume")
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    (self.runs / f"{self.run_id}.db{suffix}").unlink()
        return self._resume(fleet, plan)

    def _judge(self, sim: SimulatedFleet) -> None:
        journal = self.runs / f"{self.run_id}.db"
        if not journal.is_file():
            self.result.error = f"no journal {journal.name} (exits {self.result.exits})"
            return
        report = _report_document(journal)
        ev = evidence(read_journal(journal), sim_events=sim.events.records(),
                      sim_state=sim.state_dump(), report=report, window_end=self.stop_at,
                      label=self.plan.label, night_start=self.night_start)  # fmt: skip
        self.result.verdicts = check_night(ev)
        self._outcomes(sim, report)

    def _outcomes(self, sim: SimulatedFleet, report: dict[str, Any]) -> None:
        """Every fault must end in its documented outcome (fwupdate/chaos/outcomes.py)."""
        excluded: set[str] = set()
        if self.plan.window_s is not None or self.result.hung:
            excluded = set(self.plan.pairs)
        if self.plan.swap:
            excluded |= {pair_of(n) for n in self.plan.swap}
        hooked = self._hooks.fired if self._hooks is not None else []
        fired = self._fired + [self._hooked[id(h)] for h, _seq in hooked
                               if id(h) in self._hooked]  # fmt: skip
        seen = [FaultSeen(f.target, f.kind, f.arg) for f in fired]
        self.result.judged = len(set(self.plan.pairs) - excluded)
        rerun = any(m.startswith(("lost journal", "fresh run", "journal WAL removed"))
                    for m in self.result.mistakes)
        lost = any(m.startswith(("lost journal", "journal WAL removed"))
                   for m in self.result.mistakes)
        self.result.outcomes = judge(seen, self.plan.pairs, excluded, sim.events.records(),
                                     sim.state_dump(), report, rerun=rerun,
                                     journal_lost=lost)  # fmt: skip

    def run(self) -> NightResult:
        t0 = time.monotonic()
        spec = fleet_spec(self.plan.pairs, active_b=self.plan.active_b)
        with SimulatedFleet(spec, workdir=self.out / "sim", time_scale=self.scale,
                            event_log=self.out / "events.jsonl") as sim:  # fmt: skip
            hooks = self._hooks = EventHooks(sim)
            try:
                good, used = self._fleet_file(sim)
                plan = self._make_plan(good)
                self._arm_faults(sim, hooks)
                self.night_start = time.time()
                self._update_self(used)
                if self.plan.window_s is not None:
                    self.stop_at = time.time() + self.plan.window_s
                self._operate(used, plan)
                self._end_night()
                self._judge(sim)
                sim.write_state_dump(self.out / "sim-state.json")
            except Exception as exc:  # one broken night must not end a campaign
                self.result.error = f"{type(exc).__name__}: {exc}"
            finally:
                for t in self._timers:
                    t.cancel()
            self.result.faults_fired = (
                sum(1 for f in self.plan.faults if f.when == "start")
                + self._wall_fired
                + len(hooks.fired)
            )
        self.result.seconds = time.monotonic() - t0
        return self.result


def run_night(plan: NightPlan, inputs: CampaignInputs, out: Path, *,
              scale: float = 400.0) -> NightResult:  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    return _Night(plan, inputs, out, scale).run()
