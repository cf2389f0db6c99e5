"""The `repo_update` / `vmedia_update` plan steps (docs/planning.md step table, rules D1/D2).

One step replaces a node's push steps (firmware_apply_now, firmware_stage, host_reboot): it
names every planned package (`params.packages`, catalog paths, comma-separated: the executor
serves a catalog filtered to exactly these; `packages` keeps their catalog size, MD5 and
signature verdict, checked again right before they are served) and expects all their
versions.  It takes the node down like a host reboot and so carries the same impact and
`requires_partner_healthy`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from fwupdate.idrac.models import Transport
from fwupdate.plan.delivery import DeliveryMode
from fwupdate.plan.estimate import Estimates
from fwupdate.plan.models import (
    ComponentKind,
    Expectation,
    Impact,
    PackageRef,
    Step,
    StepKind,
    flag_text,
)
from fwupdate.plan.rules import Rule


class _Adder(Protocol):
    def add(self, kind: StepKind, **kw: object) -> Step: ...


def add_delivery_step(
    b: _Adder,
    *,
    mode: DeliveryMode,
    source: str,
    node: str,
    work: Sequence[tuple[PackageRef, tuple[Any, ...]]],
    lm_staged: Step | None,
    impact: tuple[Impact, ...],
    in_pair: bool,
    est: Estimates,
    expect: Callable[[tuple[Any, ...], str], tuple[Expectation, ...]],
) -> Step:
    expectations: list[Expectation] = []
    kinds: list[ComponentKind] = []
    for pkg, rows in work:
        expectations.extend(expect(rows, pkg.vendor_version))
        kinds.extend(r.kind for r in rows[:1])
    reboot_kinds = tuple(k for k in kinds if k not in (
        ComponentKind.DIAGNOSTICS, ComponentKind.OS_DRIVER_PACK,
        ComponentKind.LIFECYCLE_CONTROLLER,
    ))
    lm = lm_staged is not None
    names = ", ".join(f"{rows[0].name} {pkg.vendor_version}" for pkg, rows in work)
    failover = "; this node is active, so the pair fails over" if (
        Impact.LM_FAILOVER in impact
    ) else ""
    if mode is DeliveryMode.REPOSITORY:
        kind, rule = StepKind.REPO_UPDATE, Rule.D1
        seconds = est.stage + est.host_reboot(reboot_kinds, lm)
        reason = f"repository update from {source}: {names}; the iDRAC reboots once{failover}"
    else:
        kind, rule = StepKind.VMEDIA_UPDATE, Rule.D2
        seconds = est.host_reboot((), False) + est.host_reboot(reboot_kinds, lm)
        reason = f"boot {source} once by virtual media: {names}; two host boots{failover}"
    return b.add(
        kind,
        node=node,
        rule=rule,
        reason=reason,
        estimated_seconds=seconds,
        impact=impact,
        transport=Transport.REDFISH,
        requires_partner_healthy=in_pair,
        covers=(lm_staged.step_id,) if lm_staged is not None else (),
        expect=tuple(sorted(set(expectations), key=lambda e: (e.key, e.version))),
        params=(
            ("mode", mode.value),
            ("source", source),
            ("packages", ",".join(pkg.path for pkg, _rows in work)),
            ("reboot", flag_text(True)),
        ),
        packages=tuple(pkg for pkg, _rows in work),
    )
