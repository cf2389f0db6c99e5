"""iDRAC9 push transfers (docs/delivery.md, "iDRAC9 push transfers"): the planner picks
MultipartUpload, HTTP push, SimpleUpdate pull from fwupdate's file server or Dell's Install per
capability and policy, and `fwupdate run` drives each against the simulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from delivery_support import TIME_SCALE, build_repo, r640_components

from fwupdate.idrac.models import Capabilities, Transfer
from fwupdate.plan.delivery import choose_transfer, delivery_from_mapping
from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, SimulatedFleet

BUNDLE = """schema_version = 1
signatures = "off"
[bundle]
name = "r640-transfers"
[prechecks]
standalone = "allow"
[delivery]
default = "push"
transfer = "{transfer}"
"""

# what the simulator records as the job's source for each transfer
SOURCE = {
    "multipart": "redfish-multipart",
    "http-push": "redfish-simpleupdate",
    "pull": "redfish-pull",
    "dell-install": "redfish-dellinstall",
}

IDRAC9 = Capabilities(
    redfish=True, redfish_update=True, http_push_uri="/push", multipart_push_uri="/mp",
    simple_update_uri="/su", simple_update_protocols=("HTTP",), dell_install_uri="/di",
)


def test_the_planner_rule() -> None:
    assert choose_transfer(Transfer.AUTO, IDRAC9)[0] is Transfer.MULTIPART
    for t in (Transfer.PULL, Transfer.DELL_INSTALL, Transfer.HTTP_PUSH):
        assert choose_transfer(t, IDRAC9)[0] is t
    older = Capabilities(redfish=True, redfish_update=True, http_push_uri="/push",
                         simple_update_uri="/su")
    assert choose_transfer(Transfer.AUTO, older)[0] is Transfer.HTTP_PUSH
    chosen, why = choose_transfer(Transfer.PULL, older)
    assert chosen is Transfer.HTTP_PUSH and "pull not offered" in why
    assert choose_transfer(Transfer.MULTIPART, None)[0] is Transfer.HTTP_PUSH
    # iDRAC10 installs nothing pushed to HttpPushUri (idrac-redfish.md §4.3)
    assert choose_transfer(Transfer.HTTP_PUSH, IDRAC9, "iDRAC10")[0] is Transfer.MULTIPART
    assert choose_transfer(Transfer.DELL_INSTALL, IDRAC9, "iDRAC10")[0] is Transfer.MULTIPART
    no_mp = Capabilities(redfish=True, redfish_update=True, http_push_uri="/push",
                         simple_update_uri="/su", simple_update_protocols=("HTTPS",))
    assert choose_transfer(Transfer.AUTO, no_mp, "iDRAC10")[0] is Transfer.PULL


def test_transfer_is_validated_in_the_bundle() -> None:
    from fwupdate.errors import ConfigError

    with pytest.raises(ConfigError, match="transfer = 'ftp'"):
        delivery_from_mapping({"transfer": "ftp"}, where="b")
    pol = delivery_from_mapping(
        {"transfer": "pull", "nodes": [{"select": "node:x", "transfer": "dell-install"}]},
        where="b")
    assert pol.transfer_for(node="x", pair=None, generation=None, system_id=None) \
        is Transfer.DELL_INSTALL
    assert pol.transfer_for(node="y", pair=None, generation=None, system_id=None) \
        is Transfer.PULL


@pytest.mark.parametrize(("transfer", "expected"), [
    ("auto", "multipart"), ("multipart", "multipart"), ("pull", "pull"),
    ("dell-install", "dell-install"), ("http-push", "http-push"),
])
def test_plan_and_run_with_each_transfer(cli, tmp_path: Path, transfer: str,
                                         expected: str) -> None:
    repo = build_repo(tmp_path / "repo", r640_components(bios="2.13.0"))
    bundle = tmp_path / "bundle.toml"
    bundle.write_text(BUNDLE.format(transfer=transfer))
    spec = FleetSpec(standalone=(
        NodeSpec("node-1", DeviceSpec("idrac-1", "idrac", "r640-idrac9-4.40", {})),))
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=TIME_SCALE) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        plan_path = tmp_path / "plan.json"
        r = cli("plan", str(fleet), "--catalog", repo.catalog, "--bundle", str(bundle),
                "--allow-standalone", "--format", "json", "--out", str(plan_path))
        assert r.code == 0, r
        steps = [s for g in json.loads(plan_path.read_text())["groups"] for s in g["steps"]
                 if s["kind"] in ("firmware_apply_now", "firmware_stage")]
        assert len(steps) == 2, steps
        assert {dict(s["params"])["transfer"] for s in steps} == {expected}
        r = cli("run", str(plan_path), str(fleet), "--repo", str(tmp_path / "repo"),
                "--runs-dir", str(tmp_path / "runs"), "--time-scale", str(TIME_SCALE), "--yes")
        assert r.code == 0, r
        st = sim.device("idrac-1").state  # type: ignore[attr-defined]
        assert st.component_version("bios") == "2.13.0"
        assert st.component_version("diagnostics") == "4301A40"
        sources = {e.get("source") for e in sim.events.records(device="idrac-1")
                   if e["event"] == "job_created"}
        assert sources == {SOURCE[expected]}, sources
        reboots = [e for e in sim.events.records(device="idrac-1")
                   if e["event"] in ("host_restart", "host_reset", "power_cycle")]
        assert len(reboots) <= 1, reboots  # the one host reboot of the plan, not one per job
        for url in re.findall(r"https?://127\.0\.0\.1:\d+/\S*", r.err + r.out):
            assert "/…/" in url, url  # the file server's per-run tokens never shown


def test_https_pull_from_the_file_server_on_idrac9_5(tmp_path: Path) -> None:
    """iDRAC9 5.x lists HTTPS for SimpleUpdate: a file server with a certificate is pulled
    from over HTTPS (TransferProtocol HTTPS)."""
    import os

    from fwupdate.fileserver import FileServer
    from fwupdate.fleet.loader import load_fleet
    from fwupdate.idrac.facade import IdracFacade
    from fwupdate.idrac.timing import Timing

    repo = build_repo(tmp_path / "repo", r640_components(bios="2.13.0"))
    exe = next(p for p in (tmp_path / "repo").rglob("*.EXE") if "X159" in p.name)
    del repo
    spec = FleetSpec(standalone=(
        NodeSpec("node-1", DeviceSpec("idrac-1", "idrac", "r640-idrac9-5.10", {})),))
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=TIME_SCALE) as sim:
        issued = sim.ctx.ca.issue("127.0.0.1")
        cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
        cert.write_bytes(issued.cert_pem)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(issued.key_pem)
        node = next(iter(load_fleet(sim.write_fleet_file(tmp_path / "f.toml")).nodes()))
        files = FileServer("127.0.0.1", certfile=cert, keyfile=key)
        files.start()
        try:
            with IdracFacade.for_endpoint(node.idrac, name="node-1",
                                          timing=Timing(scale=TIME_SCALE)) as idrac:
                job = idrac.install_image(exe, fileserver=files, transfer="pull")
                # Scheduled: the simulated iDRAC downloaded and checked the package; the pull is
                # real HTTPS, so wait 10 s of real time (20,000 device s at scale 2,000)
                final = idrac.wait_job(job, stop_on=("Scheduled",), timeout=20000)
                assert final is not None and final.state == "Scheduled"
        finally:
            files.stop()
        created = [e for e in sim.events.records(device="idrac-1") if e["event"] == "job_created"]
        assert [e.get("source") for e in created] == ["redfish-pull"]
        assert str(created[0].get("uri", "")).startswith("https://127.0.0.1:")
