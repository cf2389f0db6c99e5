"""The update policy ("bundle"): what up to date means and how a night may reach it.

A bundle is a TOML file (format: docs/planning.md, example catalogs/r320-loadmaster.toml).  This
module is pure: the CLI reads the file with tomllib and passes the mapping to
`policy_from_mapping`; unknown keys and contradictions are errors, because a typo in a policy
would silently change what happens to a fleet at night.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from fwupdate.catalog.models import PackageType
from fwupdate.catalog.systems import normalize_system_id, system_id_for_model
from fwupdate.catalog.versions import compare_versions, version_key
from fwupdate.errors import ConfigError, FwupdateError
from fwupdate.pathsafe import package_path_reason
from fwupdate.plan.delivery import DeliveryPolicy, delivery_from_mapping
from fwupdate.plan.estimate import Estimates, estimates_from_mapping
from fwupdate.plan.models import ComponentKind
from fwupdate.plan.selectors import Selector, parse_selector, parse_selectors
from fwupdate.sigpolicy import SignaturePolicy

POLICY_SCHEMA_VERSION = 1

_E = TypeVar("_E", bound=StrEnum)
_HEX_ID = re.compile(r"(?:0x)?[0-9A-Fa-f]{4}")


class TargetMode(StrEnum):
    LATEST = "latest"  # newest usable package in the catalog, unless pinned
    PINNED = "pinned"  # only pinned components are updated


class JobQueuePolicy(StrEnum):
    REQUIRE_EMPTY = "require-empty"  # refuse the node if any job is queued
    CLEAR = "clear"  # delete queued jobs (JID_CLEARALL) before the first update


class BareImagePolicy(StrEnum):
    BELOW_REDFISH = "below-redfish"  # send firmimg.d7 while the iDRAC is below Redfish update reach
    ALWAYS = "always"  # always send the bare image (avoids RED007 on old signing certificates)
    NEVER = "never"  # always send the whole Windows DUP


class StandalonePolicy(StrEnum):
    REFUSE = "refuse"  # a standalone node's reboot is an outage: refuse unless --allow-standalone
    ALLOW = "allow"


@dataclass(frozen=True)
class Pin:
    selector: Selector
    version: str


@dataclass(frozen=True)
class SteppingStone:
    """A version every iDRAC of `generation` below it must pass through on its way up."""

    generation: str  # "iDRAC7"
    version: str
    accept: tuple[str, ...] = ()  # equivalent stones (e.g. 2.20.20.20 for 2.10.10.10)
    package: str | None = None  # repository file to use when the catalog lacks this version
    reason: str = ""

    @property
    def versions(self) -> tuple[str, ...]:
        return (self.version, *self.accept)


@dataclass(frozen=True)
class IdracPolicy:
    bare_image: BareImagePolicy = BareImagePolicy.BELOW_REDFISH
    # iDRAC firmware needed for a Redfish firmware update (idrac-redfish.md §0, §8)
    redfish_update_minimum: tuple[tuple[str, str], ...] = (
        ("iDRAC7", "2.60.60.60"),
        ("iDRAC8", "2.60.60.60"),
    )
    # WS-Man (LC2 InstallFromURI) exists from the first iDRAC7 release (idrac-wsman.md §3)
    wsman_minimum: tuple[tuple[str, str], ...] = (("iDRAC7", "1.0"), ("iDRAC8", "1.0"))
    stepping_stones: tuple[SteppingStone, ...] = ()

    def redfish_minimum(self, generation: str) -> str | None:
        """None: this generation always updates over Redfish (iDRAC9+)."""
        return dict(self.redfish_update_minimum).get(generation)

    def wsman_min(self, generation: str) -> str | None:
        return dict(self.wsman_minimum).get(generation)

    def stones(self, generation: str) -> tuple[SteppingStone, ...]:
        return tuple(s for s in self.stepping_stones if s.generation == generation)


@dataclass(frozen=True)
class LoadMasterPolicy:
    image: str | None = None  # file name, relative to the bundle; --lm-image overrides
    version: str | None = None  # the version the image must carry
    platform: str = "BARE-METAL"
    allow_downgrade: bool = False
    restore_preferred_host: bool = False  # after the pair: put the old preferred host back


@dataclass(frozen=True)
class Policy:
    name: str = "default"
    source: str | None = None
    systems: tuple[str, ...] = ()  # system ids the bundle is written for; empty = any
    target: TargetMode = TargetMode.LATEST
    pins: tuple[Pin, ...] = ()
    include: tuple[Selector, ...] = ()
    exclude: tuple[Selector, ...] = ()
    allow_downgrade: bool = False
    force_same_version: bool = False
    combine_reboots: bool = True
    opt_in_psu: bool = False
    opt_in_cpld: bool = False
    prefer: tuple[PackageType, ...] = (PackageType.LW64, PackageType.LWXP)
    prefer_by_generation: tuple[tuple[str, tuple[PackageType, ...]], ...] = (
        ("iDRAC7", (PackageType.LWXP, PackageType.LW64)),
    )
    job_queue: JobQueuePolicy = JobQueuePolicy.CLEAR
    standalone: StandalonePolicy = StandalonePolicy.REFUSE
    idrac: IdracPolicy = field(default_factory=IdracPolicy)
    loadmaster: LoadMasterPolicy = field(default_factory=LoadMasterPolicy)
    estimates: Estimates = field(default_factory=Estimates)
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    signatures: SignaturePolicy = SignaturePolicy.REQUIRE

    def preference(self, generation: str | None) -> tuple[PackageType, ...]:
        return dict(self.prefer_by_generation).get(generation or "", self.prefer)

    def summary(self) -> tuple[tuple[str, str], ...]:
        """Flat key/value view recorded in the plan file."""

        def sel(ss: tuple[Selector, ...]) -> str:
            return ",".join(s.text for s in ss)

        return (
            ("name", self.name),
            ("target", self.target.value),
            ("pins", ",".join(f"{p.selector.text}={p.version}" for p in self.pins)),
            ("include", sel(self.include)),
            ("exclude", sel(self.exclude)),
            ("allow_downgrade", str(self.allow_downgrade).lower()),
            ("force_same_version", str(self.force_same_version).lower()),
            ("combine_reboots", str(self.combine_reboots).lower()),
            ("opt_in_psu", str(self.opt_in_psu).lower()),
            ("opt_in_cpld", str(self.opt_in_cpld).lower()),
            ("job_queue", self.job_queue.value),
            ("bare_image", self.idrac.bare_image.value),
            (
                "stepping_stones",
                ",".join(
                    f"{s.generation}:{'|'.join(s.versions)}" for s in self.idrac.stepping_stones
                ),
            ),
            (
                "redfish_update_minimum",
                ",".join(f"{g}:{v}" for g, v in self.idrac.redfish_update_minimum),
            ),
            ("loadmaster_version", self.loadmaster.version or ""),
            ("delivery", self.delivery.summary()),
            ("signatures", self.signatures.value),
        )


# iDRAC7 stepping stones (catalog-and-dup.md §4.3, idrac-redfish.md §9).
R320_STEPPING_STONES: tuple[SteppingStone, ...] = (
    SteppingStone(
        "iDRAC7",
        "1.66.65",
        reason="last standalone iDRAC7 release; jumping across the eMMC layout change can brick "
        "the iDRAC (catalog-and-dup.md §4.3)",
    ),
    SteppingStone(
        "iDRAC7",
        "2.10.10.10",
        accept=("2.20.20.20",),
        reason="first combined 'iDRAC with Lifecycle Controller'; the R320 field path used "
        "2.20.20.20 (idrac-redfish.md §9)",
    ),
)


def default_policy() -> Policy:
    """The policy used when no bundle is given (compliance): latest, R320 stepping stones."""
    return Policy(idrac=IdracPolicy(stepping_stones=R320_STEPPING_STONES))


# --- parsing -------------------------------------------------------------------------------------

_TOP_KEYS = {
    "schema_version",
    "signatures",
    "bundle",
    "target",
    "select",
    "opt_in",
    "packages",
    "prechecks",
    "idrac",
    "loadmaster",
    "delivery",
    "estimates",
}


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


def _keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _bool(data: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false")
    return value


def _str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key} must be a non-empty string")
    return value.strip()


def _str_list(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _enum(cls: type[_E], data: Mapping[str, Any], key: str, default: _E, where: str) -> _E:
    value = data.get(key, default.value)
    try:
        return cls(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ConfigError(f"{where}: {key} = {value!r}; allowed: {allowed}") from None


def _package_types(values: tuple[str, ...], where: str) -> tuple[PackageType, ...]:
    out: list[PackageType] = []
    for v in values:
        pt = PackageType.from_value(v)
        if not pt.is_windows:
            raise ConfigError(
                f"{where}: package type {v!r} cannot be sent to an iDRAC; use LWXP and/or LW64 "
                "(iDRAC interfaces take Windows DUPs, never Linux .BIN)"
            )
        out.append(pt)
    if not out:
        raise ConfigError(f"{where}: list at least one package type (LWXP, LW64)")
    return tuple(out)


def _version_table(
    data: Mapping[str, Any], key: str, default: tuple[tuple[str, str], ...], where: str
) -> tuple[tuple[str, str], ...]:
    if key not in data:
        return default
    table = data[key]
    if not isinstance(table, Mapping) or not all(
        isinstance(v, str) and v.strip() for v in table.values()
    ):
        raise ConfigError(f"{where}: [{key}] must map a generation (iDRAC7) to a version string")
    return tuple(sorted((str(g), str(v).strip()) for g, v in table.items()))


def _systems(values: tuple[str, ...], where: str) -> tuple[str, ...]:
    """System ids ("04F7") or model names ("R320", "PowerEdge R320") -> system ids."""
    out: list[str] = []
    for v in values:
        try:
            sid = normalize_system_id(v) if _HEX_ID.fullmatch(v) else system_id_for_model(v)
        except FwupdateError as exc:
            raise ConfigError(f"{where} [bundle] systems: {exc.message}") from None
        if sid not in out:
            out.append(sid)
    return tuple(out)


def _stones(data: Mapping[str, Any], where: str) -> tuple[SteppingStone, ...]:
    raw = data.get("stepping_stones", None)
    if raw is None:
        return R320_STEPPING_STONES
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: stepping_stones must be an array of tables")
    out: list[SteppingStone] = []
    for i, item in enumerate(raw):
        w = f"{where}.stepping_stones[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{w}: must be a table")
        _keys(item, {"generation", "version", "accept", "package", "reason"}, w)
        generation = _str(item, "generation", w)
        version = _str(item, "version", w)
        if not generation or not version:
            raise ConfigError(f"{w}: generation and version are required")
        package = _str(item, "package", w)
        if package and (reason := package_path_reason(package)):
            raise ConfigError(f"{w}.package {package!r}: {reason}; refused")
        out.append(
            SteppingStone(
                generation=generation,
                version=version,
                accept=_str_list(item, "accept", w),
                package=package,
                reason=_str(item, "reason", w) or "",
            )
        )
    return tuple(out)


def _pins(data: Mapping[str, Any], where: str) -> tuple[Pin, ...]:
    raw = data.get("pins", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: pins must be an array of tables")
    pins: list[Pin] = []
    for i, item in enumerate(raw):
        w = f"{where}.pins[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{w}: must be a table with select and version")
        _keys(item, {"select", "version"}, w)
        text = _str(item, "select", w)
        version = _str(item, "version", w)
        if not text or not version:
            raise ConfigError(f"{w}: select and version are required")
        sel = parse_selector(text, where=w)
        if sel.is_node_selector:
            raise ConfigError(f"{w}: pins select components, not nodes ({text!r})")
        pins.append(Pin(sel, version))
    return tuple(pins)


# The bundle's tables and the keys each may hold, checked in this order.
_SECTION_KEYS: tuple[tuple[str, frozenset[str]], ...] = (
    ("bundle", frozenset({"name", "description", "systems"})),
    ("target", frozenset(
        {"default", "allow_downgrade", "force_same_version", "combine_reboots", "pins"}
    )),
    ("select", frozenset({"include", "exclude"})),
    ("opt_in", frozenset({"psu", "cpld"})),
    ("packages", frozenset({"prefer", "prefer_by_generation"})),
    ("prechecks", frozenset({"job_queue", "standalone"})),
    ("idrac", frozenset(
        {"bare_image", "redfish_update_minimum", "wsman_minimum", "stepping_stones"}
    )),
    ("loadmaster", frozenset(
        {"image", "version", "platform", "allow_downgrade", "restore_preferred_host"}
    )),
)


def _sections(data: Mapping[str, Any], where: str) -> dict[str, Mapping[str, Any]]:
    """The top-level keys, the schema version, then each table with its keys checked."""
    _keys(data, _TOP_KEYS, where)
    schema = data.get("schema_version", POLICY_SCHEMA_VERSION)
    if schema != POLICY_SCHEMA_VERSION:
        raise ConfigError(
            f"{where}: schema_version {schema!r} is not supported (this fwupdate reads "
            f"{POLICY_SCHEMA_VERSION})"
        )
    sections: dict[str, Mapping[str, Any]] = {}
    for name, allowed in _SECTION_KEYS:
        sections[name] = _table(data, name, where)
        _keys(sections[name], set(allowed), f"{where} [{name}]")
    return sections


_Preference = tuple[PackageType, ...]


def _preferences(packages: Mapping[str, Any], where: str
                 ) -> tuple[_Preference, tuple[tuple[str, _Preference], ...]]:
    """[packages] prefer and prefer_by_generation, defaulting to Policy's."""
    defaults = Policy()
    prefer = defaults.prefer
    if "prefer" in packages:
        prefer = _package_types(_str_list(packages, "prefer", f"{where} [packages]"), where)
    by_gen = defaults.prefer_by_generation
    if "prefer_by_generation" in packages:
        table = packages["prefer_by_generation"]
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where} [packages.prefer_by_generation] must be a table")
        by_gen = tuple(
            sorted(
                (str(g), _package_types(_str_list(table, g, f"{where} [packages]"), where))
                for g in table
            )
        )
    return prefer, by_gen


