"""Everything the plan and compliance use cases read before the pure planner runs.

The planner (fwupdate.plan) does no I/O; this module does it all: the fleet file, the bundle,
the catalog, a saved inventory or a live one (iDRACs and LoadMasters), the LoadMaster image's
first bytes, and the repository listing used to find missing DUPs.

Saved inventories (`--inventory FILE`) are the `fwupdate inventory --out` document; each node
may carry a `"loadmaster"` object (fwupdate.loadmaster.status_io; docs/inventory.md) that
`fwupdate inventory --out` records.
With `--inventory` no device is contacted: LoadMaster versions and HA roles come only from that
key.  Without it, iDRACs and LoadMasters are read live.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from fwupdate.catalog.models import Catalog
from fwupdate.errors import BadInputError, ConfigError, FwupdateError
from fwupdate.fleet.loader import load_fleet
from fwupdate.fleet.models import Fleet, Node
from fwupdate.idrac.models import FirmwareComponent, NodeInventory
from fwupdate.inputfile import open_regular, read_regular
from fwupdate.loadmaster.models import LoadMasterStatus
from fwupdate.loadmaster.status_io import status_from_json
from fwupdate.plan.compliance import Selection
from fwupdate.plan.drift import inventory_digest
from fwupdate.plan.lm_image import HEAD_BYTES, LmImage, inspect_lm_image
from fwupdate.plan.match import node_system_id
from fwupdate.plan.models import Plan, SignatureRecord
from fwupdate.plan.policy import Policy, default_policy, policy_from_mapping
from fwupdate.plan.selectors import parse_selectors
from fwupdate.plan.signatures import plan_packages

MAX_BUNDLE_BYTES = 1024 * 1024
MAX_LM_IMAGE_BYTES = 4 << 30  # LoadMaster bare-metal patches are a few hundred MB


@dataclass(frozen=True)
class BundleInput:
    policy: Policy
    source: str | None
    sha256: str | None
    folder: Path | None


@dataclass(frozen=True)
class InventoryInput:
    inventories: dict[str, NodeInventory]
    loadmasters: dict[str, LoadMasterStatus]
    source: str  # "live" or the file path

    @property
    def sha256(self) -> str:
        """The digest of every node read (on demand: a plan digests the nodes it plans, and
        2,000 fingerprints taken here as well were 0.1 s CPU)."""
        return inventory_digest(self.inventories)


def read_bundle(path: Path | None) -> BundleInput:
    if path is None:
        return BundleInput(default_policy(), None, None, None)
    label = str(path)
    raw = read_regular(path, max_bytes=MAX_BUNDLE_BYTES, what="bundle file", error=ConfigError)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{label}: invalid TOML: nested too deeply") from None
    policy = policy_from_mapping(data, source=label)
    return BundleInput(policy, label, hashlib.sha256(raw).hexdigest(), path.parent)


def lm_image_path(path: Path | None, bundle: BundleInput) -> Path | None:
    """--lm-image, else the bundle's [loadmaster] image (relative to the bundle file)."""
    lm = bundle.policy.loadmaster
    if path is None and lm.image is not None and bundle.folder is not None:
        return bundle.folder / lm.image
    return path


def read_lm_image(path: Path | None, bundle: BundleInput) -> LmImage | None:
    """--lm-image, else the bundle's [loadmaster] image (relative to the bundle file)."""
    lm = bundle.policy.loadmaster
    path = lm_image_path(path, bundle)
    if path is None:
        return None
    label = str(path)
    size = 0
    digest = hashlib.sha256()
    with open_regular(path, max_bytes=MAX_LM_IMAGE_BYTES, what="LoadMaster image") as f:
        try:
            head = f.read(HEAD_BYTES)
            digest.update(head)
            size = len(head)
            for chunk in iter(lambda: f.read(1024 * 1024), b""):
                digest.update(chunk)
                size += len(chunk)
                if size > MAX_LM_IMAGE_BYTES:
                    raise BadInputError(f"{label}: grew past {MAX_LM_IMAGE_BYTES} bytes; refused")
        except OSError as exc:
            raise BadInputError(f"{label}: cannot read: {exc.strerror}") from None
    return inspect_lm_image(
        path.name, head, expected_platform=lm.platform, size=size, sha256=digest.hexdigest()
    )


