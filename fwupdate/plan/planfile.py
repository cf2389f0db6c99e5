"""The plan file: a versioned JSON document that the executor runs (shape: docs/planning.md).

`dumps(plan)` / `loads(text)` round-trip exactly.  The document carries `content_sha256`, the
SHA-256 of its own canonical JSON without that key: `loads` refuses a file edited after it was
made, so the night runs exactly the plan that was reviewed.  Pure: the CLI does the file I/O.

The document is defined once, as typed models (plan/document.py), and encoded, decoded and
validated by msgspec (docs/documents.md); this module maps those models to the plan
dataclasses and back.  msgspec is imported by the functions, not at start-up.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from fwupdate.errors import PlanError
from fwupdate.plan.models import (
    InputDigest,
    NodePlan,
    PairPlan,
    Plan,
    Step,
)

if TYPE_CHECKING:
    from fwupdate.plan.document import GroupDoc, InputsDoc, NodeDoc, PlanDoc, StepDoc

SCHEMA = "fwupdate-plan"
SCHEMA_VERSION = 1

# --- to JSON -------------------------------------------------------------------------------------


def _step_doc(s: Step, model: type[StepDoc]) -> StepDoc:
    """`model` is StepDoc, imported once per group rather than once per step."""
    return model(
        s.step_id, s.seq, s.kind, s.group, s.node, s.component, s.from_version, s.to_version,
        s.package, s.payload, s.transport, s.impact, s.requires_partner_healthy,
        s.estimated_seconds, s.rule, s.reason, s.covers, s.expect, dict(s.params), s.packages,
    )  # fmt: skip


def _node_doc(n: NodePlan) -> NodeDoc:
    from fwupdate.plan.document import NodeDoc

    return NodeDoc(
        n.name, n.group, n.role, n.model, n.system_id, n.generation, n.idrac_version,
        n.loadmaster_version, n.inventory_sha256, n.inventory, n.totals, n.service_tag,
    )  # fmt: skip


def _group_doc(g: PairPlan) -> GroupDoc:
    from fwupdate.plan.document import GroupDoc, StepDoc

    return GroupDoc(
        g.name, g.standalone, g.order, g.totals, tuple(_node_doc(n) for n in g.nodes),
        tuple(_step_doc(s, StepDoc) for s in g.steps), g.vs_baseline,
    )  # fmt: skip


def _inputs_doc(i: InputDigest) -> InputsDoc:
    from fwupdate.plan import document as d

    lm = None if i.lm_image_file is None else d.LmImageDoc(
        i.lm_image_file, i.lm_image_version, i.lm_image_sha256)  # fmt: skip
    return d.InputsDoc(
        d.SourceDoc(i.catalog_source, i.catalog_sha256),
        d.SourceDoc(i.inventory_source, i.inventory_sha256),
        d.BundleDoc(i.bundle_source, i.bundle_sha256),
        lm,
    )


def _body(plan: Plan) -> PlanDoc:
    from fwupdate.plan.document import PlanDoc

    return PlanDoc(
        schema=SCHEMA,
        schema_version=plan.schema_version,
        created_at=plan.created_at,
        tool_version=plan.tool_version,
        inputs=_inputs_doc(plan.inputs),
        options=dict(plan.options),
        policy=dict(plan.policy_summary),
        totals=plan.totals,
        schedule=plan.schedule,
        groups=tuple(_group_doc(g) for g in plan.groups),
        skipped=plan.skipped,
        warnings=plan.warnings,
        rules=dict(plan.rules),
    )


def _canonical(doc: Any) -> bytes:
    """The bytes `content_sha256` is taken over (a plan document, or its dict, without it).

    Compact JSON with sorted keys and every character outside printable ASCII escaped: the
    bytes `json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)` gives,
    which sealed every plan file so far, made by msgspec's C encoder."""
    return b"".join(_canonical_pieces(doc))


def _canonical_sha256(doc: Any) -> str:
    """SHA-256 of `_canonical(doc)`, hashed a megabyte at a time: a 1,000-pair plan's 26 MB
    exist once (as the encoder made them), not four times (-65 MiB peak)."""
    digest = hashlib.sha256()
    for piece in _canonical_pieces(doc):
        digest.update(piece)
    return digest.hexdigest()


_PIECE = 1 << 20


def _canonical_pieces(doc: Any) -> Iterator[bytes]:
    import msgspec

    data = msgspec.json.encode(doc, order="sorted")
    view, start = memoryview(data), 0
    while start < len(data):
        end = min(start + _PIECE, len(data))
        while end < len(data) and data[end] >= 0x80:  # cut before an ASCII byte: whole UTF-8
            end += 1
        piece = view[start:end].tobytes().replace(b"\x7f", b"\\u007f")
        yield piece if piece.isascii() else piece.decode().encode("ascii", _JSON_ESCAPE)
        start = end


def _json_escape(err: UnicodeError) -> tuple[str, int]:
    """A codec error handler: each non-ASCII character as JSON's \\uXXXX (surrogate pairs)."""
    assert isinstance(err, UnicodeEncodeError)
    return "".join(map(_escape_char, err.object[err.start : err.end])), err.end


