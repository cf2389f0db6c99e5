"""A warm cache read of a catalog imports neither the parser (lxml) nor requests, and a JSON
`catalog show` does not import rich (start-up time of the warm command, docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "catalogs" / "online-sample" / "Catalog.xml"
NOT_ON_THE_WARM_PATH = ("lxml", "requests", "urllib3", "fwupdate.catalog.parser")

_PROBE = """
import json, sys
from fwupdate.catalog import load_catalog
cat = load_catalog(sys.argv[1], system_id="04F7", cache_dir=sys.argv[2])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"lxml", "requests", "urllib3"}
                or m == "fwupdate.catalog.parser")
print("PROBE " + json.dumps({"components": len(cat.components), "loaded": loaded}))
"""

_CLI_PROBE = """
import sys
from fwupdate.cli.main import main
code = main(sys.argv[1:])
sys.__stdout__.write("\\nPROBE " + str(code) + " " + str(sorted(
    m for m in sys.modules if m.split(".")[0] in {"rich", "lxml", "requests"})) + "\\n")
"""


def _probe(code: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         timeout=60, cwd=ROOT, check=True).stdout
    return next(x for x in out.splitlines() if x.startswith("PROBE "))[len("PROBE "):]


def test_warm_cache_read_imports_neither_lxml_nor_requests(tmp_path: Path) -> None:
    cold = json.loads(_probe(_PROBE, str(CATALOG), str(tmp_path)))
    assert "lxml" in cold["loaded"]  # the first read parses
    warm = json.loads(_probe(_PROBE, str(CATALOG), str(tmp_path)))
    assert warm["components"] == cold["components"] > 0
    assert warm["loaded"] == []


def test_warm_json_catalog_show_imports_neither_rich_nor_lxml(tmp_path: Path) -> None:
    argv = ["catalog", "show", str(CATALOG), "--model", "R320", "--format", "json",
            "--signatures", "off", "--cache-dir", str(tmp_path)]
    _probe(_CLI_PROBE, *argv)
    assert _probe(_CLI_PROBE, *argv) == "0 []"