def read_saved_inventory(path: Path) -> InventoryInput:
    """The saved inventory, plus the per-node `loadmaster` objects (a unit saved with an
    `error` is left out: planning then reports its pair as unplannable)."""
    from fwupdate.documents import gc_paused
    from fwupdate.idrac.inventory_io import load_saved_nodes

    with gc_paused():  # acyclic nodes; GC passes while 2,000 were converted: 0.17 s CPU
        nodes, saved = load_saved_nodes(path)  # one read, one parse
        lms: dict[str, LoadMasterStatus] = {}
        for k, raw in enumerate(saved):
            if raw.loadmaster is not None:
                status = status_from_json(
                    raw.loadmaster, f"{path}: nodes[{k}].loadmaster", name=raw.name
                )
                if status.error is None:
                    lms[raw.name] = status
        del saved  # the parsed document: only the converted nodes are kept
        inventories = {n.name: n for n in _sharing_components(nodes)}
    return InventoryInput(inventories, lms, str(path))


def _sharing_components(nodes: Sequence[NodeInventory]) -> list[NodeInventory]:
    """The nodes with equal firmware components made one object: servers of one model and
    firmware list the same components, and 1,000 pairs held 44,000 copies (-25 MiB; the
    planner's per-firmware memos then compare them by identity)."""
    shared: dict[FirmwareComponent, FirmwareComponent] = {}
    out: list[NodeInventory] = []
    for n in nodes:
        comps = tuple(shared.setdefault(c, c) for c in n.components)
        out.append(replace(n, components=comps) if comps else n)
    return out


def read_live(fleet: Fleet, *, concurrency: int, insecure: bool = False) -> InventoryInput:
    """Read every iDRAC and LoadMaster of the fleet (bounded concurrency, read-only)."""
    from fwupdate.idrac.fleet_inventory import inventory_nodes

    nodes = list(fleet.nodes())
    results = inventory_nodes(nodes, concurrency=concurrency, insecure=insecure)
    inventories = {r.name: r for r in results}
    lms = {
        name: s
        for name, s in read_loadmasters(nodes, concurrency=concurrency).items()
        if s.reachable and s.error is None
    }
    return InventoryInput(inventories, lms, "live")


def read_loadmasters(nodes: Sequence[Node], *, concurrency: int) -> dict[str, LoadMasterStatus]:
    """`status()` of every node's LoadMaster (bounded concurrency, read-only); a unit that
    could not be read has `error` set, never an exception."""
    from fwupdate.idrac.fleet_inventory import run_bounded

    with_lm = [n for n in nodes if n.loadmaster is not None]
    statuses = run_bounded(with_lm, _lm_status, concurrency=concurrency)
    return {n.name: s for n, s in zip(with_lm, statuses, strict=True)}


def _lm_status(node: Node) -> LoadMasterStatus:
    from fwupdate.loadmaster.client import LoadMasterClient

    assert node.loadmaster is not None
    try:
        with LoadMasterClient.from_endpoint(node.loadmaster, name=node.name) as client:
            return client.status()
    except FwupdateError as exc:
        return LoadMasterStatus(
            address=node.loadmaster.url, reachable=False, error=exc.message, name=node.name
        )


def system_ids(inventories: Mapping[str, NodeInventory]) -> set[str]:
    out: set[str] = set()
    for inv in inventories.values():
        if inv.ok:
            with contextlib.suppress(FwupdateError):
                out.add(node_system_id(inv))
    return out


def read_catalog(source: str, inventories: Mapping[str, NodeInventory]) -> Catalog:
    """Load the catalog, filtered to the fleet's system when the fleet has only one."""
    from fwupdate.catalog.loader import load_catalog

    ids = system_ids(inventories)
    return load_catalog(source, system_id=next(iter(ids)) if len(ids) == 1 else None)


def repository_dir(source: str, repository: Path | None) -> Path | None:
    """--repository, else the folder of a local catalog; None for URLs and ISOs."""
    if repository is not None or "://" in source:
        return repository
    p = Path(source)
    if p.is_dir():
        return p
    if p.is_file() and p.suffix.lower() in (".xml", ".gz"):
        return p.parent
    return None


