"""`fwupdate sim serve`: a real subprocess (fleet + describe files, SIGTERM -> exit 0), in-process
runs with a spec file, and the option errors that must stop it before anything starts."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import requests

from fwupdate.cli import sim_spec
from fwupdate.errors import ConfigError


def _get(url: str, ca: str, auth: tuple[str, str]) -> requests.Response:
    s = requests.Session()
    s.trust_env = False
    return s.get(url, verify=ca, auth=auth, timeout=10)


def test_serve_subprocess_writes_files_and_stops_on_sigterm(tmp_path: Path) -> None:
    fleet_file, describe = tmp_path / "out" / "fleet.toml", tmp_path / "out" / "sim.json"
    state_dir, events = tmp_path / "state", tmp_path / "events.jsonl"
    args = "sim serve --idracs 2 --profile r320-idrac7-2.65 --profile r640-idrac9-4.40"
    args += " --time-scale 1000 --fault idrac-1:busy=1"
    paths = {"--fleet-out": fleet_file, "--describe": describe, "--workdir": tmp_path / "work",
             "--state-dir": state_dir, "--event-log": events}  # fmt: skip
    argv = [sys.executable, "-m", "fwupdate", *args.split()]
    argv += [x for k, v in paths.items() for x in (k, str(v))]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not describe.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "simulator did not start"
            time.sleep(0.05)
        desc = json.loads(describe.read_text())
        assert stat.S_IMODE(describe.stat().st_mode) == 0o600
        devs = {d["name"]: d for d in desc["devices"]}
        assert {n: d["profile"] for n, d in devs.items()} == {
            "idrac-1": "r320-idrac7-2.65",
            "idrac-2": "r640-idrac9-4.40",
        }
        ca, auth = desc["ca_bundle"], ("root", "calvin")
        url = devs["idrac-1"]["url"] + "/redfish/v1/Managers/iDRAC.Embedded.1"
        assert _get(url, ca, auth).status_code == 503  # --fault idrac-1:busy=1
        assert _get(url, ca, auth).json()["Model"] == "12G Monolithic"
        fleet = tomllib.loads(fleet_file.read_text())
        assert [n["idrac"] for n in fleet["nodes"]] == [
            devs["idrac-1"]["url"],
            devs["idrac-2"]["url"],
        ]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("idrac-1") and "r640-idrac9-4.40" in lines[1]
    assert "simulator stopped" in err
    saved = json.loads((state_dir / "idrac-1.json").read_text())
    assert saved["components"]["idrac"]["version"] == "2.65.65.65"
    assert any(json.loads(ln)["event"] == "busy_answer" for ln in events.read_text().splitlines())


def test_serve_in_process_with_spec_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "nodes.toml"
    spec.write_text(
        '[[nodes]]\nname = "lab"\nidrac = { name = "lab-idrac", profile = "r320-idrac7-2.50" }\n'
    )
    pw = tmp_path / "pw"
    pw.write_text("s3cret-pass\n")
    os.chmod(pw, 0o600)
    describe = tmp_path / "d.json"
    res = cli(
        *["sim", "serve", "--duration", "0.2", "--set", "lab-idrac:bios=2.1.0"],
        *("--spec", str(spec), "--password-file", str(pw), "--describe", str(describe)),
    )
    assert res.code == 0, res
    assert res.out.startswith("lab-idrac") and "r320-idrac7-2.50" in res.out
    (dev,) = json.loads(describe.read_text())["devices"]
    assert dev["password"] == "s3cret-pass"
    assert "s3cret-pass" not in res.out + res.err


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--idracs", "1", "--fault", "idrac-1:explode"],
        ["--idracs", "1", "--fault", "idrac-9:busy=1"],
        ["--idracs", "1", "--profile", "r999"],
        ["--idracs", "1", "--set", "idrac-7:bios=1"],
        ["--idracs", "1", "--set", "idrac-1:nonsense=1"],
        ["--idracs", "1", "--spec", "x.toml"],
        ["--idracs", "1", "--time-scale", "0"],
    ],
)
def test_serve_refuses_bad_options(cli, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    res = cli("sim", "serve", "--duration", "0.1", *args)
    assert res.code == 2, res
    assert res.err.startswith("fwupdate: error:") and "Traceback" not in res.err


def test_password_file_must_be_private(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pw = tmp_path / "pw"
    pw.write_text("idrac=abc123\nloadmaster=def456\n")
    os.chmod(pw, 0o644)
    res = cli("sim", "serve", "--idracs", "1", "--password-file", str(pw), "--duration", "0.1")
    assert res.code == 2 and "chmod 600" in res.err
    os.chmod(pw, 0o600)
    creds = sim_spec.read_password_file(pw)
    assert (creds.idrac_password, creds.lm_password) == ("abc123", "def456")


def test_spec_naming_and_file_errors(tmp_path: Path) -> None:
    spec = sim_spec.spec_from_counts(idracs=1, pairs=1, with_loadmasters=True)
    names = [
        (n.name, n.idrac.name, n.loadmaster.name if n.loadmaster else None) for n in spec.nodes()
    ]
    assert names == [
        ("node-1", "idrac-1", "lm-1"),
        ("node-2", "idrac-2", "lm-2"),
        ("node-3", "idrac-3", None),
    ]
    assert [p.name for p in spec.pairs] == ["pair-1"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[pairs]]\nname = "p"\n[[pairs.nodes]]\nname = "a"\n')
    with pytest.raises(ConfigError, match="exactly two nodes"):
        sim_spec.spec_from_file(bad)
    bad.write_text('[[nodes]]\nname = "a"\n[[nodes]]\nname = "a"\n')
    with pytest.raises(ConfigError, match="duplicate"):
        sim_spec.spec_from_file(bad)


def test_set_values_keep_versions_as_text() -> None:
    spec = sim_spec.spec_from_counts(idracs=1, pairs=0)
    spec = sim_spec.apply_settings(
        spec, ["idrac-1:bios=2.10", 'idrac-1:timings={"post_seconds": 30}', "idrac-1:power=Off"]
    )
    opts = spec.standalone[0].idrac.options
    assert opts == {"bios": "2.10", "timings": {"post_seconds": 30}, "power": "Off"}
