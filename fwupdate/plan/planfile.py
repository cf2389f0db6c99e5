"""The plan file: a versioned JSON document that the executor runs (shape: docs/planning.md).

`dumps(plan)` / `loads(text)` round-trip exactly.  The document carries `content_sha256`, the
SHA-256 of its own canonical JSON without that key: `loads` refuses a file edited after it was
made, so the night runs exactly the plan that was reviewed.  Pure: the CLI does the file I/O.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fwupdate.errors import PlanError
from fwupdate.plan.models import (
    ComponentKind,
    ComponentRef,
    Expectation,
    Impact,
    InputDigest,
    InventoryEntry,
    NodePlan,
    PackageRef,
    PairPlan,
    Plan,
    Schedule,
    ScheduleEntry,
    SignatureRecord,
    SkippedNode,
    Step,
    StepKind,
    Totals,
    WindowFit,
)

SCHEMA = "fwupdate-plan"
SCHEMA_VERSION = 1


# --- to JSON -------------------------------------------------------------------------------------


def _totals(t: Totals) -> dict[str, int]:
    return {
        "steps": t.steps,
        "host_reboots": t.host_reboots,
        "idrac_resets": t.idrac_resets,
        "failovers": t.failovers,
        "estimated_seconds": t.estimated_seconds,
    }


def _package(p: PackageRef | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "path": p.path,
        "file_name": p.file_name,
        "package_type": p.package_type,
        "vendor_version": p.vendor_version,
        "release_id": p.release_id,
        "hash_md5": p.hash_md5,
        "size": p.size,
        "criticality": p.criticality,
        "source": p.source,
        "signature": None if p.signature is None else dataclasses.asdict(p.signature),
    }


def _component(c: ComponentRef | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "name": c.name,
        "kind": c.kind.value,
        "component_id": c.component_id,
        "instances": list(c.instances),
        "match_rule": c.match_rule,
    }


def step_to_dict(s: Step) -> dict[str, Any]:
    out = _step_fields(s)
    if s.packages:  # delivery steps only: other plans keep their bytes (and hashes)
        out["packages"] = [_package(p) for p in s.packages]
    return out


def _step_fields(s: Step) -> dict[str, Any]:
    return {
        "id": s.step_id,
        "seq": s.seq,
        "kind": s.kind.value,
        "group": s.group,
        "node": s.node,
        "component": _component(s.component),
        "from_version": s.from_version,
        "to_version": s.to_version,
        "package": _package(s.package),
        "payload": s.payload,
        "transport": s.transport,
        "impact": [i.value for i in s.impact],
        "requires_partner_healthy": s.requires_partner_healthy,
        "estimated_seconds": s.estimated_seconds,
        "rule": s.rule,
        "reason": s.reason,
        "covers": list(s.covers),
        "expect": [{"key": e.key, "name": e.name, "version": e.version} for e in s.expect],
        "params": dict(s.params),
    }


def _node(n: NodePlan) -> dict[str, Any]:
    doc = _node_fields(n)
    if n.service_tag is not None:  # additive: absent in older plan files (and kept so)
        doc["service_tag"] = n.service_tag
    return doc


def _node_fields(n: NodePlan) -> dict[str, Any]:
    return {
        "name": n.name,
        "group": n.group,
        "role": n.role,
        "model": n.model,
        "system_id": n.system_id,
        "generation": n.generation,
        "idrac_version": n.idrac_version,
        "loadmaster_version": n.loadmaster_version,
        "inventory_sha256": n.inventory_sha256,
        "inventory": [{"key": e.key, "name": e.name, "version": e.version} for e in n.inventory],
        "totals": _totals(n.totals),
    }


def _schedule(s: Schedule) -> dict[str, Any]:
    w = s.window
    return {
        "concurrency": s.concurrency,
        "makespan_seconds": s.makespan_seconds,
        "critical_path_seconds": s.critical_path_seconds,
        "lower_bound_seconds": s.lower_bound_seconds,
        "entries": [
            {
                "group": e.group,
                "slot": e.slot,
                "start_seconds": e.start_seconds,
                "end_seconds": e.end_seconds,
            }
            for e in s.entries
        ],
        "window": None
        if w is None
        else {
            "window": w.window,
            "start": w.start,
            "length_seconds": w.length_seconds,
            "fits": w.fits,
            "deferred": list(w.deferred),
        },
    }


def _body(plan: Plan) -> dict[str, Any]:
    i = plan.inputs
    return {
        "schema": SCHEMA,
        "schema_version": plan.schema_version,
        "created_at": plan.created_at,
        "tool_version": plan.tool_version,
        "inputs": {
            "catalog": {"source": i.catalog_source, "sha256": i.catalog_sha256},
            "inventory": {"source": i.inventory_source, "sha256": i.inventory_sha256},
            "bundle": {"source": i.bundle_source, "sha256": i.bundle_sha256},
            "lm_image": None
            if i.lm_image_file is None
            else {
                "file": i.lm_image_file,
                "version": i.lm_image_version,
                "sha256": i.lm_image_sha256,
            },
        },
        "options": dict(plan.options),
        "policy": dict(plan.policy_summary),
        "totals": _totals(plan.totals),
        "schedule": _schedule(plan.schedule),
        "groups": [_group(g) for g in plan.groups],
        "skipped": [{"node": s.node, "group": s.group, "reason": s.reason} for s in plan.skipped],
        "warnings": list(plan.warnings),
        "rules": dict(plan.rules),
    }


def _group(g: PairPlan) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": g.name,
        "standalone": g.standalone,
        "order": list(g.order),
        "totals": _totals(g.totals),
        "nodes": [_node(n) for n in g.nodes],
        "steps": [step_to_dict(s) for s in g.steps],
    }
    if g.vs_baseline is not None:  # additive: absent in older plan files (and kept so)
        doc["vs_baseline"] = list(g.vs_baseline)
    return doc


def _canonical(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def to_dict(plan: Plan) -> dict[str, Any]:
    body = _body(plan)
    body["content_sha256"] = hashlib.sha256(_canonical(body)).hexdigest()
    return body


def dumps(plan: Plan) -> str:
    return render(to_dict(plan))


_INDENTED_LEVELS = 4  # document, groups, group, steps: one step per line below that
_compact = json.JSONEncoder(ensure_ascii=False).encode  # the C encoder (no indent)


def render(doc: Mapping[str, Any]) -> str:
    """The plan file's text for a document made by `to_dict` (serialise a plan once).

    Indented two spaces for the outer levels and one line per step (and per other object at
    that depth): as readable and diffable as a fully indented file, and written by the C
    encoder, which a fully indented file cannot use (4 s of a 1,000-pair plan)."""
    out: list[str] = []
    _render(doc, 0, out)
    out.append("\n")
    return "".join(out)


def _render(value: Any, depth: int, out: list[str]) -> None:
    if depth >= _INDENTED_LEVELS or not isinstance(value, dict | list) or not value:
        out.append(_compact(value))
        return
    pad = "  " * (depth + 1)
    last = len(value) - 1
    if isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            out.append(f"\n{pad}{_compact(key)}: ")
            _render(item, depth + 1, out)
            out.append("," if i < last else "")
        out.append(f"\n{'  ' * depth}}}")
        return
    out.append("[")
    for i, item in enumerate(value):
        out.append(f"\n{pad}")
        _render(item, depth + 1, out)
        out.append("," if i < last else "")
    out.append(f"\n{'  ' * depth}]")


def plan_sha256(plan: Plan) -> str:
    return hashlib.sha256(_canonical(_body(plan))).hexdigest()


# --- from JSON -----------------------------------------------------------------------------------


class _Reader:
    """Typed access to a JSON object; every problem is a PlanError naming the path."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise PlanError(f"plan file: {where} must be an object")
        self.data: dict[str, Any] = data
        self.where = where

    def _get(self, key: str) -> Any:
        if key not in self.data:
            raise PlanError(f"plan file: {self.where}.{key} is missing")
        return self.data[key]

    def text(self, key: str) -> str:
        v = self._get(key)
        if not isinstance(v, str):
            raise PlanError(f"plan file: {self.where}.{key} must be a string")
        return v

    def opt_text(self, key: str) -> str | None:
        v = self.data.get(key)
        if v is not None and not isinstance(v, str):
            raise PlanError(f"plan file: {self.where}.{key} must be a string or null")
        return v

    def integer(self, key: str) -> int:
        v = self._get(key)
        if isinstance(v, bool) or not isinstance(v, int):
            raise PlanError(f"plan file: {self.where}.{key} must be an integer")
        return v

    def opt_integer(self, key: str) -> int | None:
        v = self.data.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            raise PlanError(f"plan file: {self.where}.{key} must be an integer or null")
        return v

    def flag(self, key: str) -> bool:
        v = self._get(key)
        if not isinstance(v, bool):
            raise PlanError(f"plan file: {self.where}.{key} must be true or false")
        return v

    def array(self, key: str) -> list[Any]:
        v = self._get(key)
        if not isinstance(v, list):
            raise PlanError(f"plan file: {self.where}.{key} must be a list")
        return v

    def texts(self, key: str) -> tuple[str, ...]:
        items = self.array(key)
        if not all(isinstance(x, str) for x in items):
            raise PlanError(f"plan file: {self.where}.{key} must be a list of strings")
        return tuple(items)

    def opt_texts(self, key: str) -> tuple[str, ...] | None:
        return None if self.data.get(key) is None else self.texts(key)

    def obj(self, key: str) -> _Reader:
        return _Reader(self._get(key), f"{self.where}.{key}")

    def opt_obj(self, key: str) -> _Reader | None:
        v = self.data.get(key)
        return None if v is None else _Reader(v, f"{self.where}.{key}")

    def text_map(self, key: str) -> tuple[tuple[str, str], ...]:
        v = self._get(key)
        if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
            raise PlanError(f"plan file: {self.where}.{key} must map names to strings")
        return tuple((str(k), str(x)) for k, x in v.items())

    def items(self, key: str) -> list[_Reader]:
        return [_Reader(x, f"{self.where}.{key}[{i}]") for i, x in enumerate(self.array(key))]


