"""The bundle policy file and its loader."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from fwupdate.catalog import load_catalog
from fwupdate.catalog.models import PackageType
from fwupdate.catalog.policy import ComponentKind, load_policy, parse_policy
from fwupdate.errors import ConfigError, PlanError

from .conftest import POLICY_FILE, SUU_CATALOG


def sample() -> dict[str, Any]:
    return tomllib.loads(POLICY_FILE.read_text())


def test_r320_policy_file() -> None:
    p = load_policy(POLICY_FILE)
    assert (p.name, p.model, p.system_id) == ("r320-loadmaster", "R320", "04F7")
    assert p.package_types == (PackageType.LWXP, PackageType.LW64)
    assert p.combine_reboots is True
    assert not p.allows(ComponentKind.PSU) and not p.allows(ComponentKind.CPLD)
    assert p.allows(ComponentKind.BIOS)
    assert p.with_opt_in(ComponentKind.PSU).allows(ComponentKind.PSU)
    assert p.idrac.target == "2.65.65.65" and p.idrac.min_redfish_update == "2.60.60.60"
    assert [s.version for s in p.idrac.stepping_stones] == ["1.66.65", "2.10.10.10", "2.20.20.20"]
    assert p.loadmaster.image


@pytest.mark.parametrize(
    ("current", "available", "optional", "path"),
    [
        ("1.57.57", None, False, ("1.66.65", "2.10.10.10", "2.65.65.65")),
        ("1.57.57", {"1.66.65", "2.20.20.20", "2.65.65.65"}, False,
         ("1.66.65", "2.20.20.20", "2.65.65.65")),  # the real R320 path
        ("1.57.57", None, True, ("1.66.65", "2.10.10.10", "2.20.20.20", "2.65.65.65")),
        ("1.66.65", None, False, ("2.10.10.10", "2.65.65.65")),
        ("2.10.10.10", None, False, ("2.65.65.65",)),
        ("2.41.40.40", None, True, ("2.65.65.65",)),
        ("2.65.65.65", None, False, ()),
    ],
)
def test_idrac_upgrade_path(
    current: str, available: set[str] | None, optional: bool, path: tuple[str, ...]
) -> None:
    idrac = load_policy(POLICY_FILE).idrac
    assert idrac.upgrade_path(current, available=available, include_optional=optional) == path


def test_idrac_upgrade_path_missing_stone() -> None:
    idrac = load_policy(POLICY_FILE).idrac
    with pytest.raises(PlanError, match=r"must pass through 1\.66\.65"):
        idrac.upgrade_path("1.57.57", available={"2.65.65.65"})


def test_redfish_threshold() -> None:
    idrac = load_policy(POLICY_FILE).idrac
    assert not idrac.redfish_update_possible("2.50.50.50")
    assert idrac.redfish_update_possible("2.60.60.60")
    assert idrac.redfish_update_possible("2.65.65.65")


def test_rules_against_the_sample_catalog() -> None:
    p = load_policy(POLICY_FILE)
    cat = load_catalog(str(SUU_CATALOG), system_id=p.system_id, use_cache=False)
    by_key = {r.key: r for r in p.components}
    assert p.target_version(by_key["bios"], cat.components) == "2.9.0"
    assert p.target_version(by_key["idrac"], cat.components) == "2.65.65.65"
    assert p.target_version(by_key["perc"], cat.components) == "21.3.4-0001"
    kinds = {}
    for c in cat.components:
        rule = p.rule_for(c)
        if rule:
            kinds[rule.kind] = kinds.get(rule.kind, 0) + 1
    assert set(kinds) == set(ComponentKind) - {ComponentKind.OTHER}
    bios = [c for c in cat.components if c.component_ids == ("159",)
            and c.vendor_version == "2.9.0"]
    assert p.preferred_package(bios).package_type is PackageType.LWXP  # type: ignore[union-attr]


def _broken(edit: Any) -> str:
    doc = sample()
    edit(doc)
    with pytest.raises(ConfigError) as err:
        parse_policy(doc, "p.toml")
    return str(err.value)


def test_errors_name_the_key() -> None:
    assert "p.toml: combine_reboot: unknown key" in _broken(lambda d: d.update(combine_reboot=1))
    assert "combine_reboots: expected true or false" in _broken(
        lambda d: d.update(combine_reboots="yes"))
    assert "idrac: missing table" in _broken(lambda d: d.pop("idrac"))
    assert "idrac.target: missing" in _broken(lambda d: d["idrac"].pop("target"))
    assert "idrac.stepping_stones[1].version: stepping stone 2.70" in _broken(
        lambda d: d["idrac"]["stepping_stones"][1].update(version="2.70"))
    assert "idrac.stepping_stones: list the stones from the oldest" in _broken(
        lambda d: d["idrac"]["stepping_stones"].reverse())
    assert "components[1].kind: unknown kind 'gpu'" in _broken(
        lambda d: d["components"][1].update(kind="gpu"))
    assert "components[2].key: duplicate" in _broken(
        lambda d: d["components"][2].update(key="bios"))
    assert "package_types: unknown package type 'EXE'" in _broken(
        lambda d: d.update(package_types=["EXE"]))
    assert "system_id: 04CE does not belong to model R320" in _broken(
        lambda d: d.update(system_id="04CE"))
    assert "model: unknown model 'R999'" in _broken(
        lambda d: (d.pop("system_id"), d.update(model="R999")))
    assert "opt_in.gpu: unknown key" in _broken(lambda d: d["opt_in"].update(gpu=True))
    assert "idrac.target: \"latest\" is not allowed" in _broken(
        lambda d: d["idrac"].update(target="latest"))
    assert "schema: unsupported schema 2" in _broken(lambda d: d.update(schema=2))


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read policy file"):
        load_policy(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [unclosed")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_policy(bad)
