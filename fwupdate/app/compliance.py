"""Use case: what each node runs against what the bundle wants (nothing is touched), and the
compliance document (`fwupdate compliance --format json`, the HTML page's input)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.app.inputs import gather
from fwupdate.plan.compliance import ComplianceRow, FleetCompliance, fleet_compliance
from fwupdate.plan.models import Status


@dataclass(frozen=True)
class ComplianceRequest:
    fleet_file: Path
    catalog: str  # Catalog.xml, repository folder, SUU ISO or URL
    bundle: Path | None = None  # default: latest of everything
    lm_image: Path | None = None
    inventory: Path | None = None  # saved inventory; None: read the devices live
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    concurrency: int | None = None
    insecure: bool = False


@dataclass(frozen=True)
class ComplianceResult:
    compliance: FleetCompliance
    document: dict[str, Any]

    @property
    def unknown(self) -> tuple[str, ...]:
        """Nodes that could not be evaluated (not read)."""
        return tuple(n.node for n in self.compliance.nodes if n.status is Status.UNKNOWN)


def evaluate(req: ComplianceRequest) -> ComplianceResult:
    g = gather(req)
    fc = fleet_compliance(
        fleet=g.fleet,
        inventories=g.inventory.inventories,
        catalog=g.catalog,
        policy=g.bundle.policy,
        selection=g.selection,
        loadmasters=g.inventory.loadmasters,
        lm_image=g.lm_image,
    )
    return ComplianceResult(fc, compliance_document(fc, g.catalog.sha256))


def component_row(r: ComplianceRow) -> dict[str, Any]:
    return {
        "node": r.node,
        "component": r.name,
        "kind": r.kind.value,
        "component_id": r.component_id,
        "instances": list(r.instances),
        "current": r.current,
        "target": r.target,
        "action": r.action.value,
        "planned": r.planned,
        "criticality": r.criticality,
        "reboot": r.reboot,
        "package": r.package.file_name if r.package else None,
        "package_path": r.package.path if r.package else None,
        "match": r.match_rule,
        "note": r.note,
        "error": r.error,
    }


def compliance_document(fc: FleetCompliance, catalog_sha256: str | None) -> dict[str, Any]:
    return {
        "catalog": {"source": fc.catalog_source, "sha256": catalog_sha256},
        "policy": fc.policy_name,
        "status": fc.status.value,
        "counts": fc.counts(),
        "nodes": [
            {
                "node": n.node,
                "pair": None if n.standalone else n.group,
                "status": n.status.value,
                "model": n.model,
                "system_id": n.system_id,
                "generation": n.generation,
                "idrac_version": n.idrac_version,
                "loadmaster": None
                if n.loadmaster is None
                else {
                    "version": n.loadmaster.version,
                    "ha_role": n.loadmaster.ha_role.value,
                },
                "reboot_needed": any(r.planned and r.reboot == "host-reboot" for r in n.rows),
                "errors": list(n.errors),
                "components": [component_row(r) for r in n.rows],
            }
            for n in fc.nodes
        ],
    }