def _idrac_policy(idrac: Mapping[str, Any], where: str) -> IdracPolicy:
    where = f"{where} [idrac]"
    return IdracPolicy(
        bare_image=_enum(
            BareImagePolicy, idrac, "bare_image", BareImagePolicy.BELOW_REDFISH, where
        ),
        redfish_update_minimum=_version_table(
            idrac, "redfish_update_minimum", IdracPolicy().redfish_update_minimum, where
        ),
        wsman_minimum=_version_table(
            idrac, "wsman_minimum", IdracPolicy().wsman_minimum, where
        ),
        stepping_stones=_stones(idrac, where),
    )


def _loadmaster_policy(lm: Mapping[str, Any], where: str) -> LoadMasterPolicy:
    where = f"{where} [loadmaster]"
    return LoadMasterPolicy(
        image=_str(lm, "image", where),
        version=_str(lm, "version", where),
        platform=(_str(lm, "platform", where) or "BARE-METAL").upper(),
        allow_downgrade=_bool(lm, "allow_downgrade", False, where),
        restore_preferred_host=_bool(lm, "restore_preferred_host", False, where),
    )


def policy_from_mapping(data: Mapping[str, Any], *, source: str = "bundle") -> Policy:
    """Build and validate a Policy from a parsed TOML bundle."""
    where = source
    sec = _sections(data, where)
    bundle, target, select, opt_in = sec["bundle"], sec["target"], sec["select"], sec["opt_in"]
    prechecks = sec["prechecks"]
    prefer, by_gen = _preferences(sec["packages"], where)
    policy = Policy(
        name=_str(bundle, "name", f"{where} [bundle]") or "bundle",
        source=source,
        systems=_systems(_str_list(bundle, "systems", f"{where} [bundle]"), where),
        target=_enum(TargetMode, target, "default", TargetMode.LATEST, f"{where} [target]"),
        pins=_pins(target, f"{where} [target]"),
        include=parse_selectors(_str_list(select, "include", where), where=f"{where} [select]"),
        exclude=parse_selectors(_str_list(select, "exclude", where), where=f"{where} [select]"),
        allow_downgrade=_bool(target, "allow_downgrade", False, f"{where} [target]"),
        force_same_version=_bool(target, "force_same_version", False, f"{where} [target]"),
        combine_reboots=_bool(target, "combine_reboots", True, f"{where} [target]"),
        opt_in_psu=_bool(opt_in, "psu", False, f"{where} [opt_in]"),
        opt_in_cpld=_bool(opt_in, "cpld", False, f"{where} [opt_in]"),
        signatures=_enum(SignaturePolicy, data, "signatures", SignaturePolicy.REQUIRE, where),
        prefer=prefer,
        prefer_by_generation=by_gen,
        job_queue=_enum(
            JobQueuePolicy, prechecks, "job_queue", JobQueuePolicy.CLEAR, f"{where} [prechecks]"
        ),
        standalone=_enum(StandalonePolicy, prechecks, "standalone", StandalonePolicy.REFUSE,
                         f"{where} [prechecks]"),
        idrac=_idrac_policy(sec["idrac"], where),
        loadmaster=_loadmaster_policy(sec["loadmaster"], where),
        estimates=estimates_from_mapping(
            _table(data, "estimates", where), where=f"{where} [estimates]"
        ),
        delivery=delivery_from_mapping(
            _table(data, "delivery", where), where=f"{where} [delivery]"
        ),
    )
    validate_policy(policy)
    return policy


