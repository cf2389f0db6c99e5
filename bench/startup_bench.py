"""Start-up benchmark: `fwupdate --help` and `catalog show` on a tiny catalog against the floor
of `python -c "import typer"`, in fresh interpreters with bytecode cached (users' installs cache
it; this machine sets PYTHONDONTWRITEBYTECODE, so the children run without it).

Targets (issue: performance at the floor): each within 2.5x of the floor's median wall time and
under 40 MiB peak RSS."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from bench import REPO, BenchContext

ROUNDS = 7
RATIO = 2.5
PEAK_MIB = 40.0
CATALOG = REPO / "catalogs" / "online-sample" / "Catalog.xml"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one fresh child."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=_env(), cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"start-up child failed: {argv}")
    return wall, usage.ru_maxrss / 1024


def _median(argv: list[str], rounds: int) -> tuple[float, float]:
    _once(argv)  # warm: bytecode written, files in the page cache
    samples = [_once(argv) for _ in range(rounds)]
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def run(ctx: BenchContext) -> None:
    rounds = 3 if ctx.quick else ROUNDS
    py = sys.executable
    cases = {
        "fwupdate --help": [py, "-m", "fwupdate", "--help"],
        "fwupdate catalog show (tiny catalog)": [
            py, "-m", "fwupdate", "catalog", "show", str(CATALOG), "--model", "R320"],
    }
    # interleave the floor with the cases so that machine load hits all of them alike
    floor_samples: list[float] = []
    results: dict[str, tuple[float, float]] = {}
    for label, argv in cases.items():
        floor, _ = _median([py, "-c", "import typer"], rounds)
        floor_samples.append(floor)
        results[label] = _median(argv, rounds)
    floor = statistics.median(floor_samples)
    ctx.figure("floor: python -c 'import typer' (median)", f"{floor:.3f} s")
    for label, (wall, peak) in results.items():
        ratio = wall / floor
        ctx.figure(label, f"{wall:.3f} s, {peak:.1f} MiB, {ratio:.2f}x the floor")
        ctx.target(f"start-up: {label}", ratio <= RATIO and peak < PEAK_MIB,
                   f"{ratio:.2f}x the floor (target <= {RATIO}x), {peak:.1f} MiB "
                   f"(target < {PEAK_MIB:.0f})")

