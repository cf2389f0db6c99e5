"""iDRAC upgrade paths through stepping stones, with the package and transport of each hop.

A stepping stone (policy.SteppingStone) is a version that every iDRAC of its generation below it
must pass through on the way to anything above it: iDRAC7 1.57 -> 1.66.65 -> 2.10.10.10 (or
2.20.20.20) -> 2.65.65.65 (catalog-and-dup.md §4.3, idrac-redfish.md §9).  A stone is never
skipped: when no package for it can be found the plan is refused, naming the stone.

Each hop's transport is decided from the version the iDRAC runs *before* the hop: below the
generation's Redfish update minimum (2.60.60.60 on iDRAC7/8) only WS-Man can update it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fwupdate.catalog.models import PackageType, SoftwareComponent
from fwupdate.catalog.versions import compare_versions
from fwupdate.errors import PlanError
from fwupdate.idrac.models import Transport
from fwupdate.plan.compliance import best_package, package_ref
from fwupdate.plan.models import PackageRef
from fwupdate.plan.policy import BareImagePolicy, Policy, SteppingStone


@dataclass(frozen=True)
class Hop:
    from_version: str
    to_version: str
    package: PackageRef
    payload: str | None  # e.g. payload/firmimg.d7; None = send the whole DUP
    transport: Transport
    stone: SteppingStone | None  # None for the final hop to the target
    reason: str


def required_stones(
    stones: Sequence[SteppingStone], current: str, target: str
) -> tuple[SteppingStone, ...]:
    """The stones strictly between `current` and `target`, oldest first.

    A stone counts as passed when the current version is at or above it (or at or above one of
    its accepted alternatives).  A target at a stone needs no separate hop: the final hop is it.
    """
    out: list[SteppingStone] = []
    for stone in stones:
        if any(compare_versions(current, v) >= 0 for v in stone.versions):
            continue
        if compare_versions(target, stone.version) <= 0:
            break
        out.append(stone)
    return tuple(out)


def crossed_stones_down(
    stones: Sequence[SteppingStone], current: str, target: str
) -> tuple[SteppingStone, ...]:
    """Stones a downgrade from `current` to `target` would cross (target < stone <= current)."""
    return tuple(
        s
        for s in stones
        if compare_versions(target, s.version) < 0 <= compare_versions(current, s.version)
    )


def stone_guard(
    stones: Sequence[SteppingStone], generation: str, current: str, target: str | None
) -> str | None:
    """Why installing `target` on an iDRAC of `generation` running `current` would skip or cross
    a stepping stone (one line naming the next stone to apply), or None when it is safe.

    `stones` are the planner's (policy.stones(generation) keeps only that generation's).  An
    image of unknown version is refused while any stone is still ahead of the iDRAC.
    """
    stones = tuple(s for s in stones if s.generation == generation)
    if target is None:
        ahead = [s for s in stones if all(compare_versions(current, v) < 0 for v in s.versions)]
        if not ahead:
            return None
        return (
            f"{generation} {current} is below stepping stone {ahead[0].version} and the image's "
            "version is unknown; give --expect-version so the stepping stones can be checked"
        )
    skipped = [  # a target at an accepted alternative of a stone is at that stone
        s
        for s in required_stones(stones, current, target)
        if all(compare_versions(target, v) != 0 for v in s.versions)
    ]
    if skipped:
        stone = skipped[0]
        return (
            f"{generation} {current} -> {target} skips stepping stone "
            f"{' or '.join(stone.versions)}; install {stone.version} first (skipping it can "
            "brick the iDRAC; --allow-stone-skip overrides)"
        )
    crossed = crossed_stones_down(stones, current, target)
    if crossed and compare_versions(target, current) < 0:
        return (
            f"{generation} downgrade {current} -> {target} crosses stepping stone "
            f"{crossed[-1].version} (it can brick the iDRAC; --allow-stone-skip overrides)"
        )
    return None


def transport_for(policy: Policy, generation: str, running: str, *, host: str) -> Transport:
    """Transport able to update an iDRAC that runs `running` (the version before the hop)."""
    wsman_min = policy.idrac.wsman_min(generation)
    if wsman_min is not None and compare_versions(running, wsman_min) < 0:
        raise PlanError(
            f"{generation} {running} is below every update transport fwupdate has "
            f"(WS-Man from {wsman_min}); update it by hand first",
            host=host,
        )
    redfish_min = policy.idrac.redfish_minimum(generation)
    if redfish_min is not None and compare_versions(running, redfish_min) < 0:
        return Transport.WSMAN
    return Transport.REDFISH


def payload_for(
    policy: Policy, generation: str, transport: Transport, package: PackageRef
) -> str | None:
    """The bare image to extract and send, or None to send the whole DUP."""
    from fwupdate.dup.image import default_image_name  # not at import: the dup package, 40 ms

    image = "payload/" + default_image_name(generation.lower())
    if package.package_type == PackageType.LLXP.value:
        return image  # a Linux .BIN is never sent to an iDRAC; its firmimg is
    mode = policy.idrac.bare_image
    if mode is BareImagePolicy.ALWAYS:
        return image
    if mode is BareImagePolicy.BELOW_REDFISH and transport is Transport.WSMAN:
        return image
    return None


def _stone_package(
    stone: SteppingStone,
    available: Sequence[SoftwareComponent],
    policy: Policy,
    generation: str,
    target: str,
    host: str,
    current: str,
) -> tuple[str, PackageRef, str]:
    """(version, package, how found) for a stone: the catalog first (the stone's version, then its
    accepted alternatives below the target), then the bundle's named file."""
    for version in stone.versions:
        if compare_versions(version, target) >= 0:
            continue
        same = [c for c in available if compare_versions(c.vendor_version, version) == 0]
        chosen = best_package(policy, generation, same)
        if chosen is not None:
            return chosen.vendor_version, package_ref(chosen), "catalog"
    if stone.package:
        ref = PackageRef(
            path=stone.package,
            file_name=stone.package.replace("\\", "/").rsplit("/", 1)[-1],
            package_type=_type_from_name(stone.package),
            vendor_version=stone.version,
            source="bundle",
        )
        return stone.version, ref, "bundle"
    raise PlanError(
        f"{generation} {current} -> {target} must pass stepping stone "
        f"{' or '.join(stone.versions)}, but the catalog has no package for it; add the DUP to "
        "the repository or name it in the bundle ([[idrac.stepping_stones]] package = ...)",
        host=host,
    )


