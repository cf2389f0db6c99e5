"""Virtual Services and Real Servers of a simulated LoadMaster (configuration is pair-wide).

In an HA pair the configuration is synchronised from the active unit to the standby, so one
`VsTable` serves both units.  Status is what the active unit's health checks see: Up while at
least one enabled Real Server is Up, Down otherwise, Disabled when the VS is disabled.

SubVSs (loadmaster-api.md §5): a parent VS lists `<SubVS>` entries instead of `<Rs>` and is
Up while one of them is; `listvs` also lists every SubVS as its own `<VS>` entry without an
address, with `MasterVSID` = the parent's index, as real units do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fwupdate.sim.loadmaster.answers import El, fields


@dataclass
class RealServer:
    index: int
    addr: str
    port: int
    up: bool = True
    enabled: bool = True


@dataclass
class VirtualService:
    index: int
    nickname: str
    address: str
    port: int
    protocol: str = "tcp"
    enabled: bool = True
    real_servers: list[RealServer] = field(default_factory=list)
    subvs: list[VirtualService] = field(default_factory=list)
    parent: int = 0  # a SubVS: its parent's index


def default_services(count: int = 2, *, subnet: str = "10.154.0",
                     subvs: int = 0) -> list[VirtualService]:  # fmt: skip
    """`count` services (web on 443, api on 8443, ...) with two Real Servers each; with
    `subvs`, the first one has that many SubVSs (one Real Server each) instead."""
    names = ["web", "api", "mail", "dns", "ldap", "sql"]
    out: list[VirtualService] = []
    rs_index = 1
    for i in range(count):
        rss = []
        for j in range(2):
            rss.append(RealServer(rs_index, f"{subnet}.{100 + 10 * i + j}", 80 + i))
            rs_index += 1
        out.append(
            VirtualService(
                index=i + 1,
                nickname=names[i % len(names)] + ("" if i < len(names) else str(i)),
                address=f"{subnet}.{11 + i}",
                port=443 if i == 0 else 8443 + i - 1,
                real_servers=rss,
            )
        )
    if out and subvs:
        parent = out[0]
        parent.real_servers = []
        for k in range(subvs):
            rs = RealServer(rs_index, f"{subnet}.{200 + k}", 80)
            rs_index += 1
            parent.subvs.append(VirtualService(count + 1 + k, f"{parent.nickname}-sub{k + 1}",
                                               "", 0, real_servers=[rs],
                                               parent=parent.index))  # fmt: skip
    return out


def services_from(described: list[Mapping[str, Any]]) -> list[VirtualService]:
    """Services as a saved inventory describes them ({"name", "address", "port", "status",
    "real_servers_up", "real_servers_total"}): "Up" gets its Up Real Servers (at least one),
    "Down" only Down ones, "Disabled" is disabled."""
    out: list[VirtualService] = []
    rs_index = 1
    for i, d in enumerate(described):
        status = str(d.get("status") or "Up").lower()
        total = max(int(d.get("real_servers_total") or 0), 1)
        up = 0 if status == "down" else max(int(d.get("real_servers_up") or 0), 1)
        rss = []
        for j in range(total):
            rss.append(RealServer(rs_index, f"10.155.{i}.{100 + j}", 80, up=j < up))
            rs_index += 1
        port = str(d.get("port") or "80")
        out.append(
            VirtualService(
                index=i + 1,
                nickname=str(d.get("name") or f"vs{i + 1}"),
                address=str(d.get("address") or f"10.154.0.{11 + i}"),
                port=int(port) if port.isdigit() else 80,
                enabled=status != "disabled",
                real_servers=rss,
            )
        )
    return out


class VsTable:
    def __init__(self, services: list[VirtualService]) -> None:
        self.services = services
        self.forced_down: set[int] = set()  # fault: these VSs report Down

    def all(self) -> list[VirtualService]:
        """Every entry `listvs` shows: the services, then their SubVSs."""
        return self.services + [sub for vs in self.services for sub in vs.subvs]

    def find(self, key: str, port: str | None = None, prot: str | None = None) -> VirtualService:
        for vs in self.all():
            if port is None and key == str(vs.index):
                return vs
            if (
                key == vs.address
                and (port is None or port == str(vs.port))
                and (prot is None or prot.lower() == vs.protocol)
            ):
                return vs
        raise KeyError(key)

    def status(self, vs: VirtualService, down: set[int], serving: bool) -> str:
        """Up / Down / Disabled for `vs`; `down` are indexes a fault forces Down."""
        if not vs.enabled:
            return "Disabled"
        if not serving or vs.index in down or vs.index in self.forced_down:
            return "Down"
        if vs.subvs:
            return "Up" if any(self.status(s, down, serving) == "Up" for s in vs.subvs) \
                else "Down"  # fmt: skip
        return "Up" if any(r.up and r.enabled for r in vs.real_servers) else "Down"

    def render_vs(self, vs: VirtualService, status: str, down: set[int] | None = None,
                  serving: bool = True) -> El:  # fmt: skip
        children = fields(
            [
                ("Status", status),
                ("Index", vs.index),
                ("VSAddress", vs.address),  # a SubVS has no address of its own
                ("VSPort", vs.port if not vs.parent else ""),
                ("Protocol", vs.protocol),
                ("Enable", "Y" if vs.enabled else "N"),
                ("NickName", vs.nickname),
                ("MasterVS", 1 if vs.subvs else 0),
                ("MasterVSID", vs.parent),
                ("NumberOfRSs", len(vs.real_servers)),
            ]
        )
        for sub in vs.subvs:
            children.append(El("SubVS", children=fields([
                ("Status", self.status(sub, down or set(), serving)),
                ("VSIndex", sub.index),
                ("RsIndex", sub.real_servers[0].index if sub.real_servers else 0),
                ("Name", sub.nickname),
            ])))  # fmt: skip
        for rs in vs.real_servers:
            rs_up = status == "Up" and rs.up and rs.enabled
            children.append(
                El(
                    "Rs",
                    children=fields(
                        [
                            ("Status", "Up" if rs_up else "Down"),
                            ("VSIndex", vs.index),
                            ("RsIndex", rs.index),
                            ("Addr", rs.addr),
                            ("Port", rs.port),
                            ("Forward", "nat"),
                            ("Weight", 1000),
                            ("Limit", 0),
                            ("Enable", "Y" if rs.enabled else "N"),
                            ("Critical", "N"),
                        ]
                    ),
                )
            )
        return El("VS", children=children)

    def config(self) -> list[dict[str, object]]:
        """The configuration (no status) as plain data, for backups."""
        return [
            {
                "index": v.index,
                "nickname": v.nickname,
                "address": v.address,
                "port": v.port,
                "protocol": v.protocol,
                "enabled": v.enabled,
                "real_servers": [
                    {"index": r.index, "addr": r.addr, "port": r.port, "enabled": r.enabled}
                    for r in v.real_servers
                ],
                "parent": v.parent,
            }
            for v in self.all()
        ]
