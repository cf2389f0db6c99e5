"""Frozen models of a fleet file (format: docs/fleet.md).

Credentials are references (environment variable name or 0600 file), resolved only when a
client connects; the models never hold a secret value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TlsSettings:
    ca_bundle: Path | None = None
    fingerprint: str | None = None  # SHA-256 of the DER certificate, hex, no colons
    insecure: bool = False  # only when the operator explicitly asked


@dataclass(frozen=True)
class CredentialRef:
    username: str
    password_env: str | None = None
    password_file: Path | None = None
    apikey_env: str | None = None  # Kemp API key (LoadMaster endpoints): replaces the password
    apikey_file: Path | None = None


@dataclass(frozen=True)
class Endpoint:
    url: str  # https://host[:port]
    credentials: CredentialRef
    tls: TlsSettings = TlsSettings()
    timeout: float = 30.0


@dataclass(frozen=True)
class Node:
    name: str
    idrac: Endpoint
    loadmaster: Endpoint | None = None
    pair: str | None = None  # name of the HA pair, None for standalone


@dataclass(frozen=True)
class Pair:
    name: str
    nodes: tuple[Node, Node]
    shared_address: Endpoint | None = None


@dataclass(frozen=True)
class Fleet:
    pairs: tuple[Pair, ...] = ()
    standalone: tuple[Node, ...] = ()
    source: Path | None = None
    concurrency: int = 8
    # [notify] and [hooks]: a fleet.observe_sections.ObserveSettings (typed loosely here so
    # that the planner, which reads these models, never imports the notification code)
    observe: object | None = None

    def nodes(self) -> tuple[Node, ...]:
        out: list[Node] = []
        for p in self.pairs:
            out.extend(p.nodes)
        out.extend(self.standalone)
        return tuple(out)

    def node(self, name: str) -> Node:
        for n in self.nodes():
            if n.name == name:
                return n
        raise KeyError(name)
