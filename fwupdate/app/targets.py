"""Which devices a hand command works on: one iDRAC given ad hoc (`--idrac URL` with its
credentials and TLS choice), or nodes of a fleet file; and the file server a hand delivery
serves images from.  The connection and file-server option sets the commands share."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fwupdate.errors import BadInputError
from fwupdate.fileserver import FileServer
from fwupdate.fleet.loader import load_fleet, parse_endpoint
from fwupdate.fleet.models import Endpoint, Node, TlsSettings


@dataclass(frozen=True)
class IdracAccess:
    """How to reach one iDRAC ad hoc (`--idrac URL --user U --password-env VAR|--password-file
    F` and one of `--ca-bundle`, `--fingerprint`, `--insecure`), plus `--timeout`."""

    idrac: str | None = None
    user: str = "root"
    password_env: str | None = None
    password_file: Path | None = None
    ca_bundle: Path | None = None
    fingerprint: str | None = None
    insecure: bool = False
    timeout: float | None = None

    @property
    def adhoc_given(self) -> bool:
        """Any of the options that only make sense with `--idrac`."""
        extra = (self.idrac, self.password_env, self.password_file, self.ca_bundle,
                 self.fingerprint)  # fmt: skip
        return any(v is not None for v in extra)

    def endpoint(self) -> Endpoint:
        """The ad hoc endpoint, validated as a fleet-file endpoint would be."""
        if self.idrac is None:
            raise BadInputError("--idrac URL is required without a fleet file")
        return adhoc_idrac_endpoint(
            self.idrac, user=self.user, password_env=self.password_env,
            password_file=self.password_file, ca_bundle=self.ca_bundle,
            fingerprint=self.fingerprint, insecure=self.insecure, timeout=self.timeout,
        )


@dataclass(frozen=True)
class FileServerOptions:
    """Where fwupdate's own file server listens and the host name it puts in URLs."""

    address: str = "127.0.0.1"
    port: int = 0
    cert: Path | None = None
    key: Path | None = None
    advertise: str | None = None

    @property
    def served_host(self) -> str:
        return self.advertise or self.address

    def server(self) -> FileServer:
        """A (not yet started) FileServer; `--serve-cert` and `--serve-key` go together."""
        if (self.cert is None) != (self.key is None):
            raise BadInputError("--serve-cert and --serve-key go together")
        return FileServer(self.address, self.port, advertise_host=self.advertise,
                          certfile=self.cert, keyfile=self.key)  # fmt: skip


@dataclass(frozen=True)
class Target:
    name: str
    endpoint: Endpoint


def adhoc_idrac_endpoint(
    idrac: str,
    *,
    user: str,
    password_env: str | None,
    password_file: Path | None,
    ca_bundle: Path | None,
    fingerprint: str | None,
    insecure: bool,
    timeout: float | None,
) -> Endpoint:
    """An endpoint from `--idrac URL --user U --password-env VAR|--password-file F` and one of
    `--ca-bundle`, `--fingerprint`, `--insecure`; validated as a fleet-file endpoint would be."""
    if (password_env is None) == (password_file is None):
        raise BadInputError("--idrac needs exactly one of --password-env or --password-file")
    if sum(x is not None for x in (ca_bundle, fingerprint)) + int(insecure) > 1:
        raise BadInputError("give only one of --ca-bundle, --fingerprint, --insecure")
    table: dict[str, Any] = {"url": idrac, "username": user}
    if timeout is not None:
        table["timeout"] = timeout
    for key, value in (
        ("password_env", password_env),
        ("password_file", str(password_file) if password_file else None),
        ("ca_bundle", str(ca_bundle) if ca_bundle else None),
        ("fingerprint", fingerprint),
    ):
        if value is not None:
            table[key] = value
    if insecure:
        table["insecure"] = True
    return parse_endpoint(table, base=Path.cwd(), keypath="--idrac")


def idrac_targets(
    fleet_file: Path | None,
    nodes: list[str],
    access: IdracAccess,
    *,
    max_nodes: int | None = None,
    need_node: bool = False,
) -> list[Target]:
    """The iDRACs a hand command works on: `FLEET.toml [NODE...]` or `--idrac URL ...`."""
    if fleet_file is not None and access.adhoc_given:
        raise BadInputError(
            "give a fleet file and node, or --idrac with its options, not both "
            "(--password-env/--password-file/--ca-bundle/--fingerprint belong to --idrac)"
        )
    if fleet_file is None:
        if nodes:
            raise BadInputError("a node name needs a fleet file before it")
        if access.idrac is None:
            raise BadInputError("give FLEET.toml NODE, or --idrac URL --user U --password-env VAR")
        endpoint = access.endpoint()
        return [Target(endpoint.url.split("://", 1)[-1], endpoint)]
    fleet = load_fleet(fleet_file)
    if need_node and not nodes:
        raise BadInputError(f"name the node of {fleet_file} to work on")
    if max_nodes is not None and len(nodes) > max_nodes:
        raise BadInputError(f"give at most {max_nodes} node name(s)")
    chosen: list[Node] = []
    for name in nodes or [n.name for n in fleet.nodes()]:
        try:
            chosen.append(fleet.node(name))
        except KeyError:
            raise BadInputError(f"no node named {name!r} in {fleet_file}") from None
    return [Target(n.name, _with_overrides(n.idrac, access)) for n in chosen]


def _with_overrides(ep: Endpoint, access: IdracAccess) -> Endpoint:
    """A fleet endpoint with `--insecure` / `--timeout` applied."""
    if access.insecure:
        ep = replace(ep, tls=TlsSettings(insecure=True))
    if access.timeout is not None:
        ep = replace(ep, timeout=access.timeout)
    return ep
