"""Is the machine behind a node's iDRAC the one the plan was made for?  (Pure.)

The plan records each node's service tag (Redfish `System.SKU` on Dell, WS-Man
`DCIM_SystemView.ServiceTag`); the executor and the dry run read it from the device before any
step of the node's pair and compare here.  A fleet file with two iDRAC URLs swapped would
otherwise power-cycle another pair's host (issue 11, defect 3).  A plan made before the tag was
recorded (or of a node whose tag was unknown) loads; its check is reported as skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from fwupdate.idrac.models import NodeInventory
from fwupdate.plan.models import Plan


def service_tag_of(inv: NodeInventory) -> str | None:
    """The service tag an inventory read (None when the iDRAC did not say)."""
    tag = inv.system.service_tag if inv.system is not None else None
    return tag.strip() or None if tag else None


def _norm(tag: str | None) -> str:
    return (tag or "").strip().upper()


@dataclass(frozen=True)
class IdentityCheck:
    node: str
    expected: str | None  # from the plan
    found: str | None  # from the device

    @property
    def skipped(self) -> bool:
        return self.expected is None

    @property
    def ok(self) -> bool:
        return self.skipped or (bool(self.found) and _norm(self.found) == _norm(self.expected))

    @property
    def line(self) -> str:
        """One line for the progress, the journal, the dry run and the error."""
        if self.skipped:
            return (
                f"{self.node}: identity check skipped: the plan records no service tag (made "
                "by an older fwupdate, or unknown at plan time); make the plan again to check it"
            )
        if self.ok:
            return f"{self.node}: service tag {self.found} as planned"
        if not self.found:
            return (
                f"{self.node}: wrong machine? the iDRAC reports no service tag; the plan expects "
                f"{self.expected}"
            )
        return (
            f"{self.node}: wrong machine: the iDRAC at this address is service tag "
            f"{self.found}, the plan expects {self.expected} (iDRAC URLs swapped or wrong in "
            "the fleet file?)"
        )


def check_identity(plan: Plan, node: str, found: str | None) -> IdentityCheck:
    """Compare the service tag read from `node`'s iDRAC with the one its plan recorded."""
    return IdentityCheck(node, plan.node(node).service_tag, found)
