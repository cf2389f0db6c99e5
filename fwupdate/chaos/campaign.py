"""A seeded campaign of chaos nights and its figures (nights, kills, faults, operator mistakes,
violations per invariant, wall time)."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fwupdate.chaos.inputs import build_inputs
from fwupdate.chaos.night import NightResult, draw_night, run_night
from fwupdate.check import INVARIANTS

Say = Callable[[str], None]
MISTAKE_KINDS = {"update-self": "update-self skipping stones", "swapped": "swapped iDRAC URLs",
                 "fresh": "fresh run instead of resume", "journal": "journal WAL removed",
                 "lost": "lost journal, fresh run"}


@dataclass
class Figures:
    seed: int
    intensity: int = 1
    crashes: list[tuple[int, int]] = field(default_factory=list)  # (night, exit code)
    nights: int = 0
    kills: int = 0
    terms: int = 0
    faults_drawn: int = 0
    faults_fired: int = 0
    mistakes: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)  # per invariant
    nights_with: Counter[str] = field(default_factory=Counter)  # nights failing each invariant
    failing_nights: list[int] = field(default_factory=list)
    broken_nights: list[int] = field(default_factory=list)  # the night itself could not run
    hung: int = 0
    seconds: float = 0.0
    outcomes_judged: int = 0  # pairs judged against the fault outcome table
    outcome_misses: int = 0  # ... that did not end as documented
    outcome_nights: list[int] = field(default_factory=list)

    def add(self, r: NightResult) -> None:
        self.nights += 1
        self.kills += r.kills
        self.terms += r.terms
        self.faults_drawn += len(r.plan.faults)
        self.faults_fired += r.faults_fired
        self.hung += int(r.hung)
        self.crashes += [(r.plan.night, c) for c in r.crashes]
        for m in r.mistakes:
            self.mistakes[MISTAKE_KINDS.get(m.split(" ")[0], m)] += 1
        for v in r.verdicts:
            if v.violations:
                self.violations[v.invariant] += len(v.violations)
                self.nights_with[v.invariant] += 1
        self.outcomes_judged += r.judged
        self.outcome_misses += len(r.outcomes)
        if r.outcomes:
            self.outcome_nights.append(r.plan.night)
        if r.violations:
            self.failing_nights.append(r.plan.night)
        if r.error:
            self.broken_nights.append(r.plan.night)

    def lines(self) -> list[str]:
        total = sum(self.violations.values())
        out = [
            f"campaign seed {self.seed}: {self.nights} nights in {self.seconds:.0f} s wall",
            f"  kills: {self.kills} SIGKILL + {self.terms} SIGTERM; faults: {self.faults_fired} "
            f"fired of {self.faults_drawn} drawn; hung processes: {self.hung}; processes dead "
            f"of a signal not sent: {len(self.crashes)}"
            + "".join(f" (night {n}: signal {-c})" for n, c in self.crashes),
            "  operator mistakes: " + (", ".join(f"{k} x{v}" for k, v in
                                                 sorted(self.mistakes.items())) or "none"),
            f"  violations: {total} in {len(self.failing_nights)} night(s)",
        ]  # fmt: skip
        for inv in INVARIANTS:
            out.append(f"    {inv}: {self.violations[inv]} violation(s) in "
                       f"{self.nights_with[inv]} night(s)")
        out.append(f"  fault outcomes: {self.outcomes_judged} pair(s) judged, "
                   f"{self.outcome_misses} not as documented in {len(self.outcome_nights)} "
                   f"night(s)")
        if self.failing_nights:
            again = f" --intensity {self.intensity}" if self.intensity != 1 else ""
            out.append(f"  failing nights (replay: --seed {self.seed}{again} --night N): "
                       + " ".join(map(str, self.failing_nights)))
        if self.broken_nights:
            out.append("  nights that could not run: " + " ".join(map(str, self.broken_nights)))
        return out


def night_lines(r: NightResult) -> list[str]:
    p = r.plan
    head = (f"[{p.label}] pairs {','.join(p.pairs)}; kills {r.kills}+{r.terms} term; faults "
            f"{r.faults_fired}/{len(p.faults)}; exits {r.exits}; {r.seconds:.1f} s; "
            f"{r.violations} violation(s)")
    out = [head]
    out += [f"[{p.label}]   fault {f.text()}" for f in p.faults]
    out += [f"[{p.label}]   kill SIG{k.sig} " + (f"after '{k.at_line}' +{k.delay:.2f} s"
            if k.at_line else f"at {k.delay:.1f} s") + f", then {k.then}" for k in p.kills]
    out += [f"[{p.label}]   fault {t}: not fired, the run had ended" for t in r.late_faults]
    out += [f"[{p.label}]   mistake made: {m}" for m in r.mistakes]
    if p.window_s is not None:
        out.append(f"[{p.label}]   window ends {p.window_s:.1f} s after the start")
    if r.error:
        out.append(f"[{p.label}]   night could not run: {r.error}")
    for v in r.verdicts:
        out += [f"[{p.label}]   VIOLATION {x.line()}" for x in v.violations]
    out += [f"[{p.label}]   OUTCOME {line}" for line in r.outcomes]
    return out


def run_campaign(seed: int, nights: int, out: Path, *, first: int = 0, scale: float = 400.0,
                 keep: bool = False, say: Say = print, intensity: int = 1) -> Figures:  # fmt: skip
    t0 = time.monotonic()
    say(f"chaos campaign: seed {seed}, nights {first}..{first + nights - 1}, time-scale "
        f"{scale:g}, intensity {intensity}, work in {out}")
    inputs = build_inputs(out / "inputs")
    figures = Figures(seed, intensity)
    for n in range(first, first + nights):
        night_dir = out / f"night-{n:04d}"
        result = run_night(draw_night(seed, n, intensity=intensity), inputs, night_dir,
                           scale=scale)
        figures.add(result)
        for line in night_lines(result):
            say(line)
        if not keep and not result.violations and not result.error:
            shutil.rmtree(night_dir, ignore_errors=True)
    figures.seconds = time.monotonic() - t0
    for line in figures.lines():
        say(line)
    return figures
