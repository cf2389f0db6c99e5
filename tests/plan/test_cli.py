"""`fwupdate compliance` and `fwupdate plan` end to end from files (no device is contacted)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import plan_factories as pf
import pytest

from fwupdate.dup.repo import write_catalog
from fwupdate.plan import planfile


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    """The shared site plus a DUP file per catalog component and a LoadMaster patch."""
    site = pf.write_site(tmp_path)
    for c in pf.r320_catalog().components:
        (site["repo"] / c.file_name).write_bytes(b"dup")
    image = tmp_path / "7.1-Patch28b-BARE-METAL.bin"
    image.write_bytes(b"KEMP-LM-PATCH 7.1-Patch28b BARE-METAL\n" + b"\0" * 256)
    site["image"] = image
    return site


def _common(site: dict[str, Path]) -> list[str]:
    return [str(site["fleet"]), "--catalog", str(site["repo"]), "--inventory",
            str(site["inventory"])]


def test_compliance_table(cli, site) -> None:
    r = cli("compliance", *_common(site), "--bundle", str(site["bundle"]),
            "--lm-image", str(site["image"]))
    assert r.code == 0, r
    assert "Compliance" in r.out and "Nodes" in r.out
    assert "fleet: critical" in r.out
    assert "not in catalog" in r.out and "excluded" in r.out


def test_compliance_json(cli, site) -> None:
    r = cli("compliance", *_common(site), "--format", "json", "--lm-image", str(site["image"]))
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["status"] == "critical"
    nodes = {n["node"]: n for n in doc["nodes"]}
    assert nodes["solo"]["pair"] is None and nodes["p1-a"]["pair"] == "p1"
    comps = {c["component"]: c for c in nodes["p1-b"]["components"]}
    idrac = comps["Integrated Dell Remote Access Controller"]
    assert idrac["current"] == "1.57.57" and idrac["target"] == "2.65.65.65"
    assert idrac["action"] == "upgrade" and idrac["match"] == "component-id"
    assert comps["LoadMaster"]["target"] == "7.1-Patch28b"
    assert nodes["p1-a"]["loadmaster"]["ha_role"] == "active"
    assert doc["catalog"]["sha256"]


def test_compliance_csv(cli, site) -> None:
    r = cli("compliance", *_common(site), "--format", "csv", "--only", "bios")
    assert r.code == 0, r
    rows = list(csv.DictReader(io.StringIO(r.out)))
    bios = [x for x in rows if x["component"] == "BIOS"]
    assert len(bios) == 3 and all(x["action"] == "upgrade" for x in bios)
    assert {x["node_status"] for x in rows} == {"critical"}
    others = [x for x in rows if x["component"] == "PERC H310 Mini"]
    assert others[0]["action"] == "excluded"


def test_compliance_partial_when_a_node_is_unreadable(cli, site) -> None:
    doc = json.loads(site["inventory"].read_text())
    doc["nodes"][2]["errors"] = ["connection refused"]
    site["inventory"].write_text(json.dumps(doc))
    r = cli("compliance", *_common(site), "--format", "json")
    assert r.code == 3, r
    assert "solo: connection refused" in r.err


def test_plan_table_explain_and_out(cli, site) -> None:
    out = site["tmp"] / "plan.json"
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]), "--lm-image",
            str(site["image"]), "--skip", "node:solo", "--explain", "--window", "21:00-05:30",
            "--out", str(out), "--created-at", "2025-01-01T00:00:00+00:00")
    assert r.code == 0, r
    assert "Plan" in r.out and "Totals" in r.out
    assert "N2: iDRAC/LC first" in r.out  # --explain prints the rule texts
    assert "window 21:00-05:30: fits" in r.out
    assert "makespan at concurrency 8" in r.out
    plan = planfile.loads(out.read_text())
    assert plan.groups[0].order == ("p1-b", "p1-a")
    hops = [s.to_version for s in plan.node_steps("p1-b") if s.kind.value == "idrac_update"]
    assert hops == ["1.66.65", "2.10.10.10", "2.65.65.65"]
    assert plan.inputs.bundle_sha256 and plan.inputs.lm_image_version == "7.1-Patch28b"
    assert plan.inputs.inventory_source == str(site["inventory"])
    assert "solo: not planned" in r.err


def test_plan_json_is_deterministic(cli, site) -> None:
    args = ("plan", *_common(site), "--bundle", str(site["bundle"]), "--format", "json",
            "--allow-standalone", "--created-at", "2025-01-01T00:00:00+00:00")
    a, b = cli(*args), cli(*args)
    assert a.code == 0, a
    assert a.out == b.out
    doc = json.loads(a.out)
    assert doc["schema"] == "fwupdate-plan" and doc["schema_version"] == 1
    assert planfile.from_dict(doc).totals.steps == doc["totals"]["steps"]


def test_plan_refuses_standalone_without_flag(cli, site) -> None:
    # solo is at 2.65.65.65 but its BIOS needs the host reboot: an outage.
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]))
    assert r.code == 2
    assert "solo" in r.err and "--allow-standalone" in r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err


def test_plan_missing_dup(cli, site) -> None:
    (site["repo"] / "BIOS_4WMFT_WN64_2.9.0.EXE").unlink()
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]), "--allow-standalone")
    assert r.code == 2
    assert "missing DUP" in r.err and "BIOS_4WMFT_WN64_2.9.0.EXE" in r.err


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\0" * 64, "7.1-Patch28b-BARE-METAL.bin", "Windows executable"),
        (b"\0" * 64, "LoadMaster-7.2.54.10.ova", "virtual appliance"),
        (b"KEMP-LM-PATCH 7.1-Patch28b VMWARE\n", "patch.bin", "VMWARE"),
        (b"\0" * 64, "notes.bin", "no version"),
    ],
)
def test_plan_refuses_a_loadmaster_image_that_is_not_a_patch(cli, site, content, name,
                                                              message) -> None:
    img = site["tmp"] / name
    img.write_bytes(content)
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]), "--lm-image", str(img))
    assert r.code == 2
    assert message in r.err and "not a LoadMaster patch" in r.err


def test_plan_contradictory_bundle(cli, site) -> None:
    text = site["bundle"].read_text().replace('include = []', 'include = ["psu"]')
    site["bundle"].write_text(text)
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]))
    assert r.code == 2 and "contradictory" in r.err


def test_plan_unknown_model(cli, site) -> None:
    doc = json.loads(site["inventory"].read_text())
    doc["nodes"][0]["system"]["model"] = "PowerEdge R999"
    site["inventory"].write_text(json.dumps(doc))
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]), "--allow-standalone")
    assert r.code == 2 and "R999" in r.err


def test_plan_catalog_without_the_system(cli, site) -> None:
    write_catalog(site["repo"] / "Catalog.xml",
                  [c for c in pf.r320_catalog().components if not c.supports_system("04F7")],
                  bundle_system_ids=("04CE",))
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]), "--allow-standalone")
    assert r.code == 2 and "04F7" in r.err


def test_plan_bad_selector_and_node(cli, site) -> None:
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]), "--only", "gpu")
    assert r.code == 2 and "unknown component family" in r.err
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]), "--skip", "node:nope")
    assert r.code == 2 and "node:nope" in r.err


def test_plan_bad_window(cli, site) -> None:
    r = cli("plan", *_common(site), "--bundle", str(site["bundle"]), "--allow-standalone",
            "--window", "9pm-5am")
    assert r.code == 2 and "HH:MM" in r.err


def test_plan_json_with_out_prints_nothing_and_writes_what_json_prints(cli, site) -> None:
    out = site["tmp"] / "plan.json"
    args = ("plan", *_common(site), "--bundle", str(site["bundle"]), "--format", "json",
            "--allow-standalone", "--created-at", "2025-01-01T00:00:00+00:00")
    printed = cli(*args)
    written = cli(*args, "--out", str(out))
    assert written.code == 0, written
    assert written.out == ""
    assert json.loads(out.read_text()) == json.loads(printed.out)
