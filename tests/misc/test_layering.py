"""Imports flow one way (docs/architecture.md): cli -> run -> plan -> catalog, idrac, loadmaster;
demo and rehearse sit beside cli (they start the simulator).

The simulator is a separate world: it imports nothing of fwupdate outside fwupdate.sim, and no
client imports it.  A reversed import fails here, naming the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fwupdate

ROOT = Path(fwupdate.__file__).parent

# package -> packages it must never import
FORBIDDEN: dict[str, set[str]] = {
    "catalog": {"cli", "run", "plan", "report", "demo", "rehearse", "sim", "idrac", "loadmaster"},
    "dup": {"cli", "run", "plan", "report", "demo", "rehearse", "sim", "idrac", "loadmaster"},
    "fleet": {"cli", "run", "plan", "report", "demo", "rehearse", "sim", "idrac", "loadmaster"},
    # trust sits beside errors: it needs nothing of fwupdate but errors and atomicfile
    "trust": {
        "cli", "run", "plan", "report", "demo", "rehearse", "sim", "idrac", "loadmaster",
        "catalog", "dup", "fleet", "fileserver", "repo", "delivery",
    },
    "fileserver": {"cli", "run", "plan", "report", "demo", "rehearse", "sim"},
    "idrac": {"cli", "run", "plan", "report", "demo", "rehearse", "sim", "loadmaster"},
    "loadmaster": {"cli", "run", "plan", "report", "demo", "rehearse", "sim", "idrac"},
    "plan": {"cli", "run", "report", "demo", "rehearse", "sim"},
    "run": {"cli", "demo", "rehearse", "sim"},
    "report": {"cli", "demo", "rehearse", "sim"},
    # observability sinks: fed plain data by run/observing.py, never reaching for devices
    "observe": {"cli", "run", "plan", "report", "demo", "rehearse", "sim", "idrac", "loadmaster"},
    # the rehearsal starts the simulator like the demo, beside the CLI, never under it
    "rehearse": {"cli", "demo"},
    # the independent judge: shares no logic with the executor, reads the sim's evidence as data
    "check": {"cli", "run", "demo", "rehearse", "sim", "idrac", "loadmaster", "delivery", "repo",
              "fileserver", "chaos"},
}


def _imports(package: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for f in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                parts = name.split(".")
                if parts[0] == "fwupdate" and len(parts) > 1:
                    found.append((str(f.relative_to(ROOT)), parts[1]))
    return found


def test_sim_imports_nothing_of_fwupdate_but_itself() -> None:
    bad = [(f, d) for f, d in _imports("sim") if d != "sim"]
    assert bad == []


def test_imports_flow_one_way() -> None:
    bad = [
        (f, d)
        for package, forbidden in FORBIDDEN.items()
        for f, d in _imports(package)
        if d in forbidden
    ]
    assert bad == []


def test_nothing_imports_the_chaos_campaign() -> None:
    """fwupdate/chaos sits on top (it starts the simulator and the CLI); nothing imports it."""
    packages = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name != "chaos"
                      and (p / "__init__.py").is_file())
    bad = [(f, d) for package in packages for f, d in _imports(package) if d == "chaos"]
    assert bad == []
