"""A rehearsal with the real fleet's files: a bare iDRAC image and a Kemp patch the simulator
cannot read.  The rehearsal vouches for them by SHA-256 with the versions the plan gives them
(`stand_ins`); without that the simulated devices refuse them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import requests

from fwupdate.catalog.loader import load_catalog
from fwupdate.demo.scenario import BUNDLE, SAMPLE_CATALOG, fleet_spec
from fwupdate.dup.repo import build_repository, default_payload
from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, SimulatedFleet

pytestmark = pytest.mark.integration


def _real_like_repository(tmp: Path) -> tuple[Path, Path]:
    """The sample repository whose iDRAC DUP carries an image without the simulator's header,
    and a LoadMaster patch in no format the simulator knows (named like Kemp's)."""
    catalog = load_catalog(str(SAMPLE_CATALOG), system_id="04F7", use_cache=False)

    def payload(c):  # type: ignore[no-untyped-def]
        p = default_payload(c, size=4096)
        return {k: (os.urandom(4096) if k.endswith(".d7") else v) for k, v in p.items()}

    repo = build_repository(tmp / "repository",
                            [c for c in catalog.components if "04F7" in c.system_ids],
                            payload_factory=payload)
    patch = tmp / "LoadMaster-7.2.48.4-BARE-METAL.bin"
    patch.write_bytes(b"KEMP bare-metal image, not the simulator format\n" + bytes(2048))
    return Path(repo.catalog), patch


def test_rehearse_with_unreadable_real_files(cli, tmp_path: Path) -> None:
    catalog, patch = _real_like_repository(tmp_path)
    inv, plan = tmp_path / "inventory.json", tmp_path / "plan.json"
    with SimulatedFleet(fleet_spec(("pair-2",)), workdir=tmp_path / "real",
                        time_scale=1000.0) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        assert cli("inventory", str(fleet), "--out", str(inv), "--format", "json").code == 0
    r = cli("plan", str(fleet), "--inventory", str(inv), "--catalog", str(catalog), "--bundle",
            str(BUNDLE), "--lm-image", str(patch), "--format", "json", "--out", str(plan),
            "--allow-unsigned")  # synthetic packages, unsigned (the bundle says require)
    assert r.code == 0, r
    assert '"payload": "payload/firmimg.d7"' in plan.read_text()  # 2.50: the bare image
    r = cli("rehearse", str(plan), "--inventory", str(inv), "--time-scale", "1000",
            "--repo", str(catalog.parent), "--lm-image", str(patch),
            "--out", str(tmp_path / "reh"), "--quiet")
    assert r.code == 0, r
    assert "pair-2: outcome: OK: done" in r.out


def test_simulator_refuses_unreadable_files_it_was_not_told_about(tmp_path: Path) -> None:
    image = os.urandom(4096)
    known = {hashlib.sha256(image).hexdigest(): "2.70.70.70"}
    spec = FleetSpec(standalone=(
        NodeSpec("n1", DeviceSpec("n1-idrac", "idrac", "r320-idrac7-2.65")),
        NodeSpec("n2", DeviceSpec("n2-idrac", "idrac", "r320-idrac7-2.65",
                                  {"known_images": known})),
    ))
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=1000.0) as sim:
        codes = []
        for name in ("n1-idrac", "n2-idrac"):
            dev = sim.device(name)
            s = requests.Session()
            s.trust_env = False
            s.verify = str(sim.ca_bundle)
            s.auth = ("root", "calvin")
            inv = f"{dev.url}/redfish/v1/UpdateService/FirmwareInventory"
            etag = s.get(inv, timeout=10).headers["ETag"]
            r = s.post(inv, files={"file": ("firmimg.d7", image, "multipart/form-data")},
                       headers={"If-Match": etag}, timeout=10)
            codes.append((r.status_code, r.headers.get("Location", "").rsplit("/", 1)[-1]))
    assert codes == [(400, ""), (201, "Available-25227-2.70.70.70")]
