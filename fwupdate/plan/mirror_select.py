"""Which catalog components `repo mirror` keeps under a bundle (pure; docs/signatures.md
"Verified offline repository"); the CLI hands `select_components` to fwupdate.repo.mirror,
which may not import the planner.

Without a bundle: every component that lists one of the wanted system ids.  With a bundle, per
component (family + Dell component id, else name) and system: the newest version, the version a
pin of the bundle names, and any iDRAC stepping-stone version; older versions are left out,
each with its reason, and so are components the bundle excludes.  A pin or a stepping stone
the catalog does not hold becomes a note (a stone's `package` beside the bundle is used as is).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fwupdate.catalog.models import SoftwareComponent
from fwupdate.catalog.versions import newest, same_version
from fwupdate.plan.kinds import classify_catalog
from fwupdate.plan.models import ComponentKind
from fwupdate.plan.policy import Policy


@dataclass(frozen=True)
class Selection:
    kept: tuple[SoftwareComponent, ...]
    left_out: tuple[tuple[str, str], ...]  # (catalog path, why)
    other_systems: int  # components for none of the wanted system ids (not listed one by one)
    notes: tuple[str, ...]


def _key(c: SoftwareComponent) -> tuple[str, str]:
    kind = classify_catalog(c)
    return kind.value, ",".join(sorted(set(c.component_ids))) or c.name.strip().lower()


def _pinned(policy: Policy, c: SoftwareComponent) -> str | None:
    """The version a pin of the bundle names for `c`, if any."""
    kind = classify_catalog(c)
    ids = c.component_ids or (None,)
    for pin in policy.pins:
        if any(
            pin.selector.matches_component(
                kind=kind, component_id=cid, category=c.category, name=c.name
            )
            for cid in ids
        ):
            return pin.version
    return None


def _excluded(policy: Policy, c: SoftwareComponent) -> str | None:
    kind = classify_catalog(c)
    for sel in policy.exclude:
        for cid in c.component_ids or (None,):
            if not sel.is_node_selector and sel.matches_component(
                kind=kind, component_id=cid, category=c.category, name=c.name
            ):
                return sel.text
    return None


def _stone_versions(policy: Policy) -> tuple[str, ...]:
    return tuple(v for s in policy.idrac.stepping_stones for v in s.versions)


def _why_not(policy: Policy, c: SoftwareComponent, top: str, where: str) -> str | None:
    """None when `c` is kept under the bundle, else why not."""
    excluded = _excluded(policy, c)
    if excluded:
        return f"excluded by {where} ({excluded})"
    pin = _pinned(policy, c)
    if pin is not None:
        if same_version(c.vendor_version, pin):
            return None
        return f"{c.vendor_version}: {where} pins {pin}"
    if same_version(c.vendor_version, top):
        return None
    is_idrac = classify_catalog(c) is ComponentKind.IDRAC
    if is_idrac and any(same_version(c.vendor_version, v) for v in _stone_versions(policy)):
        return None
    return f"{c.vendor_version}: older than {top} and not a pin or stepping stone of {where}"


def _notes(policy: Policy, kept: Sequence[SoftwareComponent], where: str) -> list[str]:
    notes: list[str] = []
    idrac = [c.vendor_version for c in kept if classify_catalog(c) is ComponentKind.IDRAC]
    for s in policy.idrac.stepping_stones:
        if not any(same_version(v, w) for v in idrac for w in s.versions):
            extra = f"; {where} names {s.package} for it" if s.package else ""
            notes.append(
                f"stepping stone {s.generation} {s.version}: not in the catalog (not mirrored"
                f"{extra})"
            )
    for pin in policy.pins:
        if not any(_pinned(policy, c) == pin.version for c in kept):
            notes.append(f"pin {pin.selector.text} = {pin.version}: not in the catalog")
    return notes


def select_components(
    components: Iterable[SoftwareComponent],
    system_ids: Iterable[str],
    policy: Policy | None = None,
) -> Selection:
    """The components to mirror for `system_ids`, narrowed by the bundle `policy` if given."""
    ids = tuple(system_ids)
    comps = list(components)
    wanted = [c for c in comps if any(c.supports_system(s) for s in ids)]
    other = len(comps) - len(wanted)
    if policy is None:
        return Selection(tuple(wanted), (), other, ())
    where = f"the bundle {policy.source or policy.name}"
    groups: dict[tuple[str, str], list[SoftwareComponent]] = defaultdict(list)
    for c in wanted:
        groups[_key(c)].append(c)
    kept: list[SoftwareComponent] = []
    left_out: list[tuple[str, str]] = []
    for members in groups.values():
        top = newest([c.vendor_version for c in members]) or ""
        for c in members:
            why = _why_not(policy, c, top, where)
            if why is None:
                kept.append(c)
            else:
                left_out.append((c.path, why))
    kept.sort(key=lambda c: c.path)
    return Selection(tuple(kept), tuple(left_out), other, tuple(_notes(policy, kept, where)))


__all__ = ["Selection", "select_components"]
