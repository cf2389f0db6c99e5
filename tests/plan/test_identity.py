"""Node identity by service tag (issue 11 defect 3): recorded in the plan, compared purely."""

from __future__ import annotations

import hashlib
import json

import plan_factories as pf
import pytest
from plan_factories import make_plan

from fwupdate.plan import planfile
from fwupdate.plan.identity import check_identity, service_tag_of


@pytest.fixture
def plan():  # type: ignore[no-untyped-def]
    return make_plan(pf.fleet(("p1",)))


def test_the_plan_records_each_nodes_service_tag(plan) -> None:  # type: ignore[no-untyped-def]
    assert plan.node("p1-a").service_tag == "TAG-a"
    assert plan.node("p1-b").service_tag == "TAG-b"
    doc = json.loads(planfile.dumps(plan))
    assert doc["groups"][0]["nodes"][0]["service_tag"] in ("TAG-a", "TAG-b")
    assert planfile.loads(planfile.dumps(plan)) == plan


def test_same_tag_passes_and_another_fails_naming_both(plan) -> None:  # type: ignore[no-untyped-def]
    assert check_identity(plan, "p1-a", "TAG-a").ok
    assert check_identity(plan, "p1-a", " tag-a ").ok  # case and blanks do not matter
    bad = check_identity(plan, "p1-a", "TAG-b")
    assert not bad.ok and not bad.skipped
    assert "TAG-a" in bad.line and "TAG-b" in bad.line and bad.line.startswith("p1-a: ")
    none = check_identity(plan, "p1-a", None)
    assert not none.ok and "no service tag" in none.line


def test_an_old_plan_without_tags_loads_and_the_check_is_skipped(plan) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(planfile.dumps(plan))
    for g in doc["groups"]:
        for n in g["nodes"]:
            del n["service_tag"]
    body = {k: v for k, v in doc.items() if k != "content_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    doc["content_sha256"] = hashlib.sha256(canonical.encode()).hexdigest()
    old = planfile.loads(json.dumps(doc))
    assert old.node("p1-a").service_tag is None
    # re-serialised it is still the same document (its content_sha256 holds)
    assert planfile.to_dict(old)["content_sha256"] == doc["content_sha256"]
    res = check_identity(old, "p1-a", "ANYTAG1")
    assert res.ok and res.skipped and "skipped" in res.line


def test_service_tag_of_an_inventory() -> None:
    assert service_tag_of(pf.r320_inventory("p1-a")) == "TAG-a"
    assert service_tag_of(pf.r320_inventory("p1-a", errors=("x",))) == "TAG-a"
