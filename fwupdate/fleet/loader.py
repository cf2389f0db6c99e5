"""Load a fleet file (TOML, docs/fleet.md) into the frozen `Fleet` model.

Every mistake becomes one `ConfigError` line that names the file and the key path, e.g.
`fleet.toml: pairs[1].nodes[0].idrac: missing url`, or the TOML line and column for a syntax
error.  Unknown keys are errors too (they are usually typos that would otherwise silently fall
back to a default).  Secrets are not read here: credentials stay references until a client
connects (fwupdate.fleet.secrets).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fwupdate.errors import ConfigError
from fwupdate.fleet.models import CredentialRef, Endpoint, Fleet, Node, Pair, TlsSettings
from fwupdate.fleet.observe_sections import KEYS as OBSERVE_KEYS
from fwupdate.fleet.observe_sections import parse_sections
from fwupdate.fleet.secrets import ENV_NAME
from fwupdate.inputfile import read_regular
from fwupdate.logsafe import redact_url

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 256
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{64}$")

_TOP_KEYS = frozenset({"defaults", "pairs", "nodes", *OBSERVE_KEYS})
_DEFAULTS_KEYS = frozenset({"concurrency", "idrac", "loadmaster"})
_ENDPOINT_SETTINGS = frozenset(
    {"username", "password_env", "password_file", "ca_bundle", "fingerprint", "insecure", "timeout",
     "apikey_env", "apikey_file"}
)
_ENDPOINT_KEYS = _ENDPOINT_SETTINGS | {"url"}
_PAIR_KEYS = frozenset({"name", "shared_address", "nodes"})
_NODE_KEYS = frozenset({"name", "idrac", "loadmaster"})


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
    return _Parser(label, base).fleet(data, source)


def parse_endpoint(
    table: Mapping[str, Any], *, base: Path, label: str = "command line", keypath: str = "idrac"
) -> Endpoint:
    """One endpoint given outside a fleet file (e.g. `inventory --idrac URL --user U ...`).

    Same rules as in a fleet file: https only (http needs insecure), credentials by reference.
    """
    return _Parser(label, base)._endpoint(dict(table), keypath, _Settings(), url_keypath=keypath)


# --- parsing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    """Endpoint settings from one table (defaults or endpoint), validated, not yet merged."""

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


class _Parser:
    def __init__(self, label: str, base: Path) -> None:
        self.label = label
        self.base = base

    def error(self, keypath: str, message: str) -> ConfigError:
        return ConfigError(f"{self.label}: {keypath}: {message}")

    # --- top level ------------------------------------------------------------------------

    def fleet(self, data: Mapping[str, Any], source: Path | None) -> Fleet:
        self._keys(data, _TOP_KEYS, "")
        defaults = self._table(data.get("defaults", {}), "defaults")
        self._keys(defaults, _DEFAULTS_KEYS, "defaults")
        concurrency = DEFAULT_CONCURRENCY
        if "concurrency" in defaults:
            concurrency = self._int(defaults["concurrency"], "defaults.concurrency")
            if not 1 <= concurrency <= MAX_CONCURRENCY:
                raise self.error("defaults.concurrency", f"must be between 1 and {MAX_CONCURRENCY}")
        idrac_defaults = self._settings(defaults.get("idrac", {}), "defaults.idrac")
        lm_defaults = self._settings(defaults.get("loadmaster", {}), "defaults.loadmaster")

        pairs: list[Pair] = []
        for i, raw_pair in enumerate(self._array(data.get("pairs", []), "pairs")):
            pairs.append(self._pair(raw_pair, f"pairs[{i}]", idrac_defaults, lm_defaults))
        standalone: list[Node] = []
        for i, raw_node in enumerate(self._array(data.get("nodes", []), "nodes")):
            standalone.append(
                self._node(raw_node, f"nodes[{i}]", None, idrac_defaults, lm_defaults)
            )
        if not pairs and not standalone:
            raise ConfigError(f"{self.label}: no [[pairs]] or [[nodes]] defined")
        self._check_unique(pairs, standalone)
        return Fleet(
            pairs=tuple(pairs),
            standalone=tuple(standalone),
            source=source,
            concurrency=concurrency,
            observe=parse_sections(data, base=self.base, label=self.label),
        )

    def _pair(self, raw: Any, path: str, idrac_defaults: _Settings, lm_defaults: _Settings) -> Pair:
        table = self._table(raw, path)
        self._keys(table, _PAIR_KEYS, path)
        name = self._name(table, path)
        shared = None
        if "shared_address" in table:
            shared = self._endpoint(table["shared_address"], f"{path}.shared_address", lm_defaults)
        raw_nodes = self._array(table.get("nodes", []), f"{path}.nodes")
        if len(raw_nodes) != 2:
            raise self.error(
                f"{path}.nodes", f"a pair has exactly two nodes, found {len(raw_nodes)}"
            )
        a = self._node(raw_nodes[0], f"{path}.nodes[0]", name, idrac_defaults, lm_defaults)
        b = self._node(raw_nodes[1], f"{path}.nodes[1]", name, idrac_defaults, lm_defaults)
        return Pair(name=name, nodes=(a, b), shared_address=shared)

    def _node(
        self,
        raw: Any,
        path: str,
        pair: str | None,
        idrac_defaults: _Settings,
        lm_defaults: _Settings,
    ) -> Node:
        table = self._table(raw, path)
        self._keys(table, _NODE_KEYS, path)
        name = self._name(table, path)
        if "idrac" not in table:
            raise self.error(path, "missing idrac")
        idrac = self._endpoint(table["idrac"], f"{path}.idrac", idrac_defaults)
        lm = None
        if "loadmaster" in table:
            lm = self._endpoint(table["loadmaster"], f"{path}.loadmaster", lm_defaults)
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

    def _endpoint(
        self, raw: Any, path: str, defaults: _Settings, *, url_keypath: str | None = None
    ) -> Endpoint:
        if isinstance(raw, str):
            url_raw: Any = raw
            own = _Settings()
            url_path = path
        elif isinstance(raw, dict):
            self._keys(raw, _ENDPOINT_KEYS, path)
            if "url" not in raw:
                raise self.error(path, "missing url")
            url_raw = raw["url"]
            own = self._settings({k: v for k, v in raw.items() if k != "url"}, path)
            url_path = url_keypath or f"{path}.url"
        else:
            raise self.error(path, f"expected a URL string or a table, got {_type_name(raw)}")
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

    def _settings(self, raw: Any, path: str) -> _Settings:
        table = self._table(raw, path)
        self._keys(table, _ENDPOINT_SETTINGS, path)
        username = None
        if "username" in table:
            username = self._str(table["username"], f"{path}.username")
        password_env = None
        if "password_env" in table:
            password_env = self._str(table["password_env"], f"{path}.password_env")
            if not ENV_NAME.match(password_env):
                raise self.error(
                    f"{path}.password_env", f"{password_env!r} is not an environment variable name"
                )
        password_file = None
        if "password_file" in table:
            password_file = self._path(table["password_file"], f"{path}.password_file")
        if password_env is not None and password_file is not None:
            raise self.error(path, "give password_env or password_file, not both")
        apikey_env, apikey_file = self._apikey(table, path)
        ca_bundle = None
        if "ca_bundle" in table:
            ca_bundle = self._path(table["ca_bundle"], f"{path}.ca_bundle")
            if not ca_bundle.is_file():
                raise self.error(
                    f"{path}.ca_bundle",
                    f"file {ca_bundle} not found (relative paths start at the fleet file's folder)",
                )
        fingerprint = None
        if "fingerprint" in table:
            fingerprint = self._fingerprint(table["fingerprint"], f"{path}.fingerprint")
        insecure = None
        if "insecure" in table:
            insecure = self._bool(table["insecure"], f"{path}.insecure")
        if ca_bundle is not None and fingerprint is not None:
            raise self.error(path, "give ca_bundle or fingerprint, not both")
        if insecure and (ca_bundle is not None or fingerprint is not None):
            raise self.error(
                f"{path}.insecure", "insecure = true contradicts ca_bundle/fingerprint"
            )
        timeout = None
        if "timeout" in table:
            timeout = self._number(table["timeout"], f"{path}.timeout")
            if not 0 < timeout <= 3600:
                raise self.error(f"{path}.timeout", "must be > 0 and at most 3600 seconds")
        return _Settings(
            username=username,
            password_env=password_env,
            password_file=password_file,
            ca_bundle=ca_bundle,
            fingerprint=fingerprint,
            insecure=insecure,
            timeout=timeout,
            apikey_env=apikey_env,
            apikey_file=apikey_file,
        )

    def _apikey(self, table: Mapping[str, Any], path: str) -> tuple[str | None, Path | None]:
        """The Kemp API key reference (`apikey_env` or `apikey_file`, like the password)."""
        env = None
        if "apikey_env" in table:
            env = self._str(table["apikey_env"], f"{path}.apikey_env")
            if not ENV_NAME.match(env):
                raise self.error(f"{path}.apikey_env",
                                 f"{env!r} is not an environment variable name")
        file = self._path(table["apikey_file"], f"{path}.apikey_file") if (
            "apikey_file" in table) else None
        if env is not None and file is not None:
            raise self.error(path, "give apikey_env or apikey_file, not both")
        return env, file

    def _url(self, raw: Any, path: str, *, insecure: bool) -> str:
        text = self._str(raw, path).strip()
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

    # --- scalars --------------------------------------------------------------------------

    def _keys(self, table: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
        for key in table:
            if key not in allowed:
                where = f"{path}.{key}" if path else key
                raise self.error(where, f"unknown key (allowed here: {', '.join(sorted(allowed))})")

    def _table(self, raw: Any, path: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.error(path, f"expected a table, got {_type_name(raw)}")
        return raw

    def _array(self, raw: Any, path: str) -> list[Any]:
        if not isinstance(raw, list):
            raise self.error(
                path, f"expected an array of tables ([[{path}]]), got {_type_name(raw)}"
            )
        return raw

    def _name(self, table: Mapping[str, Any], path: str) -> str:
        if "name" not in table:
            raise self.error(path, "missing name")
        name = self._str(table["name"], f"{path}.name")
        if not NAME_RE.match(name):
            raise self.error(
                f"{path}.name",
                f"{name!r}: use letters, digits, '.', '_' or '-' (at most 63, no spaces)",
            )
        return name

    def _str(self, raw: Any, path: str) -> str:
        if not isinstance(raw, str):
            raise self.error(path, f"expected a string, got {_type_name(raw)}")
        if not raw.strip():
            raise self.error(path, "must not be empty")
        return raw

    def _bool(self, raw: Any, path: str) -> bool:
        if not isinstance(raw, bool):
            raise self.error(path, f"expected true or false, got {_type_name(raw)}")
        return raw

    def _int(self, raw: Any, path: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise self.error(path, f"expected an integer, got {_type_name(raw)}")
        return raw

    def _number(self, raw: Any, path: str) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.error(path, f"expected a number, got {_type_name(raw)}")
        value = float(raw)
        if not math.isfinite(value):
            raise self.error(path, "must be a finite number")
        return value

    def _path(self, raw: Any, path: str) -> Path:
        p = Path(self._str(raw, path)).expanduser()
        return p if p.is_absolute() else self.base / p

    def _fingerprint(self, raw: Any, path: str) -> str:
        text = self._str(raw, path)
        fp = normalize_fingerprint(text)
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


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
