"""The operator walkthrough, from the CLI, against a simulated R320 over real HTTPS:
iDRAC7 1.57.57 -> 1.66.65 -> 2.10.10.10 -> 2.65.65.65 with images extracted from DUPs, a direct
jump refused with RED007, then inventory over Redfish (docs/walkthrough-idrac7-bootstrap.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

NODE = "lb-1"


def _lc_checks(node: Any) -> int:
    return sum(
        1 for e in node.events("wsman") if e.get("method") == "GetRemoteServicesAPIStatus"
    )


def test_bootstrap_walkthrough_from_the_cli(
    cli: Any,
    make_node: Callable[[str], Any],
    idrac_dups: dict[str, Path],
    scale_args: list[str],
) -> None:
    node = make_node("r320-idrac7-1.57")
    fleet = str(node.fleet_file)

    # 0. Before anything: an iDRAC7 1.57.57 has no Redfish; inventory works over WS-Man.
    r = cli("inventory", fleet, "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)["nodes"][0]
    assert doc["idrac"]["firmware_version"] == "1.57.57"
    assert doc["idrac"]["generation"] == "iDRAC7" and doc["idrac"]["redfish_version"] is None
    assert doc["system"]["model"] == "PowerEdge R320"
    assert any(c["id"] == "Installed-25227-1.57.57" for c in doc["components"])

    r = cli("idrac", "lc-status", fleet, NODE, "--format", "json")
    assert r.code == 0, r
    st = json.loads(r.out)["nodes"][0]
    assert st["ready"] is True and st["transport"] == "wsman" and st["message_id"] == "LC061"

    # 1. Jumping past the stepping stones is refused by fwupdate before anything is sent:
    #    one line naming the next stone, exit 2 (issue 11 defect 10).
    r = cli("idrac", "update-self", fleet, NODE, "--image", str(idrac_dups["2.65.65.65"]),
            *scale_args)
    assert r.code == 2, r
    line = r.err.strip().splitlines()[-1]
    assert line.startswith(f"fwupdate: error: {NODE}")
    assert "1.57.57 -> 2.65.65.65 skips stepping stone 1.66.65" in line
    assert "install 1.66.65 first" in line and "--allow-stone-skip" in line
    assert node.events("upload") == [] and node.device.state.firmware_version == "1.57.57"

    #    With the explicit override the image is sent, and the (simulated) iDRAC refuses it:
    #    one line, exit 1 (real hardware may brick instead).
    r = cli("idrac", "update-self", fleet, NODE, "--image", str(idrac_dups["2.65.65.65"]),
            "--allow-stone-skip", *scale_args)
    assert r.code == 1, r
    assert "skips stepping stone 1.66.65" in r.err  # the override is loud
    line = r.err.strip().splitlines()[-1]
    assert line.startswith(f"fwupdate: error: {NODE} (127.0.0.1:")
    assert "iDRAC update 1.57.57 -> 2.65.65.65" in line
    assert line.endswith("Unable to verify Update Package signature. [RED007]")
    assert line.count("RED007") == 1
    assert node.device.state.firmware_version == "1.57.57"

    # 2. The stepping stones, each from a DUP (the .BIN one too): the bare firmimg.d7 goes in.
    for before, version in (
        ("1.57.57", "1.66.65"),
        ("1.66.65", "2.10.10.10"),
        ("2.10.10.10", "2.65.65.65"),
    ):
        lc_before = _lc_checks(node)
        r = cli("idrac", "update-self", fleet, NODE, "--image", str(idrac_dups[version]),
                "--format", "json", *scale_args)
        assert r.code == 0, r
        res = json.loads(r.out)
        assert (res["from_version"], res["to_version"]) == (before, version)
        assert res["transport"] == "wsman" and res["job_id"].startswith("JID_")
        assert res["image"].startswith("firmimg.d7 from iDRAC-with-Lifecycle-Controller")
        assert res["lc_before"].startswith("Status=0 LCStatus=0")
        assert res["lc_after"].startswith("Status=0 LCStatus=0")
        assert _lc_checks(node) >= lc_before + 2  # LC readiness asked before and after
        assert node.device.state.firmware_version == version
        assert f"iDRAC back, running {version}" in r.err
    assert res["redfish_update"] is True  # 2.65.65.65 offers the Redfish update service

    # What the iDRAC fetched was the bare image, from fwupdate's file server.
    uploads = node.events("upload")
    assert [u["filename"] for u in uploads] == ["firmimg.d7"] * 4
    assert [u["kind"] for u in uploads] == ["image"] * 4
    assert [u["version"] for u in uploads] == ["2.65.65.65", "1.66.65", "2.10.10.10",
                                               "2.65.65.65"]

    # 3. The same step again is a no-op.
    r = cli("idrac", "update-self", fleet, NODE, "--image", str(idrac_dups["2.65.65.65"]),
            "--format", "json", *scale_args)
    assert r.code == 0, r
    assert json.loads(r.out)["job_id"] is None

    # 4. Inventory now goes over Redfish and shows 2.65.65.65.
    r = cli("inventory", fleet, "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)["nodes"][0]
    assert doc["idrac"]["firmware_version"] == "2.65.65.65"
    assert doc["idrac"]["redfish_version"]  # read from the Redfish service root
    assert any(c["id"] == "Installed-25227-2.65.65.65" for c in doc["components"])
    assert not doc["errors"]


def test_2_50_bootstraps_over_wsman_then_has_redfish_update(
    cli: Any,
    make_node: Callable[[str], Any],
    idrac_dups: dict[str, Path],
    scale_args: list[str],
) -> None:
    node = make_node("r320-idrac7-2.50")
    fleet = str(node.fleet_file)
    # Redfish answers on 2.50 but cannot update: the facade installs over WS-Man.
    r = cli("idrac", "update-self", fleet, NODE, "--image", str(idrac_dups["2.65.65.65"]),
            "--format", "json", *scale_args)
    assert r.code == 0, r
    res = json.loads(r.out)
    assert (res["from_version"], res["to_version"], res["transport"]) == (
        "2.50.50.50", "2.65.65.65", "wsman")
    assert res["redfish_update"] is True
    # Forcing Redfish on a Redfish-less iDRAC is a clear refusal.
    other = make_node("r320-idrac7-1.57")
    r = cli("idrac", "update-self", str(other.fleet_file), NODE, "--image",
            str(idrac_dups["1.66.65"]), "--transport", "redfish", *scale_args)
    assert r.code == 1
    assert "Redfish was asked for but this iDRAC has none" in r.err


def test_1_66_may_go_to_2_20_directly(
    cli: Any,
    make_node: Callable[[str], Any],
    idrac_dups: dict[str, Path],
    scale_args: list[str],
) -> None:
    node = make_node("r320-idrac7-1.57")
    fleet = str(node.fleet_file)
    # 1.57.57 -> 2.20.20.20 skips 1.66.65: refused before anything is sent.
    r = cli("idrac", "update-self", fleet, NODE, "--image", str(idrac_dups["2.20.20.20"]),
            *scale_args)
    assert r.code == 2 and "skips stepping stone 1.66.65" in r.err, r
    assert node.events("upload") == []
    for version in ("1.66.65", "2.20.20.20"):  # the path the real R320 took
        r = cli("idrac", "update-self", fleet, NODE, "--image", str(idrac_dups[version]),
                *scale_args)
        assert r.code == 0, r
    assert node.device.state.firmware_version == "2.20.20.20"


def test_queue_must_be_empty_and_clear_jobs(
    cli: Any,
    make_node: Callable[[str], Any],
    idrac_dups: dict[str, Path],
    scale_args: list[str],
) -> None:
    node = make_node("r320-idrac7-1.57")
    fleet = str(node.fleet_file)
    rid = node.wsman().create_reboot_job(2)  # an unfinished (Reboot Pending) job
    r = cli("idrac", "update-self", fleet, NODE, "--image", str(idrac_dups["1.66.65"]),
            *scale_args)
    assert r.code == 1
    assert f"1 unfinished job(s) in the queue: {rid} (RebootPending)" in r.err
    assert "fwupdate idrac clear-jobs" in r.err

    r = cli("idrac", "clear-jobs", fleet, NODE, *scale_args)
    assert r.code == 0, r
    assert f"{NODE}: cleared 1 job(s)" in r.out and rid in r.err
    assert node.wsman().jobs() == ()
    assert node.events("job_queue_cleared")[-1]["jobs"] == [rid]

    # --clear-queue does it as part of the step.
    node.wsman().create_reboot_job(2)
    r = cli("idrac", "update-self", fleet, NODE, "--image", str(idrac_dups["1.66.65"]),
            "--clear-queue", *scale_args)
    assert r.code == 0, r
    assert "clearing 1 unfinished job(s)" in r.err
    assert node.device.state.firmware_version == "1.66.65"


def test_wrong_credentials_and_unreachable_image_url(
    cli: Any,
    make_node: Callable[[str], Any],
    idrac_dups: dict[str, Path],
    scale_args: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node = make_node("r320-idrac7-1.57")
    monkeypatch.setenv("WRONG_PW", "not-calvin")
    r = cli("idrac", "lc-status", "--idrac", node.url, "--password-env", "WRONG_PW",
            "--ca-bundle", str(node.sim.ca_bundle))
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("fwupdate: error: 127.0.0.1:")
    assert "WS-Man identify: the iDRAC refused the credentials (HTTP 401)" in lines[0]
    assert "not-calvin" not in r.err

    # The iDRAC cannot reach the advertised address: the job fails with RED006.
    r = cli("idrac", "update-self", str(node.fleet_file), NODE, "--image",
            str(idrac_dups["1.66.65"]), "--advertise", "127.0.0.2", *scale_args)
    assert r.code == 1, r
    line = r.err.strip().splitlines()[-1]
    assert f"{NODE} (127.0.0.1:" in line and "iDRAC update 1.57.57 -> 1.66.65" in line
    assert line.endswith("[RED006]")
    assert node.device.state.firmware_version == "1.57.57"


def test_bad_images_are_bad_input(
    cli: Any, make_node: Callable[[str], Any], tmp_path: Path, scale_args: list[str]
) -> None:
    node = make_node("r320-idrac7-1.57")
    junk = tmp_path / "junk.exe"
    junk.write_bytes(b"hello")
    r = cli("idrac", "update-self", str(node.fleet_file), NODE, "--image", str(junk),
            *scale_args)
    assert r.code == 2 and "not a DUP" in r.err
    r = cli("idrac", "update-self", str(node.fleet_file), NODE, *scale_args)
    assert r.code == 2 and "--image FILE is required" in r.err
    r = cli("idrac", "update-self", str(node.fleet_file), "nope", "--image", str(junk))
    assert r.code == 2 and "no node named 'nope'" in r.err
