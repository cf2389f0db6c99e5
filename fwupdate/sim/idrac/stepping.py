"""iDRAC7 stepping stones: the one place saying which iDRAC image jumps a simulated iDRAC refuses.

Domain (idrac-redfish.md §9, catalog-and-dup.md §4.3): below 2.10.10.10 an iDRAC7 must go to
1.66.65 (the last standalone iDRAC7 release) first, then to 2.10.10.10 (the first combined "iDRAC
with Lifecycle Controller") - or 2.20.20.20, the step a real R320 took ([PVESE]: 1.57.57 -> 1.66.65
-> 2.20.20.20 -> 2.65.65.65) - and only then to the latest.  Jumping across makes a real iDRAC
fail the job with RED007 "Unable to verify Update Package signature." (#118) or worse, brick it.

Rule table (`IDRAC7_GATES`), applied in order to an upward iDRAC image install:
  gate 1: from below 1.66.65 nothing above 1.66.65 is accepted;
  gate 2: from below 2.10.10.10 nothing above 2.10.10.10 is accepted, except from 1.66.65 (or any
          later 1.x) straight to 2.20.20.20.
So the shortest accepted paths are 1.x -> 1.66.65 -> 2.10.10.10 | 2.20.20.20 -> anything newer.
Downgrades and same-version installs are never refused here.  iDRAC8 and iDRAC9 have no gate.
"""

from __future__ import annotations

from dataclasses import dataclass

from fwupdate.sim.idrac.versions import newer, older


@dataclass(frozen=True)
class Gate:
    below: str  # an iDRAC on a version below this ...
    # ... may not install anything above it, except these (from at least, allowed targets) jumps
    exceptions: tuple[tuple[str, tuple[str, ...]], ...] = ()


IDRAC7_GATES: tuple[Gate, ...] = (
    Gate(below="1.66.65"),
    Gate(below="2.10.10.10", exceptions=(("1.66.65", ("2.20.20.20",)),)),
)
STEPPING_STONES: tuple[str, ...] = ("1.66.65", "2.10.10.10", "2.20.20.20")

GATES_BY_GENERATION: dict[int, tuple[Gate, ...]] = {7: IDRAC7_GATES}


def refused_jump(generation: int, current: str, target: str) -> str | None:
    """None if the iDRAC accepts `current` -> `target`, else a reason naming the next stone."""
    for gate in GATES_BY_GENERATION.get(generation, ()):
        if not (older(current, gate.below) and newer(target, gate.below)):
            continue
        if any(
            not older(current, floor) and target in targets for floor, targets in gate.exceptions
        ):
            continue
        return (
            f"iDRAC{generation} {current} cannot install {target} directly: "
            f"install {gate.below} first (stepping stones {', '.join(STEPPING_STONES)})"
        )
    return None
