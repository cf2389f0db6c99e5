"""Use case: make the night's plan (inputs gathered, the pure planner run, package and catalog
signatures recorded) and optionally write the plan file (docs/planning.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fwupdate import __version__
from fwupdate.app import inputs
from fwupdate.atomicfile import write_pieces_atomic
from fwupdate.plan.models import Plan, SignatureRecord
from fwupdate.plan.order import PlanRequest as PlannerRequest
from fwupdate.plan.order import build_plan
from fwupdate.plan.planfile import render_pieces, seal, to_dict
from fwupdate.plan.policy import Policy, with_overrides
from fwupdate.plan.signatures import record_signatures
from fwupdate.sigpolicy import SignaturePolicy

if TYPE_CHECKING:
    from fwupdate.plan.document import PlanDoc


@dataclass(frozen=True)
class PlanRequest:
    fleet_file: Path
    catalog: str  # Catalog.xml, repository folder, SUU ISO or URL
    bundle: Path | None
    lm_image: Path | None = None
    inventory: Path | None = None  # saved inventory; None: read the devices live
    repository: Path | None = None  # the DUPs' folder (default: the catalog's)
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    allow_downgrade: bool = False
    force_same: bool = False
    combine_reboots: bool | None = None  # None: as the bundle says
    allow_standalone: bool = False
    allow_unsigned: bool = False
    concurrency: int | None = None
    window: str | None = None
    insecure: bool = False
    created_at: str | None = None  # fixed timestamp (tests); default: now
    out: Path | None = None  # write the plan file here


@dataclass(frozen=True)
class PlanResult:
    plan: Plan
    sealed: PlanDoc  # the plan file's model, serialised once (what `out` holds)
    written: Path | None

    @property
    def document(self) -> dict[str, Any]:
        """The plan file's content as builtins (built on demand: `--out` never needs it)."""
        return to_dict(self.sealed)

    @property
    def unreadable(self) -> tuple[str, ...]:
        """Nodes left out because they (or their partner) could not be read."""
        return tuple(s.node for s in self.plan.skipped
                     if s.reason.startswith(("inventory", "partner")))  # fmt: skip


def make_plan(req: PlanRequest) -> PlanResult:
    g = inputs.gather(req)
    policy = with_overrides(
        g.bundle.policy,
        allow_downgrade=True if req.allow_downgrade else None,
        force_same_version=True if req.force_same else None,
        combine_reboots=req.combine_reboots,
    )
    from fwupdate.documents import gc_paused

    with gc_paused():  # acyclic plan objects; GC passes over them: 0.3-0.7 s CPU at 1,000 pairs
        planned = build_plan(_planner_request(req, g, policy))
    signing = policy.signatures is not SignaturePolicy.OFF
    result = record_signatures(
        planned,
        _package_verdicts(req, g, planned) if signing else {},
        mode=policy.signatures,
        allow_unsigned=req.allow_unsigned,
        catalog=inputs.catalog_signature_record(g.catalog, req.catalog) if signing else None,
    )
    with gc_paused():  # the document's tree is acyclic too: GC passes were 0.3 s CPU here
        sealed = seal(result)  # serialised once: the file and the printed document are the same
    if req.out is not None:
        write_pieces_atomic(req.out, render_pieces(sealed))
    return PlanResult(result, sealed, req.out)


def _planner_request(req: PlanRequest, g: inputs.Gathered, policy: Policy) -> PlannerRequest:
    return PlannerRequest(
        fleet=g.fleet,
        inventories=g.inventory.inventories,
        catalog=g.catalog,
        policy=policy,
        loadmasters=g.inventory.loadmasters,
        lm_image=g.lm_image,
        selection=g.selection,
        allow_standalone=req.allow_standalone,
        concurrency=req.concurrency,
        window=req.window,
        created_at=req.created_at or datetime.now(UTC).isoformat(timespec="seconds"),
        tool_version=__version__,
        inventory_source=g.inventory.source,
        bundle_source=g.bundle.source,
        bundle_sha256=g.bundle.sha256,
        available_files=inputs.repository_files(req.catalog, req.repository),
    )


def _package_verdicts(req: PlanRequest, g: inputs.Gathered,
                      planned: Plan) -> dict[str, SignatureRecord]:
    return inputs.package_signatures(
        planned,
        repo=inputs.repository_dir(req.catalog, req.repository),
        lm_image=inputs.lm_image_path(req.lm_image, g.bundle),
    )
