"""Kemp's HA upgrade procedure against simulated pairs over real HTTPS: happy path and faults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lm_support import START_VERSION, TARGET_VERSION, LmSim, fast_options, pair_spec

from fwupdate.loadmaster.upgrade import PairUpgrade
from fwupdate.sim.loadmaster import build_patch, outages

pytestmark = pytest.mark.integration


def _image(tmp_path: Path, version: str = TARGET_VERSION) -> Path:
    path = tmp_path / f"LoadMaster-{version}-BARE-METAL.patch"
    path.write_bytes(build_patch(version))
    return path


def test_happy_path_one_failover_and_never_down(
    make_sim: Callable[..., LmSim], tmp_path: Path
) -> None:
    sim = make_sim(pair_spec(preferred=1))
    pc = sim.pair_client()
    up = PairUpgrade(pc, _image(tmp_path), TARGET_VERSION, fast_options(tmp_path),
                     progress=print)
    plan = up.prepare()
    assert (plan.active, plan.standby) == ("p1a", "p1b")
    assert plan.to_upgrade == ("p1b", "p1a")
    assert plan.preferred_before == "1"
    result = up.run(plan)
    assert result.upgraded == ("p1b", "p1a")
    assert result.active_after == "p1b"
    assert sim.unit("p1a").version == sim.unit("p1b").version == TARGET_VERSION
    assert sim.unit("p1a").previous_version == START_VERSION
    assert result.preferred_after == "0"
    assert outages(sim.fleet.events, "p1") == ()
