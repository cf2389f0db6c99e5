"""Fixtures for the delivery tests; helpers live in delivery_support.py (importlib mode)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from delivery_support import TIME_SCALE, SimNodes  # noqa: E402

from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, SimulatedFleet  # noqa: E402


@pytest.fixture
def sim_nodes(tmp_path: Path) -> Iterator[SimNodes]:
    """node-1: R640 iDRAC9 4.40 (repository + virtual media); node-2: R320 iDRAC7 2.65."""
    spec = FleetSpec(
        standalone=(
            NodeSpec("node-1", DeviceSpec("idrac-1", "idrac", "r640-idrac9-4.40", {})),
            NodeSpec("node-2", DeviceSpec("idrac-2", "idrac", "r320-idrac7-2.65", {})),
        )
    )
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=TIME_SCALE) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet" / "fleet.toml")
        issued = sim.ctx.ca.issue("127.0.0.1")
        cert = tmp_path / "serve-cert.pem"
        cert.write_bytes(issued.cert_pem)
        key = tmp_path / "serve-key.pem"
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(issued.key_pem)
        yield SimNodes(sim, fleet, cert, key)
