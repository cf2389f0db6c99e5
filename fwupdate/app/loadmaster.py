"""Use cases: the LoadMasters' status (units and HA pairs, with the status documents) and
Kemp's HA upgrade of one pair by hand (docs/loadmaster.md).  The caller shows the upgrade's
plan and confirms between `prepare` and `run`; progress lines go to `say`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fwupdate.errors import BadInputError, ConfigError
from fwupdate.fleet.loader import load_fleet
from fwupdate.fleet.models import Fleet, Node, Pair
from fwupdate.loadmaster.client import (
    DEFAULT_GET_RETRIES,
    DEFAULT_UPLOAD_TIMEOUT,
    LoadMasterClient,
)
from fwupdate.loadmaster.ha import PairClient, vs_down
from fwupdate.loadmaster.models import LoadMasterStatus, PairStatus
from fwupdate.loadmaster.pacing import DEFAULT_MIN_INTERVAL
from fwupdate.loadmaster.patchinfo import version_from_image
from fwupdate.loadmaster.upgrade import PairUpgrade, UpgradeOptions, UpgradePlan, UpgradeResult

Say = Callable[[str], None]


def _silent(_line: str) -> None:
    """Lines nobody reads."""


# --- status -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LmStatusRequest:
    fleet_file: Path
    pairs: tuple[str, ...] = ()  # only these pairs (then no standalone units)
    min_interval: float = DEFAULT_MIN_INTERVAL
    retries: int = DEFAULT_GET_RETRIES


@dataclass(frozen=True)
class LmStatus:
    pairs: tuple[PairStatus, ...]
    standalone: tuple[LoadMasterStatus, ...]

    @property
    def units(self) -> tuple[LoadMasterStatus, ...]:
        return tuple(u for p in self.pairs for u in p.units) + self.standalone

    @property
    def unread(self) -> tuple[str, ...]:
        """Units that could not be read (name, else address)."""
        return tuple(u.name or u.address for u in self.units if not u.reachable or u.error)

    def document(self) -> dict[str, Any]:
        return {
            "pairs": [pair_document(p) for p in self.pairs],
            "standalone": [unit_document(s) for s in self.standalone],
        }


def lm_status(req: LmStatusRequest) -> LmStatus:
    """Version, HA role and Virtual Service health of the LoadMasters; pair health."""
    fleet = load_fleet(req.fleet_file)
    pairs = selected_pairs(fleet, list(req.pairs))
    nodes = () if req.pairs else tuple(n for n in fleet.standalone if n.loadmaster is not None)
    lm_pairs = tuple(p for p in pairs if all(n.loadmaster is not None for n in p.nodes))
    workers = max(1, min(fleet.concurrency, len(lm_pairs) + len(nodes)))
    kw: dict[str, Any] = {"min_interval": req.min_interval, "get_retries": req.retries}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lm-status") as pool:
        pair_futs = [pool.submit(_pair_status, p, kw) for p in lm_pairs]
        node_futs = [pool.submit(_node_status, n, kw) for n in nodes]
        return LmStatus(tuple(f.result() for f in pair_futs), tuple(f.result() for f in node_futs))


def unit_document(s: LoadMasterStatus) -> dict[str, Any]:
    return {
        "name": s.name,
        "address": s.address,
        "reachable": s.reachable,
        "version": s.version,
        "serial": s.serial,
        "ha_role": s.ha_role.value,
        "ha_mode": s.ha_mode,
        "preferred_host": s.preferred_host,
        "boot_time": s.boot_time,
        "vs_up": s.vs_up,
        "vs_total": s.vs_total,
        "virtual_services": [
            {
                "index": v.index,
                "name": v.name,
                "address": v.address,
                "port": v.port,
                "status": v.status,
                "real_servers_up": v.real_servers_up,
                "real_servers_total": v.real_servers_total,
                "parent": v.parent if v.is_sub else None,
            }
            for v in s.virtual_services
        ],
        "error": s.error,
    }


def pair_document(p: PairStatus) -> dict[str, Any]:
    return {
        "name": p.name,
        "healthy": p.healthy,
        "problems": list(p.problems),
        "active": p.active,
        "standby": p.standby,
        "preferred_host": p.preferred_host,
        "shared": None
        if p.shared_reachable is None
        else {"reachable": p.shared_reachable, "serial": p.shared_serial},
        "vs_up": p.vs_up,
        "vs_total": p.vs_total,
        "units": [unit_document(u) for u in p.units],
    }


def _pair_status(pair: Pair, kw: dict[str, Any]) -> PairStatus:
    """The pair's health; with no baseline to hold them to, every enabled Virtual Service (and
    SubVS) that is not Up is a problem too."""
    pc = PairClient.from_fleet(pair, **kw)
    try:
        st = pc.snapshot()
    finally:
        pc.close()
    return replace(st, problems=st.problems + tuple(vs_down(st.virtual_services)))


def _node_status(node: Node, kw: dict[str, Any]) -> LoadMasterStatus:
    assert node.loadmaster is not None
    with LoadMasterClient.from_endpoint(node.loadmaster, name=node.name, **kw) as c:
        return c.status()


def selected_pairs(fleet: Fleet, names: list[str]) -> tuple[Pair, ...]:
    if not names:
        return fleet.pairs
    by_name = {p.name: p for p in fleet.pairs}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ConfigError(
            f"no pair named {', '.join(missing)} in the fleet file "
            f"(pairs: {', '.join(by_name) or 'none'})"
        )
    return tuple(by_name[n] for n in names)



# --- upgrade-pair -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairUpgradeRequest:
    fleet_file: Path
    pair: str
    image: Path  # LoadMaster patch file (bare metal)
    target_version: str | None = None  # default: from the image
    backup_dir: Path = Path("lm-backups")
    restore_preferred: bool = False
    down_timeout: float = 300.0
    boot_timeout: float = 1200.0
    role_timeout: float = 180.0
    poll_interval: float = 10.0
    min_interval: float = DEFAULT_MIN_INTERVAL
    retries: int = DEFAULT_GET_RETRIES
    upload_timeout: float = DEFAULT_UPLOAD_TIMEOUT
    allow_downgrade: bool = False
    rollback: bool = True


@dataclass(frozen=True)
class PreparedUpgrade:
    """The pair read and the upgrade planned; nothing changed yet.  `run()` does it."""

    upgrade: PairUpgrade
    plan: UpgradePlan
    target_version: str

    def run(self) -> UpgradeResult:
        return self.upgrade.run(self.plan)


def _check_waits(req: PairUpgradeRequest) -> None:
    waits = {"--down-timeout": req.down_timeout, "--boot-timeout": req.boot_timeout,
             "--role-timeout": req.role_timeout, "--poll-interval": req.poll_interval}
    for name, value in waits.items():
        if value <= 0:
            raise BadInputError(f"{name} must be > 0")


@contextmanager
def prepare_pair_upgrade(req: PairUpgradeRequest, *,
                         say: Say = _silent) -> Iterator[PreparedUpgrade]:
    """Check the request, connect to the pair and plan Kemp's upgrade (No Preferred Host,
    Standby first, then Active); the pair's connections close when the block ends."""
    _check_waits(req)
    pair = selected_pairs(load_fleet(req.fleet_file), [req.pair])[0]
    if not req.image.is_file():
        raise BadInputError(f"patch file {req.image} does not exist")
    target = req.target_version or version_from_image(req.image)
    if not target:
        raise BadInputError(
            f"cannot tell which version {req.image.name} installs; pass --target-version"
        )
    options = UpgradeOptions(
        backup_dir=req.backup_dir, restore_preferred=req.restore_preferred,
        down_timeout=req.down_timeout, boot_timeout=req.boot_timeout,
        role_timeout=req.role_timeout, poll_interval=req.poll_interval,
        allow_downgrade=req.allow_downgrade, rollback=req.rollback,
    )
    pc = PairClient.from_fleet(pair, min_interval=req.min_interval,
                               upload_timeout=req.upload_timeout, get_retries=req.retries)
    try:
        upgrade = PairUpgrade(pc, req.image, target, options, progress=say)
        yield PreparedUpgrade(upgrade, upgrade.prepare(), target)
    finally:
        pc.close()
