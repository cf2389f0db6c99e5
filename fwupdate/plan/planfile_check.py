"""The one plan-file validator: what a plan file must be before anything runs from it.

`decode(data)` turns the file's bytes into JSON data or PlanError (exit 2): not UTF-8, too big,
nested deeper than a plan ever is, not JSON.  `check_plan(plan)` checks the structure of a
rebuilt plan whatever its `content_sha256` says (a hash is recomputed by anyone who edits with
care): unique step ids and sequence numbers, steps in their own group and on that group's nodes,
`covers` naming steps of the plan, the group order naming exactly its nodes, and every package
path, file name and payload member relative and inside the repository (fwupdate.pathsafe).
Pure: no file access.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from fwupdate.errors import PlanError
from fwupdate.pathsafe import package_path_reason, unsafe_name_reason
from fwupdate.plan.models import PairPlan, Plan, Step

MAX_PLAN_BYTES = 64 << 20
MAX_DEPTH = 32  # a plan nests about 8 levels
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET_RE = re.compile(r"[\[\]{}]")


def decode(data: str | bytes) -> Any:
    """JSON data of a plan file; PlanError for anything that cannot be one."""
    if len(data) > MAX_PLAN_BYTES:
        raise PlanError(f"plan file is larger than {MAX_PLAN_BYTES} bytes; not a plan")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PlanError(f"plan file is not UTF-8 text (byte {exc.start})") from None
    else:
        text = data
    _check_depth(text)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PlanError(f"plan file is not valid JSON: {_short(str(exc))}") from None


def _check_depth(text: str) -> None:
    depth = 0
    for m in _BRACKET_RE.finditer(_STRING_RE.sub('""', text)):
        depth += 1 if m.group(0) in "[{" else -1
        if depth > MAX_DEPTH:
            raise PlanError(f"plan file nests more than {MAX_DEPTH} levels; not a plan")


def check_plan(plan: Plan) -> None:
    """Refuse (PlanError) a plan whose structure is inconsistent or unsafe."""
    _check_file_name(plan.inputs.lm_image_file, "inputs.lm_image.file")
    ids: set[str] = set()
    seqs: set[int] = set()
    names = [g.name for g in plan.groups]
    _unique(names, "group name")
    _unique([n.name for g in plan.groups for n in g.nodes], "node name")
    for group in plan.groups:
        _check_group(group)
        for step in group.steps:
            _unique_step(step, ids, seqs)
    for group in plan.groups:
        for step in group.steps:
            unknown = [c for c in step.covers if c not in ids]
            if unknown:
                raise _bad(step, f"covers unknown step {unknown[0]!r}")


def _check_group(group: PairPlan) -> None:
    nodes = {n.name for n in group.nodes}
    if any(n.group != group.name for n in group.nodes):
        raise PlanError(f"plan file: group {group.name!r} lists a node of another group")
    if sorted(group.order) != sorted(nodes):
        raise PlanError(f"plan file: group {group.name!r}: order does not name exactly its nodes")
    for step in group.steps:
        if step.group != group.name:
            raise _bad(step, f"listed under group {group.name!r} but says {step.group!r}")
        if step.node is not None and step.node not in nodes:
            raise _bad(step, f"node {step.node!r} is not in group {group.name!r}")
        _check_step_files(step)


def _unique_step(step: Step, ids: set[str], seqs: set[int]) -> None:
    if step.step_id in ids:
        raise _bad(step, "duplicate step id")
    if step.seq in seqs:
        raise _bad(step, f"duplicate seq {step.seq}")
    ids.add(step.step_id)
    seqs.add(step.seq)


def _check_step_files(step: Step) -> None:
    pkg = step.package
    if pkg is not None:
        reason = package_path_reason(pkg.path)
        if reason:
            raise _bad(step, f"package path {_short(pkg.path)!r}: {reason}")
        _check_file_name(pkg.file_name, f"step {step.step_id!r}: package file_name")
    if step.payload is not None:
        reason = unsafe_name_reason(step.payload)
        if reason:
            raise _bad(step, f"payload {_short(step.payload)!r}: {reason}")


def _check_file_name(name: str | None, where: str) -> None:
    """A bare file name: no folder, nothing that climbs out."""
    if name is None:
        return
    reason = unsafe_name_reason(name) or ("not a bare file name" if "/" in name else None)
    if reason:
        raise PlanError(f"plan file: {where} {_short(name)!r}: {reason}")


def _unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise PlanError(f"plan file: duplicate {what} {_short(v)!r}")
        seen.add(v)


def _bad(step: Step, reason: str) -> PlanError:
    return PlanError(f"plan file: step {_short(step.step_id)!r}: {reason}")


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:120] + "..."
