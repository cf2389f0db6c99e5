"""Benchmarks for fwupdate, run by `make bench` (`python -m bench`).

Each benchmark is a module listed in `bench.__main__.BENCHMARKS` with:

* `run(ctx: BenchContext) -> None`: prepares its inputs, measures, and reports figures and
  targets through `ctx`;
* optionally `child(task: str, args: list[str]) -> dict`: work to be measured in a fresh
  subprocess (`ctx.measure(module, task, args)`), so that every measurement has its own peak
  memory (`getrusage` of that child, through `os.wait4`) and no warm state from the parent.

Generated inputs live in `bench-out/` (git-ignored) or `$FWUPDATE_BENCH_OUT`, and are made
only when missing.  Timings are wall-clock seconds measured inside the child around the work
itself; interpreter start-up and imports are reported separately where they matter.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def default_out_dir() -> Path:
    return Path(os.environ.get("FWUPDATE_BENCH_OUT", REPO / "bench-out"))


@dataclass(frozen=True)
class Measurement:
    seconds: float  # measured by the child around the work
    wall_seconds: float  # the whole child process, start-up included
    peak_rss_mb: float  # the child's own peak RSS (VmHWM), else its ru_maxrss
    result: dict[str, Any]


@dataclass(frozen=True)
class Target:
    name: str
    met: bool
    detail: str


@dataclass
class BenchContext:
    out_dir: Path
    quick: bool = False
    targets: list[Target] = field(default_factory=list)

    def measure(self, module: str, task: str, args: list[str] | None = None, *,
                python: str | None = None) -> Measurement:  # fmt: skip
        """Run `module.child(task, args)` in a fresh interpreter (`python`, default this one);
        time and peak memory."""
        cmd = [python or sys.executable, "-m", "bench", "--child", module, task, *(args or [])]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=REPO)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark child {module} {task} failed ({proc.returncode})")
        doc = json.loads(out.decode().strip().splitlines()[-1])
        return Measurement(
            seconds=float(doc.pop("seconds")),
            wall_seconds=wall,
            peak_rss_mb=float(doc.get("hwm_mb") or usage.ru_maxrss / 1024),  # KiB on Linux
            result=doc,
        )

    @contextlib.contextmanager
    def scratch(self, prefix: str) -> Iterator[Path]:
        """A work folder under the output folder, removed afterwards (images of hundreds of
        MB and simulator state must not pile up between runs)."""
        work = Path(tempfile.mkdtemp(prefix=prefix, dir=self.out_dir))
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def figure(self, label: str, value: str) -> None:
        print(f"  {label:<58} {value}")

    def target(self, name: str, met: bool, detail: str) -> None:
        self.targets.append(Target(name, met, detail))
        mark = "ok  " if met else "MISS"
        print(f"  [{mark}] {name}: {detail}")


def child_main(argv: list[str]) -> int:
    """Entry of a measured child: `python -m bench --child MODULE TASK ARGS...`."""
    import importlib

    module, task, *args = argv
    mod = importlib.import_module(module)
    result = mod.child(task, args)
    result.setdefault("hwm_mb", hwm_mb())
    print(json.dumps(result))
    return 0


def hwm_mb() -> float:
    """Peak RSS of this process image (VmHWM).  A child's ru_maxrss can carry the forking
    parent's high-water mark across exec (a full `make bench` parent reaches ~140 MB, which
    then showed as every later child's peak); VmHWM cannot."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
