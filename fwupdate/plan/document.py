"""The plan file's typed model (msgspec Structs), defined once for writing and for reading.

Where the JSON has the shape of a plan dataclass (totals, packages, components, signatures,
expectations, inventory entries, schedule, skipped nodes) the dataclass itself is the model;
msgspec encodes and decodes it in C. The Structs below cover the parts whose JSON differs
(a step's `id`, `params` as an object, `inputs` grouped by source). Field order is the file's
key order. `omit_defaults`: a key added after version 1 (`packages`, `service_tag`,
`vs_baseline`) is left out when empty, so older plans keep their bytes and hashes, and a file
made before it existed still reads. Imported only by planfile.py's functions (lazily: msgspec
stays out of start-up).
"""

from __future__ import annotations

import msgspec

from fwupdate.idrac.models import Transport
from fwupdate.loadmaster.models import HaRole
from fwupdate.plan.models import (
    ComponentRef,
    Expectation,
    Impact,
    InventoryEntry,
    PackageRef,
    Schedule,
    SkippedNode,
    StepKind,
    Totals,
)


class StepDoc(msgspec.Struct, omit_defaults=True):
    id: str
    seq: int
    kind: StepKind
    group: str
    node: str | None
    component: ComponentRef | None
    from_version: str | None
    to_version: str | None
    package: PackageRef | None
    payload: str | None
    transport: Transport | None
    impact: tuple[Impact, ...]
    requires_partner_healthy: bool
    estimated_seconds: int
    rule: str
    reason: str
    covers: tuple[str, ...]
    expect: tuple[Expectation, ...]
    params: dict[str, str]
    packages: tuple[PackageRef, ...] = ()  # delivery steps only


class NodeDoc(msgspec.Struct, omit_defaults=True):
    name: str
    group: str
    role: HaRole | None
    model: str | None
    system_id: str | None
    generation: str | None
    idrac_version: str | None
    loadmaster_version: str | None
    inventory_sha256: str
    inventory: tuple[InventoryEntry, ...]
    totals: Totals
    service_tag: str | None = None


class GroupDoc(msgspec.Struct, omit_defaults=True):
    name: str
    standalone: bool
    order: tuple[str, ...]
    totals: Totals
    nodes: tuple[NodeDoc, ...]
    steps: tuple[StepDoc, ...]
    vs_baseline: tuple[str, ...] | None = None


class SourceDoc(msgspec.Struct):
    source: str
    sha256: str


class BundleDoc(msgspec.Struct):
    source: str | None = None
    sha256: str | None = None


class LmImageDoc(msgspec.Struct):
    file: str
    version: str | None = None
    sha256: str | None = None


class InputsDoc(msgspec.Struct):
    catalog: SourceDoc
    inventory: SourceDoc
    bundle: BundleDoc
    lm_image: LmImageDoc | None


class PlanDoc(msgspec.Struct, omit_defaults=True):
    """The whole file; without `content_sha256` it is the body the hash is taken over."""

    schema: str
    schema_version: int
    created_at: str
    tool_version: str
    inputs: InputsDoc
    options: dict[str, str]
    policy: dict[str, str]
    totals: Totals
    schedule: Schedule
    groups: tuple[GroupDoc, ...]
    skipped: tuple[SkippedNode, ...]
    warnings: tuple[str, ...]
    rules: dict[str, str]
    content_sha256: str | None = None


class Header(msgspec.Struct):
    """What is read before anything else: is this a plan file, and of which version."""

    schema: object = None  # decoding untyped data can nest: RecursionError, caught
    schema_version: object = None
