"""Same plans as another checkout: `python -m bench.plan_same OTHER_TREE [--pairs N]`.

Plans the demo fleet (the plan bench's saved inventory of the demo's R320 pairs), 10 pairs and
N pairs (default 1,000) made from it, with this checkout and with OTHER_TREE (e.g. a worktree
of main), each in a fresh interpreter, and says whether the plan files are byte-identical
(`--created-at` is fixed).  Exit status 0 when all are.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import REPO, BenchContext, default_out_dir, plan_bench

# Runs the plan command of the checkout at argv[1]: its import path replaces the installed one.
_CHILD = """
import sys
tree = sys.argv[1]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, tree)
import fwupdate
assert fwupdate.__file__.startswith(tree), fwupdate.__file__
from bench.plan_bench import child
raise SystemExit(child("plan", [sys.argv[2]])["rc"])
"""


def _plan(tree: Path, work: Path) -> bytes:
    subprocess.run([sys.executable, "-c", _CHILD, str(tree), str(work)], check=True,
                   cwd=REPO, stdout=subprocess.DEVNULL)
    return (work / "plan.json").read_bytes()


def _copy_demo(small: Path, work: Path) -> None:
    """The saved demo inventory and its fleet file (which names the simulator's CA)."""
    shutil.copytree(small, work, ignore=shutil.ignore_patterns("repository", "*.bin"))
    (work / "sim").mkdir()
    shutil.copy(small / "ca.pem", work / "sim" / "sim-ca.pem")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other", type=Path)
    ap.add_argument("--pairs", type=int, default=1000)
    args = ap.parse_args()
    small = plan_bench._small(BenchContext(out_dir=default_out_dir()))
    same = True
    with tempfile.TemporaryDirectory(prefix="plan-same-") as tmp:
        for label, pairs in (("demo fleet", 0), ("10 pairs", 10), (f"{args.pairs} pairs",
                                                                     args.pairs)):
            work = Path(tmp) / label.replace(" ", "-")
            if pairs:
                plan_bench._replicate(small, work, pairs)
            else:
                _copy_demo(small, work)
            mine, theirs = _plan(REPO, work), _plan(args.other.resolve(), work)
            same = same and mine == theirs
            print(f"{label}: {'identical' if mine == theirs else 'DIFFERENT'} "
                  f"({len(mine)} vs {len(theirs)} bytes)")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
