"""Component keys across transports: a WS-Man inventory names FQDDs (`id:159@BIOS.Setup.1-1`),
a 12G Redfish inventory does not (`id:159`).  A node planned over one and checked over the
other must still match, so keys are compared with the FQDD made to agree with the plan's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from fwupdate.idrac.models import NodeInventory


def base(key: str) -> str:
    return key.split("@", 1)[0]


def lookup(versions: dict[str, str], key: str) -> str | None:
    """The version for `key`, or for the only live key with the same component id/name."""
    if key in versions:
        return versions[key]
    same = [v for k, v in versions.items() if base(k) == base(key)]
    return same[0] if len(set(same)) == 1 and same else None


def align_inventory(inv: NodeInventory, planned_keys: Iterable[str]) -> NodeInventory:
    """`inv` with each component's FQDD set as the plan's key for the same component has it."""
    from fwupdate.plan.match import component_key

    planned = set(planned_keys)
    by_base: dict[str, str | None] = {}
    for k in planned:
        fqdd = k.split("@", 1)[1] if "@" in k else None
        by_base.setdefault(base(k), fqdd)
    comps = []
    for c in inv.components:
        b = base(component_key(c))
        if b in by_base and component_key(c) not in planned:
            comps.append(replace(c, fqdd=by_base[b]))
        else:
            comps.append(c)
    return replace(inv, components=tuple(comps))
