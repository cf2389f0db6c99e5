"""Route tables of the simulated devices: rows of (method, path pattern, handler).

Each device kind declares its table explicitly in one place (fwupdate/sim/idrac/routes.py for the
iDRAC's Redfish and WS-Man, fwupdate/sim/loadmaster/routes.py for the LoadMaster API) and hands
it to its devices; importing a module registers nothing.  Building a table with the same
(method, pattern) twice raises DuplicateRoute, so no row can silently replace another.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

H = TypeVar("H")
ANY = "*"  # a row for every method (the LoadMaster API does not care)


class DuplicateRoute(ValueError):
    """A route table names the same (method, pattern) twice."""


@dataclass(frozen=True)
class Route(Generic[H]):
    method: str  # "GET", "POST", ... or ANY
    pattern: str  # a regular expression the whole (decoded) path must match
    handler: H


@dataclass(frozen=True)
class Found(Generic[H]):
    """The first pattern matching a path: its handler for the method (None: 405) and the
    methods it has (for the Allow header)."""

    match: re.Match[str]
    handler: H | None
    allowed: tuple[str, ...]


def check_unique(keys: Iterable[Hashable], what: str) -> None:
    """DuplicateRoute naming the first key seen twice."""
    seen: set[Hashable] = set()
    for key in keys:
        if key in seen:
            raise DuplicateRoute(f"{what} {key!r} is declared twice")
        seen.add(key)


class RouteTable(Generic[H]):
    """Rows grouped by pattern in declaration order; the first pattern matching a path wins."""

    def __init__(self, routes: Iterable[Route[H]]) -> None:
        self.routes = tuple(routes)
        check_unique(((r.method, r.pattern) for r in self.routes), "route")
        groups: dict[str, dict[str, H]] = {}
        for r in self.routes:
            groups.setdefault(r.pattern, {})[r.method] = r.handler
        self._compiled = [(re.compile(f"(?:{p})"), methods) for p, methods in groups.items()]

    def find(self, method: str, path: str) -> Found[H] | None:
        for pattern, methods in self._compiled:
            m = pattern.fullmatch(path)
            if m is not None:
                handler = methods.get(method, methods.get(ANY))
                return Found(m, handler, tuple(methods))
        return None