def _kind(value: str, where: str) -> StepKind:
    try:
        return StepKind(value)
    except ValueError:
        raise PlanError(
            f"plan file: {where}: unknown step kind {value!r} (made by a newer fwupdate?)"
        ) from None


def _impact(value: str, where: str) -> Impact:
    try:
        return Impact(value)
    except ValueError:
        raise PlanError(f"plan file: {where}: unknown impact {value!r}") from None


def _ckind(value: str, where: str) -> ComponentKind:
    try:
        return ComponentKind(value)
    except ValueError:
        raise PlanError(f"plan file: {where}: unknown component kind {value!r}") from None


def _read_totals(r: _Reader) -> Totals:
    return Totals(
        steps=r.integer("steps"),
        host_reboots=r.integer("host_reboots"),
        idrac_resets=r.integer("idrac_resets"),
        failovers=r.integer("failovers"),
        estimated_seconds=r.integer("estimated_seconds"),
    )


def _read_package(r: _Reader | None) -> PackageRef | None:
    if r is None:
        return None
    return PackageRef(
        path=r.text("path"),
        file_name=r.text("file_name"),
        package_type=r.text("package_type"),
        vendor_version=r.text("vendor_version"),
        release_id=r.opt_text("release_id"),
        hash_md5=r.opt_text("hash_md5"),
        size=r.opt_integer("size"),
        criticality=r.text("criticality"),
        source=r.text("source"),
        signature=_read_signature(r.opt_obj("signature")),
    )


