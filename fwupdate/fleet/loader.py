"""Load a fleet file (TOML, docs/fleet.md) into the frozen `Fleet` model.

The file's shape is typed once (fwupdate/fleet/document.py, msgspec Structs converted from the
tomllib data); the rules a type cannot say (URLs, names, ranges, one of two settings, the
`[defaults]` merge, unique names) are the functions below.  Every mistake becomes one
`ConfigError` line that names the file and the key path, e.g.
`fleet.toml: pairs[1].nodes[0].idrac: missing url`, or the TOML line and column for a syntax
error.  Unknown keys are errors too.  Secrets are not read here: credentials stay references
until a client connects (fwupdate.fleet.secrets).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fwupdate.errors import ConfigError
from fwupdate.fleet.models import CredentialRef, Endpoint, Fleet, Node, Pair, TlsSettings
from fwupdate.fleet.secrets import ENV_NAME
from fwupdate.inputfile import read_regular
from fwupdate.logsafe import redact_url

if TYPE_CHECKING:  # msgspec is loaded only when a fleet file is read (not by --help)
    from fwupdate.fleet.document import EndpointDoc, FleetDoc, NodeDoc, PairDoc, SettingsDoc

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 256
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_FLEET_BYTES = 4 << 20


def load_fleet(path: str | Path) -> Fleet:
    """Read and validate a fleet file; relative paths resolve against its folder."""
    p = Path(path)
    label = str(path)
    raw = read_regular(p, max_bytes=MAX_FLEET_BYTES, what="fleet file", error=ConfigError)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{label}: invalid TOML: nested too deeply") from None
    return parse_fleet(data, base=p.resolve().parent, label=label, source=p.resolve())


def parse_fleet(
    data: Mapping[str, Any], *, base: Path, label: str = "fleet", source: Path | None = None
) -> Fleet:
    """Validate an already-parsed TOML document (tests, or a fleet built in memory)."""
    from fwupdate.fleet.document import FleetDoc, convert_fleet

    doc = convert_fleet(data, FleetDoc, label=label)
    return _Checker(label, base).fleet(doc, source)


def parse_endpoint(
    table: Mapping[str, Any], *, base: Path, label: str = "command line", keypath: str = "idrac"
) -> Endpoint:
    """One endpoint given outside a fleet file (e.g. `inventory --idrac URL --user U ...`).

    Same rules as in a fleet file: https only (http needs insecure), credentials by reference.
    """
    from fwupdate.fleet.document import EndpointDoc, SettingsDoc, convert_fleet

    doc = convert_fleet(dict(table), EndpointDoc, label=label, root=keypath)
    checker = _Checker(label, base)
    return checker.endpoint(doc, keypath, checker.settings(SettingsDoc(), ""), url_keypath=keypath)


# --- checks a type cannot say ---------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    """Endpoint settings from one table (defaults or endpoint), checked, not yet merged."""

    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    ca_bundle: Path | None = None
    fingerprint: str | None = None
    insecure: bool | None = None
    timeout: float | None = None
    apikey_env: str | None = None
    apikey_file: Path | None = None

    @property
    def has_apikey(self) -> bool:
        return self.apikey_env is not None or self.apikey_file is not None

    @property
    def has_password(self) -> bool:
        return self.password_env is not None or self.password_file is not None

    @property
    def has_tls(self) -> bool:
        return (
            self.ca_bundle is not None or self.fingerprint is not None or self.insecure is not None
        )


class _Checker:
    def __init__(self, label: str, base: Path) -> None:
        self.label = label
        self.base = base

    def error(self, keypath: str, message: str) -> ConfigError:
        return ConfigError(f"{self.label}: {keypath}: {message}")

    # --- top level ------------------------------------------------------------------------

    def fleet(self, doc: FleetDoc, source: Path | None) -> Fleet:
        from fwupdate.fleet.observe_sections import observe_settings

        concurrency = DEFAULT_CONCURRENCY
        if doc.defaults.concurrency is not None:
            concurrency = doc.defaults.concurrency
            if not 1 <= concurrency <= MAX_CONCURRENCY:
                raise self.error("defaults.concurrency", f"must be between 1 and {MAX_CONCURRENCY}")
        defaults = (self.settings(doc.defaults.idrac, "defaults.idrac"),
                    self.settings(doc.defaults.loadmaster, "defaults.loadmaster"))
        pairs = [self._pair(p, f"pairs[{i}]", defaults) for i, p in enumerate(doc.pairs)]
        standalone = [self._node(n, f"nodes[{i}]", None, defaults) for i, n in enumerate(doc.nodes)]
        if not pairs and not standalone:
            raise ConfigError(f"{self.label}: no [[pairs]] or [[nodes]] defined")
        self._check_unique(pairs, standalone)
        observe = None
        if doc.notify is not None or doc.hooks is not None:
            observe = observe_settings(doc, base=self.base, label=self.label)
        return Fleet(pairs=tuple(pairs), standalone=tuple(standalone), source=source,
                     concurrency=concurrency, observe=observe)

    def _pair(self, doc: PairDoc, path: str, defaults: tuple[_Settings, _Settings]) -> Pair:
        name = self._name(doc.name, f"{path}.name")
        shared = None
        if doc.shared_address is not None:
            shared = self.endpoint(doc.shared_address, f"{path}.shared_address", defaults[1])
        if len(doc.nodes) != 2:
            raise self.error(
                f"{path}.nodes", f"a pair has exactly two nodes, found {len(doc.nodes)}"
            )
        a = self._node(doc.nodes[0], f"{path}.nodes[0]", name, defaults)
        b = self._node(doc.nodes[1], f"{path}.nodes[1]", name, defaults)
        return Pair(name=name, nodes=(a, b), shared_address=shared)

    def _node(
        self, doc: NodeDoc, path: str, pair: str | None, defaults: tuple[_Settings, _Settings]
    ) -> Node:
        name = self._name(doc.name, f"{path}.name")
        idrac = self.endpoint(doc.idrac, f"{path}.idrac", defaults[0])
        lm = None
        if doc.loadmaster is not None:
            lm = self.endpoint(doc.loadmaster, f"{path}.loadmaster", defaults[1])
        return Node(name=name, idrac=idrac, loadmaster=lm, pair=pair)

    def _check_unique(self, pairs: list[Pair], standalone: list[Node]) -> None:
        pair_names: dict[str, str] = {}
        for i, p in enumerate(pairs):
            where = f"pairs[{i}].name"
            if p.name in pair_names:
                raise self.error(
                    where, f"duplicate pair name {p.name!r} (also at {pair_names[p.name]})"
                )
            pair_names[p.name] = where
        located: list[tuple[str, Node]] = []
        for i, p in enumerate(pairs):
            located += [(f"pairs[{i}].nodes[{j}]", n) for j, n in enumerate(p.nodes)]
        located += [(f"nodes[{i}]", n) for i, n in enumerate(standalone)]
        names: dict[str, str] = {}
        urls: dict[str, str] = {}
        for where, node in located:
            if node.name in names:
                raise self.error(
                    f"{where}.name",
                    f"duplicate node name {node.name!r} (also at {names[node.name]})",
                )
            names[node.name] = where
            if node.idrac.url in urls:
                raise self.error(
                    f"{where}.idrac",
                    f"iDRAC {node.idrac.url} is already used by {urls[node.idrac.url]}",
                )
            urls[node.idrac.url] = where

    # --- endpoints ------------------------------------------------------------------------

    def endpoint(
        self, doc: str | EndpointDoc, path: str, defaults: _Settings, *,
        url_keypath: str | None = None,
    ) -> Endpoint:
        if isinstance(doc, str):
            url_raw, own, url_path = doc, _Settings(), path
        else:
            url_raw, own = doc.url, self.settings(doc, path)
            url_path = url_keypath or f"{path}.url"
        username = own.username or defaults.username
        if not username:
            raise self.error(path, "missing username (set it here or in [defaults])")
        key = own if own.has_apikey else defaults
        if key.has_apikey and "idrac" in path:
            raise self.error(path, "apikey_env/apikey_file are for LoadMaster endpoints only")
        pw = own if own.has_password else defaults
        if not pw.has_password and not key.has_apikey:
            raise self.error(
                path, "missing password_env or password_file (set it here or in [defaults])"
            )
        tls_src = own if own.has_tls else defaults
        insecure = bool(tls_src.insecure)
        url = self._url(url_raw, url_path, insecure=insecure)
        timeout = own.timeout or defaults.timeout or DEFAULT_TIMEOUT
        return Endpoint(
            url=url,
            credentials=CredentialRef(
                username=username, password_env=pw.password_env, password_file=pw.password_file,
                apikey_env=key.apikey_env, apikey_file=key.apikey_file,
            ),
            tls=TlsSettings(
                ca_bundle=tls_src.ca_bundle, fingerprint=tls_src.fingerprint, insecure=insecure
            ),
            timeout=timeout,
        )

    def settings(self, doc: SettingsDoc, path: str) -> _Settings:
        username = self._opt(doc.username, f"{path}.username")
        password_env = self._env(doc.password_env, f"{path}.password_env")
        password_file = self._path(doc.password_file, f"{path}.password_file")
        if password_env is not None and password_file is not None:
            raise self.error(path, "give password_env or password_file, not both")
        apikey_env = self._env(doc.apikey_env, f"{path}.apikey_env")
        apikey_file = self._path(doc.apikey_file, f"{path}.apikey_file")
        if apikey_env is not None and apikey_file is not None:
            raise self.error(path, "give apikey_env or apikey_file, not both")
        ca_bundle = self._path(doc.ca_bundle, f"{path}.ca_bundle")
        if ca_bundle is not None and not ca_bundle.is_file():
            raise self.error(
                f"{path}.ca_bundle",
                f"file {ca_bundle} not found (relative paths start at the fleet file's folder)",
            )
        fingerprint = self._fingerprint(doc.fingerprint, f"{path}.fingerprint")
        if ca_bundle is not None and fingerprint is not None:
            raise self.error(path, "give ca_bundle or fingerprint, not both")
        if doc.insecure and (ca_bundle is not None or fingerprint is not None):
            raise self.error(
                f"{path}.insecure", "insecure = true contradicts ca_bundle/fingerprint"
            )
        return _Settings(
            username=username, password_env=password_env, password_file=password_file,
            ca_bundle=ca_bundle, fingerprint=fingerprint, insecure=doc.insecure,
            timeout=self._timeout(doc.timeout, f"{path}.timeout"),
            apikey_env=apikey_env, apikey_file=apikey_file,
        )

    def _url(self, text: str, path: str, *, insecure: bool) -> str:
        text = self._str(text, path).strip()
        shown = repr(redact_url(text))  # messages never carry user:password@, queries, tokens
        try:
            parts = urlsplit(text)
            host = parts.hostname
            port = parts.port
        except ValueError:
            raise self.error(path, f"{shown} is not a valid URL") from None
        scheme = parts.scheme.lower()
        if parts.username is not None or parts.password is not None:
            raise self.error(path, "credentials must not be part of the URL")
        if scheme not in ("https", "http"):
            raise self.error(path, f"{shown} is not an https:// URL")
        if scheme == "http" and not insecure:
            raise self.error(path, f"{shown} is plain http; use https:// (or insecure = true)")
        if not host:
            raise self.error(path, f"{shown} has no host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise self.error(path, f"{shown}: give only scheme://host[:port], no path or query")
        netloc = f"[{host}]" if ":" in host else host
        if port is not None:
            netloc = f"{netloc}:{port}"
        return f"{scheme}://{netloc}"

    # --- values ---------------------------------------------------------------------------

    def _name(self, name: str, path: str) -> str:
        if not NAME_RE.match(self._str(name, path)):
            raise self.error(
                path, f"{name!r}: use letters, digits, '.', '_' or '-' (at most 63, no spaces)"
            )
        return name

    def _str(self, value: str, path: str) -> str:
        if not value.strip():
            raise self.error(path, "must not be empty")
        return value

    def _opt(self, value: str | None, path: str) -> str | None:
        return None if value is None else self._str(value, path)

    def _env(self, value: str | None, path: str) -> str | None:
        if value is not None and not ENV_NAME.match(self._str(value, path)):
            raise self.error(path, f"{value!r} is not an environment variable name")
        return value

    def _timeout(self, value: float | None, path: str) -> float | None:
        if value is not None and not math.isfinite(value):
            raise self.error(path, "must be a finite number")
        if value is not None and not 0 < value <= 3600:
            raise self.error(path, "must be > 0 and at most 3600 seconds")
        return value

    def _path(self, value: str | None, path: str) -> Path | None:
        if value is None:
            return None
        p = Path(self._str(value, path)).expanduser()
        return p if p.is_absolute() else self.base / p

    def _fingerprint(self, value: str | None, path: str) -> str | None:
        if value is None:
            return None
        fp = normalize_fingerprint(self._str(value, path))
        if fp is None:
            raise self.error(
                path, "expected the SHA-256 fingerprint: 64 hex digits (colons allowed)"
            )
        return fp


def normalize_fingerprint(text: str) -> str | None:
    """`AB:CD:...` or `abcd...` → 64 lower-case hex digits; None when it is not SHA-256."""
    fp = text.strip().lower().replace(":", "").replace(" ", "")
    if fp.startswith("sha256/") or fp.startswith("sha256="):
        fp = fp[7:]
    return fp if FINGERPRINT_RE.match(fp) else None
