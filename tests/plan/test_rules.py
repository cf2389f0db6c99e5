"""The ordering rules as code: ids defined once, one function per rule, documented."""

from __future__ import annotations

from pathlib import Path

from fwupdate.idrac.models import Transport
from fwupdate.plan import rules_node, rules_pair
from fwupdate.plan.models import flag_text
from fwupdate.plan.rules import RULES, Rule, rule_text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "planning.md"


def test_every_rule_has_its_text() -> None:
    assert set(RULES) == set(Rule)
    assert rule_text("N10") == RULES[Rule.N10] and rule_text("X9") == ""


def test_rule_functions_are_named_after_rules_and_documented() -> None:
    names = [f.__name__ for f in rules_node.NODE_RULES]
    names += ["rule_p1_pair_precheck", "rule_p2_standby_first", "rule_p3_pair_postcheck"]
    text = DOCS.read_text(encoding="utf-8")
    for name in names:
        assert name.startswith("rule_"), name
        assert f"`{name}`" in text, name
        assert hasattr(rules_node, name) or hasattr(rules_pair, name), name
    covered = {part.upper() for n in names for part in n.split("_")[1:3]}
    assert {r.value for r in Rule} - covered == {"S1"}  # S1: order._standalone_outage


def test_on_disk_strings_unchanged() -> None:
    assert [t.value for t in Transport] == ["redfish", "wsman", "loadmaster-api"]
    assert (flag_text(True), flag_text(False)) == ("true", "false")
    assert [r.value for r in Rule][:3] == ["P1", "P2", "P3"]