def _check_selectors(policy: Policy, where: str) -> None:
    inc = {s.text.lower() for s in policy.include}
    both = sorted(inc & {s.text.lower() for s in policy.exclude})
    if both:
        raise ConfigError(
            f"{where}: contradictory policy: {', '.join(both)} both included and excluded"
        )
    for sel in (*policy.include, *policy.exclude):
        if sel.is_node_selector:
            raise ConfigError(f"{where}: [select] names components, not nodes ({sel.text!r})")


def _check_opt_ins(policy: Policy, where: str) -> None:
    for kind, opted, flag in (
        (ComponentKind.PSU, policy.opt_in_psu, "psu"),
        (ComponentKind.CPLD, policy.opt_in_cpld, "cpld"),
    ):
        named = [
            s.text
            for s in (*policy.include, *(p.selector for p in policy.pins))
            if s.field == "kind" and s.value == kind.value
        ]
        if named and not opted:
            raise ConfigError(
                f"{where}: contradictory policy: {named[0]!r} is selected but [opt_in] {flag} = "
                f"false ({flag.upper()} updates have bricked 12G units; opt in explicitly)"
            )


def _check_pins(policy: Policy, where: str) -> None:
    seen: dict[str, str] = {}
    for pin in policy.pins:
        key = pin.selector.text.lower()
        if key in seen and compare_versions(seen[key], pin.version) != 0:
            raise ConfigError(
                f"{where}: contradictory policy: {pin.selector.text!r} pinned to both "
                f"{seen[key]} and {pin.version}"
            )
        seen[key] = pin.version
        excluded = [s.text for s in policy.exclude if s.text.lower() == key]
        if excluded:
            raise ConfigError(
                f"{where}: contradictory policy: {pin.selector.text!r} is pinned and excluded"
            )
    if policy.target is TargetMode.PINNED and not policy.pins:
        raise ConfigError(f"{where}: [target] default = 'pinned' but no pins are given")


