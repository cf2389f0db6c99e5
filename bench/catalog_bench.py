"""Catalog engine benchmark: the R320 view of a ~100 MB catalog.

Compares `load_catalog(path, system_id="04F7")` - what `fwupdate catalog show --system-id 04F7`
does - with a baseline of `xml.etree.ElementTree.parse` plus an ElementPath filter, each in its own
subprocess, and reports time, peak memory and their ratios; then the same call on a catalog twice
as large (memory must stay flat) and the re-open of a cached result.

Targets (the catalog issue): >= 8x faster than the baseline, < 1/20 of its peak memory, flat
memory when the catalog doubles, cached re-open < 100 ms.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import BenchContext, Measurement
from bench.catalog_gen import GENERATOR_VERSION, TARGET_SYSTEM, ensure_catalog

MODULE = "bench.catalog_bench"


# --- measured in children -----------------------------------------------------------------------


def child(task: str, args: list[str]) -> dict[str, Any]:
    if task == "baseline":
        return _baseline(Path(args[0]), args[1])
    if task == "load":
        return _load(Path(args[0]), args[1] or None, args[2], use_cache=args[3] == "cache")
    if task == "cli":
        return _cli(args[0], args[1], args[2])
    raise SystemExit(f"unknown task {task}")


def _baseline(path: Path, system_id: str) -> dict[str, Any]:
    import xml.etree.ElementTree as ET  # trusted, generated input: this is the baseline

    started = time.perf_counter()
    root = ET.parse(path).getroot()  # noqa: S314
    match = f"SupportedSystems/Brand/Model[@systemID='{system_id}']"
    found = [c for c in root.iterfind("SoftwareComponent") if c.find(match) is not None]
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "components": len(found)}


def _load(path: Path, system_id: str | None, cache_dir: str, *, use_cache: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    from fwupdate.catalog import load_catalog

    t1 = time.perf_counter()
    cat = load_catalog(str(path), system_id=system_id, cache_dir=cache_dir, use_cache=use_cache)
    seconds = time.perf_counter() - t1
    return {
        "seconds": seconds,
        "import_seconds": t1 - t0,
        "components": len(cat.components),
        "components_total": cat.components_total,
        "prefilter": cat.extra.get("prefilter", ""),
    }


def _cli(path: str, system_id: str, cache_dir: str) -> dict[str, Any]:
    import contextlib
    import io

    t0 = time.perf_counter()
    from fwupdate.cli.main import main  # imports every command module

    t1 = time.perf_counter()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["catalog", "show", path, "--system-id", system_id, "--format", "json",
                     "--cache-dir", cache_dir])
    return {"seconds": time.perf_counter() - t1, "import_seconds": t1 - t0, "code": code}


# --- the benchmark ------------------------------------------------------------------------------


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.0f} MB"


def _show(ctx: BenchContext, label: str, m: Measurement) -> None:
    ctx.figure(label, f"{m.seconds:7.3f} s   peak RSS {m.peak_rss_mb:7.1f} MB")


def run(ctx: BenchContext) -> None:
    size = 10 if ctx.quick else 100
    sid = TARGET_SYSTEM
    t = time.perf_counter()
    small = ensure_catalog(ctx.out_dir / f"catalog-{size}mb-v{GENERATOR_VERSION}.xml", size)
    big = ensure_catalog(ctx.out_dir / f"catalog-{2 * size}mb-v{GENERATOR_VERSION}.xml", 2 * size)
    utf16 = ensure_catalog(
        ctx.out_dir / f"catalog-{size}mb-utf16-v{GENERATOR_VERSION}.xml", size, utf16=True
    )
    ctx.figure("inputs (generated when missing)", f"{time.perf_counter() - t:.1f} s")
    ctx.figure(f"  {small.name}", _mb(small))
    ctx.figure(f"  {big.name}", _mb(big))
    ctx.figure(f"  {utf16.name} (online style)", _mb(utf16))

    with tempfile.TemporaryDirectory(prefix="fwupdate-bench-") as tmp:
        cache = os.path.join(tmp, "cache")
        base = ctx.measure(MODULE, "baseline", [str(small), sid])
        _show(ctx, f"baseline ElementTree.parse + filter, {_mb(small)}", base)
        ours = ctx.measure(MODULE, "load", [str(small), sid, cache, "cache"])
        _show(ctx, f"load_catalog(system_id={sid}), cold, {_mb(small)}", ours)
        if ours.result["components"] != base.result["components"]:
            raise RuntimeError(
                f"results differ: {ours.result['components']} vs {base.result['components']}"
            )
        ctx.figure("  components for the system / in the catalog",
                   f"{ours.result['components']} / {ours.result['components_total']}"
                   f"  (pre-filter {ours.result['prefilter']})")
        ctx.figure("  import of fwupdate.catalog", f"{ours.result['import_seconds']:.3f} s")
        doubled = ctx.measure(MODULE, "load", [str(big), sid, cache, "nocache"])
        _show(ctx, f"load_catalog(system_id={sid}), cold, {_mb(big)}", doubled)
        cached = ctx.measure(MODULE, "load", [str(small), sid, cache, "cache"])
        _show(ctx, f"load_catalog(system_id={sid}), cached re-open, {_mb(small)}", cached)
        cli = ctx.measure(MODULE, "cli", [str(small), sid, cache])
        ctx.figure("fwupdate catalog show --system-id --format json, cached",
                   f"{cli.seconds:7.3f} s (+ {cli.result['import_seconds']:.3f} s CLI imports, "
                   f"{cli.wall_seconds:.2f} s process)")
        wide = ctx.measure(MODULE, "load", [str(utf16), sid, cache, "nocache"])
        _show(ctx, f"load_catalog(system_id={sid}), cold, UTF-16, {_mb(utf16)}", wide)
        full = ctx.measure(MODULE, "load", [str(small), "", cache, "nocache"])
        _show(ctx, f"load_catalog(no filter: every component), {_mb(small)}", full)

    speed = base.seconds / ours.seconds
    memory = base.peak_rss_mb / ours.peak_rss_mb
    growth = doubled.peak_rss_mb / ours.peak_rss_mb
    ctx.figure("speed ratio (baseline / fwupdate)", f"{speed:.1f}x")
    ctx.figure("memory ratio (baseline / fwupdate)", f"{memory:.1f}x")
    ctx.figure("memory when the catalog doubles", f"{growth:.2f}x")
    if ctx.quick:
        print("  (quick run: inputs too small for the targets; not checked)")
        return
    ctx.target("speed >= 8x baseline", speed >= 8, f"{speed:.1f}x")
    ctx.target("peak memory < 1/20 of baseline", memory > 20, f"1/{memory:.0f}")
    ctx.target("memory flat when the catalog doubles", growth < 1.25, f"{growth:.2f}x")
    ctx.target("cached re-open < 100 ms", cached.seconds < 0.1, f"{cached.seconds * 1000:.0f} ms")
