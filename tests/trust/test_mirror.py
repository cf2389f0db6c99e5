"""`fwupdate repo mirror` from a signed local repository and over (mocked) https: verified
packages only, tampered or unsigned ones skipped with a reason, re-runs fetch what changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedSystem
from fwupdate.demo.signing import signer
from fwupdate.dup.repo import build_repository
from fwupdate.trust import TrustStore
from fwupdate.trust.kit import SigningKit


def comp(path: str, ptype: PackageType, system: str = "04F7") -> SoftwareComponent:
    return SoftwareComponent(
        path=path,
        package_type=ptype,
        vendor_version="1.0",
        systems=(SupportedSystem("PE", system, "R320" if system == "04F7" else "R640"),),
    )


COMPONENTS = [
    comp("BIOS_AAAAA_WN64_2.9.0.EXE", PackageType.LW64),
    comp("Network_Firmware_BBBBB_LN_7.10.18_A00.BIN", PackageType.LLXP),
    comp("BIOS_CCCCC_WN64_2.13.0.EXE", PackageType.LW64, system="0716"),
]


@pytest.fixture
def source(kit: SigningKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FWUPDATE_CACHE_DIR", str(tmp_path / "cache"))
    build_repository(tmp_path / "src", COMPONENTS, bundle_system_ids=("04F7", "0716"),
                     sign=signer(kit))  # fmt: skip
    return tmp_path / "src"


def test_mirror_then_unchanged(cli, source: Path, store: TrustStore, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    to = tmp_path / "mirror"
    r = cli("repo", "mirror", "--catalog", str(source / "Catalog.xml"), "--model", "R320",
            "--to", str(to), "--format", "json")  # fmt: skip
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert {p["path"]: p["status"] for p in doc["packages"]} == {
        COMPONENTS[0].path: "fetched", COMPONENTS[1].path: "fetched"
    }  # fmt: skip
    assert all("signature valid" in p["signature"] for p in doc["packages"])
    assert doc["catalog_signature"].endswith("signature valid, signed by " + doc[
        "catalog_signature"].split("signed by ")[1])  # fmt: skip
    assert (to / (COMPONENTS[1].path + ".sign")).is_file()
    text = (to / "Catalog.xml").read_text(encoding="utf-8-sig")
    assert COMPONENTS[0].path in text and COMPONENTS[2].path not in text
    assert 'baseLocation=""' in text
    assert (to / "Catalog.original.xml.sign").is_file()
    assert not [p for p in to.iterdir() if p.name.startswith(".fwupdate-mirror-")]
    r = cli("repo", "mirror", "--catalog", str(source), "--system-id", "04F7", "--to", str(to),
            "--format", "json")  # fmt: skip
    assert r.code == 0, r
    assert {p["status"] for p in json.loads(r.out)["packages"]} == {"unchanged"}


def test_tampered_and_unsigned_are_skipped(  # type: ignore[no-untyped-def]
    cli, source: Path, store: TrustStore, kit: SigningKit, tmp_path: Path
) -> None:
    import hashlib

    from lxml import etree

    exe = source / COMPONENTS[0].path
    data = bytearray(exe.read_bytes())
    data[3000] ^= 1
    exe.write_bytes(bytes(data))  # the catalog still matches (re-hashed, re-signed below)
    (source / (COMPONENTS[1].path + ".sign")).unlink()
    cat = source / "Catalog.xml"
    root = etree.fromstring(cat.read_bytes())
    for el in root.iter("SoftwareComponent"):
        if el.get("path") == exe.name:
            el.set("hashMD5", hashlib.md5(bytes(data), usedforsecurity=False).hexdigest())
    cat.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    args = ["repo", "mirror", "--catalog", str(cat), "--model", "R320"]
    r = cli(*args, "--to", str(tmp_path / "stale"))  # the catalog's .sign no longer matches
    assert r.code == 2 and "Catalog.xml: gpg signature invalid" in r.err
    assert not (tmp_path / "stale" / exe.name).exists()
    kit.sign_detached(cat)
    strict = tmp_path / "strict"
    r = cli(*args, "--to", str(strict))
    assert r.code == 3, r
    assert f"{exe.name}: skipped: " in r.err and "authenticode signature invalid" in r.err
    assert f"{COMPONENTS[1].path}: skipped: " in r.err and "gpg signature missing" in r.err
    assert not (strict / exe.name).exists() and not (strict / COMPONENTS[1].path).exists()
    assert COMPONENTS[0].path not in (strict / "Catalog.xml").read_text(encoding="utf-8-sig")
    r = cli(*args, "--to", str(tmp_path / "lax"), "--signatures", "warn")
    assert r.code == 0 and "UNVERIFIED" in r.err and (tmp_path / "lax" / exe.name).is_file()


@responses.activate
def test_mirror_over_https(cli, source: Path, store: TrustStore, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = "https://mirror.example.invalid/repo/"
    for f in source.iterdir():
        responses.add(responses.GET, base + f.name, body=f.read_bytes(), status=200,
                      headers={"ETag": f'"{f.name}"'})  # fmt: skip
    responses.add(responses.GET, base + "missing.sign", status=404)
    to = tmp_path / "mirror"
    r = cli("repo", "mirror", "--catalog", base + "Catalog.xml", "--model", "R320",
            "--to", str(to), "--format", "json")  # fmt: skip
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert {p["status"] for p in doc["packages"]} == {"fetched"}
    assert "gpg signature valid" in doc["catalog_signature"]
    state = json.loads((to / ".fwupdate-mirror" / "state.json").read_text())
    assert state["partial"] == {} and len(state["packages"]) == 2  # the .sign kept no partial