def _check_stones(policy: Policy, where: str) -> None:
    for gen in sorted({s.generation for s in policy.idrac.stepping_stones}):
        previous: str | None = None
        for stone in policy.idrac.stones(gen):
            for alt in stone.accept:
                if compare_versions(alt, stone.version) < 0:
                    raise ConfigError(
                        f"{where}: stepping stone {stone.version}: accepted alternative {alt} is "
                        "older than the stone itself"
                    )
            if previous is not None and compare_versions(stone.version, previous) <= 0:
                raise ConfigError(
                    f"{where}: {gen} stepping stones must be listed oldest first "
                    f"({stone.version} after {previous})"
                )
            previous = max(stone.versions, key=version_key)


def _check_transport_minimums(policy: Policy, where: str) -> None:
    for gen, redfish_min in policy.idrac.redfish_update_minimum:
        wsman = policy.idrac.wsman_min(gen)
        if wsman is not None and compare_versions(redfish_min, wsman) < 0:
            raise ConfigError(
                f"{where}: {gen}: redfish_update_minimum {redfish_min} is below wsman_minimum "
                f"{wsman}"
            )


def validate_policy(policy: Policy) -> None:
    """Refuse contradictions (also after CLI overrides are applied)."""
    where = policy.source or "policy"
    _check_selectors(policy, where)
    _check_opt_ins(policy, where)
    _check_pins(policy, where)
    _check_stones(policy, where)
    _check_transport_minimums(policy, where)


def with_overrides(
    policy: Policy,
    *,
    allow_downgrade: bool | None = None,
    force_same_version: bool | None = None,
    combine_reboots: bool | None = None,
) -> Policy:
    """Apply command-line switches on top of a bundle and re-validate."""
    changes: dict[str, Any] = {}
    if allow_downgrade is not None:
        changes["allow_downgrade"] = allow_downgrade
    if force_same_version is not None:
        changes["force_same_version"] = force_same_version
    if combine_reboots is not None:
        changes["combine_reboots"] = combine_reboots
    out = dataclasses.replace(policy, **changes)
    validate_policy(out)
    return out
