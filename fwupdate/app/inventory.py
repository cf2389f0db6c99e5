"""Use case: read identity and firmware inventory of a fleet's iDRACs (and their LoadMasters),
or of one iDRAC given ad hoc; read-only.  Optionally saves the JSON document
(docs/inventory.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fwupdate.app.targets import IdracAccess
from fwupdate.errors import BadInputError
from fwupdate.fleet.loader import load_fleet
from fwupdate.fleet.models import Fleet, Node
from fwupdate.idrac.models import NodeInventory
from fwupdate.idrac.redfish.transport import AuthMode
from fwupdate.loadmaster.models import LoadMasterStatus

OnRead = Callable[[Node, NodeInventory], None]


@dataclass(frozen=True)
class InventoryRequest:
    fleet_file: Path | None = None
    nodes: tuple[str, ...] = ()  # only these nodes of the fleet file
    access: IdracAccess = field(default_factory=lambda: IdracAccess(timeout=30.0))
    concurrency: int | None = None
    auth: AuthMode = "basic"
    time_scale: float = 1.0
    out: Path | None = None  # also save the JSON document here


@dataclass(frozen=True)
class InventoryTargets:
    nodes: tuple[Node, ...]
    pairs: dict[str, str | None]
    default_concurrency: int
    unverified: tuple[str, ...]  # nodes read without TLS verification


@dataclass(frozen=True)
class InventoryResult:
    results: tuple[NodeInventory, ...]
    pairs: dict[str, str | None]
    loadmasters: dict[str, LoadMasterStatus]
    document: dict[str, Any]

    @property
    def failed(self) -> tuple[NodeInventory, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def loadmasters_failed(self) -> tuple[str, ...]:
        return tuple(sorted(n for n, s in self.loadmasters.items() if s.error is not None))


def inventory_targets(req: InventoryRequest) -> InventoryTargets:
    """The nodes to read: the fleet file's (or `nodes` of it), or the one ad hoc iDRAC."""
    nodes, pairs, concurrency = _chosen(req)
    insecure = req.access.insecure
    unverified = tuple(n.name for n in nodes if insecure or n.idrac.tls.insecure)
    return InventoryTargets(tuple(nodes), pairs, concurrency, unverified)


def _chosen(req: InventoryRequest) -> tuple[list[Node], dict[str, str | None], int]:
    if req.fleet_file is not None and req.access.adhoc_given:
        raise BadInputError(
            "give a fleet file or --idrac with its options, not both "
            "(--password-env/--password-file/--ca-bundle/--fingerprint belong to --idrac)"
        )
    if req.fleet_file is None:
        if req.access.idrac is None:
            raise BadInputError("give a fleet file, or --idrac URL --user U --password-env VAR")
        endpoint = req.access.endpoint()
        name = endpoint.url.split("://", 1)[1]
        return [Node(name=name, idrac=endpoint)], {name: None}, 1
    fleet: Fleet = load_fleet(req.fleet_file)
    nodes = list(fleet.nodes())
    if req.nodes:
        known = {n.name for n in nodes}
        unknown = [o for o in req.nodes if o not in known]
        if unknown:
            raise BadInputError(f"--node: no node named {', '.join(unknown)} in {req.fleet_file}")
        nodes = [n for n in nodes if n.name in set(req.nodes)]
    return nodes, {n.name: n.pair for n in nodes}, fleet.concurrency


def read_inventory(
    req: InventoryRequest, targets: InventoryTargets | None = None, *,
    on_read: OnRead | None = None,
) -> InventoryResult:
    """Read every target iDRAC and LoadMaster (bounded concurrency, read-only); save the
    document to `req.out` when given.  `on_read` is called as each iDRAC is read."""
    from fwupdate.app.inputs import read_loadmasters  # planning modules: only when used
    from fwupdate.idrac.fleet_inventory import inventory_nodes
    from fwupdate.idrac.inventory_io import dump_inventory, inventory_document
    from fwupdate.idrac.timing import Timing
    from fwupdate.loadmaster.status_io import status_to_json

    t = targets or inventory_targets(req)
    concurrency = req.concurrency or t.default_concurrency
    results = inventory_nodes(list(t.nodes), concurrency=concurrency, auth=req.auth,
                              timing=Timing(scale=req.time_scale),
                              insecure=req.access.insecure, on_done=on_read)  # fmt: skip
    statuses = read_loadmasters(t.nodes, concurrency=concurrency)
    extra: dict[str, Any] = {
        "pairs": t.pairs,
        "insecure": {n.name: n.name in t.unverified for n in t.nodes},
        "addresses": {n.name: n.idrac.url for n in t.nodes},
        "loadmasters": {name: status_to_json(st) for name, st in statuses.items()},
    }
    if req.out is not None:
        dump_inventory(req.out, results, **extra)
    document = inventory_document(results, **extra)
    return InventoryResult(tuple(results), t.pairs, statuses, document)

