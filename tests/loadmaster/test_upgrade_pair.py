"""Kemp's HA upgrade procedure against simulated pairs over real HTTPS: happy path and faults."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from lm_support import START_VERSION, TARGET_VERSION, LmSim, fast_options, pair_spec

from fwupdate.errors import DeviceError, FwupdateError, HASafetyError, WaitTimeoutError
from fwupdate.loadmaster.upgrade import PairUpgrade
from fwupdate.sim.loadmaster import Role, apply_fault, build_patch, outages

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
    said: list[str] = []
    up = PairUpgrade(pc, _image(tmp_path), TARGET_VERSION, fast_options(tmp_path),
                     progress=said.append)  # fmt: skip
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
    assert any("failover done: p1b is Active" in m for m in said)
    # Proof from the availability record: the shared address always had an Active unit, and
    # the Active role moved exactly once (the one failover of Kemp's procedure).
    record = sim.pair().availability()
    assert outages(sim.fleet.events, "p1") == ()
    assert all(i.serving and len(i.active) == 1 for i in record)
    holders = [i.active[0] for i in record]
    changes = [h for prev, h in itertools.pairwise(holders) if h != prev]
    assert changes == ["p1b-lm"]


def _run_expecting(
    sim: LmSim, tmp_path: Path, exc: type[FwupdateError], step: str, version: str = TARGET_VERSION
) -> FwupdateError:
    up = PairUpgrade(sim.pair_client(), _image(tmp_path, version), version,
                     fast_options(tmp_path, boot_timeout=0.6, role_timeout=0.3))  # fmt: skip
    with pytest.raises(exc) as info:
        up.run(up.prepare())
    err = info.value
    assert err.step == step, str(err)
    return err


def _active_untouched(sim: LmSim) -> None:
    a = sim.unit("p1a")
    assert a.version == START_VERSION and a.staged is None and a.role is Role.ACTIVE
    assert not sim.fleet.events.records(device="p1a-lm", event="lm.reboot")
    assert outages(sim.fleet.events, "p1") == ()


@pytest.mark.parametrize(
    ("fault", "exc", "step", "says"),
    [
        ("patch-refused", DeviceError, "standby p1b: installpatch", "Patch file verification"),
        ("never-returns", WaitTimeoutError, "standby p1b: wait for boot", "did not come back"),
        ("old-version", DeviceError, "standby p1b: verify version", "patch was not applied"),
        ("split-after-reboot", HASafetyError, "standby p1b: wait for HA role", "HA split"),
        ("secret-mismatch", HASafetyError, "standby p1b: wait for HA role", "Shared Secret"),
    ],
)
def test_standby_faults_stop_before_the_active_unit(
    make_sim: Callable[..., LmSim],
    tmp_path: Path,
    fault: str,
    exc: type[FwupdateError],
    step: str,
    says: str,
) -> None:
    sim = make_sim()
    apply_fault(sim.fleet, "p1b", fault)
    err = _run_expecting(sim, tmp_path, exc, step)
    assert says in err.message
    assert "stopped before touching the Active unit p1a" in err.message
    _active_untouched(sim)


def test_vs_down_after_failover_fails_the_post_check(
    make_sim: Callable[..., LmSim], tmp_path: Path
) -> None:
    sim = make_sim()
    apply_fault(sim.fleet, "p1b", "vs-down-when-active", "2")
    err = _run_expecting(sim, tmp_path, HASafetyError, "post-check")
    assert "VS api (10.154.0.12:8443) was Up, now Down" in err.message
    assert sim.unit("p1a").version == sim.unit("p1b").version == TARGET_VERSION
    assert outages(sim.fleet.events, "p1") == ()  # degraded, but the address always served


def test_pre_check_refuses_an_unhealthy_pair_and_changes_nothing(
    make_sim: Callable[..., LmSim], tmp_path: Path
) -> None:
    sim = make_sim(pair_spec(preferred=1))
    apply_fault(sim.fleet, "p1", "split")
    up = PairUpgrade(sim.pair_client(), _image(tmp_path), TARGET_VERSION, fast_options(tmp_path))
    with pytest.raises(HASafetyError, match="both units report Active") as info:
        up.prepare()
    assert info.value.step == "pre-check"
    assert sim.pair().preferred == 1
    assert not sim.fleet.events.records(event="lm.installpatch")
    assert not (tmp_path / "backups").exists()


def test_secret_boundary_warns_and_stops_without_a_shared_secret(
    make_sim: Callable[..., LmSim], tmp_path: Path
) -> None:
    sim = make_sim()
    up = PairUpgrade(sim.pair_client(), _image(tmp_path, "7.2.54.12"), "7.2.54.12",
                     fast_options(tmp_path, role_timeout=0.3))  # fmt: skip
    plan = up.prepare()
    assert plan.warnings and "Partner Shared Secret" in plan.warnings[0]
    with pytest.raises(HASafetyError, match="Passive") as info:
        up.run(plan)
    assert info.value.step == "standby p1b: wait for HA role"
    _active_untouched(sim)


def test_secret_boundary_passes_when_both_units_share_a_secret(
    make_sim: Callable[..., LmSim], tmp_path: Path
) -> None:
    sim = make_sim(pair_spec(commsecret="same-on-both-units"))
    up = PairUpgrade(sim.pair_client(), _image(tmp_path, "7.2.54.12"), "7.2.54.12",
                     fast_options(tmp_path))  # fmt: skip
    result = up.run(up.prepare())
    assert result.upgraded == ("p1b", "p1a")
    assert outages(sim.fleet.events, "p1") == ()


def test_resume_when_the_standby_already_runs_the_target(
    make_sim: Callable[..., LmSim], tmp_path: Path
) -> None:
    sim = make_sim(pair_spec(b={"version": f"{TARGET_VERSION}.21004.RELEASE"}))
    up = PairUpgrade(sim.pair_client(), _image(tmp_path), TARGET_VERSION, fast_options(tmp_path))
    plan = up.prepare()
    assert plan.to_upgrade == ("p1a",)
    result = up.run(plan)
    assert result.upgraded == ("p1a",) and result.active_after == "p1b"
    assert not sim.fleet.events.records(device="p1b-lm", event="lm.reboot")
    assert outages(sim.fleet.events, "p1") == ()
    again = PairUpgrade(sim.pair_client(), _image(tmp_path), TARGET_VERSION,
                        fast_options(tmp_path))  # fmt: skip
    assert again.run(again.prepare()).upgraded == ()
