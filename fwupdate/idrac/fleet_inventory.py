"""Inventory of many iDRACs: a bounded worker pool, one request in flight per iDRAC.

Each node is read by its own worker; a node that fails (unreachable, TLS, credentials, a broken
answer) yields a `NodeInventory` with `errors`, never an exception, so one bad iDRAC does not
stop the others.  Read-only inventory uses basic authentication by default: no session to open
and close (two requests fewer per iDRAC) and no session slot taken on iDRACs that cap them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from typing import TypeVar

from fwupdate.errors import FwupdateError
from fwupdate.fleet.models import Node
from fwupdate.idrac.facade import IdracFacade
from fwupdate.idrac.models import NodeInventory, Transport
from fwupdate.idrac.redfish.client import RedfishClient
from fwupdate.idrac.redfish.transport import AuthMode
from fwupdate.idrac.timing import Timing
from fwupdate.logsafe import redact

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_R = TypeVar("_R")

DEFAULT_CONCURRENCY = 8


def run_bounded(
    items: Sequence[_T],
    fn: Callable[[_T], _R],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[_T, _R], None] | None = None,
) -> list[_R]:
    """`fn` over `items` with at most `concurrency` at once; results in the order of `items`.

    `fn` must not raise (wrap failures into its result); `on_done` runs in the caller's thread.
    """
    if not items:
        return []
    workers = max(1, min(concurrency, len(items)))
    results: dict[int, _R] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fwupdate-node") as pool:
        futures = {pool.submit(fn, item): k for k, item in enumerate(items)}
        for fut in as_completed(futures):
            k = futures[fut]
            results[k] = fut.result()
            if on_done is not None:
                on_done(items[k], results[k])
    return [results[k] for k in range(len(items))]


def inventory_node(
    node: Node,
    *,
    auth: AuthMode = "basic",
    timing: Timing | None = None,
    insecure: bool = False,
    wsman_fallback: bool = True,
) -> NodeInventory:
    """Read one node's iDRAC; every failure becomes an `errors` entry.

    Redfish first (fewest requests); when the iDRAC has no Redfish service or no Redfish
    firmware inventory (iDRAC7/8 below 2.40 / 2.60), the components come over WS-Man.
    """
    client = RedfishClient.for_endpoint(
        node.idrac, name=node.name, auth=auth, timing=timing, insecure=insecure
    )
    try:
        with client:
            inv = client.inventory()
    except FwupdateError as exc:
        return NodeInventory(name=node.name, errors=(str(exc),))
    except Exception as exc:  # a bug or a surprise from a library: keep the other nodes going
        log.debug("%s: unexpected error", node.name, exc_info=True)
        return NodeInventory(
            name=node.name, errors=(redact(f"internal error: {type(exc).__name__}: {exc}"),)
        )
    caps = inv.capabilities
    if wsman_fallback and (not caps.redfish or caps.firmware_inventory_uri is None):
        return _over_wsman(node, inv, timing=timing, insecure=insecure)
    return inv


def _over_wsman(
    node: Node, redfish_inv: NodeInventory, *, timing: Timing | None, insecure: bool
) -> NodeInventory:
    try:
        with IdracFacade.for_endpoint(
            node.idrac, name=node.name, transport=Transport.WSMAN, timing=timing, insecure=insecure
        ) as facade:
            ws = facade.inventory()
    except FwupdateError as exc:
        return replace(redfish_inv, errors=(*redfish_inv.errors, f"WS-Man: {exc}"))
    except Exception as exc:
        log.debug("%s: unexpected WS-Man error", node.name, exc_info=True)
        return replace(
            redfish_inv,
            errors=(
                *redfish_inv.errors,
                redact(f"WS-Man: internal error: {type(exc).__name__}: {exc}"),
            ),
        )
    return NodeInventory(
        name=node.name,
        idrac=ws.idrac or redfish_inv.idrac,
        system=ws.system or redfish_inv.system,
        components=ws.components,
        capabilities=replace(redfish_inv.capabilities, wsman=True),
        errors=ws.errors,
    )


def inventory_nodes(
    nodes: Sequence[Node],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    auth: AuthMode = "basic",
    timing: Timing | None = None,
    insecure: bool = False,
    wsman_fallback: bool = True,
    on_done: Callable[[Node, NodeInventory], None] | None = None,
) -> tuple[NodeInventory, ...]:
    return tuple(
        run_bounded(
            nodes,
            lambda n: inventory_node(
                n, auth=auth, timing=timing, insecure=insecure, wsman_fallback=wsman_fallback
            ),
            concurrency=concurrency,
            on_done=on_done,
        )
    )
