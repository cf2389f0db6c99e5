"""What `fwupdate sim serve` starts: the fleet spec from options or a spec file, faults, secrets.

Pure functions (no threads, no sockets) so they are tested directly; sim_cmd.py runs the result.
Naming when built from counts: pairs first, then standalone nodes, numbered together:
`--pairs 1 --idracs 1` gives pair-1 = (node-1, node-2) and node-3; node-N has iDRAC `idrac-N`
and, in a pair, LoadMaster `lm-N`.

Spec file (TOML), instead of --idracs/--pairs:

    [[pairs]]
    name = "pair-1"
    options = { preferred = 1 }            # PairSpec options (LoadMaster simulator)
    [[pairs.nodes]]
    name = "lb-a1"
    idrac = { name = "idrac-a1", profile = "r320-idrac7-2.50", options = { bios = "2.1.0" } }
    loadmaster = { profile = "lm-7.2.48.3" }
    [[pairs.nodes]]
    name = "lb-a2"
    idrac = "r320-idrac7-2.65"             # a string is the profile
    [[nodes]]
    name = "lab"
    idrac = { profile = "r640-idrac9-4.40" }

Missing names default to idrac-<node> / lm-<node>; a pair node without `loadmaster` gets the
default LoadMaster profile when the LoadMaster simulator is installed.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from fwupdate.errors import ConfigError
from fwupdate.logsafe import register_secret
from fwupdate.sim.fleet import (
    IDRAC_DEFAULT_PASSWORD,
    LM_DEFAULT_PASSWORD,
    Credentials,
    DeviceSpec,
    FleetSpec,
    NodeSpec,
    PairSpec,
)
from fwupdate.sim.idrac import faults as idrac_faults
from fwupdate.sim.idrac.profiles import DEFAULT_PROFILE, PROFILES

DEFAULT_LM_PROFILE = "lm-7.2.48.3"


def loadmaster_available() -> bool:
    try:
        import fwupdate.sim.loadmaster  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


def _check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ConfigError(
            f"unknown iDRAC profile {profile!r} (known: {', '.join(sorted(PROFILES))})"
        )
    return profile


def spec_from_counts(
    *,
    idracs: int,
    pairs: int,
    profiles: Sequence[str] = (),
    lm_profile: str = DEFAULT_LM_PROFILE,
    with_loadmasters: bool | None = None,
) -> FleetSpec:
    if idracs < 0 or pairs < 0:
        raise ConfigError("--idracs and --pairs must not be negative")
    if idracs + pairs == 0:
        raise ConfigError("nothing to simulate: give --idracs N, --pairs N or --spec FILE")
    cycle = [_check_profile(p) for p in profiles] or [DEFAULT_PROFILE]
    lms = loadmaster_available() if with_loadmasters is None else with_loadmasters
    counter = 0

    def node(in_pair: bool) -> NodeSpec:
        nonlocal counter
        counter += 1
        idrac = DeviceSpec(f"idrac-{counter}", "idrac", cycle[(counter - 1) % len(cycle)])
        lm = DeviceSpec(f"lm-{counter}", "loadmaster", lm_profile) if in_pair and lms else None
        return NodeSpec(f"node-{counter}", idrac, lm)

    pair_specs = tuple(PairSpec(f"pair-{i + 1}", (node(True), node(True))) for i in range(pairs))
    standalone = tuple(node(False) for _ in range(idracs))
    return FleetSpec(pairs=pair_specs, standalone=standalone)


def _device(
    raw: Any, *, kind: str, default_name: str, default_profile: str, where: str
) -> DeviceSpec:
    if isinstance(raw, str):
        raw = {"profile": raw}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a profile string or a table")
    unknown = set(raw) - {"name", "profile", "options"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    profile = str(raw.get("profile") or default_profile)
    if kind == "idrac":
        _check_profile(profile)
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError(f"{where}.options: expected a table")
    return DeviceSpec(str(raw.get("name") or default_name), kind, profile, dict(options))


def _node(raw: Any, where: str, *, in_pair: bool, lms: bool) -> NodeSpec:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise ConfigError(f"{where}: a node needs a name")
    unknown = set(raw) - {"name", "idrac", "loadmaster"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = str(raw["name"])
    idrac = _device(
        raw.get("idrac", DEFAULT_PROFILE),
        kind="idrac",
        default_name=f"idrac-{name}",
        default_profile=DEFAULT_PROFILE,
        where=f"{where}.idrac",
    )
    lm_raw = raw.get("loadmaster")
    lm = None
    if lm_raw is not None or (in_pair and lms):
        lm = _device(
            lm_raw if lm_raw is not None else DEFAULT_LM_PROFILE,
            kind="loadmaster",
            default_name=f"lm-{name}",
            default_profile=DEFAULT_LM_PROFILE,
            where=f"{where}.loadmaster",
        )
    return NodeSpec(name, idrac, lm)


def spec_from_file(path: Path) -> FleetSpec:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"pairs", "nodes"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    lms = loadmaster_available()
    pairs: list[PairSpec] = []
    for i, p in enumerate(data.get("pairs") or []):
        where = f"{path}: pairs[{i}]"
        nodes = p.get("nodes") if isinstance(p, dict) else None
        if not isinstance(nodes, list) or len(nodes) != 2 or not p.get("name"):
            raise ConfigError(f"{where}: a pair needs a name and exactly two nodes")
        n = tuple(
            _node(raw, f"{where}.nodes[{j}]", in_pair=True, lms=lms) for j, raw in enumerate(nodes)
        )
        pairs.append(PairSpec(str(p["name"]), (n[0], n[1]), dict(p.get("options") or {})))
    standalone = tuple(
        _node(raw, f"{path}: nodes[{i}]", in_pair=False, lms=lms)
        for i, raw in enumerate(data.get("nodes") or [])
    )
    spec = FleetSpec(pairs=tuple(pairs), standalone=standalone)
    if not spec.nodes():
        raise ConfigError(f"{path}: no pairs or nodes")
    names = [n.name for n in spec.nodes()]
    devices = [d.name for n in spec.nodes() for d in (n.idrac, n.loadmaster) if d is not None]
    for label, seq in (("node", names), ("device", devices)):
        dup = {x for x in seq if seq.count(x) > 1}
        if dup:
            raise ConfigError(f"{path}: duplicate {label} name(s) {', '.join(sorted(dup))}")
    return spec


def _value(text: str) -> Any:
    """JSON for tables, lists, booleans and quoted strings; anything else stays text, so a
    version such as 2.10 is not read as the number 2.1."""
    if text[:1] in ("{", "[", '"') or text in ("true", "false", "null"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def apply_settings(spec: FleetSpec, settings: Sequence[str]) -> FleetSpec:
    """`--set DEVICE:KEY=VALUE`: add a device option (see _value for how VALUE is read)."""
    extra: dict[str, dict[str, Any]] = {}
    for s in settings:
        name, colon, rest = s.partition(":")
        key, eq, value = rest.partition("=")
        if not colon or not eq or not name or not key:
            raise ConfigError(f"--set {s!r}: expected DEVICE:KEY=VALUE")
        extra.setdefault(name.strip(), {})[key.strip()] = _value(value.strip())
    known = {d.name for n in spec.nodes() for d in (n.idrac, n.loadmaster) if d is not None}
    missing = sorted(set(extra) - known)
    if missing:
        raise ConfigError(f"--set: no simulated device named {', '.join(missing)}")

    def upd(d: DeviceSpec | None) -> DeviceSpec | None:
        if d is None or d.name not in extra:
            return d
        return replace(d, options={**dict(d.options), **extra[d.name]})

    def upd_node(n: NodeSpec) -> NodeSpec:
        idrac = upd(n.idrac)
        assert idrac is not None
        return replace(n, idrac=idrac, loadmaster=upd(n.loadmaster))

    return FleetSpec(
        pairs=tuple(
            replace(p, nodes=(upd_node(p.nodes[0]), upd_node(p.nodes[1]))) for p in spec.pairs
        ),
        standalone=tuple(upd_node(n) for n in spec.standalone),
    )


def parse_fault(text: str) -> tuple[str, str, str | None]:
    """`NAME:KIND[=ARG]`, validated against the iDRAC and LoadMaster fault kinds."""
    name, colon, rest = text.partition(":")
    kind, eq, arg = rest.partition("=")
    kind = kind.strip().lower()
    if not colon or not name.strip() or not kind:
        raise ConfigError(f"--fault {text!r}: expected NAME:KIND[=ARG]")
    value = arg.strip() if eq else None
    if kind in idrac_faults.KINDS:
        try:
            idrac_faults.check(kind, value)
        except idrac_faults.FaultSpecError as exc:
            raise ConfigError(f"--fault {text!r}: {exc}") from None
        return name.strip(), kind, value
    lm_kinds: tuple[str, ...] = ()
    if loadmaster_available():
        from fwupdate.sim.loadmaster import FAULT_KINDS

        lm_kinds = tuple(FAULT_KINDS)
    if kind in lm_kinds:
        return name.strip(), kind, value
    known = ", ".join((*idrac_faults.KINDS, *lm_kinds))
    raise ConfigError(f"--fault {text!r}: unknown kind {kind!r} (known: {known})")


def read_password_file(path: Path) -> Credentials:
    """One line = the iDRAC password; or `idrac=...` / `loadmaster=...` lines.  0600 only."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{path}: not a regular file")
    if st.st_mode & 0o077:
        raise ConfigError(f"{path}: password file must not be readable by others (chmod 600)")
    lines = [ln.strip() for ln in Path(path).read_text(encoding="utf-8").splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise ConfigError(f"{path}: empty password file")
    idrac, lm = IDRAC_DEFAULT_PASSWORD, LM_DEFAULT_PASSWORD
    keyed = [ln for ln in lines if ln.startswith(("idrac=", "loadmaster="))]
    if keyed:
        for ln in keyed:
            key, _, value = ln.partition("=")
            if key == "idrac":
                idrac = value
            else:
                lm = value
    else:
        idrac = lines[0]
    for secret in (idrac, lm):
        register_secret(secret)
    return Credentials(idrac_password=idrac, lm_password=lm)


def device_names(spec: FleetSpec) -> Mapping[str, str]:
    """device name -> node name."""
    return {d.name: n.name for n in spec.nodes() for d in (n.idrac, n.loadmaster) if d is not None}
