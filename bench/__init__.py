"""Benchmarks for fwupdate, run by `make bench` (`python -m bench`).

Each benchmark is a module listed in `bench.__main__.BENCHMARKS` with:

* `run(ctx: BenchContext) -> None`: prepares its inputs, measures, and reports figures and
  targets through `ctx`;
* optionally `child(task: str, args: list[str]) -> dict`: work to be measured in a fresh
  subprocess (`ctx.measure(module, task, args)`), so that every measurement has its own peak
  memory (`getrusage` of that child, through `os.wait4`) and no warm state from the parent.

Generated inputs live in `bench-out/` (git-ignored) or `$FWUPDATE_BENCH_OUT`, and are made
only when missing.  Timings are wall-clock seconds measured inside the child around the work
itself; interpreter start-up and imports are reported separately where they matter.  A child
imports only this module and its task's module: the parent's side is bench/harness.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.harness import BenchContext, Measurement, Target

__all__ = ["REPO", "BenchContext", "Measurement", "Target", "child_main", "default_out_dir",
           "hwm_mb"]

REPO = Path(__file__).resolve().parent.parent

# The parent's names live in bench/harness.py (subprocess, json, tempfile, dataclasses...):
# a measured child (`child_main`) must not pay their imports, which the work it measures
# would otherwise carry in its peak memory (5.9 MB of the 29.7 MB catalog child).
_PARENT_NAMES = frozenset({"BenchContext", "Measurement", "Target"})


def __getattr__(name: str) -> Any:
    if name in _PARENT_NAMES:
        from bench import harness

        return getattr(harness, name)
    raise AttributeError(f"module 'bench' has no attribute {name!r}")


def default_out_dir() -> Path:
    return Path(os.environ.get("FWUPDATE_BENCH_OUT", REPO / "bench-out"))


def child_main(argv: list[str]) -> int:
    """Entry of a measured child: `python -m bench --child MODULE TASK ARGS...`."""
    import importlib

    module, task, *args = argv
    mod = importlib.import_module(module)
    result = mod.child(task, args)
    result.setdefault("hwm_mb", hwm_mb())
    import json  # after the work: the peak is the task's

    print(json.dumps(result))
    return 0


def hwm_mb() -> float:
    """Peak RSS of this process image (VmHWM).  A child's ru_maxrss can carry the forking
    parent's high-water mark across exec (a full `make bench` parent reaches ~140 MB, which
    then showed as every later child's peak); VmHWM cannot."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")
