"""Selectors: how a bundle, `--only` and `--skip` name components and nodes.

bios, nic, idrac, psu, cpld, loadmaster ...   a component family (ComponentKind value)
id:25227  (or just 25227)                     a Dell component id
category:NI                                   a catalog Category code or long name
name:*BCM5720*                                a glob over the component name (case-blind)
node:lb-a1   pair:dc1-pair-a                  a node or a pair (only in --only / --skip)
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from fwupdate.errors import ConfigError
from fwupdate.plan.models import ComponentKind

_ALIASES: dict[str, ComponentKind] = {
    "lc": ComponentKind.LIFECYCLE_CONTROLLER,
    "lifecycle": ComponentKind.LIFECYCLE_CONTROLLER,
    "diag": ComponentKind.DIAGNOSTICS,
    "driver-pack": ComponentKind.OS_DRIVER_PACK,
    "network": ComponentKind.NIC,
    "storage": ComponentKind.RAID,
    "lm": ComponentKind.LOADMASTER,
    "power-supply": ComponentKind.PSU,
}
_FIELDS = ("kind", "id", "category", "name", "node", "pair")


@dataclass(frozen=True)
class Selector:
    field: str  # kind | id | category | name | node | pair
    value: str
    text: str  # as written

    @property
    def is_node_selector(self) -> bool:
        return self.field in ("node", "pair")

    def matches_component(
        self, *, kind: ComponentKind, component_id: str | None, category: str | None, name: str
    ) -> bool:
        if self.field == "kind":
            return kind.value == self.value
        if self.field == "id":
            return component_id is not None and component_id == self.value
        if self.field == "category":
            return (category or "").strip().lower() == self.value
        if self.field == "name":
            return fnmatchcase(name.lower(), self.value)
        return False

    def matches_node(self, node: str, group: str) -> bool:
        if self.field == "node":
            return node == self.value
        if self.field == "pair":
            return group == self.value
        return False


def known_kinds() -> tuple[str, ...]:
    return tuple(k.value for k in ComponentKind) + tuple(_ALIASES)


def parse_selector(text: str, *, where: str = "selector") -> Selector:
    """Parse one selector; raises ConfigError naming `where` on anything unknown."""
    raw = text.strip()
    if not raw:
        raise ConfigError(f"{where}: empty selector")
    if ":" in raw:
        field, _, value = raw.partition(":")
        field = field.strip().lower()
        value = value.strip()
        if field not in _FIELDS or not value:
            raise ConfigError(
                f"{where}: bad selector {text!r}; use a family ({', '.join(known_kinds())}), "
                "id:N, category:XX, name:GLOB, node:NAME or pair:NAME"
            )
        if field == "kind":
            return _kind_selector(value, text, where)
        if field in ("category", "name"):
            value = value.lower()
        return Selector(field, value, raw)
    if raw.isdigit():
        return Selector("id", raw, raw)
    return _kind_selector(raw, text, where)


def _kind_selector(value: str, text: str, where: str) -> Selector:
    v = value.strip().lower()
    if v in _ALIASES:
        return Selector("kind", _ALIASES[v].value, text.strip())
    try:
        return Selector("kind", ComponentKind(v).value, text.strip())
    except ValueError:
        raise ConfigError(
            f"{where}: unknown component family {value!r}; known: {', '.join(known_kinds())} "
            "(or id:N, category:XX, name:GLOB, node:NAME, pair:NAME)"
        ) from None


def parse_selectors(texts: tuple[str, ...] | list[str], *, where: str) -> tuple[Selector, ...]:
    out: list[Selector] = []
    for t in texts:
        for part in str(t).split(","):
            if part.strip():
                out.append(parse_selector(part, where=where))
    return tuple(out)