def _type_from_name(name: str) -> str:
    upper = name.upper()
    if upper.endswith(".BIN"):
        return PackageType.LLXP.value
    if "_WN32_" in upper:
        return PackageType.LWXP.value
    if upper.endswith(".EXE"):
        return PackageType.LW64.value
    return "IMAGE"


def idrac_path(
    *,
    host: str,
    generation: str,
    current: str,
    target: PackageRef,
    available: Sequence[SoftwareComponent],
    policy: Policy,
) -> tuple[Hop, ...]:
    """Every hop from `current` to `target.vendor_version`, stones first, then the target."""
    stones = policy.idrac.stones(generation)
    final = target.vendor_version
    if compare_versions(final, current) < 0:
        crossed = crossed_stones_down(stones, current, final)
        if crossed:
            raise PlanError(
                f"{generation} downgrade {current} -> {final} would cross stepping stone "
                f"{crossed[0].version}; fwupdate does not plan that (it can brick the iDRAC)",
                host=host,
            )
    hops: list[Hop] = []
    running = current

    def hop(to: PackageRef, stone: SteppingStone | None, reason: str) -> Hop:
        """From `running` to `to` (its transport: the one the running version speaks)."""
        transport = transport_for(policy, generation, running, host=host)
        return Hop(from_version=running, to_version=to.vendor_version, package=to,
                   payload=payload_for(policy, generation, transport, to), transport=transport,
                   stone=stone, reason=reason)  # fmt: skip

    for stone in required_stones(stones, current, final):
        version, ref, found = _stone_package(
            stone, available, policy, generation, final, host, current
        )
        why = stone.reason or "stepping stone"
        hops.append(hop(ref, stone, f"stepping stone {version} ({found}): {why}"))
        running = version
    hops.append(hop(target, None, "iDRAC to its target version"))
    return tuple(hops)
