"""The simulator's route tables: declared explicitly, no duplicates, no private reach-ins."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fwupdate.sim
from fwupdate.sim.idrac import routes as idrac_routes
from fwupdate.sim.idrac.wsman import Instances, Invoke, WsmanTable
from fwupdate.sim.loadmaster import routes as lm_routes
from fwupdate.sim.routes import ANY, DuplicateRoute, Route, RouteTable

SIM = Path(fwupdate.sim.__file__).parent


def _h(*_args: object) -> str:
    return "ok"


def test_a_duplicate_method_and_pattern_is_an_error_when_the_table_is_built() -> None:
    rows = [Route("GET", r"/a", _h), Route("POST", r"/a", _h), Route("GET", r"/a", _h)]
    with pytest.raises(DuplicateRoute, match="GET"):
        RouteTable(rows)


def test_a_duplicate_wsman_method_or_class_is_an_error() -> None:
    with pytest.raises(DuplicateRoute):
        WsmanTable([Invoke("C", "M", _h), Invoke("C", "M", _h)], [])  # type: ignore[arg-type]
    with pytest.raises(DuplicateRoute):
        WsmanTable([], [Instances("C"), Instances("C")])


def test_find_gives_the_handler_or_the_allowed_methods() -> None:
    item = r"/x/(?P<id>[^/]+)"
    table = RouteTable([Route("GET", item, _h), Route("DELETE", item, _h)])
    found = table.find("GET", "/x/7")
    assert found is not None and found.handler is _h and found.match["id"] == "7"
    refused = table.find("PATCH", "/x/7")
    assert refused is not None and refused.handler is None and refused.allowed == ("GET", "DELETE")
    assert table.find("GET", "/x/7/y") is None
    assert RouteTable([Route(ANY, "/any", _h)]).find("POST", "/any") is not None


def test_the_real_tables_build_and_declare_the_system_resource_once() -> None:
    rows = [r for r in idrac_routes.REDFISH_ROUTES if r.pattern == idrac_routes.SYSTEM]
    assert sorted(r.method for r in rows) == ["GET", "PATCH"]
    assert len(idrac_routes.WSMAN.invokes) == len(idrac_routes.WSMAN_INVOKES)
    assert [r.pattern for r in lm_routes.API.routes][:3] == ["/access/get", "/access/set",
                                                           "/access/getall"]


def _private_reach_ins(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        attr, owner = node.attr, ast.unparse(node.value)
        if attr.startswith("_") and not attr.startswith("__") and owner not in ("self", "cls"):
            out.append(f"{path.relative_to(SIM)}:{node.lineno}: {owner}.{attr}")
    return out


def test_no_module_calls_private_members_of_another_object() -> None:
    assert [hit for p in sorted(SIM.rglob("*.py")) for hit in _private_reach_ins(p)] == []


def test_control_routes_answer_405_naming_the_methods() -> None:
    found = idrac_routes.CONTROL.find("PUT", "/sim/fault")
    assert found is not None and found.handler is None
    assert found.allowed == ("GET", "POST", "DELETE")
