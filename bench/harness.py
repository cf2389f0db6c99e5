"""The parent side of the benchmark harness: `BenchContext` (measure a child, report figures
and targets) and its records.  Imported by `python -m bench` and the benchmark modules' `run`,
never by a measured child (bench/__init__.py loads it on first use of these names)."""

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

from bench import REPO


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
