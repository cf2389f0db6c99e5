"""The two sides of the iDRAC client meet only at the top of fwupdate/idrac (the facade and the
shared modules): idrac/redfish/ and idrac/wsman/ never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fwupdate.idrac

IDRAC = Path(fwupdate.idrac.__file__).parent


def imported(package: str) -> set[str]:
    names: set[str] = set()
    for f in sorted((IDRAC / package).glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
    return names


@pytest.mark.parametrize(("side", "other"), [("redfish", "wsman"), ("wsman", "redfish")])
def test_one_side_never_imports_the_other(side: str, other: str) -> None:
    assert [m for m in imported(side) if m.startswith(f"fwupdate.idrac.{other}")] == []
