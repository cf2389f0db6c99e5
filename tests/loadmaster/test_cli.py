"""`fwupdate lm status` and `fwupdate lm upgrade-pair` through the real entry point."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lm_support import START_VERSION, TARGET_VERSION, LmSim, node_spec, pair_spec

from fwupdate.sim.loadmaster import apply_fault, build_patch, outages

pytestmark = pytest.mark.integration

FAST = ["--min-interval", "0", "--poll-interval", "0.02", "--down-timeout", "5",
        "--boot-timeout", "5", "--role-timeout", "2"]  # fmt: skip


def _fleet_file(sim: LmSim, tmp_path: Path) -> Path:
    return sim.fleet.write_fleet_file(tmp_path / "cfg" / "fleet.toml")


def _image(tmp_path: Path, version: str = TARGET_VERSION) -> Path:
    path = tmp_path / "lm.patch"
    path.write_bytes(build_patch(version))
    return path


def test_status_json_table_csv(make_sim: Callable[..., LmSim], tmp_path: Path, cli: Any) -> None:
    sim = make_sim(pair_spec(), standalone=(node_spec("solo", version="7.1-Patch28b"),))
    fleet = _fleet_file(sim, tmp_path)
    r = cli("lm", "status", str(fleet), "--format", "json", "--min-interval", "0")
    assert r.code == 0, r
    doc = json.loads(r.out)
    pair = doc["pairs"][0]
    assert pair["healthy"] is True and pair["problems"] == []
    assert (pair["active"], pair["standby"]) == ("p1a", "p1b")
    assert pair["shared"] == {"reachable": True, "serial": sim.unit("p1a").serial}
    assert [u["version"] for u in pair["units"]] == [START_VERSION, START_VERSION]
    assert [u["ha_role"] for u in pair["units"]] == ["active", "standby"]
    assert pair["vs_up"] == pair["vs_total"] == 2
    assert doc["standalone"][0]["version"] == "7.1-Patch28b"
    assert doc["standalone"][0]["ha_role"] == "not-ha"
    r = cli("lm", "status", str(fleet), "--format", "csv", "--min-interval", "0")
    assert r.code == 0, r
    lines = r.out.strip().splitlines()
    assert lines[0].startswith("pair,node,reachable,version,role")
    assert lines[1].startswith(f"p1,p1a,yes,{START_VERSION},active")
    r = cli("lm", "status", str(fleet), "--min-interval", "0")
    assert r.code == 0 and "p1b" in r.out and "standby" in r.out


def test_status_exit_3_when_a_unit_is_unreachable(
    make_sim: Callable[..., LmSim], tmp_path: Path, cli: Any
) -> None:
    sim = make_sim()
    fleet = _fleet_file(sim, tmp_path)
    sim.unit("p1b").on_host_event("off", {})
    r = cli("lm", "status", str(fleet), "--format", "json", "--min-interval", "0", "--retries", "0")
    assert r.code == 3, r
    doc = json.loads(r.out)
    assert doc["pairs"][0]["healthy"] is False
    assert doc["pairs"][0]["units"][1]["reachable"] is False
    assert "1 of 2 LoadMaster units could not be read: p1b" in r.err


def test_upgrade_pair_cli_happy_path(
    make_sim: Callable[..., LmSim], tmp_path: Path, cli: Any
) -> None:
    sim = make_sim(pair_spec(preferred=2))
    fleet = _fleet_file(sim, tmp_path)
    backups = tmp_path / "bk"
    r = cli("lm", "upgrade-pair", str(fleet), "p1", "--image", str(_image(tmp_path)), "--yes",
            "--restore-preferred", "--backup-dir", str(backups), *FAST)  # fmt: skip
    assert r.code == 0, r
    assert f"p1b, p1a now run {TARGET_VERSION}; p1b is Active; preferred host 2" in r.out
    assert sim.unit("p1a").version == sim.unit("p1b").version == TARGET_VERSION
    assert sim.pair().preferred == 2
    files = sorted(backups.iterdir())
    assert len(files) == 2
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert all(f.read_bytes().startswith(b"KEMP-LM-BACKUP") for f in files)
    assert outages(sim.fleet.events, "p1") == ()


def test_upgrade_pair_refuses_without_yes_and_no_terminal(
    make_sim: Callable[..., LmSim], tmp_path: Path, cli: Any
) -> None:
    sim = make_sim()
    fleet = _fleet_file(sim, tmp_path)
    r = cli("lm", "upgrade-pair", str(fleet), "p1", "--image", str(_image(tmp_path)), *FAST)
    assert r.code == 2, r
    assert "pass --yes" in r.err
    assert sim.unit("p1b").staged is None and sim.unit("p1b").version == START_VERSION


def test_upgrade_pair_cli_stops_before_active(
    make_sim: Callable[..., LmSim], tmp_path: Path, cli: Any
) -> None:
    sim = make_sim()
    apply_fault(sim.fleet, "p1b", "never-returns")
    fleet = _fleet_file(sim, tmp_path)
    r = cli("lm", "upgrade-pair", str(fleet), "p1", "--image", str(_image(tmp_path)), "--yes",
            "--backup-dir", str(tmp_path / "bk"), *FAST[:8], "--boot-timeout", "0.5")  # fmt: skip
    assert r.code == 1, r
    err = r.err.strip().splitlines()[-1]
    assert err.startswith("fwupdate: error: p1b: standby p1b: wait for boot:"), err
    assert "stopped before touching the Active unit p1a" in err
    assert sim.unit("p1a").version == START_VERSION and sim.unit("p1a").staged is None
    assert outages(sim.fleet.events, "p1") == ()


def test_upgrade_pair_bad_inputs(make_sim: Callable[..., LmSim], tmp_path: Path, cli: Any) -> None:
    sim = make_sim()
    fleet = _fleet_file(sim, tmp_path)
    unknown = tmp_path / "mystery.bin"
    unknown.write_bytes(b"\x00" * 64)
    r = cli("lm", "upgrade-pair", str(fleet), "p1", "--image", str(unknown), "--yes", *FAST)
    assert r.code == 2 and "--target-version" in r.err, r
    r = cli("lm", "upgrade-pair", str(fleet), "nope", "--image", str(unknown), "--yes", *FAST)
    assert r.code == 2 and "no pair named nope" in r.err, r


def test_status_shows_a_down_vs_and_counts_subvs_once(
    make_sim: Callable[..., LmSim], tmp_path: Path, cli: Any
) -> None:
    """Issue 11 defect 2: `lm status` called a pair with a Virtual Service Down healthy."""
    sim = make_sim(pair_spec(subvs=2))
    fleet = _fleet_file(sim, tmp_path)
    sim.pair().set_vs_down(2)
    r = cli("lm", "status", str(fleet), "--format", "json", "--min-interval", "0")
    assert r.code == 0, r
    pair = json.loads(r.out)["pairs"][0]
    assert pair["healthy"] is False
    assert pair["problems"] == ["VS api (10.154.0.12:8443) is Down"]
    assert (pair["vs_up"], pair["vs_total"]) == (1, 2)
    assert "p1: VS api (10.154.0.12:8443) is Down" in r.err
    r = cli("lm", "status", str(fleet), "--min-interval", "0")
    assert "NOT OK" in r.out


def test_upgrade_pair_refuses_a_downgrade_unless_asked(
    make_sim: Callable[..., LmSim], tmp_path: Path, cli: Any
) -> None:
    """Issue 11 defect 12: `lm upgrade-pair` downgraded without a word."""
    sim = make_sim()
    fleet = _fleet_file(sim, tmp_path)
    older = "7.2.48.2"
    r = cli("lm", "upgrade-pair", str(fleet), "p1", "--image", str(_image(tmp_path, older)),
            "--yes", "--backup-dir", str(tmp_path / "bk"), *FAST)  # fmt: skip
    assert r.code == 2, r
    assert "refusing to downgrade" in r.err and "--allow-downgrade" in r.err
    assert not sim.fleet.events.records(event="lm.installpatch")
    assert not sim.fleet.events.records(event="lm.backup")
    r = cli("lm", "upgrade-pair", str(fleet), "p1", "--image", str(_image(tmp_path, older)),
            "--yes", "--allow-downgrade", "--backup-dir", str(tmp_path / "bk"), *FAST)
    assert r.code == 0, r
    assert sim.unit("p1a").version == sim.unit("p1b").version == older


def test_upgrade_pair_safety_net_restores_the_standby(
    make_sim: Callable[..., LmSim], tmp_path: Path, cli: Any
) -> None:
    sim = make_sim()
    fleet = _fleet_file(sim, tmp_path)
    apply_fault(sim.fleet, "p1b", "vs-down-after-patch", "1")
    r = cli("lm", "upgrade-pair", str(fleet), "p1", "--image", str(_image(tmp_path)), "--yes",
            "--backup-dir", str(tmp_path / "bk"), *FAST)  # fmt: skip
    assert r.code == 1, r
    assert "standby p1b: pair health" in r.err
    assert f"safety net: restored p1b to {START_VERSION}" in r.err
    assert "stopped before touching the Active unit p1a" in r.err
    assert sim.unit("p1b").version == START_VERSION
    assert sim.unit("p1b").hastatus() == "Standby"
    assert sim.unit("p1a").version == START_VERSION
    assert outages(sim.fleet.events, "p1") == ()
    apply_fault(sim.fleet, "p1b", "vs-down-after-patch", "1")
    r = cli("lm", "upgrade-pair", str(fleet), "p1", "--image", str(_image(tmp_path)), "--yes",
            "--no-rollback", "--backup-dir", str(tmp_path / "bk"), *FAST)  # fmt: skip
    assert r.code == 1, r
    assert f"p1b left on {TARGET_VERSION} (rollback off)" in r.err
    assert sim.unit("p1b").version == TARGET_VERSION
