"""Delivery modes: how a node's firmware (after its iDRAC stepping stones) reaches it.

- `push` (default): fwupdate installs each package (firmware_apply_now / firmware_stage) and
  reboots once (host_reboot) — the steps of docs/planning.md.
- `repository`: one `repo_update` step; the iDRAC pulls a repository fwupdate serves (catalog
  filtered to the planned packages) with InstallFromRepository and reboots itself once.
- `virtual-media`: one `vmedia_update` step; the node boots an update ISO (SUU or bootable) from
  the virtual CD, which applies what it holds, then reboots.

Chosen per node in the bundle:

    [delivery]
    default = "push"
    [[delivery.nodes]]
    select = "node:lb-3*"        # node:GLOB | pair:GLOB | generation:iDRAC9 | system:0716 | "*"
    mode = "repository"          # push | repository | virtual-media
    source = "repo/"             # repository: folder, Catalog.xml, SUU .iso or a share URL;
                                 # virtual-media: an .iso file (served) or an https URL

Push delivery has a transfer method (`transfer`, on `[delivery]` or a rule; docs/delivery.md,
"iDRAC9 push transfers"): `auto` (default), `http-push`, `multipart`, `pull`, `dell-install`.
`choose_transfer` decides per node from the capabilities its inventory shows.

The first matching rule wins.  A node whose generation cannot take the mode (`supported`) is
planned with push steps (the delivery step's absence is the record; docs/delivery.md).  The
delivery step takes the node down like `host_reboot`: same impact (host-reboot, +
loadmaster-failover when active), `requires_partner_healthy`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from fwupdate.errors import ConfigError
from fwupdate.idrac.models import Capabilities, Transfer

DELIVERY_GENERATIONS = frozenset({"iDRAC9", "iDRAC10"})


class DeliveryMode(StrEnum):
    PUSH = "push"
    REPOSITORY = "repository"
    VIRTUAL_MEDIA = "virtual-media"


@dataclass(frozen=True)
class DeliveryRule:
    select: str
    mode: DeliveryMode
    source: str | None = None
    transfer: Transfer | None = None

    def matches(
        self, *, node: str, pair: str | None, generation: str | None, system_id: str | None
    ) -> bool:
        sel = self.select.strip()
        if sel == "*":
            return True
        kind, _, value = sel.partition(":")
        kind = kind.lower()
        if kind == "node":
            return fnmatch.fnmatchcase(node, value)
        if kind == "pair":
            return pair is not None and fnmatch.fnmatchcase(pair, value)
        if kind == "generation":
            return (generation or "").lower() == value.lower()
        if kind == "system":
            return (system_id or "").upper().lstrip("0") == value.upper().lstrip("0")
        return False


@dataclass(frozen=True)
class DeliveryPolicy:
    default: DeliveryMode = DeliveryMode.PUSH
    default_source: str | None = None
    rules: tuple[DeliveryRule, ...] = ()
    transfer: Transfer = Transfer.AUTO

    def for_node(
        self, *, node: str, pair: str | None, generation: str | None, system_id: str | None
    ) -> tuple[DeliveryMode, str | None]:
        for r in self.rules:
            if r.matches(node=node, pair=pair, generation=generation, system_id=system_id):
                return r.mode, r.source
        return self.default, self.default_source

    def transfer_for(
        self, *, node: str, pair: str | None, generation: str | None, system_id: str | None
    ) -> Transfer:
        """The first matching rule's transfer, else the [delivery] one (`auto` by default)."""
        for r in self.rules:
            if r.matches(node=node, pair=pair, generation=generation, system_id=system_id):
                return r.transfer or self.transfer
        return self.transfer

    def summary(self) -> str:
        parts = [f"default={self.default.value}"]
        if self.transfer is not Transfer.AUTO:
            parts.append(f"transfer={self.transfer.value}")
        parts += [f"{r.select}={r.mode.value}" for r in self.rules]
        return ",".join(parts)


_SELECT_KINDS = ("node", "pair", "generation", "system")


def _mode(value: Any, where: str) -> DeliveryMode:
    return _member(DeliveryMode, "mode", value, where)


_E = TypeVar("_E", bound=StrEnum)


def _member(kind: type[_E], key: str, value: Any, where: str) -> _E:
    """The member of `kind` that `key = value` names; ConfigError listing the allowed values."""
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ConfigError(f"{where}: {key} = {value!r}; allowed: {allowed}") from None


def _source(table: Mapping[str, Any], mode: DeliveryMode, where: str) -> str | None:
    source = table.get("source")
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise ConfigError(f"{where}: source must be a non-empty string")
    if mode is not DeliveryMode.PUSH and source is None:
        raise ConfigError(f"{where}: mode {mode.value!r} needs a source (repository or ISO)")
    if mode is DeliveryMode.PUSH and source is not None:
        raise ConfigError(f"{where}: push takes no source")
    return source


