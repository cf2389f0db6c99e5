"""The plan-file validator (issue 15): bad bytes and deep nesting are bad input, and a plan
whose content hash was recomputed after an edit is still checked in full."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plan_factories as pf
import pytest
from plan_factories import make_plan

from fwupdate.cli.main import main
from fwupdate.errors import PlanError
from fwupdate.plan import planfile
from fwupdate.plan.models import Plan


@pytest.fixture
def plan() -> Plan:
    f = pf.fleet(("p1",), ("solo",))
    invs = pf.inventories(f)
    invs["p1-b"] = pf.r320_inventory("p1-b", "1.57.57")
    return make_plan(f, invs, lm_image=pf.lm_image(), allow_standalone=True)


def _rehash(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "content_sha256"}
    doc["content_sha256"] = hashlib.sha256(planfile._canonical(body)).hexdigest()
    return json.dumps(doc)


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for g in doc["groups"] for s in g["steps"]]


def _with_package(doc: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in _steps(doc) if s.get("package") and s["package"]["source"] != "lm-image")


def _dup_id(doc: dict[str, Any]) -> None:
    steps = doc["groups"][0]["steps"]
    steps[1]["id"] = steps[0]["id"]


def _path_out(doc: dict[str, Any]) -> None:
    _with_package(doc)["package"]["path"] = "../../../etc/shadow"


def _file_name_out(doc: dict[str, Any]) -> None:
    _with_package(doc)["package"]["file_name"] = "../shadow"


def _abs_path(doc: dict[str, Any]) -> None:
    _with_package(doc)["package"]["path"] = "/etc/shadow"


def _payload_out(doc: dict[str, Any]) -> None:
    _with_package(doc)["payload"] = "../../x"


def _foreign_node(doc: dict[str, Any]) -> None:
    next(s for s in _steps(doc) if s["node"])["node"] = "somebody-else"


def _dangling_cover(doc: dict[str, Any]) -> None:
    _steps(doc)[0]["covers"] = ["nowhere/001-precheck"]


def _dup_seq(doc: dict[str, Any]) -> None:
    steps = _steps(doc)
    steps[1]["seq"] = steps[0]["seq"]


def _wrong_group(doc: dict[str, Any]) -> None:
    doc["groups"][0]["steps"][0]["group"] = "other"


def _order_foreign(doc: dict[str, Any]) -> None:
    doc["groups"][0]["order"] = ["x", "y"]


EDITS: dict[str, Callable[[dict[str, Any]], None]] = {
    "duplicate step id": _dup_id,
    "package path outside": _path_out,
    "file name outside": _file_name_out,
    "absolute package path": _abs_path,
    "payload outside": _payload_out,
    "step for a node not in its group": _foreign_node,
    "covers an unknown step": _dangling_cover,
    "duplicate seq": _dup_seq,
    "step in the wrong group": _wrong_group,
    "order naming other nodes": _order_foreign,
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_structure_is_checked_whatever_the_hash_says(plan: Plan, edit: str) -> None:
    doc = json.loads(planfile.dumps(plan))
    EDITS[edit](doc)
    with pytest.raises(PlanError) as err:
        planfile.loads(_rehash(doc))
    assert "\n" not in str(err.value)


def test_untouched_plan_still_loads(plan: Plan) -> None:
    assert planfile.loads(planfile.dumps(plan)) == plan


def _run(tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "plan.json"
    path.write_bytes(data)
    code = main(["run", str(path), str(tmp_path / "fleet.toml"), "--yes"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,
        b"\xff\xfe" + "{}".encode("utf-16-le"),
        b"[" * 200_000,
        b'{"a":' * 100_000,
        b"\x00" * 1000,
    ],
    ids=["binary", "utf16", "deep-arrays", "deep-objects", "nul"],
)
def test_garbage_plan_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    code, err = _run(tmp_path, data, capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "internal error" not in err
