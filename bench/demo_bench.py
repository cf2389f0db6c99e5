"""Demo benchmark: `fwupdate demo`'s night against its device-time floor.

The run's wall time at time-scale s is T(s) = D / s + F: D the device time on the night's
critical path (what the simulated devices need, scaled), F what the executor adds whatever the
scale (pacing, polling floors, TLS, journal, CPU).  Two interleaved runs at s and 10 s give
D / s = (T(s) - T(10 s)) / 0.9, the floor at s, measured in the same bench run.
Target: T(s) <= 1.25 x that floor.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench import BenchContext

MODULE = "bench.demo_bench"
TARGET_RATIO = 1.25
SCALE = 400.0
FAST = 10.0  # the second run is this many times faster


def child(task: str, args: list[str]) -> dict[str, Any]:
    if task != "demo":
        raise SystemExit(f"unknown task {task}")
    from fwupdate.demo.night import run_demo
    from fwupdate.sim.loadmaster import ratelimit

    drops = [0]
    allow = ratelimit.ApiRateLimit.allow

    def counted(self: ratelimit.ApiRateLimit) -> bool:
        ok = allow(self)
        drops[0] += 0 if ok else 1
        return ok

    ratelimit.ApiRateLimit.allow = counted  # type: ignore[method-assign]
    out, scale, pairs = Path(args[0]), float(args[1]), tuple(args[2].split(","))
    t0 = time.perf_counter()
    res = run_demo(out, time_scale=scale, pairs=pairs, say=lambda _m: None)
    seconds = time.perf_counter() - t0
    report = res.paths["report_json"].read_text()
    run_wall = float(__import__("json").loads(report)["demo"]["run_wall_seconds"])
    return {"seconds": seconds, "run_wall": run_wall, "ok": res.ok, "lm_drops": drops[0]}


def run(ctx: BenchContext) -> None:
    from fwupdate.demo.scenario import PAIR_PROFILES

    pairs = ",".join(PAIR_PROFILES)
    rounds = 1 if ctx.quick else 3
    slow: list[float] = []
    fast: list[float] = []
    drops = 0
    ok = True
    for _ in range(rounds):  # interleaved
        for scale, into in ((SCALE, slow), (SCALE * FAST, fast)):
            with ctx.scratch("demo-bench-") as work:
                m = ctx.measure(MODULE, "demo", [str(work / "demo"), str(scale), pairs])
            into.append(float(m.result["run_wall"]))
            drops += int(m.result["lm_drops"])
            ok = ok and bool(m.result["ok"])
    t_slow, t_fast = statistics.median(slow), statistics.median(fast)
    floor = (t_slow - t_fast) / (1 - 1 / FAST)
    fixed = t_slow - floor
    ctx.figure(f"demo run wall at time-scale {SCALE:g} (median of {rounds})", f"{t_slow:.2f} s")
    ctx.figure(f"demo run wall at time-scale {SCALE * FAST:g}", f"{t_fast:.2f} s")
    ctx.figure("device-time floor at the demo's scale (extrapolated)", f"{floor:.2f} s")
    ctx.figure("executor's fixed share of the demo night", f"{fixed:.2f} s")
    ctx.figure("LoadMaster API calls dropped by the simulated rate limit", str(drops))
    ratio = t_slow / floor if floor > 0 else float("inf")
    ctx.target("demo night / its device-time floor", ok and ratio <= TARGET_RATIO,
               f"{ratio:.2f} (target <= {TARGET_RATIO}){'' if ok else '; demo FAILED'}")
