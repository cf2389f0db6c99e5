"""Repository mode end to end: fwupdate serves a repository, the simulated iDRAC9 pulls it over
HTTPS, creates the jobs that apply, reboots once; SUP029 nothing to do; a wrong hash; 12G."""

from __future__ import annotations

import json
import re
from pathlib import Path

from delivery_support import (
    SimNodes,
    build_iso,
    build_repo,
    component,
    corrupt_package,
    online_style,
    r640_components,
)

TOKEN_URL = re.compile(r"127\.0\.0\.1:\d+/[A-Za-z0-9_-]{16,}/")


def _versions(nodes: SimNodes, dev: str) -> dict[str, str]:
    st = nodes.state(dev)
    return {k: st.component_version(k) for k in ("bios", "diagnostics", "nic")}


def test_repository_update_then_nothing_to_do(cli, sim_nodes: SimNodes, tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", r640_components(), encoding="utf-16")
    online_style(Path(repo.catalog))  # rewritten on the way out, or the iDRAC would go to Dell
    r = cli("idrac", "repo-update", *sim_nodes.cli_common("node-1"), "--repo",
            str(tmp_path / "repo"), "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["nothing_to_do"] is False
    assert {p["version"] for p in doc["packages"]} == {"2.12.1", "4301A40"}
    assert all(p["job_id"] for p in doc["packages"])
    assert {j["state"] for j in doc["jobs"]} == {"Completed"}
    assert _versions(sim_nodes, "idrac-1")["bios"] == "2.12.1"
    assert _versions(sim_nodes, "idrac-1")["diagnostics"] == "4301A40"
    assert "baseLocation" in r.err  # the rewrite is reported
    assert "/…/Catalog.xml" in r.err and not TOKEN_URL.search(r.err + r.out)  # tokens masked
    events = sim_nodes.sim.events.records(device="idrac-1")
    assert sum(1 for e in events if e["event"] == "repository_reboot") == 1
    assert sum(1 for e in events if e["event"] == "flashed") == 2

    again = cli("idrac", "repo-update", *sim_nodes.cli_common("node-1"), "--repo",
                str(tmp_path / "repo"), "--format", "json")
    assert again.code == 0, again
    assert json.loads(again.out)["nothing_to_do"] is True
    assert "SUP029" in again.err


def test_scan_only_lists_without_applying(cli, sim_nodes: SimNodes, tmp_path: Path) -> None:
    build_repo(tmp_path / "repo", r640_components())
    iso = build_iso(tmp_path / "repo", tmp_path / "suu.iso")
    r = cli("idrac", "repo-update", *sim_nodes.cli_common("node-1"), "--repo", str(iso),
            "--scan-only", "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert {(p["component_id"], p["before"], p["expected"]) for p in doc["packages"]} == {
        ("159", "2.10.2", "2.12.1"),
        ("25806", "4301A38", "4301A40"),
    }
    assert _versions(sim_nodes, "idrac-1")["bios"] == "2.10.2"


def test_wrong_hash_fails_naming_host_step_and_message_id(
    cli, sim_nodes: SimNodes, tmp_path: Path
) -> None:
    repo = build_repo(tmp_path / "repo", r640_components())
    bad = corrupt_package(repo, 0)  # the BIOS package no longer matches the catalog's MD5
    r = cli("idrac", "repo-update", *sim_nodes.cli_common("node-1"), "--repo",
            str(tmp_path / "repo"))
    assert r.code == 1, r
    line = r.err.strip().splitlines()[-1]
    assert "node-1" in line and "repository update" in line and "[RED007]" in line, line
    assert bad in line
    v = _versions(sim_nodes, "idrac-1")
    assert v["bios"] == "2.10.2"  # the corrupt package was not applied
    assert v["diagnostics"] == "4301A40"  # the good one was


def test_unrewritten_online_catalog_fails_with_red006(
    cli, sim_nodes: SimNodes, tmp_path: Path
) -> None:
    repo = build_repo(tmp_path / "repo", r640_components())
    online_style(Path(repo.catalog))
    r = cli("idrac", "repo-update", *sim_nodes.cli_common("node-1"), "--repo",
            str(tmp_path / "repo"), "--no-rewrite")
    assert r.code == 1, r
    assert "[RED006]" in r.err and "downloads.dell.com" in r.err
    assert _versions(sim_nodes, "idrac-1")["bios"] == "2.10.2"


def _r320_repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    return build_repo(tmp_path / "repo", [
        component("159", "2.9.0", "BIOS", system_id="04F7", component_type="BIOS"),
        component("25806", "4247A1", "Diagnostics", system_id="04F7", reboot=False),
    ])


def test_idrac7_without_wsman_repository_is_refused_with_what_to_do(
    cli, sim_nodes: SimNodes, tmp_path: Path
) -> None:
    _r320_repo(tmp_path)  # iDRAC7 default: LC2 has no InstallFromRepository (UNVERIFIED)
    r = cli("idrac", "repo-update", *sim_nodes.cli_common("node-2"), "--repo",
            str(tmp_path / "repo"))
    assert r.code == 1, r
    line = r.err.strip().splitlines()[-1]
    assert "node-2" in line and "InstallFromRepository" in line and "push" in line, line
    assert "Traceback" not in r.err
    assert sim_nodes.state("idrac-2").component_version("bios") == "2.4.2"


def test_idrac7_with_wsman_repository_updates_over_wsman(
    cli, sim_nodes: SimNodes, tmp_path: Path
) -> None:
    st = sim_nodes.state("idrac-2")
    st.options["wsman_repository"] = "on"  # the other answer: LC2 has it (Enterprise licence)
    _r320_repo(tmp_path)
    r = cli("idrac", "repo-update", *sim_nodes.cli_common("node-2"), "--repo",
            str(tmp_path / "repo"), "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert {p["version"] for p in doc["packages"]} == {"2.9.0", "4247A1"}
    assert st.component_version("bios") == "2.9.0"
    assert st.component_version("diagnostics") == "4247A1"
    events = [e["event"] for e in sim_nodes.sim.events.records(device="idrac-2")]
    assert "wsman_install_from_repository" in events
