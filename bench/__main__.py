"""`python -m bench [NAME...] [--quick] [--out DIR]`: run the benchmarks and check targets.

Exit status 0 when every target was met, 1 otherwise.  Add a benchmark by writing a module with
`run(ctx)` (see bench/__init__.py) and listing it in BENCHMARKS.
"""

from __future__ import annotations

import sys

from bench import child_main

BENCHMARKS: tuple[str, ...] = (
    "bench.startup_bench", "bench.catalog_bench", "bench.inventory_bench", "bench.run_bench",
    "bench.trust_bench", "bench.demo_bench", "bench.plan_bench", "bench.mirror_bench",
)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child"]:
        return child_main(args[1:])  # a measured child imports only what its task needs
    import argparse
    import importlib
    import time
    from pathlib import Path

    from bench import BenchContext, default_out_dir

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all), e.g. catalog")
    parser.add_argument("--out", type=Path, default=None, help="folder for generated inputs")
    parser.add_argument("--quick", action="store_true", help="smaller inputs (smoke run)")
    opts = parser.parse_args(args)

    ctx = BenchContext(out_dir=opts.out or default_out_dir(), quick=opts.quick)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    selected = [
        m for m in BENCHMARKS
        if not opts.names or any(n in m.rsplit(".", 1)[-1] for n in opts.names)
    ]
    if not selected:
        parser.error(f"no benchmark matches {opts.names}; known: {', '.join(BENCHMARKS)}")
    for name in selected:
        started = time.perf_counter()
        print(f"== {name}")
        importlib.import_module(name).run(ctx)
        print(f"   ({time.perf_counter() - started:.1f} s)")

    missed = [t for t in ctx.targets if not t.met]
    print(f"== {len(ctx.targets) - len(missed)} of {len(ctx.targets)} targets met")
    for t in missed:
        print(f"   missed: {t.name}: {t.detail}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
