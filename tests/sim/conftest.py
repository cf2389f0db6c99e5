"""Fixtures for the simulator tests; iDRAC helpers live in idrac_support.py (importlib mode)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from idrac_support import TIME_SCALE  # noqa: E402

from fwupdate.sim.fleet import FleetSpec, NodeSpec, SimulatedFleet  # noqa: E402


@pytest.fixture
def make_idrac_sim(tmp_path: Path) -> Iterator[Callable[..., SimulatedFleet]]:
    """make_idrac_sim(node(...), ..., time_scale=) -> a started SimulatedFleet (stopped after)."""
    started: list[SimulatedFleet] = []

    def _make(*nodes: NodeSpec, time_scale: float = TIME_SCALE) -> SimulatedFleet:
        fleet = SimulatedFleet(
            FleetSpec(standalone=nodes),
            workdir=tmp_path / f"sim{len(started)}",
            time_scale=time_scale,
        )
        fleet.start()
        started.append(fleet)
        return fleet

    yield _make
    for f in started:
        f.stop()
