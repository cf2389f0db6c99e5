"""What the use-case tests share: one simulated pair with its fleet file and the demo inputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fwupdate.demo.scenario import DemoInputs
from fwupdate.sim.fleet import SimulatedFleet

SCALE = 1000.0


@dataclass(frozen=True)
class SimNight:
    sim: SimulatedFleet
    fleet: Path
    inputs: DemoInputs
    tmp: Path
