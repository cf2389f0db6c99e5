"""No import cycle inside fwupdate.sim, counting every import statement: module level, inside
functions and under `if TYPE_CHECKING:` (a type-only circle is still a circle).

Static: the import statements are read with `ast`, nothing is imported.  `from P import name`
counts as an import of the submodule P.name when that file exists, else of P itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fwupdate.sim

SIM = Path(fwupdate.sim.__file__).parent
PREFIX = "fwupdate.sim"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SIM).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PREFIX, *parts])


def sim_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    return name if name in known else None


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _from_target(node: ast.ImportFrom, module: str, path: Path) -> str:
    if node.level == 0:
        return node.module or ""
    base = _package_of(module, path).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_modules(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            target = _from_target(node, module, path)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                hit = _resolve(sub, known) or _resolve(target, known)
                if hit is not None:
                    out.add(hit)
    out.discard(module)
    return out


def import_graph() -> dict[str, set[str]]:
    known = sim_modules()
    return {m: imported_modules(m, p, known) for m, p in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (iterative depth-first search)."""
    done: set[str] = set()
    for root in sorted(graph):
        if root in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        path.append(root)
        on_path.add(root)
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            nxt = todo.pop(0)
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done:
                stack.append((nxt, sorted(graph.get(nxt, ()))))
                path.append(nxt)
                on_path.add(nxt)
    return None


def test_the_graph_sees_the_simulator() -> None:
    graph = import_graph()
    assert "fwupdate.sim.idrac.device" in graph
    assert "fwupdate.sim.idrac.state" in graph["fwupdate.sim.idrac.device"]


def test_find_cycle_finds_a_type_only_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_inside_the_simulator() -> None:
    assert find_cycle(import_graph()) is None
