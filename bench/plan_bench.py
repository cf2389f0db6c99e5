"""Plan benchmark: `fwupdate plan` of 1,000 HA pairs from a saved inventory.

The inputs are made from a small real one: the demo's R320 pairs are started in the simulator,
`fwupdate inventory --out` saves their inventory (LoadMaster data included), and the bench
replicates those nodes into N pairs (new names, service tags and addresses) with a fleet file
to match.  The measured child runs `fwupdate plan FLEET --inventory INV --catalog ... --format
json --out plan.json` in-process (start-up excluded; it is the start-up bench's).
Targets: < 3 s and < 150 MiB at 1,000 pairs; nothing printed on stdout with `--out`.
Baseline (ratio): the same command at 10 pairs, for how the cost grows with the fleet.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from bench import BenchContext

MODULE = "bench.plan_bench"
TARGET_SECONDS = 3.0
TARGET_MB = 150.0
PAIRS = ("pair-1", "pair-2", "pair-3")  # the R320 pairs (iDRAC7 1.57, 2.50, 2.65)


def child(task: str, args: list[str]) -> dict[str, Any]:
    if task != "plan":
        raise SystemExit(f"unknown task {task}")
    from fwupdate.cli.main import main as cli_main

    work = Path(args[0])
    inputs = json.loads((work / "inputs.json").read_text())
    out = work / "plan.json"
    buf = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        rc = cli_main(["plan", str(work / "fleet.toml"), "--inventory", str(work / "inv.json"),
                       "--catalog", inputs["catalog"], "--bundle", inputs["bundle"],
                       "--lm-image", inputs["lm_image"], "--format", "json", "--out", str(out),
                       "--created-at", "2026-01-01T00:00:00+00:00"])
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rc": rc, "stdout_bytes": len(buf.getvalue()),
            "plan_bytes": out.stat().st_size if out.exists() else 0}


# --- inputs ----------------------------------------------------------------------------------


def _small(ctx: BenchContext) -> Path:
    """A real saved inventory of the demo's R320 pairs (made once, kept in bench-out)."""
    base = ctx.out_dir / "plan-inputs"
    if (base / "inv.json").exists():
        return base
    from fwupdate.cli.main import main as cli_main
    from fwupdate.demo.scenario import build_inputs, fleet_spec
    from fwupdate.sim.fleet import SimulatedFleet

    tmp = base.with_name("plan-inputs.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    inputs = build_inputs(tmp)
    with SimulatedFleet(fleet_spec(PAIRS), workdir=tmp / "sim", time_scale=1000.0) as sim:
        fleet = sim.write_fleet_file(tmp / "fleet.toml")
        with contextlib.redirect_stdout(io.StringIO()):
            rc = cli_main(["inventory", str(fleet), "--format", "json",
                           "--out", str(tmp / "inv.json")])
        if rc != 0:
            raise RuntimeError(f"inventory failed ({rc})")
    shutil.copy(tmp / "sim" / "sim-ca.pem", tmp / "ca.pem")
    (tmp / "inputs.json").write_text(json.dumps({
        "catalog": str(base / inputs.catalog.relative_to(tmp)),
        "bundle": str(base / inputs.bundle.relative_to(tmp)),
        "lm_image": str(base / inputs.lm_image.relative_to(tmp))}))
    shutil.rmtree(tmp / "sim", ignore_errors=True)
    tmp.rename(base)
    return base


def _node(raw: dict[str, Any], i: int, side: str, pair: str) -> dict[str, Any]:
    n = copy.deepcopy(raw)
    n["name"] = f"n{i:04d}{side}"
    n["pair"] = pair
    host = f"10.{i // 200}.{i % 200}.{1 if side == 'a' else 2}"
    n["idrac"]["address"] = f"https://{host}"
    if n.get("system"):
        n["system"]["service_tag"] = f"{i:05d}{side.upper()}X"
    return n


def _replicate(small: Path, work: Path, pairs: int) -> None:
    """N pairs from the small inventory's pairs (round robin), and their fleet file."""
    doc = json.loads((small / "inv.json").read_text())
    by_pair: dict[str, list[dict[str, Any]]] = {}
    for n in doc["nodes"]:
        by_pair.setdefault(n["pair"], []).append(n)
    sources = [sorted(v, key=lambda n: n["name"]) for _k, v in sorted(by_pair.items())]
    nodes: list[dict[str, Any]] = []
    fleet = ['[defaults.idrac]\nusername = "root"\npassword_file = "pw"\nca_bundle = "ca.pem"\n',
             '[defaults.loadmaster]\nusername = "bal"\npassword_file = "pw"\n'
             'ca_bundle = "ca.pem"\n']
    for i in range(pairs):
        a_raw, b_raw = sources[i % len(sources)]
        pair = f"pair-{i:04d}"
        a, b = _node(a_raw, i, "a", pair), _node(b_raw, i, "b", pair)
        nodes += [a, b]
        fleet.append(f'[[pairs]]\nname = "{pair}"\nshared_address = "https://10.99.{i // 200}.'
                     f'{i % 200}"\n')
        for n in (a, b):
            lm = n["idrac"]["address"].replace("https://10.", "https://11.")
            fleet.append(f'[[pairs.nodes]]\nname = "{n["name"]}"\nidrac = "'
                         f'{n["idrac"]["address"]}"\nloadmaster = "{lm}"\n')
    doc["nodes"] = nodes
    work.mkdir(parents=True, exist_ok=True)
    (work / "inv.json").write_text(json.dumps(doc))
    (work / "fleet.toml").write_text("\n".join(fleet))
    shutil.copy(small / "ca.pem", work / "ca.pem")
    (work / "pw").write_text("calvin\n")
    (work / "pw").chmod(0o600)
    shutil.copy(small / "inputs.json", work / "inputs.json")


def run(ctx: BenchContext) -> None:
    small = _small(ctx)
    big_n = 200 if ctx.quick else 1000
    rounds = 1 if ctx.quick else 3
    with ctx.scratch("plan-bench-") as work:
        _replicate(small, work / "small", 10)
        _replicate(small, work / "big", big_n)
        base: list[float] = []
        big: list[Any] = []
        for _ in range(rounds):  # interleaved
            base.append(ctx.measure(MODULE, "plan", [str(work / "small")]).seconds)
            big.append(ctx.measure(MODULE, "plan", [str(work / "big")]))
    for m in big:
        if m.result["rc"] != 0:
            raise RuntimeError(f"plan of {big_n} pairs failed ({m.result['rc']})")
    t_base = statistics.median(base)
    t_big = statistics.median(m.seconds for m in big)
    rss = statistics.median(m.peak_rss_mb for m in big)
    printed = max(int(m.result["stdout_bytes"]) for m in big)
    ctx.figure(f"plan of 10 pairs from a saved inventory (median of {rounds})", f"{t_base:.2f} s")
    ctx.figure(f"plan of {big_n} pairs", f"{t_big:.2f} s, {rss:.0f} MiB peak, plan file "
               f"{int(big[0].result['plan_bytes']) / 1e6:.1f} MB")
    ctx.figure(f"per pair: {big_n} vs 10 pairs",
               f"{t_big / big_n * 1000:.2f} ms vs {t_base / 10 * 1000:.2f} ms "
               f"({(t_big / big_n) / (t_base / 10):.2f}x)")
    limit = TARGET_SECONDS * big_n / 1000
    ctx.target(f"plan of {big_n} pairs", t_big < limit and rss < TARGET_MB,
               f"{t_big:.2f} s (target < {limit:g} s), {rss:.0f} MiB (target < {TARGET_MB:g})")
    ctx.target("nothing printed with --format json --out", printed == 0,
               f"{printed} bytes on stdout")
