"""`fwupdate inventory` options and exit codes (ad-hoc form against a mocked iDRAC)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import BASE, PASSWORD, FakeIdrac

Make = Callable[..., tuple[FakeIdrac, Any]]


@pytest.fixture
def pw_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FW_IDRAC_PW", PASSWORD)
    return "FW_IDRAC_PW"


def test_adhoc_json(make_idrac: Make, cli: Any, pw_env: str, tmp_path: Path) -> None:
    fake, _ = make_idrac("12G")
    out = tmp_path / "inv.json"
    r = cli(
        "inventory",
        "--idrac",
        BASE,
        "--user",
        "root",
        "--password-env",
        pw_env,
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert r.code == 0, r
    doc = json.loads(r.out)
    (node,) = doc["nodes"]
    assert node["name"] == "idrac.test"
    assert node["idrac"]["generation"] == "iDRAC7"
    assert node["idrac"]["address"] == BASE
    assert node["system"]["service_tag"] == "G2XBKY1"
    assert node["errors"] == [] and node["insecure"] is False
    assert json.loads(out.read_text()) == doc
    assert PASSWORD not in r.out + r.err
    assert r.err == ""
    assert fake.count("POST", "/redfish/v1/Sessions") == 0  # read-only: basic auth


def test_adhoc_table_and_csv(make_idrac: Make, cli: Any, pw_env: str) -> None:
    make_idrac("12G")
    r = cli("inventory", "--idrac", BASE, "--password-env", pw_env)
    assert r.code == 0 and "iDRAC7" in r.out and "2.65.65.65" in r.out
    r = cli("inventory", "--idrac", BASE, "--password-env", pw_env, "-f", "csv")
    lines = r.out.splitlines()
    assert lines[0].startswith("node,pair,generation,idrac_version")
    assert len(lines) == 1 + 4 and "Installed-159-2.4.2" in r.out


def test_adhoc_failure_is_exit_1_with_entry(
    make_idrac: Make, cli: Any, pw_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake, _ = make_idrac("12G")
    monkeypatch.setenv(pw_env, "wrong-password-x")
    r = cli(
        "inventory", "--idrac", BASE, "--password-env", pw_env, "-f", "json", "--time-scale", "1000"
    )
    assert r.code == 1
    (node,) = json.loads(r.out)["nodes"]
    assert node["errors"] and "refused the credentials" in node["errors"][0]
    assert node["idrac"]["address"] == BASE
    assert "fwupdate: idrac.test:" in r.err and "wrong-password-x" not in r.err


def test_insecure_is_reported(make_idrac: Make, cli: Any, pw_env: str) -> None:
    make_idrac("12G")
    r = cli("inventory", "--idrac", BASE, "--password-env", pw_env, "--insecure", "-f", "json")
    assert r.code == 0
    assert "warning: TLS certificate verification is OFF for 1 iDRAC(s)" in r.err
    assert json.loads(r.out)["nodes"][0]["insecure"] is True


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((), "give a fleet file, or --idrac"),
        (("--idrac", BASE), "exactly one of --password-env or --password-file"),
        (("--idrac", "http://x", "--password-env", "P"), "is plain http"),
        (("fleet.toml", "--idrac", BASE), "not both"),
        (
            ("--idrac", BASE, "--password-env", "P", "--fingerprint", "ab" * 32, "--insecure"),
            "only one of --ca-bundle, --fingerprint, --insecure",
        ),
        (("--idrac", BASE, "--password-env", "P", "--fingerprint", "xyz"), "SHA-256"),
    ],
)
def test_bad_usage_is_exit_2(cli: Any, args: tuple[str, ...], fragment: str) -> None:
    r = cli("inventory", *args)
    assert r.code == 2
    assert fragment in r.err and r.err.count("\n") == 1


def test_no_password_option_exists(cli: Any) -> None:
    r = cli("inventory", "--idrac", BASE, "--password", "calvin")
    assert r.code == 2 and "No such option" in r.err


def test_fleet_with_one_unreachable_node_is_partial(
    make_idrac: Make, cli: Any, tmp_path: Path, pw_env: str
) -> None:
    make_idrac("12G")  # only idrac.test answers; idrac2.test refuses connections
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        f"""
[defaults.idrac]
username = "root"
password_env = "{pw_env}"

[[pairs]]
name = "p1"
[[pairs.nodes]]
name = "a"
idrac = "{BASE}"
[[pairs.nodes]]
name = "b"
idrac = "https://idrac2.test"
"""
    )
    r = cli("inventory", str(fleet), "-f", "json", "--time-scale", "1000")
    assert r.code == 3, r
    a, b = json.loads(r.out)["nodes"]
    assert (a["name"], a["pair"], a["errors"]) == ("a", "p1", [])
    assert b["name"] == "b" and b["pair"] == "p1"
    assert b["idrac"]["address"] == "https://idrac2.test"
    assert "cannot talk to the iDRAC" in b["errors"][0]
    assert "fwupdate: b: idrac2.test: service root: cannot talk" in r.err
    r = cli("inventory", str(fleet), "--node", "a", "-f", "json")
    assert r.code == 0 and [n["name"] for n in json.loads(r.out)["nodes"]] == ["a"]
    r = cli("inventory", str(fleet), "--node", "zz")
    assert r.code == 2 and "no node named zz" in r.err
