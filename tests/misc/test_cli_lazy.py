"""The root command imports a command's modules only when that command runs: read-only
commands stay free of the simulator, cryptography and the WS-Man stack (start-up time and
memory, docs/performance.md), and `fwupdate --help` still lists every command truthfully."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fwupdate.cli.main import COMMANDS, load_command

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "catalogs" / "online-sample" / "Catalog.xml"
HEAVY = ("fwupdate.sim", "cryptography", "fwupdate.idrac.wsman.client", "pycdlib", "sqlite3")

_PROBE = """
import json, sys
from fwupdate.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.startswith(tuple(json.loads(HEAVY))))
sys.__stdout__.write("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}) + "\\n")
"""


def _imports_of(argv: list[str]) -> dict[str, object]:
    code = _PROBE.replace("json.loads(HEAVY)", f"json.loads({json.dumps(json.dumps(HEAVY))})")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                         timeout=60, cwd=ROOT, check=False).stdout
    line = next(x for x in out.splitlines() if x.startswith("PROBE "))
    return dict(json.loads(line[len("PROBE "):]))


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["catalog", "show", str(CATALOG), "--model", "R320", "--format", "json"],
    ["catalog", "models"],
    ["plan", "--help"],
])
def test_read_only_commands_do_not_import_the_heavy_parts(argv: list[str]) -> None:
    got = _imports_of(argv)
    assert got["code"] == 0
    assert got["heavy"] == [], f"{argv} imported {got['heavy']}"


@pytest.mark.parametrize("name,text", [(n, t) for n, _, t in COMMANDS])
def test_root_help_line_is_the_commands_own(name: str, text: str) -> None:
    command = load_command(name)
    assert command is not None, name
    assert command.get_short_help_str(limit=1000) == text


def test_unknown_command_is_a_usage_error() -> None:
    from fwupdate.cli.main import main

    assert load_command("nosuch") is None
    assert main(["nosuch"]) == 2


@pytest.mark.parametrize("argv", [["--help"], ["plan", "--help"]])
def test_document_library_is_not_imported_at_start_up(argv: list[str]) -> None:
    probe = ("import sys\nfrom fwupdate.cli.main import main\nmain(sys.argv[1:])\n"
             "sys.__stdout__.write('\\nPROBE ' + str('msgspec' in sys.modules) + '\\n')\n")
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True,
                         timeout=60, cwd=ROOT, check=False).stdout
    assert "PROBE False" in out, out[-500:]
