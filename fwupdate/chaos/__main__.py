"""`python -m fwupdate.chaos --nights N --seed S` (`make chaos N=... SEED=...`)."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from fwupdate.chaos.campaign import run_campaign


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fwupdate.chaos", description=__doc__)
    ap.add_argument("--nights", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    ap.add_argument("--night", type=int, default=None, help="replay this one night only")
    ap.add_argument("--out", type=Path, default=Path("chaos-out"))
    ap.add_argument("--time-scale", type=float, default=400.0)
    ap.add_argument("--keep", action="store_true", help="keep every night's folder")
    ap.add_argument("--intensity", type=int, choices=range(1, 5), default=1,
                    help="draw K times the faults and kills per night (replay with the same K)")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    first, nights = (args.night, 1) if args.night is not None else (0, args.nights)
    figures = run_campaign(seed, nights, args.out, first=first, scale=args.time_scale,
                           keep=args.keep, say=lambda s: print(s, flush=True),
                           intensity=args.intensity)  # fmt: skip
    failed = (figures.violations or figures.broken_nights or figures.outcome_misses
              or figures.crashes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
