"""Imports flow one way, as the allowed-imports table in docs/architecture.md says.

The table is read from the page itself (between the `layering-table` markers), so the picture
and the code cannot drift: an import the table does not allow fails here naming the file, and so
does a package or top-level module of fwupdate that the table does not list.  The simulator is a
separate world (its row allows nothing), and nothing imports the chaos campaign.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fwupdate

ROOT = Path(fwupdate.__file__).parent
ARCHITECTURE = ROOT.parent / "docs" / "architecture.md"


def allowed_imports() -> dict[str, set[str]]:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    body = text.split("<!-- layering-table", 1)[1].split("<!-- /layering-table -->", 1)[0]
    table: dict[str, set[str]] = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("package", "---"):
            continue
        name = cells[0].replace("\\_", "_")
        table[name] = {c.strip() for c in cells[1].split(",") if c.strip()}
    return table


def units() -> dict[str, list[Path]]:
    """Every package (folder) and top-level module of fwupdate with its files."""
    out: dict[str, list[Path]] = {}
    for p in sorted(ROOT.iterdir()):
        if p.is_dir() and (p / "__init__.py").is_file():
            out[p.name] = sorted(p.rglob("*.py"))
        elif p.suffix == ".py" and p.name != "__init__.py":
            out[p.stem] = [p]
    return out


def imports_of(files: list[Path], unit: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                parts = name.split(".")
                if parts[0] == "fwupdate" and len(parts) > 1 and parts[1] != unit:
                    found.append((str(f.relative_to(ROOT)), parts[1]))
    return found


def test_every_package_and_module_has_a_row() -> None:
    table = allowed_imports()
    assert sorted(set(units()) - set(table)) == []
    assert sorted(set(table) - set(units())) == [], "rows for packages that no longer exist"


def test_imports_flow_as_the_table_allows() -> None:
    table = allowed_imports()
    bad = [(f, d) for unit, files in units().items() for f, d in imports_of(files, unit)
           if d not in table.get(unit, set())]
    assert bad == []


def test_sim_imports_nothing_of_fwupdate_but_itself() -> None:
    assert allowed_imports()["sim"] == set()
    assert imports_of(units()["sim"], "sim") == []


def test_nothing_imports_the_chaos_campaign() -> None:
    table = allowed_imports()
    assert [u for u, allowed in table.items() if "chaos" in allowed] == []


@pytest.mark.parametrize("unit,target", [("run", "cli"), ("repo", "run"),
                                         ("catalog", "idrac"), ("check", "run")])
def test_the_table_forbids_the_known_holes(unit: str, target: str) -> None:
    """The old deny-list let delivery -> cli and repo -> run through; the allow-list does not."""
    assert target not in allowed_imports()[unit]
