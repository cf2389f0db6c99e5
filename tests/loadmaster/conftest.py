"""Fixtures for the LoadMaster tests; helpers live in lm_support.py (import mode is importlib)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from lm_support import TIME_SCALE, LmSim, pair_spec  # noqa: E402

from fwupdate.sim.fleet import FleetSpec, NodeSpec, PairSpec, SimulatedFleet  # noqa: E402


@pytest.fixture
def make_sim(tmp_path: Path) -> Iterator[Callable[..., LmSim]]:
    started: list[SimulatedFleet] = []

    def _make(
        *pairs: PairSpec, standalone: tuple[NodeSpec, ...] = (), time_scale: float = TIME_SCALE
    ) -> LmSim:
        spec = FleetSpec(pairs=pairs or (pair_spec(),), standalone=standalone)
        fleet = SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=time_scale)
        fleet.start()
        started.append(fleet)
        return LmSim(fleet)

    yield _make
    for f in started:
        f.stop()