def _read_signature(r: _Reader | None) -> SignatureRecord | None:
    if r is None:
        return None
    return SignatureRecord(
        kind=r.text("kind"),
        status=r.text("status"),
        signer=r.text("signer"),
        reason=r.text("reason"),
        sha256=r.text("sha256"),
        file=r.text("file"),
    )


def _read_component(r: _Reader | None) -> ComponentRef | None:
    if r is None:
        return None
    return ComponentRef(
        name=r.text("name"),
        kind=_ckind(r.text("kind"), r.where),
        component_id=r.opt_text("component_id"),
        instances=r.texts("instances"),
        match_rule=r.opt_text("match_rule"),
    )


def _read_step(r: _Reader) -> Step:
    return Step(
        step_id=r.text("id"),
        seq=r.integer("seq"),
        kind=_kind(r.text("kind"), r.where),
        group=r.text("group"),
        node=r.opt_text("node"),
        rule=r.text("rule"),
        reason=r.text("reason"),
        estimated_seconds=r.integer("estimated_seconds"),
        impact=tuple(_impact(x, r.where) for x in r.texts("impact")),
        component=_read_component(r.opt_obj("component")),
        from_version=r.opt_text("from_version"),
        to_version=r.opt_text("to_version"),
        package=_read_package(r.opt_obj("package")),
        payload=r.opt_text("payload"),
        transport=r.opt_text("transport"),
        requires_partner_healthy=r.flag("requires_partner_healthy"),
        covers=r.texts("covers"),
        expect=tuple(
            Expectation(e.text("key"), e.text("name"), e.text("version")) for e in r.items("expect")
        ),
        params=r.text_map("params"),
        packages=tuple(p for p in map(_read_package, _opt_items(r, "packages")) if p),
    )


def _opt_items(r: _Reader, key: str) -> list[_Reader]:
    return r.items(key) if key in r.data else []