def repository_files(source: str, repository: Path | None) -> frozenset[str] | None:
    """Names of the files next to a local catalog (or in --repository); None for URLs and
    ISOs, whose packages the executor fetches and checks itself."""
    repository = repository_dir(source, repository)
    if repository is None:
        return None
    try:
        return frozenset(e.name for e in os.scandir(repository) if e.is_file())
    except OSError as exc:
        raise BadInputError(f"{repository}: cannot list the repository: {exc.strerror}") from None


def selection(only: Sequence[str] | None, skip: Sequence[str] | None) -> Selection:
    return Selection(
        only=parse_selectors(list(only or []), where="--only"),
        skip=parse_selectors(list(skip or []), where="--skip"),
    )


def check_node_selectors(sel: Selection, fleet: Fleet) -> None:
    names = {n.name for n in fleet.nodes()}
    pairs = {p.name for p in fleet.pairs}
    for s in (*sel.only, *sel.skip):
        if s.field == "node" and s.value not in names:
            raise BadInputError(f"{s.text}: no node of that name in the fleet")
        if s.field == "pair" and s.value not in pairs:
            raise BadInputError(f"{s.text}: no pair of that name in the fleet")


def package_signatures(
    plan: Plan, *, repo: Path | None, lm_image: Path | None
) -> dict[str, SignatureRecord]:
    """The signature verdict of every package of `plan` that is on this machine, by path."""
    from fwupdate.run.packages import PackageStore, signature_record  # signing plans only
    from fwupdate.trust import TrustStore

    store = PackageStore(repo, lm_image)
    trust = TrustStore()
    out: dict[str, SignatureRecord] = {}
    for pkg in plan_packages(plan):
        try:
            path = store.locate(pkg)
        except BadInputError:
            continue  # not local (URL, ISO): the executor checks it before sending
        out[pkg.path] = signature_record(path, trust)
    return out


def catalog_signature_record(cat: Catalog, source: str) -> SignatureRecord:
    """The verdict on the catalog's detached `.sign`, as the plan records it."""
    from fwupdate.catalog.cache import default_cache_dir
    from fwupdate.catalog.signature import catalog_signature

    v = catalog_signature(cat, source, cache_dir=default_cache_dir())
    return SignatureRecord(
        kind=str(v.kind),
        status=str(v.status),
        signer=v.signer,
        reason=v.reason,
        sha256=cat.sha256 or "",
        file=cat.source,
    )


class Sources(Protocol):
    """What the plan and compliance requests both name: where the evening's inputs come from."""

    @property
    def fleet_file(self) -> Path: ...
    @property
    def catalog(self) -> str: ...
    @property
    def bundle(self) -> Path | None: ...
    @property
    def lm_image(self) -> Path | None: ...
    @property
    def inventory(self) -> Path | None: ...  # saved inventory; None: read the devices live
    @property
    def only(self) -> tuple[str, ...]: ...
    @property
    def skip(self) -> tuple[str, ...]: ...
    @property
    def concurrency(self) -> int | None: ...
    @property
    def insecure(self) -> bool: ...


@dataclass(frozen=True)
class Gathered:
    """The evening's inputs read and checked, ready for the pure planner."""

    fleet: Fleet
    selection: Selection
    bundle: BundleInput
    lm_image: LmImage | None
    inventory: InventoryInput
    catalog: Catalog


def gather(src: Sources) -> Gathered:
    """Fleet, selectors, bundle, LoadMaster image, inventory (saved or live) and catalog, in
    that order (the first bad input is the one reported)."""
    fleet = load_fleet(src.fleet_file)
    sel = selection(src.only, src.skip)
    check_node_selectors(sel, fleet)
    bundle_in = read_bundle(src.bundle)
    image = read_lm_image(src.lm_image, bundle_in)
    if src.inventory is not None:
        inv = read_saved_inventory(src.inventory)
    else:
        inv = read_live(fleet, concurrency=src.concurrency or fleet.concurrency,
                        insecure=src.insecure)  # fmt: skip
    cat = read_catalog(src.catalog, inv.inventories)
    return Gathered(fleet, sel, bundle_in, image, inv, cat)
