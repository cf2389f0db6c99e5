"""The fleet file's shape (docs/fleet.md) as msgspec Structs, and its one-line errors.

The TOML data (from tomllib) is converted into these models by `documents.convert_checked`:
types, required keys and unknown keys are msgspec's checks; what msgspec cannot say (URL
rules, ranges, names, one-of-two settings, defaults) is checked afterwards by
fleet/loader.py and fleet/observe_sections.py.  msgspec is loaded only when a fleet file is
read, never by `--help` (this module is imported inside the functions that need it).
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from fwupdate.documents import Problem, convert_checked, struct_fields_at
from fwupdate.errors import ConfigError
from fwupdate.fleet.observe_models import HOOK_TIMEOUT, WEBHOOK_ATTEMPTS, WEBHOOK_TIMEOUT

T = TypeVar("T")


class _Table(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """A TOML table: unknown keys are errors (usually typos that would fall back to a default)."""


class SettingsDoc(_Table, kw_only=True, frozen=True):
    """Endpoint settings, in `[defaults.idrac]` / `[defaults.loadmaster]` or an endpoint."""

    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    ca_bundle: str | None = None
    fingerprint: str | None = None
    insecure: bool | None = None
    timeout: float | None = None
    apikey_env: str | None = None
    apikey_file: str | None = None


class EndpointDoc(SettingsDoc, kw_only=True, frozen=True):
    url: str


Endpoint = str | EndpointDoc  # a URL alone, or a table with `url`


class DefaultsDoc(_Table, kw_only=True, frozen=True):
    concurrency: int | None = None
    idrac: SettingsDoc = msgspec.field(default_factory=SettingsDoc)
    loadmaster: SettingsDoc = msgspec.field(default_factory=SettingsDoc)


class NodeDoc(_Table, kw_only=True, frozen=True):
    name: str
    idrac: Endpoint
    loadmaster: Endpoint | None = None


class PairDoc(_Table, kw_only=True, frozen=True):
    name: str
    shared_address: Endpoint | None = None
    nodes: list[NodeDoc] = []


class WebhookDoc(_Table, kw_only=True, frozen=True):
    url: str
    events: list[str] | None = None
    header: str | None = None
    secret_env: str | None = None
    secret_file: str | None = None
    timeout: float = WEBHOOK_TIMEOUT
    attempts: int = WEBHOOK_ATTEMPTS


class NotifyDoc(_Table, kw_only=True, frozen=True):
    webhooks: list[WebhookDoc] = []


class HookDoc(_Table, kw_only=True, frozen=True):
    argv: list[str]
    timeout: float | None = None


Hook = list[str] | HookDoc  # an argv alone, or a table with `argv`


class HooksDoc(_Table, kw_only=True, frozen=True):
    timeout: float = HOOK_TIMEOUT
    pre_pair: Hook | None = None
    post_pair: Hook | None = None
    pre_node: Hook | None = None
    post_node: Hook | None = None


class SectionsDoc(_Table, kw_only=True, frozen=True):
    """`[notify]` and `[hooks]` (fleet/observe_sections.py)."""

    notify: NotifyDoc | None = None
    hooks: HooksDoc | None = None


class FleetDoc(SectionsDoc, kw_only=True, frozen=True):
    defaults: DefaultsDoc = msgspec.field(default_factory=DefaultsDoc)
    pairs: list[PairDoc] = []
    nodes: list[NodeDoc] = []


def convert_fleet(data: Any, model: type[T], *, label: str, root: str = "") -> T:
    """`data` (TOML tables) as `model`, or one ConfigError line naming `label` and the key."""
    try:
        return convert_checked(data, model)
    except Problem as problem:
        raise ConfigError(_line(problem, model, label, root)) from None


_GOT = {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean",
        "array": "an array", "object": "a table", "datetime": "a date-time", "date": "a date",
        "time": "a time"}
_COMMAND = "a command as a non-empty array of strings (no shell)"


def _line(problem: Problem, model: type[Any], label: str, root: str) -> str:
    where = ".".join(p for p in (root, problem.path) if p)
    if problem.kind == "missing":
        return f"{label}: {where}: missing {problem.key}"
    if problem.kind == "unknown":
        allowed = ", ".join(sorted(struct_fields_at(model, problem.path)))
        key = f"{where}.{problem.key}" if where else problem.key
        return f"{label}: {key}: unknown key (allowed here: {allowed})"
    if problem.kind == "expected":
        got = _GOT.get(problem.got, problem.got)
        return f"{label}: {where}: expected {_wanted(problem.want, where)}, got {got}"
    return f"{label}: {where}: {problem.text}"


def _wanted(want: str, where: str) -> str:
    """msgspec's type name in the fleet file's words (`array` said as the TOML to write)."""
    want = want.removesuffix(" | null")
    last = where.rsplit(".", 1)[-1]
    if want in ("object | array", "array") and (where.startswith("hooks.") or last == "argv"):
        return _COMMAND
    if want == "array":
        return ("a non-empty array of event names" if last == "events"
                else f"an array of tables ([[{where}]])")
    words = {"str": "a string", "bool": "true or false", "int": "an integer",
             "float": "a number", "object": "a table", "str | object": "a URL string or a table"}
    return words.get(want, want)
