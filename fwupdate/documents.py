"""Typed JSON documents: decode bytes into models with msgspec, one clear line on any problem.

The saved inventory and the plan file are defined once as typed models (msgspec Structs, or
the domain's own dataclasses where the JSON has their shape) and decoded and validated in one
pass by msgspec (docs/documents.md: why msgspec rather than cattrs or pydantic).  msgspec is
imported here only, and this module only by the commands that read or write those documents,
so `fwupdate --help` never loads it (tests/misc/test_cli_lazy.py).

A problem becomes one line naming the file, the key path and what is wrong:
`inv.json: nodes[3].idrac.generation: unknown 'iDRAC99'`.
"""

from __future__ import annotations

import re
import typing
from typing import Any, TypeVar

import msgspec

from fwupdate.gcpause import gc_paused as gc_paused  # re-exported: the one pause

T = TypeVar("T")

_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<key>[^`]+)`$")
_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$")
_WANTS = {
    "bool": "expected true or false",
    "bool | null": "expected true or false",
    "str": "expected a string",
    "str | null": "expected a string or null",
    "int": "expected an integer",
    "int | null": "expected an integer or null",
    "array": "expected a list",
    "array | null": "expected a list or null",
    "object": "expected an object",
    "object | null": "expected an object or null",
}


class DocumentError(ValueError):
    """A document that is not valid JSON or not of its model: `where` (may be "") and `what`."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}" if where else what)
        self.where = where
        self.what = what


def decode_json(data: bytes | str, model: type[T], *, root: str = "") -> T:
    """`data` decoded into `model` (strict: no str for int, no int for bool)."""
    try:
        with gc_paused():
            return msgspec.json.decode(data, type=model)
    except msgspec.ValidationError as exc:
        raise _problem(str(exc), root) from None
    except msgspec.DecodeError as exc:
        raise DocumentError("", f"not JSON: {_lower(str(exc))}") from None
    except RecursionError:  # only where the model holds untyped data (`Any`)
        raise DocumentError("", "not JSON: nested too deeply") from None


def decode_any(data: bytes | str) -> Any:
    """Untyped JSON (for a document whose hash is checked before its shape)."""
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise DocumentError("", f"not JSON: {_lower(str(exc))}") from None
    except RecursionError:
        raise DocumentError("", "not JSON: nested too deeply") from None


def convert(obj: Any, model: type[T], *, root: str = "") -> T:
    """Python data (from `decode_any`, or TOML) converted into `model`, as strictly."""
    try:
        return msgspec.convert(obj, type=model, strict=True)
    except msgspec.ValidationError as exc:
        raise _problem(str(exc), root) from None


def to_builtins(obj: Any) -> Any:
    """A model as dicts, lists or tuples, strings and numbers (field order kept; enums by
    value). Encoding and decoding again is faster but holds the bytes and both trees at once
    (+65 MiB peak for a 1,000-pair plan)."""
    with gc_paused():
        return msgspec.to_builtins(obj)


def encode_json(obj: Any) -> bytes:
    """Compact JSON of a model or of builtins (UTF-8, not ASCII-escaped)."""
    return msgspec.json.encode(obj)


def _problem(message: str, root: str) -> DocumentError:
    m = _AT.match(message)
    what = m.group("what") if m else message
    path = (m.group("path") or "") if m else ""
    where = f"{root}{path}" if root else path.lstrip(".")
    missing = _MISSING.match(what)
    if missing:
        return DocumentError(where, f"missing {missing.group('key')}")
    expected = _EXPECTED.match(what)
    if expected:
        want = _WANTS.get(expected.group("want"), f"expected {expected.group('want')}")
        return DocumentError(where, want)
    if what.startswith("Invalid enum value "):
        return DocumentError(where, f"unknown {what.removeprefix('Invalid enum value ')}")
    return DocumentError(where, _lower(what))


def _lower(text: str) -> str:
    """msgspec's sentence as a clause: "Expected ..." -> "expected ...", "JSON is" kept."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


# --- for documents with their own wording (the fleet file) -----------------------------------

_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]+)`$")


class Problem(ValueError):
    """Why `convert_checked` refused the data, in parts, for a caller that words it itself.

    `path` is the key path ("" for the root, "nodes[0].idrac"); `kind` is "missing" or
    "unknown" (with `key`), "expected" (with msgspec's `want`, e.g. "str | null", and `got`,
    e.g. "int"), or "other" (msgspec's sentence in `text`).
    """

    def __init__(self, path: str, kind: str, *, key: str = "", want: str = "", got: str = "",
                 text: str = "") -> None:
        super().__init__(f"{path}: {kind} {key or want or text}")
        self.path, self.kind, self.key, self.want, self.got, self.text = (
            path, kind, key, want, got, text)


def convert_checked(obj: Any, model: type[T]) -> T:
    """As `convert`, but a problem is raised as a `Problem` in parts rather than a line."""
    try:
        return msgspec.convert(obj, type=model, strict=True)
    except msgspec.ValidationError as exc:
        raise _parts(str(exc)) from None


def struct_fields_at(model: type[Any], path: str) -> tuple[str, ...]:
    """The keys allowed by the Struct found at `path` inside `model` (() if none is)."""
    found: Any = model
    for name, _index in re.findall(r"\.?([^.\[\]]+)|\[(\d+)\]", path):
        if name:
            found = _struct_in(found)
            found = typing.get_type_hints(found).get(name) if found else None
        else:
            found = _item_of(found)
    struct = _struct_in(found)
    return tuple(f.encode_name for f in msgspec.structs.fields(struct)) if struct else ()


def _struct_in(tp: Any) -> type[msgspec.Struct] | None:
    """The Struct in `tp` (itself, or one member of a union)."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return tp
    for member in typing.get_args(tp):
        if isinstance(member, type) and issubclass(member, msgspec.Struct):
            return member
    return None


def _item_of(tp: Any) -> Any:
    """The item type of the list (or tuple) in `tp`."""
    for candidate in (tp, *typing.get_args(tp)):
        if typing.get_origin(candidate) in (list, tuple):
            return typing.get_args(candidate)[0]
    return None


def _parts(message: str) -> Problem:
    m = _AT.match(message)
    what = m.group("what") if m else message
    path = ((m.group("path") or "") if m else "").lstrip(".")
    for kind, pattern in (("missing", _MISSING), ("unknown", _UNKNOWN)):
        found = pattern.match(what)
        if found:
            return Problem(path, kind, key=found.group("key"))
    expected = _EXPECTED.match(what)
    if expected:
        return Problem(path, "expected", want=expected.group("want"), got=expected.group("got"))
    return Problem(path, "other", text=_lower(what))
