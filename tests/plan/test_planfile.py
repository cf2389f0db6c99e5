"""The plan file: exact round trip, tamper detection, versioning; the run-time drift check."""

from __future__ import annotations

import dataclasses
import json

import plan_factories as pf
import pytest
from plan_factories import make_plan

from fwupdate.errors import PlanError
from fwupdate.plan import planfile
from fwupdate.plan.drift import check_node, node_fingerprint
from fwupdate.plan.models import StepKind


@pytest.fixture
def plan():
    f = pf.fleet(("p1",), ("solo",))
    invs = pf.inventories(f)
    invs["p1-b"] = pf.r320_inventory("p1-b", "1.57.57")
    return make_plan(f, invs, lm_image=pf.lm_image(), allow_standalone=True,
                     window="21:00-05:30")


def test_round_trip_is_exact(plan) -> None:
    text = planfile.dumps(plan)
    again = planfile.loads(text)
    assert again == plan
    assert planfile.dumps(again) == text


def test_document_shape(plan) -> None:
    doc = json.loads(planfile.dumps(plan))
    assert doc["schema"] == "fwupdate-plan" and doc["schema_version"] == 1
    assert doc["created_at"] == "2025-01-01T00:00:00+00:00"
    assert doc["inputs"]["catalog"]["sha256"] == "c" * 64
    assert len(doc["inputs"]["inventory"]["sha256"]) == 64
    assert doc["inputs"]["lm_image"]["version"] == "7.1-Patch28b"
    assert doc["policy"]["combine_reboots"] == "true"
    assert doc["schedule"]["window"]["fits"] is True
    step = next(s for g in doc["groups"] for s in g["steps"] if s["kind"] == "idrac_update")
    assert set(step) == {
        "id", "seq", "kind", "group", "node", "component", "from_version", "to_version",
        "package", "payload", "transport", "impact", "requires_partner_healthy",
        "estimated_seconds", "rule", "reason", "covers", "expect", "params",
    }
    assert step["payload"] == "payload/firmimg.d7" and step["transport"] == "wsman"
    assert step["package"]["file_name"].startswith("ESM_Firmware")
    assert "deviates from Dell" in doc["rules"]["N2"]
    assert list(doc["rules"])[:2] == ["P1", "P3"] and "S1" not in doc["rules"]
    node = doc["groups"][0]["nodes"][0]
    assert len(node["inventory_sha256"]) == 64 and node["inventory"]


def test_edited_plan_is_refused(plan) -> None:
    doc = json.loads(planfile.dumps(plan))
    doc["groups"][0]["steps"][1]["to_version"] = "9.9.9"
    with pytest.raises(PlanError, match="edited after it was made"):
        planfile.from_dict(doc)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema_version=2), "schema_version 2"),
        (lambda d: d.pop("schema"), "not a fwupdate plan"),
    ],
)
def test_wrong_schema(plan, mutate, message) -> None:
    doc = json.loads(planfile.dumps(plan))
    mutate(doc)
    with pytest.raises(PlanError, match=message):
        planfile.from_dict(doc)


def test_not_json() -> None:
    with pytest.raises(PlanError, match="not valid JSON"):
        planfile.loads("{nope")


def test_broken_field_names_its_path(plan) -> None:
    doc = json.loads(planfile.dumps(plan))
    doc["groups"][0]["steps"][0]["seq"] = "one"
    body = {k: v for k, v in doc.items() if k != "content_sha256"}
    doc["content_sha256"] = __import__("hashlib").sha256(planfile._canonical(body)).hexdigest()
    with pytest.raises(PlanError, match=r"plan.groups\[0\].steps\[0\].seq"):
        planfile.from_dict(doc)


# --- drift ---------------------------------------------------------------------------------------


def test_unchanged_node_matches(plan) -> None:
    assert check_node(plan, "p1-a", pf.r320_inventory("p1-a")) == ()


def test_intermediate_and_final_versions_are_allowed(plan) -> None:
    # resumed after the first stepping stone, and after everything
    assert check_node(plan, "p1-b", pf.r320_inventory("p1-b", "1.66.65")) == ()
    done = pf.r320_inventory("p1-b", "2.65.65.65", bios="2.9.0", diag="4247A1")
    assert check_node(plan, "p1-b", done) == ()


def test_changed_version_is_drift(plan) -> None:
    reasons = check_node(plan, "p1-a", pf.r320_inventory("p1-a", bios="2.5.0"))
    assert len(reasons) == 1 and "BIOS is at 2.5.0" in reasons[0]


def test_new_and_missing_components_are_drift(plan) -> None:
    inv = pf.r320_inventory("p1-a", extra=[pf.fw("Tape Drive", "1.0", "777")])
    assert any("was not in the planned inventory" in r for r in check_node(plan, "p1-a", inv))
    inv = pf.r320_inventory("p1-a")
    inv = dataclasses.replace(inv, components=tuple(
        c for c in inv.components if c.component_id != "20137"))
    assert any("gone from the live inventory" in r for r in check_node(plan, "p1-a", inv))


def test_unreadable_live_inventory_is_drift(plan) -> None:
    inv = pf.r320_inventory("p1-a", errors=("timeout",))
    assert "timeout" in check_node(plan, "p1-a", inv)[0]


