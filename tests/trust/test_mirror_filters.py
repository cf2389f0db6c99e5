"""`repo mirror` filters and re-runs: system ids from a saved inventory, a bundle's newest /
pinned / stepping-stone versions (the rest listed with a reason), conditional re-runs
(ETag/Last-Modified kept beside the mirror), resumed partial downloads, and nothing
half-written when a download breaks off."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedDevice, SupportedSystem
from fwupdate.demo.signing import signer
from fwupdate.dup.repo import build_repository
from fwupdate.idrac.inventory_io import dump_inventory
from fwupdate.idrac.models import Generation, IdracIdentity, NodeInventory, SystemIdentity
from fwupdate.plan.mirror_select import select_components
from fwupdate.plan.policy import IdracPolicy, Policy, SteppingStone
from fwupdate.trust import TrustStore
from fwupdate.trust.kit import SigningKit


def bios(version: str, system: str = "04F7") -> SoftwareComponent:
    return SoftwareComponent(
        path=f"BIOS_{system}_WN64_{version}.EXE",
        package_type=PackageType.LW64,
        vendor_version=version,
        name="BIOS",
        component_type="BIOS",
        devices=(SupportedDevice("159", "BIOS"),),
        systems=(SupportedSystem("PE", system, "R320" if system == "04F7" else "R640"),),
    )


def idrac(version: str) -> SoftwareComponent:
    return SoftwareComponent(
        path=f"iDRAC_WN64_{version}.EXE",
        package_type=PackageType.LW64,
        vendor_version=version,
        name="iDRAC with Lifecycle Controller",
        devices=(SupportedDevice("25227", "iDRAC"),),
        systems=(SupportedSystem("PE", "04F7", "R320"),),
    )


COMPONENTS = [bios("2.9.0"), bios("2.8.0"), bios("2.7.0"), bios("2.13.0", system="0716")]


@pytest.fixture
def source(kit: SigningKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FWUPDATE_CACHE_DIR", str(tmp_path / "cache"))
    build_repository(tmp_path / "src", COMPONENTS, bundle_system_ids=("04F7", "0716"),
                     sign=signer(kit))  # fmt: skip
    return tmp_path / "src"


def saved_inventory(path: Path) -> Path:
    node = NodeInventory(
        "lb-a1",
        IdracIdentity("https://10.0.0.1", Generation("iDRAC7"), "2.65.65.65", "12G Monolithic"),
        SystemIdentity("PowerEdge R320", "ABC1234"),
    )
    broken = NodeInventory("lb-a2", errors=("unreachable",))
    return dump_inventory(path, [node, broken])


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {p["path"]: p["status"] for p in doc["packages"]}


def test_saved_inventory_and_bundle_pin(cli, source: Path, store: TrustStore,  # type: ignore[no-untyped-def]
                                        tmp_path: Path) -> None:  # fmt: skip
    inv = saved_inventory(tmp_path / "inventory.json")
    base = ["repo", "mirror", "--catalog", str(source / "Catalog.xml"), "--inventory", str(inv),
            "--format", "json"]  # fmt: skip
    r = cli(*base, "--to", str(tmp_path / "all"))
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["system_ids"] == ["04F7"] and doc["other_systems"] == 1
    assert set(statuses(doc).values()) == {"fetched"} and len(doc["packages"]) == 3
    assert "lb-a2: system id unknown (unreachable)" in r.err
    assert "1 catalog component(s) left out: for none of the system ids 04F7" in r.err
    bundle = tmp_path / "bundle.toml"
    bundle.write_text('schema_version = 1\n[bundle]\nname = "pinned"\n[[target.pins]]\n'
                      'select = "bios"\nversion = "2.8.0"\n')  # fmt: skip
    r = cli(*base, "--to", str(tmp_path / "pinned"), "--bundle", str(bundle))
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert statuses(doc) == {"BIOS_04F7_WN64_2.8.0.EXE": "fetched",
                             "BIOS_04F7_WN64_2.9.0.EXE": "left out",
                             "BIOS_04F7_WN64_2.7.0.EXE": "left out"}  # fmt: skip
    why = {p["path"]: p["reason"] for p in doc["packages"]}
    assert why["BIOS_04F7_WN64_2.9.0.EXE"].startswith("2.9.0: the bundle")
    assert "pins 2.8.0" in why["BIOS_04F7_WN64_2.9.0.EXE"]
    assert not (tmp_path / "pinned" / "BIOS_04F7_WN64_2.9.0.EXE").exists()
    text = (tmp_path / "pinned" / "Catalog.xml").read_text(encoding="utf-8-sig")
    assert "2.8.0.EXE" in text and "2.9.0.EXE" not in text


def test_bundle_keeps_newest_and_stepping_stones() -> None:
    stones = (SteppingStone("iDRAC7", "2.10.10.10", package="stone.d7"),
              SteppingStone("iDRAC7", "1.66.65"))  # fmt: skip
    policy = Policy(name="r320", idrac=IdracPolicy(stepping_stones=stones))
    comps = [idrac("2.65.65.65"), idrac("2.10.10.10"), idrac("2.30.30.30"), *COMPONENTS]
    sel = select_components(comps, ["04F7"], policy)
    assert {c.vendor_version for c in sel.kept} == {"2.65.65.65", "2.10.10.10", "2.9.0"}
    assert {p for p, _ in sel.left_out} == {
        "iDRAC_WN64_2.30.30.30.EXE", "BIOS_04F7_WN64_2.8.0.EXE", "BIOS_04F7_WN64_2.7.0.EXE"
    }  # fmt: skip
    assert sel.other_systems == 1
    assert sel.notes == ("stepping stone iDRAC7 1.66.65: not in the catalog (not mirrored)",)
    assert len(select_components(comps, ["04F7"]).kept) == 6  # no bundle: every version


def _serve(source: Path, base: str, seen: list[dict[str, str]]) -> None:
    def answer(req: Any) -> tuple[int, dict[str, str], bytes]:
        name = req.url.rsplit("/", 1)[-1]
        seen.append({**req.headers, "url": name})
        data = (source / name).read_bytes()
        etag = f'"{len(data)}-{name}"'
        if req.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        rng = req.headers.get("Range")
        if rng and req.headers.get("If-Range") == etag:
            start = int(rng.split("=")[1].rstrip("-"))
            return 206, {"ETag": etag}, data[start:]
        return 200, {"ETag": etag}, data

    for f in source.iterdir():
        responses.add_callback(responses.GET, base + f.name, callback=answer)


@responses.activate
def test_rerun_is_conditional_and_resumes(cli, source: Path, store: TrustStore,  # type: ignore[no-untyped-def]
                                          tmp_path: Path) -> None:  # fmt: skip
    base = "https://mirror.example.invalid/repo/"
    seen: list[dict[str, str]] = []
    _serve(source, base, seen)
    to = tmp_path / "mirror"
    args = ["repo", "mirror", "--catalog", base + "Catalog.xml", "--model", "R320",
            "--to", str(to), "--format", "json"]  # fmt: skip
    r = cli(*args)
    assert r.code == 0, r
    state = json.loads((to / ".fwupdate-mirror" / "state.json").read_text())
    kept = state["packages"]["BIOS_04F7_WN64_2.9.0.EXE"]
    assert kept["etag"].endswith('BIOS_04F7_WN64_2.9.0.EXE"') and kept["md5"]
    seen.clear()
    r = cli(*args)  # the signed catalog's MD5 already proves each file: no package request
    assert r.code == 0 and set(statuses(json.loads(r.out)).values()) == {"unchanged"}
    assert not [h for h in seen if h["url"].endswith(".EXE")]
    # a partial download left by a broken run is resumed with Range + If-Range
    name = "BIOS_04F7_WN64_2.8.0.EXE"
    data = (to / name).read_bytes()
    (to / name).unlink()
    partial = to / ".fwupdate-mirror" / "partial" / name
    partial.write_bytes(data[:1000])
    etag = f'"{len(data)}-{name}"'
    state["partial"] = {name: {"etag": etag}}
    (to / ".fwupdate-mirror" / "state.json").write_text(json.dumps(state))
    seen.clear()
    r = cli(*args)
    assert r.code == 0, r
    assert statuses(json.loads(r.out))[name] == "fetched"
    ranged = [h for h in seen if h.get("Range")]
    assert ranged == [ranged[0]] and ranged[0]["Range"] == "bytes=1000-"
    assert ranged[0]["If-Range"] == etag
    assert (to / name).read_bytes() == data and not partial.exists()


@responses.activate
def test_without_catalog_hashes_a_rerun_asks_the_server(  # type: ignore[no-untyped-def]
    cli, source: Path, store: TrustStore, kit: SigningKit, tmp_path: Path
) -> None:
    cat = source / "Catalog.xml"
    cat.write_bytes(b"".join(
        line for line in cat.read_bytes().splitlines(keepends=True)
    ).replace(b' hashMD5="', b' x-hash="'))  # fmt: skip
    kit.sign_detached(cat)
    base = "https://mirror.example.invalid/repo/"
    seen: list[dict[str, str]] = []
    _serve(source, base, seen)
    to = tmp_path / "mirror"
    args = ["repo", "mirror", "--catalog", base + "Catalog.xml", "--model", "R320",
            "--to", str(to), "--format", "json"]  # fmt: skip
    assert cli(*args).code == 0
    seen.clear()
    r = cli(*args)
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert {p["reason"] for p in doc["packages"]} == {"not modified (304)"}
    assert len([h for h in seen if h.get("If-None-Match")]) >= 3


@responses.activate
def test_a_broken_download_leaves_nothing_half_written(  # type: ignore[no-untyped-def]
    cli, source: Path, store: TrustStore, tmp_path: Path
) -> None:
    base = "https://mirror.example.invalid/repo/"
    broken = "BIOS_04F7_WN64_2.8.0.EXE"
    for f in source.iterdir():
        if f.name == broken:
            responses.add(responses.GET, base + f.name, body=requests.ConnectionError("reset"))
        else:
            responses.add(responses.GET, base + f.name, body=f.read_bytes())
    to = tmp_path / "mirror"
    r = cli("repo", "mirror", "--catalog", base + "Catalog.xml", "--model", "R320",
            "--to", str(to))  # fmt: skip
    assert r.code == 3, r
    assert f"{broken}: skipped: " in r.err and "download failed: ConnectionError" in r.err
    assert not (to / broken).exists()
    assert broken not in (to / "Catalog.xml").read_text(encoding="utf-8-sig")
    assert (to / "BIOS_04F7_WN64_2.9.0.EXE").is_file()


def test_fleet_read_live(cli, source: Path, store: TrustStore, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, SimulatedFleet

    spec = FleetSpec(standalone=(
        NodeSpec("r320-a", DeviceSpec("idrac-a", "idrac", "r320-idrac7-2.65", {})),
    ))  # fmt: skip
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=0.01) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        r = cli("repo", "mirror", "--catalog", str(source / "Catalog.xml"), "--fleet", str(fleet),
                "--to", str(tmp_path / "m"), "--format", "json")  # fmt: skip
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["system_ids"] == ["04F7"] and len(doc["packages"]) == 3


def test_progress_follows_the_bytes_and_shows_on_a_terminal_only(  # type: ignore[no-untyped-def]
    source: Path, store: TrustStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fwupdate.cli import repo_cmd
    from fwupdate.repo.mirror import MirrorOptions, mirror

    seen: dict[str, int] = {"total": 0, "done": 0}

    class Record:
        def begin(self, total_bytes: int, packages: int) -> None:
            seen["total"] = total_bytes

        def advance(self, nbytes: int) -> None:
            seen["done"] += nbytes

    opts = MirrorOptions(frozenset({"04F7"}))
    mirror(str(source / "Catalog.xml"), tmp_path / "m", opts, progress=Record())
    assert seen["total"] == seen["done"] == sum(
        (source / c.path).stat().st_size for c in COMPONENTS[:3]
    )  # fmt: skip
    monkeypatch.setattr(repo_cmd, "is_tty", lambda stream=None: False)
    with repo_cmd._progress() as bar:
        assert bar is None
    monkeypatch.setattr(repo_cmd, "is_tty", lambda stream=None: True)
    with repo_cmd._progress() as bar:
        assert bar is not None
        bar.begin(10, 1)
        bar.advance(10)