def delivery_from_mapping(data: Mapping[str, Any], *, where: str) -> DeliveryPolicy:
    """Parse the bundle's [delivery] table (empty: push everywhere)."""
    unknown = sorted(set(data) - {"default", "source", "nodes", "transfer"})
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; "
            "allowed: default, nodes, source, transfer"
        )
    transfer = _transfer(data.get("transfer", "auto"), where)
    default = _mode(data.get("default", "push"), where)
    default_source = _source(data, default, where)
    rules: list[DeliveryRule] = []
    nodes = data.get("nodes", [])
    if not isinstance(nodes, list):
        raise ConfigError(f"{where}: nodes must be an array of tables ([[delivery.nodes]])")
    for i, t in enumerate(nodes, 1):
        w = f"{where} nodes[{i}]"
        if not isinstance(t, Mapping):
            raise ConfigError(f"{w}: must be a table")
        bad = sorted(set(t) - {"select", "mode", "source", "transfer"})
        if bad:
            raise ConfigError(
                f"{w}: unknown key(s) {', '.join(bad)}; allowed: mode, select, source, transfer"
            )
        select = t.get("select")
        if not isinstance(select, str) or not select.strip():
            raise ConfigError(f"{w}: select is required (node:GLOB, pair:GLOB, generation:X, ...)")
        kind = select.partition(":")[0].strip().lower()
        if select.strip() != "*" and (kind not in _SELECT_KINDS or ":" not in select):
            raise ConfigError(
                f"{w}: select {select!r}: use node:GLOB, pair:GLOB, generation:NAME, "
                "system:ID or *"
            )
        mode = _mode(t.get("mode", "push" if "transfer" in t else None), w)
        rule_transfer = _transfer(t["transfer"], w) if "transfer" in t else None
        rules.append(DeliveryRule(select.strip(), mode, _source(t, mode, w), rule_transfer))
    return DeliveryPolicy(default, default_source, tuple(rules), transfer)


def _transfer(value: Any, where: str) -> Transfer:
    return _member(Transfer, "transfer", value, where)


_PULL_PROTOCOLS = ("HTTP", "HTTPS")


def offered_transfers(caps: Capabilities, generation: str | None = None) -> tuple[Transfer, ...]:
    """The transfers a Redfish iDRAC offers, from its UpdateService (inventory capabilities).
    iDRAC10 lists HttpPushUri but installs nothing pushed there (idrac-redfish.md §4.3)."""
    offered: list[Transfer] = []
    push_ok = bool(caps.http_push_uri) and generation != "iDRAC10"
    if caps.multipart_push_uri:
        offered.append(Transfer.MULTIPART)
    if push_ok and caps.simple_update_uri:
        offered.append(Transfer.HTTP_PUSH)
    if caps.simple_update_uri and any(p in _PULL_PROTOCOLS for p in caps.simple_update_protocols):
        offered.append(Transfer.PULL)
    if push_ok and caps.dell_install_uri:
        offered.append(Transfer.DELL_INSTALL)
    return tuple(offered)


def choose_transfer(
    wanted: Transfer, caps: Capabilities | None, generation: str | None = None
) -> tuple[Transfer, str]:
    """The planner's rule (docs/delivery.md): the wanted transfer when the iDRAC offers it;
    `auto` (or a wanted one it does not offer) takes multipart where offered (one request,
    Dell's recommendation from iDRAC9 4.40), else HTTP push, which every Redfish iDRAC up to
    iDRAC9 has, else (iDRAC10 without multipart) pull.
    Pull and Dell's Install are never picked by `auto`: pull needs the iDRAC to reach the
    orchestrator's file server, Install adds nothing over SimpleUpdate for one package.
    Returns (transfer, why)."""
    offered = offered_transfers(caps, generation) if caps is not None else ()
    if wanted is not Transfer.AUTO and wanted in offered:
        return wanted, f"transfer {wanted.value} (policy)"
    fallback = (Transfer.MULTIPART, Transfer.HTTP_PUSH, Transfer.PULL)
    pick = next((t for t in fallback if t in offered), Transfer.HTTP_PUSH)
    if wanted is Transfer.AUTO:
        return pick, f"transfer {pick.value} (auto)"
    return pick, f"transfer {pick.value} ({wanted.value} not offered by this iDRAC)"


def supported(mode: DeliveryMode, generation: str | None, source: str | None = None) -> bool:
    """Whether a node of `generation` can take `mode` at all (docs/delivery.md, "12G/13G"):
    iDRAC9/10 both; iDRAC8 repository over WS-Man (as Dell's Ansible module does on 13G);
    iDRAC7/8 virtual media only from an NFS/CIFS share (BootToNetworkISO); iDRAC7 repository
    never (UNVERIFIED on LC2 and licence-gated: its nodes keep push steps)."""
    gen = generation or ""
    if mode is DeliveryMode.PUSH or gen in DELIVERY_GENERATIONS:
        return True
    if mode is DeliveryMode.REPOSITORY:
        return gen == "iDRAC8"
    return gen in ("iDRAC7", "iDRAC8") and (source or "").lower().startswith(
        ("nfs://", "cifs://", "smb://")
    )