def test_fingerprint_ignores_member_ids_and_previous_entries() -> None:
    a = pf.r320_inventory("n")
    b = dataclasses.replace(
        a,
        components=tuple(
            dataclasses.replace(c, id=c.id + "-x") for c in a.components if c.state != "Previous"
        ),
    )
    assert node_fingerprint(a) == node_fingerprint(b)
    assert node_fingerprint(a) != node_fingerprint(pf.r320_inventory("n", bios="2.5.0"))


def test_plan_records_node_fingerprints(plan) -> None:
    node = plan.node("p1-a")
    assert node.inventory_sha256 == node_fingerprint(pf.r320_inventory("p1-a"))
    assert any(s.kind is StepKind.VERIFY and s.expect for s in plan.node_steps("p1-a"))


def test_vs_baseline_is_recorded_per_pair_and_optional(plan) -> None:
    """The Virtual Services Up at planning time are in the pair's plan (additive: a plan file
    made before has no such key and still loads, without a baseline)."""
    pair = next(g for g in plan.groups if not g.standalone)
    solo = next(g for g in plan.groups if g.standalone)
    assert pair.vs_baseline == () and solo.vs_baseline is None
    with_vs = dataclasses.replace(plan, groups=tuple(
        dataclasses.replace(g, vs_baseline=("api", "web")) if g is pair else g
        for g in plan.groups))
    doc = json.loads(planfile.dumps(with_vs))
    assert doc["groups"][0]["vs_baseline"] == ["api", "web"]
    assert planfile.loads(planfile.dumps(with_vs)) == with_vs
    old = dataclasses.replace(plan, groups=tuple(
        dataclasses.replace(g, vs_baseline=None) for g in plan.groups))
    text = planfile.dumps(old)
    assert "vs_baseline" not in text
    assert all(g.vs_baseline is None for g in planfile.loads(text).groups)


# --- the typed document (issue 16) ----------------------------------------------------------------


def _v1_seal(doc: dict) -> dict:
    """Seal a document the way every fwupdate before msgspec did (stdlib json, ASCII-escaped)."""
    body = {k: v for k, v in doc.items() if k != "content_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return {**body, "content_sha256": __import__("hashlib").sha256(canonical.encode()).hexdigest()}


def test_a_plan_made_before_the_additive_keys_still_reads(plan) -> None:
    doc = json.loads(planfile.dumps(plan))
    for g in doc["groups"]:
        g.pop("vs_baseline", None)
        for n in g["nodes"]:
            n.pop("service_tag", None)
        for s in g["steps"]:
            s.pop("packages", None)
    old = planfile.loads(json.dumps(_v1_seal(doc)))
    assert all(g.vs_baseline is None for g in old.groups)
    assert all(n.service_tag is None for g in old.groups for n in g.nodes)
    assert planfile.to_dict(old)["content_sha256"] == _v1_seal(doc)["content_sha256"]


def test_non_ascii_text_keeps_the_version_1_seal(plan) -> None:
    odd = dataclasses.replace(plan, warnings=("café \u2713 \U0001f600 \x7f", *plan.warnings))
    doc = json.loads(planfile.dumps(odd))
    assert doc["content_sha256"] == _v1_seal(doc)["content_sha256"]
    assert planfile.loads(planfile.dumps(odd)) == odd


STEP0 = r"^plan file: plan\.groups\[0\]\.steps\[0\]"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.update(kind="teleport"), STEP0 + r"\.kind: unknown 'teleport'"),
        (lambda s: s.pop("reason"), STEP0 + r": missing reason"),
        (lambda s: s.update(impact=[True]), STEP0 + r"\.impact\[0\]: expected"),
        (lambda s: s.update(requires_partner_healthy=1),
         STEP0 + r"\.requires_partner_healthy: expected true or false"),
        (lambda s: s.update(params={"a": 1}), STEP0 + r"\.params\[\.\.\.\]: expected a string"),
    ],
)
def test_a_bad_field_is_one_line_naming_its_path(plan, mutate, message) -> None:
    doc = json.loads(planfile.dumps(plan))
    mutate(doc["groups"][0]["steps"][0])
    with pytest.raises(PlanError, match=message) as err:
        planfile.loads(json.dumps(_v1_seal(doc)))
    assert "\n" not in str(err.value)
    with pytest.raises(PlanError, match=message):
        planfile.from_dict(_v1_seal(doc))


@pytest.mark.parametrize("version", [0, "1", 1.5, None, [1]])
def test_other_schema_versions_are_refused_in_one_line(plan, version) -> None:
    doc = json.loads(planfile.dumps(plan))
    doc["schema_version"] = version
    with pytest.raises(PlanError, match="schema_version") as err:
        planfile.loads(json.dumps(_v1_seal(doc)))
    assert "\n" not in str(err.value) and "make the plan again" in str(err.value)


def test_render_pieces_join_to_render(plan) -> None:
    sealed = planfile.seal(plan)
    assert "".join(planfile.render_pieces(sealed)) == planfile.render(sealed)


@pytest.mark.parametrize("text", ["plain", "§4.5", "x\x7fy", "em — dash", "astral 😀 é", "\u2028"])
def test_canonical_sha256_hashes_the_ascii_escaped_json(text: str) -> None:
    import hashlib

    doc = {"b": [text, {"c": text + text}], "a": 1}
    want = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    assert planfile._canonical(doc) == want
    assert planfile._canonical_sha256(doc) == hashlib.sha256(want).hexdigest()