def _escape_char(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


_JSON_ESCAPE = "fwupdate-json-escape"
codecs.register_error(_JSON_ESCAPE, _json_escape)


def _sealed(plan: Plan) -> PlanDoc:
    import msgspec

    body = _body(plan)
    seal = _canonical_sha256(body)
    return msgspec.structs.replace(body, content_sha256=seal)


def seal(plan: Plan) -> PlanDoc:
    """The plan's document with its `content_sha256`: what `render` writes and `to_dict`
    gives as builtins (serialise a plan once: `fwupdate plan --out` never builds the dict)."""
    return _sealed(plan)


def to_dict(plan: Plan | PlanDoc) -> dict[str, Any]:
    """The sealed document as builtins (its arrays may be tuples; `json` writes both alike)."""
    from fwupdate.documents import to_builtins

    doc: dict[str, Any] = to_builtins(_sealed(plan) if isinstance(plan, Plan) else plan)
    return doc


def dumps(plan: Plan) -> str:
    return render(seal(plan))


_INDENTED_LEVELS = 4  # document, groups, group, steps: one step per line below that


def render(doc: PlanDoc | Mapping[str, Any]) -> str:
    """The plan file's text for a sealed document (`seal`) or its dict (`to_dict`).

    Indented two spaces for the outer levels and one line per step (and per other object at
    that depth): as readable and diffable as a fully indented file, and written by the C
    encoder of `json` (its `", "` and `": "` separators: the bytes plan files always had), which
    a fully indented file cannot use (4 s of a 1,000-pair plan). A model is turned into
    builtins one line at a time, so the whole document never exists twice."""
    return "".join(render_pieces(doc))


def render_pieces(doc: PlanDoc | Mapping[str, Any]) -> Iterator[str]:
    """`render`'s text in pieces, as made (for `write_pieces_atomic`: a 1,000-pair plan file
    is written without its 28 MB of text in memory, -55 MiB peak)."""
    from fwupdate.documents import gc_paused

    with gc_paused():
        yield from _render(doc, 0)
    yield "\n"


def _not_json(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _c_encoder() -> Callable[[Any], str]:
    """`json.JSONEncoder(ensure_ascii=False).encode` (the bytes plan files always had), its C
    encoder made once rather than at each call, without the cycle check (builtins from
    msgspec are trees): 27,000 lines of a 1,000-pair plan, -0.1 s CPU."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(ensure_ascii=False).encode
    encode = make(None, _not_json, json.encoder.encode_basestring, None, ": ", ", ", False,
                  False, True)  # fmt: skip
    return lambda value: "".join(encode(value, 0))


_compact = _c_encoder()  # one line, compact: `", "` and `": "` separators, UTF-8 kept


def _render(value: Any, depth: int) -> Iterator[str]:
    import msgspec

    shape = _shallow(value) if depth < _INDENTED_LEVELS else None
    if not shape:
        yield _compact(msgspec.to_builtins(value))
        return
    if depth == _INDENTED_LEVELS - 1:  # one line per item: the container in one piece
        yield _one_per_line(shape, depth)
        return
    pad = "  " * (depth + 1)
    last = len(shape) - 1
    if isinstance(shape, dict):
        yield "{"
        for i, (key, item) in enumerate(shape.items()):
            yield f"\n{pad}{_compact(key)}: "
            yield from _render(item, depth + 1)
            yield "," if i < last else ""
        yield f"\n{'  ' * depth}}}"
        return
    yield "["
    for i, item in enumerate(shape):
        yield f"\n{pad}"
        yield from _render(item, depth + 1)
        yield "," if i < last else ""
    yield f"\n{'  ' * depth}]"


def _one_per_line(shape: dict[str, Any] | list[Any] | tuple[Any, ...], depth: int) -> str:
    """A container whose items are written one per line, compact: all its items turned into
    builtins by one msgspec call, each encoded by the C encoder (what `_render` would write
    item by item)."""
    import msgspec

    pad, end = "\n" + "  " * (depth + 1), "\n" + "  " * depth
    if isinstance(shape, dict):
        values = msgspec.to_builtins(tuple(shape.values()))
        lines = [f"{_compact(k)}: {_compact(v)}" for k, v in zip(shape, values, strict=True)]
        return "{" + pad + ("," + pad).join(lines) + end + "}"
    lines = list(map(_compact, msgspec.to_builtins(shape)))
    return "[" + pad + ("," + pad).join(lines) + end + "]"


def _shallow(value: Any) -> dict[str, Any] | list[Any] | tuple[Any, ...] | None:
    """One level of a document: a model's fields (as its encoder writes them), a mapping or
    an array; None for a scalar."""
    import msgspec

    if isinstance(value, dict | list | tuple):
        return value
    if isinstance(value, msgspec.Struct):
        omit = value.__struct_config__.omit_defaults
        return {
            key: getattr(value, name)
            for name, key, default in _struct_fields(type(value))
            if not (omit and getattr(value, name) == default)
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _dataclass_fields(type(value))}
    return None


@functools.cache
def _struct_fields(model: type[Any]) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, key, default) of a Struct's fields (`msgspec.structs.fields` evaluates
    the annotations at each call: 0.3 s CPU over a 1,000-pair plan)."""
    import msgspec

    return tuple((f.name, f.encode_name, f.default) for f in msgspec.structs.fields(model))


@functools.cache
def _dataclass_fields(model: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(model))


def plan_sha256(plan: Plan) -> str:
    return _canonical_sha256(_body(plan))


# --- from JSON -----------------------------------------------------------------------------------


def _check_header(schema: object, version: object) -> None:
    if schema != SCHEMA:
        raise PlanError('not a fwupdate plan file (no "schema": "fwupdate-plan")')
    if version != SCHEMA_VERSION:
        raise PlanError(
            f"plan file schema_version {version!r}; this fwupdate runs version {SCHEMA_VERSION} "
            "plans: make the plan again with this fwupdate"
        )


def _check_seal(doc: PlanDoc) -> None:
    import msgspec

    body = msgspec.structs.replace(doc, content_sha256=None)
    claimed = doc.content_sha256
    if claimed == _canonical_sha256(body):
        return
    raise PlanError(
        "plan file content does not match its content_sha256: it was edited after it was "
        "made; make the plan again instead of editing it"
    )


def _problem(exc: Exception) -> PlanError:
    return PlanError(f"plan file: {exc}")


def from_dict(doc: Any) -> Plan:
    """Rebuild a Plan from its JSON document; PlanError for anything wrong or tampered with."""
    from fwupdate.documents import DocumentError, convert
    from fwupdate.plan.document import PlanDoc

    if not isinstance(doc, dict):
        raise PlanError("plan file: plan must be an object")
    _check_header(doc.get("schema"), doc.get("schema_version"))
    try:
        model = convert(doc, PlanDoc, root="plan")
    except DocumentError as exc:
        raise _problem(exc) from None
    _check_seal(model)
    from fwupdate.documents import gc_paused

    with gc_paused():
        return _plan(model)


def _decode(data: str | bytes) -> PlanDoc:
    from fwupdate.documents import DocumentError, decode_json
    from fwupdate.plan.document import Header, PlanDoc
    from fwupdate.plan.planfile_check import MAX_PLAN_BYTES

    if len(data) > MAX_PLAN_BYTES:
        raise PlanError(f"plan file is larger than {MAX_PLAN_BYTES} bytes; not a plan")
    try:  # the typed models bound the nesting: no separate depth pass
        head = decode_json(data, Header, root="plan")
    except DocumentError as exc:
        if exc.what.startswith("not JSON"):
            raise PlanError(f"plan file is not valid JSON: {exc.what[10:]}") from None
        raise PlanError("plan file: plan must be an object") from None
    _check_header(head.schema, head.schema_version)
    try:
        return decode_json(data, PlanDoc, root="plan")
    except DocumentError as exc:
        raise _problem(exc) from None


def _step(d: StepDoc) -> Step:
    return Step(
        d.id, d.seq, d.kind, d.group, d.node, d.rule, d.reason, d.estimated_seconds, d.impact,
        d.component, d.from_version, d.to_version, d.package, d.payload, d.transport,
        d.requires_partner_healthy, d.covers, d.expect, tuple(d.params.items()), d.packages,
    )  # fmt: skip


def _node(d: NodeDoc) -> NodePlan:
    return NodePlan(
        d.name, d.group, d.role, d.model, d.system_id, d.generation, d.idrac_version,
        d.loadmaster_version, d.inventory_sha256, d.inventory, d.totals, d.service_tag,
    )  # fmt: skip


def _group(d: GroupDoc) -> PairPlan:
    return PairPlan(
        d.name, d.standalone, d.order, tuple(_node(n) for n in d.nodes),
        tuple(_step(s) for s in d.steps), d.totals, d.vs_baseline,
    )  # fmt: skip


def _inputs(d: InputsDoc) -> InputDigest:
    lm = d.lm_image
    return InputDigest(
        d.catalog.source, d.catalog.sha256, d.inventory.source, d.inventory.sha256,
        d.bundle.source, d.bundle.sha256,
        lm.file if lm else None, lm.version if lm else None, lm.sha256 if lm else None,
    )  # fmt: skip


def _plan(d: PlanDoc) -> Plan:
    return Plan(
        schema_version=SCHEMA_VERSION,
        created_at=d.created_at,
        tool_version=d.tool_version,
        inputs=_inputs(d.inputs),
        options=tuple(d.options.items()),
        policy_summary=tuple(d.policy.items()),
        groups=tuple(_group(g) for g in d.groups),
        totals=d.totals,
        schedule=d.schedule,
        skipped=d.skipped,
        warnings=d.warnings,
        rules=tuple(d.rules.items()),
    )


def loads(text: str | bytes) -> Plan:
    """Decode and validate into the typed model, check the header and the hash, rebuild, then
    check the whole structure (planfile_check)."""
    from fwupdate.documents import gc_paused
    from fwupdate.plan.planfile_check import check_plan

    doc = _decode(text)
    _check_seal(doc)
    with gc_paused():
        plan = _plan(doc)
    check_plan(plan)
    return plan
