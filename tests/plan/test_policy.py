"""The bundle: parsing, defaults, and every contradiction refused with a clear message."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from fwupdate.catalog.models import PackageType
from fwupdate.errors import ConfigError
from fwupdate.plan.models import ComponentKind
from fwupdate.plan.policy import (
    BareImagePolicy,
    JobQueuePolicy,
    StandalonePolicy,
    TargetMode,
    default_policy,
    policy_from_mapping,
    with_overrides,
)
from fwupdate.plan.selectors import parse_selector

BUNDLE = Path(__file__).resolve().parents[2] / "catalogs" / "r320-loadmaster.toml"


def shipped() -> dict[str, Any]:
    return tomllib.loads(BUNDLE.read_text())


def test_shipped_bundle_parses() -> None:
    p = policy_from_mapping(shipped(), source="r320.toml")
    assert p.name == "r320-loadmaster" and p.systems == ("04F7",)
    assert p.target is TargetMode.LATEST and p.combine_reboots
    assert not (p.opt_in_psu or p.opt_in_cpld or p.allow_downgrade or p.force_same_version)
    assert p.preference("iDRAC7") == (PackageType.LWXP, PackageType.LW64)
    assert p.preference("iDRAC9") == (PackageType.LW64, PackageType.LWXP)
    assert [s.version for s in p.idrac.stones("iDRAC7")] == ["1.66.65", "2.10.10.10"]
    assert p.idrac.stones("iDRAC7")[1].accept == ("2.20.20.20",)
    assert p.idrac.redfish_minimum("iDRAC7") == "2.60.60.60"
    assert p.idrac.redfish_minimum("iDRAC9") is None
    assert p.idrac.bare_image is BareImagePolicy.BELOW_REDFISH
    assert p.job_queue is JobQueuePolicy.CLEAR and p.standalone is StandalonePolicy.REFUSE
    assert p.loadmaster.platform == "BARE-METAL"


def test_shipped_bundle_equals_the_defaults_it_documents() -> None:
    p = policy_from_mapping(shipped(), source="r320.toml")
    d = default_policy()
    def key(stones):
        return [(s.generation, s.version, s.accept, s.package) for s in stones]

    assert key(p.idrac.stepping_stones) == key(d.idrac.stepping_stones)
    assert p.estimates == d.estimates


def test_empty_bundle_is_the_default() -> None:
    p = policy_from_mapping({}, source="empty")
    d = default_policy()
    assert p.idrac.stepping_stones == d.idrac.stepping_stones
    assert p.prefer_by_generation == d.prefer_by_generation


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    return out


BAD = [
    ("frobnicate", 1, "unknown key"),
    ("target.combine", True, "unknown key"),
    ("target.default", "newest", "allowed: latest, pinned"),
    ("target.default", "pinned", "no pins"),
    ("target.allow_downgrade", "yes", "true or false"),
    ("select.include", ["bios"], None),  # fine on its own
    ("select.exclude", ["gpu"], "unknown component family"),
    ("select.include", ["psu"], "contradictory"),
    ("select.include", ["node:x"], "names components, not nodes"),
    ("packages.prefer", ["LLXP"], "never Linux .BIN"),
    ("prechecks.job_queue", "ignore", "require-empty, clear"),
    ("idrac.bare_image", "sometimes", "below-redfish"),
    ("idrac.redfish_update_minimum", {"iDRAC7": "0.9"}, "below wsman_minimum"),
    (
        "idrac.stepping_stones",
        [{"generation": "iDRAC7", "version": "2.10.10.10"},
         {"generation": "iDRAC7", "version": "1.66.65"}],
        "oldest first",
    ),
    ("idrac.stepping_stones", [{"generation": "iDRAC7"}], "required"),
    (
        "idrac.stepping_stones",
        [{"generation": "iDRAC7", "version": "2.10.10.10", "accept": ["2.0"]}],
        "older than the stone",
    ),
    ("estimates.idrac_update", -5, ">= 0"),
    ("estimates.coffee_break", 5, "unknown estimate"),
    ("schema_version", 2, "not supported"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD)
def test_bad_bundles(path: str, value: Any, message: str | None) -> None:
    data = _set(shipped(), path, value)
    if message is None:
        policy_from_mapping(data, source="b.toml")
        return
    with pytest.raises(ConfigError) as exc:
        policy_from_mapping(data, source="b.toml")
    assert message in str(exc.value)
    assert str(exc.value).startswith("b.toml")


def test_include_and_exclude_the_same_is_contradictory() -> None:
    data = _set(shipped(), "select.include", ["bios"])
    data = _set(data, "select.exclude", ["bios"])
    with pytest.raises(ConfigError, match="both included and excluded"):
        policy_from_mapping(data, source="b")


def test_pins() -> None:
    data = _set(shipped(), "target.pins", [{"select": "bios", "version": "2.9.0"}])
    p = policy_from_mapping(data, source="b")
    assert p.pins[0].selector.value == "bios" and p.pins[0].version == "2.9.0"
    clash = _set(shipped(), "target.pins", [{"select": "bios", "version": "2.9.0"},
                                             {"select": "bios", "version": "2.8.0"}])
    with pytest.raises(ConfigError, match="pinned to both"):
        policy_from_mapping(clash, source="b")
    excluded = _set(data, "select.exclude", ["bios"])
    with pytest.raises(ConfigError, match="pinned and excluded"):
        policy_from_mapping(excluded, source="b")
    psu = _set(shipped(), "target.pins", [{"select": "psu", "version": "1"}])
    with pytest.raises(ConfigError, match="opt in"):
        policy_from_mapping(psu, source="b")
    psu_ok = _set(psu, "opt_in.psu", True)
    assert policy_from_mapping(psu_ok, source="b").opt_in_psu
    node = _set(shipped(), "target.pins", [{"select": "node:x", "version": "1"}])
    with pytest.raises(ConfigError, match="not nodes"):
        policy_from_mapping(node, source="b")


def test_overrides_are_validated() -> None:
    p = with_overrides(default_policy(), allow_downgrade=True, combine_reboots=False)
    assert p.allow_downgrade and not p.combine_reboots
    assert not with_overrides(p).force_same_version


def test_estimate_overrides() -> None:
    p = policy_from_mapping(_set(shipped(), "estimates.idrac_update", 300), source="b")
    assert p.estimates.idrac_update == 300


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("bios", "kind", "bios"),
        ("BIOS", "kind", "bios"),
        ("lc", "kind", ComponentKind.LIFECYCLE_CONTROLLER.value),
        ("159", "id", "159"),
        ("id:25227", "id", "25227"),
        ("category:NI", "category", "ni"),
        ("name:*PERC*", "name", "*perc*"),
        ("node:lb-a1", "node", "lb-a1"),
        ("pair:dc1", "pair", "dc1"),
    ],
)
def test_selectors(text: str, field: str, value: str) -> None:
    s = parse_selector(text)
    assert (s.field, s.value) == (field, value)


@pytest.mark.parametrize("text", ["", "gpu", "colour:red", "id:", "kind:gpu"])
def test_bad_selectors(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_selector(text, where="--only")


def test_systems_by_id_or_model() -> None:
    p = policy_from_mapping(_set(shipped(), "bundle.systems", ["R320", "04ce", "PowerEdge R320"]),
                            source="b")
    assert p.systems == ("04F7", "04CE")
    with pytest.raises(ConfigError, match="unknown model"):
        policy_from_mapping(_set(shipped(), "bundle.systems", ["R999"]), source="b")
