"""What the planner is asked (`PlanRequest`) and how it numbers the steps it adds (`StepBuilder`).

Pure data: the request carries everything read (fleet, inventories, catalog, bundle policy,
LoadMaster states, image) and the caller's clock; nothing here reads a file or the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fwupdate.catalog.models import Catalog
from fwupdate.fleet.models import Fleet
from fwupdate.idrac.models import NodeInventory
from fwupdate.loadmaster.models import LoadMasterStatus
from fwupdate.plan.compliance import Selection
from fwupdate.plan.lm_image import LmImage
from fwupdate.plan.models import Step, StepKind
from fwupdate.plan.policy import Policy


@dataclass(frozen=True)
class PlanRequest:
    fleet: Fleet
    inventories: Mapping[str, NodeInventory]
    catalog: Catalog
    policy: Policy
    loadmasters: Mapping[str, LoadMasterStatus] = field(default_factory=dict)
    lm_image: LmImage | None = None
    selection: Selection = field(default_factory=Selection)
    allow_standalone: bool = False
    concurrency: int | None = None  # None: the fleet file's
    window: str | None = None
    created_at: str = ""  # ISO 8601, from the caller's clock
    tool_version: str = ""
    inventory_source: str = "live"
    bundle_source: str | None = None
    bundle_sha256: str | None = None
    # File names present in the repository; None = not checked (e.g. an online catalog).
    available_files: frozenset[str] | None = None


@dataclass
class StepBuilder:
    """Collects the steps of one group and gives each a stable id."""

    group: str
    steps: list[Step] = field(default_factory=list)

    def add(self, kind: StepKind, **kw: object) -> Step:
        step_id = f"{self.group}/{len(self.steps) + 1:03d}-{kind.value}"
        step = Step(step_id=step_id, seq=0, kind=kind, group=self.group, **kw)  # type: ignore[arg-type]
        self.steps.append(step)
        return step
