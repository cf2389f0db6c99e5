"""The planner core is pure: no network, no files, no clock.

Two checks:
1. an import-graph check over the source (AST): the modules of fwupdate/plan import nothing that
   does I/O or reads the clock, and the fwupdate modules they import (followed transitively,
   module files only) import no network, process or database library.  Package `__init__`
   files are not followed: `fwupdate.catalog`'s re-exports its loader for other callers, but the
   planner only uses its pure model/version/system modules.
2. a runtime guard: planning, compliance, policy parsing, image inspection and the plan file
   round trip run with `open`, sockets and the clock patched to raise.
"""

from __future__ import annotations

import ast
import builtins
import io
import os
import socket
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import plan_factories as pf
import pytest

from fwupdate.plan import planfile
from fwupdate.plan.compliance import fleet_compliance
from fwupdate.plan.lm_image import inspect_lm_image
from fwupdate.plan.policy import default_policy, policy_from_mapping

ROOT = Path(__file__).resolve().parents[2]
PLAN_DIR = ROOT / "fwupdate" / "plan"

NETWORK = {"requests", "socket", "ssl", "http", "urllib", "urllib3", "redfish", "subprocess",
           "sqlite3", "asyncio", "selectors", "ftplib", "smtplib"}
# The planner's own modules may not even import these: files, processes, the clock.
LOCAL_IO = NETWORK | {"os", "pathlib", "shutil", "tempfile", "io", "time", "datetime", "glob",
                      "tomllib", "logging", "threading"}
FORBIDDEN_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "now",
                   "utcnow", "today", "time", "monotonic", "scandir", "listdir", "stat"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _module_file(name: str) -> Path | None:
    p = ROOT / Path(*name.split("."))
    if p.with_suffix(".py").is_file():
        return p.with_suffix(".py")
    return None  # a package (its __init__ is not followed) or a name inside a module


def _plan_modules() -> list[Path]:
    return sorted(PLAN_DIR.glob("*.py"))


def test_plan_modules_import_no_io() -> None:
    assert len(_plan_modules()) >= 14
    for path in _plan_modules():
        roots = {name.split(".")[0] for name in _imports(path)}
        bad = roots & LOCAL_IO
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_plan_modules_call_no_io_or_clock() -> None:
    for path in _plan_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else (
                    fn.attr if isinstance(fn, ast.Attribute) else ""
                )
                assert name not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {name}()"


def test_transitive_fwupdate_imports_are_network_free() -> None:
    seen: set[Path] = set()
    todo = list(_plan_modules())
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        names = _imports(path)
        roots = {n.split(".")[0] for n in names}
        assert not roots & NETWORK, f"{path.relative_to(ROOT)} imports {sorted(roots & NETWORK)}"
        for name in names:
            if name.startswith("fwupdate."):
                f = _module_file(name)
                if f is not None:
                    todo.append(f)
    followed = {p.relative_to(ROOT).as_posix() for p in seen}
    assert "fwupdate/catalog/versions.py" in followed
    assert "fwupdate/idrac/models.py" in followed
    assert not any(p.startswith("fwupdate/cli/") or p.startswith("fwupdate/run/")
                   for p in followed)


class _Forbidden(AssertionError):
    pass


@contextmanager
def no_io() -> Iterator[None]:
    def refuse(*_a: object, **_k: object) -> None:
        raise _Forbidden("I/O or clock access inside the pure planner")

    saved = {
        (builtins, "open"): builtins.open,
        (io, "open"): io.open,
        (os, "open"): os.open,
        (os, "scandir"): os.scandir,
        (os, "stat"): os.stat,
        (socket, "socket"): socket.socket,
        (socket, "create_connection"): socket.create_connection,
        (time, "time"): time.time,
        (time, "monotonic"): time.monotonic,
        (time, "sleep"): time.sleep,
    }
    for (mod, name) in saved:
        setattr(mod, name, refuse)
    try:
        yield
    finally:
        for (mod, name), value in saved.items():
            setattr(mod, name, value)


def test_guard_works() -> None:
    with no_io(), pytest.raises(_Forbidden):
        open("/dev/null")  # noqa: SIM115


def test_planning_runs_without_io() -> None:
    shipped = Path(__file__).resolve().parents[2] / "catalogs" / "r320-loadmaster.toml"
    bundle = tomllib.loads(shipped.read_text())
    f = pf.fleet(("p1", "p2"), ("solo",))
    invs = pf.inventories(f)
    catalog = pf.r320_catalog()
    with no_io():
        policy = policy_from_mapping(bundle, source="bundle")
        image = inspect_lm_image("7.1-Patch28b-BARE-METAL.bin", b"\x00\x01", size=2)
        plan = pf.make_plan(f, invs, policy=policy, lm_image=image, allow_standalone=True,
                            window="21:00-05:30")
        text = planfile.dumps(plan)
        assert planfile.loads(text) == plan
        fc = fleet_compliance(fleet=f, inventories=invs, catalog=catalog,
                              policy=default_policy())
    assert plan.totals.steps > 0 and fc.nodes
