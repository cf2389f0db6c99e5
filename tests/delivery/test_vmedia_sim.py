"""Virtual media end to end: fwupdate serves an update ISO, the simulated iDRAC9 attaches it,
boots it once, fetches and reads it, applies the packages; an unreachable ISO; 12G refusal."""

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
    r640_components,
)

from fwupdate.sim.idrac.virtual_media import vm_state


def test_vmedia_update_applies_the_iso_and_detaches(
    cli, sim_nodes: SimNodes, tmp_path: Path
) -> None:
    build_repo(tmp_path / "repo", r640_components(bios="2.13.0"))
    iso = build_iso(tmp_path / "repo", tmp_path / "update.iso")
    r = cli("idrac", "vmedia-update", *sim_nodes.cli_common("node-1"), "--iso", str(iso),
            "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["mode"] == "virtual-media" and doc["nothing_to_do"] is False
    assert doc["source"].endswith("/…/update.iso")  # the file server's tokens are masked
    assert "/…/update.iso" in r.err
    reached = {c["component_id"]: (c["before"], c["after"]) for c in doc["components"]}
    assert reached["159"] == ("2.10.2", "2.13.0")
    assert reached["25806"] == ("4301A38", "4301A40")
    st = sim_nodes.state("idrac-1")
    assert st.component_version("bios") == "2.13.0"
    assert not vm_state(st).inserted  # detached afterwards
    events = [e["event"] for e in sim_nodes.sim.events.records(device="idrac-1")]
    assert events.count("vmedia_boot") == 1 and "vmedia_ejected" in events
    assert "vmedia_inserted" in events and "boot_override" in events

    again = cli("idrac", "vmedia-update", *sim_nodes.cli_common("node-1"), "--iso", str(iso),
                "--format", "json")
    assert again.code == 0, again
    assert json.loads(again.out)["nothing_to_do"] is True


def test_unreachable_iso_is_a_clear_failure(cli, sim_nodes: SimNodes) -> None:
    r = cli("idrac", "vmedia-update", *sim_nodes.cli_common("node-1"),
            "--iso-url", "https://127.0.0.1:9/nowhere/update.iso", "--expect", "159=2.13.0")
    assert r.code == 1, r
    line = r.err.strip().splitlines()[-1]
    assert "node-1" in line and "insert virtual media" in line and "[RAC0904]" in line, line
    st = sim_nodes.state("idrac-1")
    assert not vm_state(st).inserted and st.component_version("bios") == "2.10.2"


def test_iso_with_a_corrupt_package_times_out_naming_what_is_missing(
    cli, sim_nodes: SimNodes, tmp_path: Path
) -> None:
    repo = build_repo(tmp_path / "repo", r640_components(bios="2.13.0"))
    corrupt_package(repo, 0)
    iso = build_iso(tmp_path / "repo", tmp_path / "update.iso")
    r = cli("idrac", "vmedia-update", *sim_nodes.cli_common("node-1"), "--iso", str(iso),
            "--wait", "3000")
    assert r.code == 1, r
    line = r.err.strip().splitlines()[-1]
    assert "virtual-media update" in line and "BIOS at 2.10.2 (expected 2.13.0)" in line, line
    failed = [e for e in sim_nodes.sim.events.records(device="idrac-1")
              if e["event"] == "vmedia_package_failed"]
    assert failed and failed[0]["message_id"] == "RED007"
    assert not vm_state(sim_nodes.state("idrac-1")).inserted


def test_a_job_the_iso_made_that_failed_fails_the_step_with_its_message_id(
    cli, sim_nodes: SimNodes, tmp_path: Path
) -> None:
    """Campaign 2123/x4/142: the ISO's BIOS job failed (RED007) and the watch booted the ISO
    again, as it does for an install LC refused as busy, so the failure was never reported.  A
    job that failed is the step's failure, with its message id; the ISO is booted once."""
    build_repo(tmp_path / "repo", r640_components(bios="2.13.0"))
    iso = build_iso(tmp_path / "repo", tmp_path / "update.iso")
    sim_nodes.sim.device("idrac-1").set_fault("job-fail", "RED007,1")
    r = cli("idrac", "vmedia-update", *sim_nodes.cli_common("node-1"), "--iso", str(iso),
            "--wait", "3000")
    assert r.code == 1, r
    line = r.err.strip().splitlines()[-1]
    assert "virtual-media update" in line and "[RED007]" in line, line
    events = [e["event"] for e in sim_nodes.sim.events.records(device="idrac-1")]
    assert events.count("vmedia_boot") == 1, events
    st = sim_nodes.state("idrac-1")
    assert st.component_version("bios") == "2.10.2" and not vm_state(st).inserted


def test_idrac7_needs_an_nfs_or_cifs_share(cli, sim_nodes: SimNodes) -> None:
    r = cli("idrac", "vmedia-update", *sim_nodes.cli_common("node-2"),
            "--iso-url", "https://127.0.0.1:9/x.iso", "--expect", "159=2.9.0")
    assert r.code == 2, r
    assert "node-2" in r.err and "nfs://" in r.err and "BootToNetworkISO" in r.err


def test_idrac7_refusing_a_served_iso_masks_the_file_servers_tokens(
    cli, sim_nodes: SimNodes, tmp_path: Path
) -> None:
    iso = _r320_iso(tmp_path)
    r = cli("idrac", "vmedia-update", *sim_nodes.cli_common("node-2"), "--iso", str(iso),
            "--expect", "159=2.9.0")
    assert r.code == 2, r
    (line,) = [ln for ln in r.err.splitlines() if "error" in ln]
    assert "BootToNetworkISO" in line and "/…/r320-update.iso" in line, line
    urls = re.findall(r"https?://\S+", line)
    assert urls and all(re.fullmatch(r"https?://127\.0\.0\.1:\d+/…/r320-update\.iso:?", u)
                        for u in urls), urls


def _r320_iso(tmp_path: Path) -> Path:
    build_repo(tmp_path / "repo", [
        component("159", "2.9.0", "BIOS", system_id="04F7", component_type="BIOS"),
        component("25806", "4247A1", "Diagnostics", system_id="04F7", reboot=False),
    ])
    (tmp_path / "isos").mkdir()
    return build_iso(tmp_path / "repo", tmp_path / "isos" / "r320-update.iso")


def test_idrac7_boots_an_iso_from_an_nfs_share_over_wsman(
    cli, sim_nodes: SimNodes, tmp_path: Path
) -> None:
    _r320_iso(tmp_path)
    st = sim_nodes.state("idrac-2")
    st.options["network_shares"] = {"nfs://127.0.0.1/export/isos": str(tmp_path / "isos")}
    r = cli("idrac", "vmedia-update", *sim_nodes.cli_common("node-2"), "--iso-url",
            "nfs://127.0.0.1/export/isos/r320-update.iso", "--expect", "159=2.9.0",
            "--expect", "25806=4247A1", "--format", "json")
    assert r.code == 0, r
    assert st.component_version("bios") == "2.9.0"
    assert st.component_version("diagnostics") == "4247A1"
    events = [e["event"] for e in sim_nodes.sim.events.records(device="idrac-2")]
    assert "osd_boot_to_iso" in events and "osd_detached" in events


def test_idrac7_unreachable_share_names_osd16(cli, sim_nodes: SimNodes, tmp_path: Path) -> None:
    r = cli("idrac", "vmedia-update", *sim_nodes.cli_common("node-2"), "--iso-url",
            "cifs://127.0.0.1/nowhere/update.iso", "--expect", "159=2.9.0")
    assert r.code == 1, r
    line = r.err.strip().splitlines()[-1]
    assert "node-2" in line and "boot to network ISO" in line and "[OSD16]" in line, line
    assert sim_nodes.state("idrac-2").component_version("bios") == "2.4.2"
