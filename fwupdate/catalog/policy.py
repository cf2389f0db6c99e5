"""Bundle policy files: what "up to date" means for one appliance model.

A policy (TOML, e.g. catalogs/r320-loadmaster.toml; format in docs/catalogs.md) names the system,
the package types to prefer, whether reboots are combined, which risky classes need an opt-in,
the iDRAC target with its stepping stones, and a target version (or "latest") per component.
The planner reads it; this module only loads, validates and answers small questions about it.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from fwupdate.catalog.models import PackageType, SoftwareComponent
from fwupdate.catalog.systems import KNOWN_MODELS, normalize_system_id, system_id_for_model
from fwupdate.catalog.versions import compare_versions, is_newer, newest, version_key
from fwupdate.errors import CatalogError, ConfigError, PlanError

LATEST = "latest"


class ComponentKind(StrEnum):
    IDRAC = "idrac"
    BIOS = "bios"
    DIAGNOSTICS = "diagnostics"
    DRIVER_PACK = "driver_pack"
    RAID = "raid"
    NIC = "nic"
    BACKPLANE = "backplane"
    PSU = "psu"
    CPLD = "cpld"
    OTHER = "other"


OPT_IN_KINDS = frozenset({ComponentKind.PSU, ComponentKind.CPLD})


@dataclass(frozen=True)
class SteppingStone:
    version: str
    must_pass: bool = True
    substitutes: tuple[str, ...] = ()
    note: str | None = None

    @property
    def versions(self) -> tuple[str, ...]:
        return (self.version, *self.substitutes)


@dataclass(frozen=True)
class IdracPolicy:
    component_id: str
    target: str
    min_redfish_update: str
    stepping_stones: tuple[SteppingStone, ...] = ()

    def redfish_update_possible(self, current: str) -> bool:
        """True when the iDRAC at `current` can take a firmware update over Redfish."""
        return compare_versions(current, self.min_redfish_update) >= 0

    def upgrade_path(
        self,
        current: str,
        *,
        available: Collection[str] | None = None,
        include_optional: bool = False,
    ) -> tuple[str, ...]:
        """The versions to install, in order, to take the iDRAC from `current` to `target`.

        Every must-pass stone above `current` is installed (its own version when `available`
        has it or is None, else the first available substitute); optional stones only with
        `include_optional`.  Raises PlanError when a must-pass stone has no available version.
        """

        def have(v: str) -> bool:
            return available is None or any(compare_versions(v, a) == 0 for a in available)

        steps: list[str] = []
        level = current
        for stone in self.stepping_stones:
            if not is_newer(stone.version, level) or not is_newer(self.target, stone.version):
                continue
            if not (stone.must_pass or include_optional):
                continue
            choice = next(
                (v for v in stone.versions if have(v) and is_newer(v, level)), None
            )
            if choice is None:
                if not stone.must_pass:
                    continue
                raise PlanError(
                    f"iDRAC {current} must pass through {' or '.join(stone.versions)} before "
                    f"{self.target}, and none of them is available"
                )
            steps.append(choice)
            level = choice
        if is_newer(self.target, level):
            steps.append(self.target)
        return tuple(steps)


@dataclass(frozen=True)
class ComponentRule:
    key: str
    kind: ComponentKind
    component_ids: tuple[str, ...]
    target: str = LATEST

    @property
    def wants_latest(self) -> bool:
        return self.target == LATEST

    def matches(self, component: SoftwareComponent) -> bool:
        return any(cid in self.component_ids for cid in component.component_ids)


@dataclass(frozen=True)
class LoadMasterPolicy:
    image: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class BundlePolicy:
    name: str
    system_id: str
    idrac: IdracPolicy
    model: str | None = None
    description: str | None = None
    package_types: tuple[PackageType, ...] = (PackageType.LWXP, PackageType.LW64)
    combine_reboots: bool = True
    opted_in: frozenset[ComponentKind] = frozenset()
    components: tuple[ComponentRule, ...] = ()
    loadmaster: LoadMasterPolicy = LoadMasterPolicy()
    source: str = ""

    def rule_for(self, component: SoftwareComponent) -> ComponentRule | None:
        return next((r for r in self.components if r.matches(component)), None)

    def allows(self, kind: ComponentKind) -> bool:
        """PSU and CPLD updates happen only when opted in; every other kind is allowed."""
        return kind not in OPT_IN_KINDS or kind in self.opted_in

    def with_opt_in(self, *kinds: ComponentKind) -> BundlePolicy:
        return dataclasses.replace(self, opted_in=self.opted_in | frozenset(kinds))

    def accepts(self, package_type: PackageType) -> bool:
        return package_type in self.package_types

    def preferred_package(
        self, candidates: Iterable[SoftwareComponent]
    ) -> SoftwareComponent | None:
        """Among packages of the same release, the one of the most preferred package type."""
        ranked = [c for c in candidates if self.accepts(c.package_type)]
        if not ranked:
            return None
        return min(ranked, key=lambda c: self.package_types.index(c.package_type))

    def target_version(
        self, rule: ComponentRule, components: Iterable[SoftwareComponent]
    ) -> str | None:
        """The version `rule` asks for: its pinned version, or the newest acceptable package
        among `components` that match it (None when there is none)."""
        if not rule.wants_latest:
            return rule.target
        versions = [
            c.vendor_version
            for c in components
            if rule.matches(c) and self.accepts(c.package_type) and self.system_id in c.system_ids
        ]
        return newest(versions)


# --- loading -----------------------------------------------------------------------------------


class _Reader:
    """Typed access to one TOML table with errors that name the key."""

    def __init__(self, data: Mapping[str, Any], where: str, source: str) -> None:
        self.data = data
        self.where = where
        self.source = source

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.key(name)}: {problem}")

    def check_keys(self, allowed: Collection[str]) -> None:
        for k in self.data:
            if k not in allowed:
                raise self.fail(k, f"unknown key (known: {', '.join(sorted(allowed))})")

    def str_(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        if name not in self.data:
            if required:
                raise self.fail(name, "missing")
            return default
        value = self.data[name]
        if not isinstance(value, str):
            raise self.fail(name, f"expected a string, got {type(value).__name__}")
        return value.strip()

    def req_str(self, name: str) -> str:
        value = self.str_(name, required=True)
        if not value:
            raise self.fail(name, "must not be empty")
        return value

    def bool_(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {value!r}")
        return value

    def str_list(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        if name not in self.data:
            return default
        value = self.data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(name, "expected a list of non-empty strings")
        return tuple(v.strip() for v in value)

    def table(self, name: str, *, required: bool = False) -> _Reader:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(name, "missing table")
            value = {}
        if not isinstance(value, dict):
            raise self.fail(name, "expected a table")
        return _Reader(value, self.key(name), self.source)

    def tables(self, name: str) -> list[_Reader]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(name, "expected a list of tables")
        return [_Reader(v, f"{self.key(name)}[{i}]", self.source) for i, v in enumerate(value)]


def _version(r: _Reader, name: str) -> str:
    value = r.req_str(name)
    if value == LATEST:
        raise r.fail(name, '"latest" is not allowed here; give a version')
    return value


def _stones(r: _Reader, target: str) -> tuple[SteppingStone, ...]:
    stones = []
    for s in r.tables("stepping_stones"):
        s.check_keys(("version", "must_pass", "substitutes", "note"))
        version = _version(s, "version")
        substitutes = s.str_list("substitutes")
        for v in (version, *substitutes):
            if not is_newer(target, v):
                raise s.fail("version", f"stepping stone {v} is not below the target {target}")
        for v in substitutes:
            if not is_newer(v, version):
                raise s.fail("substitutes", f"{v} is not newer than the stone {version}")
        stones.append(SteppingStone(version, s.bool_("must_pass", True), substitutes,
                                    s.str_("note")))
    ordered = sorted(stones, key=lambda st: version_key(st.version))
    if [st.version for st in ordered] != [st.version for st in stones]:
        raise r.fail("stepping_stones", "list the stones from the oldest version to the newest")
    return tuple(stones)


def parse_policy(data: Mapping[str, Any], source: str = "<policy>") -> BundlePolicy:
    """Validate a policy document (already decoded from TOML)."""
    top = _Reader(data, "", source)
    top.check_keys(("schema", "name", "description", "model", "system_id", "package_types",
                    "combine_reboots", "opt_in", "idrac", "loadmaster", "components"))
    schema = data.get("schema", 1)
    if schema != 1:
        raise top.fail("schema", f"unsupported schema {schema!r} (this fwupdate reads 1)")

    model = top.str_("model")
    raw_sid = top.str_("system_id")
    try:
        sid_from_model = system_id_for_model(model) if model else None
        sid = normalize_system_id(raw_sid) if raw_sid else sid_from_model
    except CatalogError as exc:
        raise top.fail("model" if model and not raw_sid else "system_id", exc.message) from None
    if sid is None:
        raise top.fail("system_id", "missing (give system_id or a known model: "
                       f"{', '.join(KNOWN_MODELS)})")
    if sid_from_model and sid != sid_from_model:
        raise top.fail("system_id", f"{sid} does not belong to model {model} ({sid_from_model})")

    ptypes = []
    for p in top.str_list("package_types", ("LWXP", "LW64")):
        pt = PackageType.from_value(p)
        if pt is PackageType.OTHER:
            raise top.fail("package_types", f"unknown package type {p!r} (LWXP, LW64, LLXP, GZ)")
        ptypes.append(pt)
    if not ptypes:
        raise top.fail("package_types", "must name at least one package type")

    opt = top.table("opt_in")
    opt.check_keys(tuple(k.value for k in OPT_IN_KINDS))
    opted = frozenset(k for k in OPT_IN_KINDS if opt.bool_(k.value, False))

    ir = top.table("idrac", required=True)
    ir.check_keys(("component_id", "target", "min_redfish_update", "stepping_stones"))
    target = _version(ir, "target")
    idrac = IdracPolicy(
        component_id=ir.req_str("component_id"),
        target=target,
        min_redfish_update=_version(ir, "min_redfish_update"),
        stepping_stones=_stones(ir, target),
    )

    lm = top.table("loadmaster")
    lm.check_keys(("image", "version"))
    loadmaster = LoadMasterPolicy(
        image=lm.str_("image") or None, version=lm.str_("version") or None
    )

    rules = []
    seen: set[str] = set()
    for c in top.tables("components"):
        c.check_keys(("key", "kind", "component_ids", "target"))
        key = c.req_str("key")
        if key in seen:
            raise c.fail("key", f"duplicate component key {key!r}")
        seen.add(key)
        kind_text = c.req_str("kind")
        try:
            kind = ComponentKind(kind_text)
        except ValueError:
            raise c.fail("kind", f"unknown kind {kind_text!r} (known: "
                         f"{', '.join(k.value for k in ComponentKind)})") from None
        ids = c.str_list("component_ids")
        if not ids:
            raise c.fail("component_ids", "must list at least one componentID")
        rules.append(ComponentRule(key, kind, ids, c.str_("target", LATEST) or LATEST))

    return BundlePolicy(
        name=top.req_str("name"),
        description=top.str_("description"),
        model=model,
        system_id=sid,
        package_types=tuple(ptypes),
        combine_reboots=top.bool_("combine_reboots", True),
        opted_in=opted,
        idrac=idrac,
        loadmaster=loadmaster,
        components=tuple(rules),
        source=source,
    )


def load_policy(path: str | Path) -> BundlePolicy:
    """Read and validate a policy file; ConfigError (exit 2) names the file and the key."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read policy file {p}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from None
    return parse_policy(data, str(p))
