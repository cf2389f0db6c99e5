"""Property-based fuzz through the CLI (issue 15) of the fleet file, the plan file and the
LoadMaster image: exit 0 or 2, one stderr line on error, no traceback, no secret echoed,
nothing written where it should not be, no hang (each test is time-bounded)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import plan_factories as pf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fwupdate.plan import planfile

SECRET = "Sup3rS3cretPw"
FUZZ = settings(max_examples=20, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_SITES: dict[str, dict[str, Path]] = {}


def _site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if "site" not in _SITES:
        site = pf.write_site(tmp_path_factory.mktemp("site"))
        for c in pf.r320_catalog().components:
            (site["repo"] / c.file_name).write_bytes(b"dup")
        _SITES["site"] = site
    return _SITES["site"]


def _compliance(site: dict[str, Path], fleet: Path, *extra: str) -> list[str]:
    return ["compliance", str(fleet), "--catalog", str(site["repo"]), "--inventory",
            str(site["inventory"]), "--format", "json", *extra]


# --- fleet files ----------------------------------------------------------------------------

URLS = [
    f"https://root:{SECRET}@127.0.0.1:9001", f"ftp://root:{SECRET}@127.0.0.1",
    f"http://u:{SECRET}@h", f"https://127.0.0.1:9001/?password={SECRET}",
    f"https://127.0.0.1:9001/x?token={SECRET}", f"https://127.0.0.1:{SECRET}",
    f"https://[::1/?access_token={SECRET}", f"https://127.0.0.1:9001#{SECRET}",
    f"root:{SECRET}@127.0.0.1", "https://127.0.0.1:9001",
]
JUNK = ["a = [" * 500, "[[pairs]]", "name = 1", "\x00", "[defaults.idrac]\ninsecure = true",
        'password_file = "/dev/zero"', "idrac = { url = 1 }", "= =", '"\\u0000" = 1']


@pytest.mark.timeout(90)
@FUZZ
@given(url=st.sampled_from(URLS) | st.text(max_size=30).map(lambda t: t.replace('"', "")),
       line=st.integers(0, 30), junk=st.none() | st.sampled_from(JUNK) | st.text(max_size=20),
       raw=st.none() | st.binary(max_size=64))
def test_any_fleet_file_keeps_the_contract(
    cli, cli_contract, tmp_path_factory, url: str, line: int, junk: str | None,  # type: ignore[no-untyped-def]
    raw: bytes | None,
) -> None:
    site = _site(tmp_path_factory)
    text = pf.SITE_FLEET.replace("https://127.0.0.1:9002", url.replace("\\", ""))
    lines = text.splitlines()
    if junk is not None:
        lines.insert(line % (len(lines) + 1), junk)
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if raw is not None:
        data = data[: line * 7] + raw + data[line * 7 :]
    fleet = site["tmp"] / "fuzz-fleet.toml"
    fleet.write_bytes(data)
    r = cli(*_compliance(site, fleet))
    cli_contract(r, secrets=(SECRET,))


# --- plan files -----------------------------------------------------------------------------


def _plan_text(site: dict[str, Path], cli) -> str:  # type: ignore[no-untyped-def]
    if "plan" not in _SITES:
        out = site["tmp"] / "plan.json"
        r = cli("plan", str(site["fleet"]), "--catalog", str(site["repo"]), "--inventory",
                str(site["inventory"]), "--bundle", str(site["bundle"]), "--out", str(out),
                "--allow-standalone",
                "--format", "json")
        assert r.code in (0, 3), r
        _SITES["plan"] = {"path": out}
    return _SITES["plan"]["path"].read_text(encoding="utf-8")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["../../etc/shadow", "/etc/passwd", "p1/001-precheck", "p1-a"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6),
                                                                      children, max_size=3),
    max_leaves=6,
)


def _edit(doc: Any, path: list[int], value: Any) -> None:
    node = doc
    for step in path:
        if isinstance(node, dict) and node:
            key = sorted(node)[step % len(node)]
            if not isinstance(node[key], (dict, list)) or step % 3 == 0:
                node[key] = value
                return
            node = node[key]
        elif isinstance(node, list) and node:
            i = step % len(node)
            if not isinstance(node[i], (dict, list)) or step % 3 == 0:
                node[i] = value
                return
            node = node[i]
        else:
            return


@pytest.mark.timeout(90)
@FUZZ
@given(path=st.lists(st.integers(0, 50), min_size=1, max_size=6), value=JSON_VALUES,
       rehash=st.booleans(),
       flip=st.none() | st.tuples(st.integers(0, 1 << 16), st.binary(max_size=4)))
def test_any_plan_file_keeps_the_contract(
    cli, cli_contract, snapshot_files, tmp_path_factory, path: list[int], value: Any,  # type: ignore[no-untyped-def]
    rehash: bool, flip: tuple[int, bytes] | None,
) -> None:
    site = _site(tmp_path_factory)
    doc = json.loads(_plan_text(site, cli))
    _edit(doc, path, value)
    if rehash:
        body = {k: v for k, v in doc.items() if k != "content_sha256"}
        doc["content_sha256"] = hashlib.sha256(planfile._canonical(body)).hexdigest()
    data = json.dumps(doc).encode()
    if flip is not None:
        at = flip[0] % len(data)
        data = data[:at] + flip[1] + data[at + len(flip[1]) :]
    work = tmp_path_factory.mktemp("run")
    plan = work / "plan.json"
    plan.write_bytes(data)
    before = snapshot_files(work)
    r = cli("run", str(plan), str(work / "no-fleet.toml"), "--yes",
            "--runs-dir", str(work / "runs"))
    cli_contract(r)
    assert r.code == 2, r  # never runs: either the plan or the missing fleet file is refused
    assert {p for p in snapshot_files(work) - before if p.is_file()} == set()


# --- LoadMaster images ----------------------------------------------------------------------

NAMES = ["7.1-Patch28b-BARE-METAL.bin", "LoadMaster-7.2.54.10.22172-BARE-METAL.bin", "x.bin",
         "7.1-Patch28b-VMWARE.ova", "iDRAC_2.65.EXE", "firmimg.d7", "..bin", "7.1-Patch28b.iso"]
HEADS = [b"KEMP-LM-PATCH 7.1-Patch28b BARE-METAL\n", b"KEMP-LM-PATCH 7.1-Patch28c BARE-METAL\n",
         b"KEMP-LM-PATCH \n", b"MZ", b"PK\x03\x04", b"\x1f\x8b", b"#!/bin/sh\n", b"",
         b"FWUPDATE-SIM-IMAGE idrac7 2.65.65.65\n", b"CD001", b"<?xml version='1.0'?>"]


@pytest.mark.timeout(90)
@FUZZ
@given(name=st.sampled_from(NAMES), head=st.sampled_from(HEADS), body=st.binary(max_size=512))
def test_any_lm_image_keeps_the_contract(
    cli, cli_contract, snapshot_files, tmp_path_factory, name: str, head: bytes, body: bytes  # type: ignore[no-untyped-def]
) -> None:
    site = _site(tmp_path_factory)
    work = tmp_path_factory.mktemp("img")
    image = work / name
    image.write_bytes(head + body)
    before = snapshot_files(work)
    r = cli(*_compliance(site, site["fleet"], "--lm-image", str(image)))
    cli_contract(r)
    assert snapshot_files(work) == before
