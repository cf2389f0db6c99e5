"""What one node needs before ordering: its planned compliance rows, grouped by package and by
how they apply (now, staged for the reboot, CPLD alone), plus the row helpers the rules share."""

from __future__ import annotations

from dataclasses import dataclass

from fwupdate.catalog.versions import compare_versions
from fwupdate.errors import PlanError
from fwupdate.plan.compliance import ComplianceRow, NodeCompliance
from fwupdate.plan.kinds import kind_rank
from fwupdate.plan.models import ComponentKind, ComponentRef, Expectation, PackageRef

PackageRows = tuple[tuple[PackageRef, tuple[ComplianceRow, ...]], ...]


@dataclass(frozen=True)
class NodeWork:
    """What one node needs, before ordering: planned rows grouped by package."""

    idrac: ComplianceRow | None
    apply_now: PackageRows
    staged: PackageRows
    cpld: PackageRows
    loadmaster: ComplianceRow | None

    @property
    def empty(self) -> bool:
        return not (self.idrac or self.apply_now or self.staged or self.cpld or self.loadmaster)


_NOW, _STAGED, _CPLD = "now", "staged", "cpld"
_Buckets = dict[str, dict[str, tuple[PackageRef, list[ComplianceRow]]]]


def _lowest_idrac(node: str, idrac: ComplianceRow | None, row: ComplianceRow) -> ComplianceRow:
    """The iDRAC row to plan from: one package for all, from the lowest current version."""
    assert row.package is not None
    if idrac is not None and idrac.package and idrac.package.path != row.package.path:
        raise PlanError(
            f"two iDRAC entries want different packages ({idrac.package.file_name}, "
            f"{row.package.file_name})",
            host=node,
        )
    if idrac is None or compare_versions(row.current, idrac.current) < 0:
        return row
    return idrac


def _bucket_of(row: ComplianceRow) -> str:
    if row.kind is ComponentKind.CPLD:
        return _CPLD
    return _STAGED if row.reboot == "host-reboot" else _NOW


def _ordered(bucket: dict[str, tuple[PackageRef, list[ComplianceRow]]]) -> PackageRows:
    items = [(p, tuple(rs)) for p, rs in bucket.values()]
    items.sort(key=lambda x: (kind_rank(x[1][0].kind), x[1][0].name.lower(), x[0].path))
    return tuple(items)


def work_for(nc: NodeCompliance) -> NodeWork:
    idrac: ComplianceRow | None = None
    lm: ComplianceRow | None = None
    buckets: _Buckets = {_NOW: {}, _STAGED: {}, _CPLD: {}}
    for row in nc.planned():
        if row.kind is ComponentKind.LOADMASTER:
            lm = row
        elif row.package is None:
            continue
        elif row.kind is ComponentKind.IDRAC:
            idrac = _lowest_idrac(nc.node, idrac, row)
        else:
            entry = buckets[_bucket_of(row)].setdefault(row.package.path, (row.package, []))
            entry[1].append(row)
    return NodeWork(
        idrac, _ordered(buckets[_NOW]), _ordered(buckets[_STAGED]), _ordered(buckets[_CPLD]), lm
    )


def component_ref(rows: tuple[ComplianceRow, ...]) -> ComponentRef:
    first = rows[0]
    instances = tuple(sorted({i for r in rows for i in r.instances}))
    return ComponentRef(
        name=first.name,
        kind=first.kind,
        component_id=first.component_id,
        instances=instances,
        match_rule=first.match_rule,
    )


def expect_of(rows: tuple[ComplianceRow, ...], version: str) -> tuple[Expectation, ...]:
    return tuple(sorted({Expectation(r.key, r.name, version) for r in rows}, key=lambda e: e.key))


def from_version(rows: tuple[ComplianceRow, ...]) -> str:
    versions = sorted({r.current for r in rows})
    return versions[0] if len(versions) == 1 else " / ".join(versions)