def _read_node(r: _Reader) -> NodePlan:
    return NodePlan(
        name=r.text("name"),
        group=r.text("group"),
        role=r.opt_text("role"),
        model=r.opt_text("model"),
        system_id=r.opt_text("system_id"),
        generation=r.opt_text("generation"),
        idrac_version=r.opt_text("idrac_version"),
        loadmaster_version=r.opt_text("loadmaster_version"),
        inventory_sha256=r.text("inventory_sha256"),
        inventory=tuple(
            InventoryEntry(e.text("key"), e.text("name"), e.text("version"))
            for e in r.items("inventory")
        ),
        totals=_read_totals(r.obj("totals")),
        service_tag=r.opt_text("service_tag"),
    )


def _read_schedule(r: _Reader) -> Schedule:
    w = r.opt_obj("window")
    return Schedule(
        concurrency=r.integer("concurrency"),
        makespan_seconds=r.integer("makespan_seconds"),
        critical_path_seconds=r.integer("critical_path_seconds"),
        lower_bound_seconds=r.integer("lower_bound_seconds"),
        entries=tuple(
            ScheduleEntry(
                e.text("group"),
                e.integer("slot"),
                e.integer("start_seconds"),
                e.integer("end_seconds"),
            )
            for e in r.items("entries")
        ),
        window=None
        if w is None
        else WindowFit(
            window=w.text("window"),
            start=w.text("start"),
            length_seconds=w.integer("length_seconds"),
            fits=w.flag("fits"),
            deferred=w.texts("deferred"),
        ),
    )


def from_dict(doc: Any) -> Plan:
    """Rebuild a Plan from its JSON document; PlanError for anything wrong or tampered with."""
    top = _Reader(doc, "plan")
    if top.data.get("schema") != SCHEMA:
        raise PlanError('not a fwupdate plan file (no "schema": "fwupdate-plan")')
    version = top.data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise PlanError(
            f"plan file schema_version {version!r}; this fwupdate runs version {SCHEMA_VERSION} "
            "plans: make the plan again with this fwupdate"
        )
    claimed = top.data.get("content_sha256")
    body = {k: v for k, v in top.data.items() if k != "content_sha256"}
    actual = hashlib.sha256(_canonical(body)).hexdigest()
    if claimed != actual:
        raise PlanError(
            "plan file content does not match its content_sha256: it was edited after it was "
            "made; make the plan again instead of editing it"
        )
    inputs = top.obj("inputs")
    cat, inv, bundle = inputs.obj("catalog"), inputs.obj("inventory"), inputs.obj("bundle")
    lm = inputs.opt_obj("lm_image")
    groups: list[PairPlan] = []
    for g in top.items("groups"):
        groups.append(
            PairPlan(
                name=g.text("name"),
                standalone=g.flag("standalone"),
                order=g.texts("order"),
                nodes=tuple(_read_node(n) for n in g.items("nodes")),
                steps=tuple(_read_step(s) for s in g.items("steps")),
                totals=_read_totals(g.obj("totals")),
                vs_baseline=g.opt_texts("vs_baseline"),
            )
        )
    return Plan(
        schema_version=SCHEMA_VERSION,
        created_at=top.text("created_at"),
        tool_version=top.text("tool_version"),
        inputs=InputDigest(
            catalog_source=cat.text("source"),
            catalog_sha256=cat.text("sha256"),
            inventory_source=inv.text("source"),
            inventory_sha256=inv.text("sha256"),
            bundle_source=bundle.opt_text("source"),
            bundle_sha256=bundle.opt_text("sha256"),
            lm_image_file=lm.text("file") if lm else None,
            lm_image_version=lm.opt_text("version") if lm else None,
            lm_image_sha256=lm.opt_text("sha256") if lm else None,
        ),
        options=top.text_map("options"),
        policy_summary=top.text_map("policy"),
        groups=tuple(groups),
        totals=_read_totals(top.obj("totals")),
        schedule=_read_schedule(top.obj("schedule")),
        skipped=tuple(
            SkippedNode(s.text("node"), s.text("group"), s.text("reason"))
            for s in top.items("skipped")
        ),
        warnings=top.texts("warnings"),
        rules=top.text_map("rules"),
    )


def loads(text: str | bytes) -> Plan:
    """Decode, check the hash, rebuild, then check the whole structure (planfile_check)."""
    from fwupdate.plan.planfile_check import check_plan, decode

    plan = from_dict(decode(text))
    check_plan(plan)
    return plan
