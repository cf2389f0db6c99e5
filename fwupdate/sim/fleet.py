"""A simulated fleet: devices, their HTTPS listeners, and the files that point clients at them.

Device models register a factory per kind (`register_kind("idrac", ...)`); HA-pair wiring for
LoadMasters registers a pair factory that returns the pair's shared-address device.  The fleet
writes:
- a CA bundle (clients verify TLS normally),
- a fleet file (TOML, the format of docs/fleet.md) with credentials by reference to 0600 files,
- optionally a machine-readable description (`describe()`), see docs/simulator.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fwupdate.sim.bus import Bus
from fwupdate.sim.clock import SimClock
from fwupdate.sim.device import SimContext, SimDevice
from fwupdate.sim.events import EventLog
from fwupdate.sim.server import DeviceServer
from fwupdate.sim.tls import SimCA

IDRAC_USER = "root"
IDRAC_DEFAULT_PASSWORD = "calvin"  # Dell's factory default
LM_USER = "bal"
LM_DEFAULT_PASSWORD = "1fourall"  # Kemp's documented factory default


@dataclass(frozen=True)
class DeviceSpec:
    name: str
    kind: str  # "idrac" | "loadmaster"
    profile: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeSpec:
    name: str
    idrac: DeviceSpec
    loadmaster: DeviceSpec | None = None


@dataclass(frozen=True)
class PairSpec:
    name: str
    nodes: tuple[NodeSpec, NodeSpec]
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FleetSpec:
    pairs: tuple[PairSpec, ...] = ()
    standalone: tuple[NodeSpec, ...] = ()

    def nodes(self) -> tuple[NodeSpec, ...]:
        out: list[NodeSpec] = []
        for p in self.pairs:
            out.extend(p.nodes)
        out.extend(self.standalone)
        return tuple(out)


@dataclass(frozen=True)
class Credentials:
    idrac_user: str = IDRAC_USER
    idrac_password: str = IDRAC_DEFAULT_PASSWORD
    lm_user: str = LM_USER
    lm_password: str = LM_DEFAULT_PASSWORD


DeviceFactory = Callable[[DeviceSpec, NodeSpec, SimContext, Credentials], SimDevice]
# (pair spec, the pair's LoadMaster devices in node order, context, credentials) -> shared device
PairFactory = Callable[[PairSpec, tuple[SimDevice, SimDevice], SimContext, Credentials], SimDevice]

_FACTORIES: dict[str, DeviceFactory] = {}
_PAIR_FACTORY: list[PairFactory] = []


def register_kind(kind: str, factory: DeviceFactory) -> None:
    _FACTORIES[kind] = factory


def register_pair_factory(factory: PairFactory) -> None:
    _PAIR_FACTORY[:] = [factory]


def _load_device_models() -> None:
    """Import the device-model packages so they register their factories."""
    import importlib

    for mod in ("fwupdate.sim.idrac", "fwupdate.sim.loadmaster"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


class SimulatedFleet:
    """Start with `with SimulatedFleet(spec, workdir=...) as sim:` (or start()/stop())."""

    def __init__(
        self,
        spec: FleetSpec,
        *,
        workdir: Path,
        time_scale: float = 1.0,
        credentials: Credentials | None = None,
        event_log: Path | None = None,
    ) -> None:
        _load_device_models()
        self.spec = spec
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.credentials = credentials or Credentials()
        clock = SimClock(time_scale)
        self.ctx = SimContext(
            clock=clock,
            events=EventLog(clock, event_log),
            bus=Bus(),
            ca=SimCA(),
            workdir=self.workdir,
        )
        self.ca_bundle = self.ctx.ca.write_bundle(self.workdir / "sim-ca.pem")
        self.devices: dict[str, SimDevice] = {}
        self.node_of: dict[str, str] = {}  # device name -> node name
        self.pair_of: dict[str, str] = {}  # node name -> pair name
        self.shared: dict[str, SimDevice] = {}  # pair name -> shared-address device
        self._servers: list[DeviceServer] = []
        self._started = False

    # --- lifecycle ------------------------------------------------------------------------------

    def _make(self, dspec: DeviceSpec, node: NodeSpec) -> SimDevice:
        factory = _FACTORIES.get(dspec.kind)
        if factory is None:
            raise ValueError(f"no simulated device model for kind {dspec.kind!r}")
        dev = factory(dspec, node, self.ctx, self.credentials)
        if dspec.name in self.devices:
            raise ValueError(f"duplicate simulated device name {dspec.name!r}")
        self._unique_service_tag(dev)
        self.devices[dspec.name] = dev
        self.node_of[dspec.name] = node.name
        self._servers.append(DeviceServer(dev).start())
        return dev

    def _unique_service_tag(self, dev: SimDevice) -> None:
        """Every machine has its own service tag (derived from the device name unless set):
        the executor tells nodes apart by it, so two equal tags would hide a swapped URL."""
        tag = dev.service_tag
        if tag is None:
            return
        for other in self.devices.values():
            if other.service_tag == tag:
                raise ValueError(
                    f"simulated devices {other.name!r} and {dev.name!r} have the same service "
                    f"tag {tag!r}; give one of them another service_tag option"
                )

    def start(self) -> SimulatedFleet:
        if self._started:
            return self
        self._started = True
        try:
            for pair in self.spec.pairs:
                lms: list[SimDevice] = []
                for node in pair.nodes:
                    self.pair_of[node.name] = pair.name
                    self._make(node.idrac, node)
                    if node.loadmaster is not None:
                        lms.append(self._make(node.loadmaster, node))
                if len(lms) == 2 and _PAIR_FACTORY:
                    shared = _PAIR_FACTORY[0](pair, (lms[0], lms[1]), self.ctx, self.credentials)
                    self.shared[pair.name] = shared
                    self._servers.append(DeviceServer(shared).start())
            for node in self.spec.standalone:
                self._make(node.idrac, node)
                if node.loadmaster is not None:
                    self._make(node.loadmaster, node)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        # Each listener needs up to one poll interval to notice shutdown: stop them together.
        if self._servers:
            with ThreadPoolExecutor(max_workers=min(32, len(self._servers))) as pool:
                list(pool.map(lambda s: s.stop(), self._servers))
        self._servers.clear()
        self.ctx.clock.stop()
        self.ctx.events.close()

    def __enter__(self) -> SimulatedFleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- access ---------------------------------------------------------------------------------

    def device(self, name: str) -> SimDevice:
        return self.devices[name]

    @property
    def events(self) -> EventLog:
        return self.ctx.events

    # --- files for clients ----------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """{"ca_bundle", "time_scale", "devices": [{"name","kind","profile","url","username",
        "password","node","pair","fingerprint"}]} — the `--describe` contract."""
        c = self.credentials
        devices: list[dict[str, Any]] = []
        for name, dev in self.devices.items():
            node = self.node_of[name]
            is_lm = dev.kind == "loadmaster"
            devices.append(
                {
                    "name": name,
                    "kind": dev.kind,
                    "profile": dev.profile,
                    "url": dev.url,
                    "username": c.lm_user if is_lm else c.idrac_user,
                    "password": c.lm_password if is_lm else c.idrac_password,
                    "node": node,
                    "pair": self.pair_of.get(node),
                    "fingerprint": dev.fingerprint,
                }
            )
        for pair, dev in self.shared.items():
            devices.append(
                {
                    "name": dev.name,
                    "kind": dev.kind,
                    "profile": dev.profile,
                    "url": dev.url,
                    "username": c.lm_user,
                    "password": c.lm_password,
                    "node": None,
                    "pair": pair,
                    "fingerprint": dev.fingerprint,
                }
            )
        return {
            "ca_bundle": str(self.ca_bundle),
            "time_scale": self.ctx.clock.time_scale,
            "devices": devices,
        }

    def state_dump(self) -> dict[str, Any]:
        """Every device's final truth as plain data (the `--sim-state` file of `fwupdate check`):
        {"t", "time_scale", "devices": {name: {"kind", "node", "pair", ...snapshot}},
        "pairs": {pair: {"units", "active", "vs_up", "vs_down"}}}."""
        devices: dict[str, Any] = {}
        for name, dev in self.devices.items():
            node = self.node_of[name]
            devices[name] = {"kind": dev.kind, "profile": dev.profile, "node": node,
                             "pair": self.pair_of.get(node), **dev.snapshot()}  # fmt: skip
        pairs = {pair: dev.snapshot() for pair, dev in self.shared.items()}
        return {"t": round(self.ctx.clock.now(), 3), "time_scale": self.ctx.clock.time_scale,
                "devices": devices, "pairs": pairs}  # fmt: skip

    def write_state_dump(self, path: Path) -> Path:
        return _atomic_write(path, json.dumps(self.state_dump(), indent=1) + "\n", private=False)

    def write_describe(self, path: Path) -> Path:
        return _atomic_write(path, json.dumps(self.describe(), indent=2) + "\n", private=True)

    def write_fleet_file(self, path: Path) -> Path:
        """Write a fleet file (docs/fleet.md) whose secrets live in 0600 files beside it."""
        path = Path(path)
        base = path.parent
        base.mkdir(parents=True, exist_ok=True)
        c = self.credentials
        idrac_secret = _atomic_write(
            base / f"{path.stem}.idrac-password", c.idrac_password + "\n", private=True
        )
        lm_secret = _atomic_write(
            base / f"{path.stem}.lm-password", c.lm_password + "\n", private=True
        )
        ca = os.path.relpath(self.ca_bundle, base)
        lines = [
            "# Fleet file written by `fwupdate sim serve`: simulated devices on 127.0.0.1.",
            "# Format: docs/fleet.md. Secrets are in 0600 files referenced below.",
            "",
            "[defaults.idrac]",
            f"username = {_q(c.idrac_user)}",
            f"password_file = {_q(idrac_secret.name)}",
            f"ca_bundle = {_q(ca)}",
            "",
            "[defaults.loadmaster]",
            f"username = {_q(c.lm_user)}",
            f"password_file = {_q(lm_secret.name)}",
            f"ca_bundle = {_q(ca)}",
            "",
        ]
        by_name = {n.name: n for n in self.spec.nodes()}

        def node_lines(prefix: str, node_name: str) -> list[str]:
            node = by_name[node_name]
            out = [
                prefix,
                f"name = {_q(node.name)}",
                f"idrac = {_q(self.devices[node.idrac.name].url)}",
            ]
            if node.loadmaster is not None:
                out.append(f"loadmaster = {_q(self.devices[node.loadmaster.name].url)}")
            return [*out, ""]

        for pair in self.spec.pairs:
            lines += ["[[pairs]]", f"name = {_q(pair.name)}"]
            if pair.name in self.shared:
                lines.append(f"shared_address = {_q(self.shared[pair.name].url)}")
            lines.append("")
            for node in pair.nodes:
                lines += node_lines("[[pairs.nodes]]", node.name)
        for node in self.spec.standalone:
            lines += node_lines("[[nodes]]", node.name)
        return _atomic_write(path, "\n".join(lines), private=False)


def _q(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _atomic_write(path: Path, text: str, *, private: bool) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path
