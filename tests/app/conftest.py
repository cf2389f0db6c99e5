"""Use-case tests: the application layer called directly (no CLI), against the simulator.
Makes the helper module importable (import mode is importlib)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from appsim import SCALE, SimNight  # noqa: E402

from fwupdate.demo.scenario import DemoInputs, build_inputs, fleet_spec  # noqa: E402
from fwupdate.sim.fleet import SimulatedFleet  # noqa: E402


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> DemoInputs:
    return build_inputs(tmp_path_factory.mktemp("app-inputs"))


@pytest.fixture
def sim_night(demo_inputs: DemoInputs, tmp_path: Path) -> Iterator[SimNight]:
    """One simulated R320 HA pair (iDRAC7 2.65, Redfish push), its fleet file written."""
    spec = fleet_spec(("pair-3",), lm_options={"rate_limit": 0})
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=SCALE) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        yield SimNight(sim, fleet, demo_inputs, tmp_path)
