"""`fwupdate catalog show` and the catalog's detached `<catalog>.sign`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedSystem
from fwupdate.dup.repo import write_catalog
from fwupdate.trust import TrustStore
from fwupdate.trust.kit import SigningKit


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FWUPDATE_CACHE_DIR", str(tmp_path / "cache"))
    comp = SoftwareComponent(
        path="BIOS_X_WN64_2.4.2.EXE",
        package_type=PackageType.LW64,
        vendor_version="2.4.2",
        hash_md5="0" * 32,
        systems=(SupportedSystem("PE", "04F7", "R320"),),
    )
    path = tmp_path / "repo" / "Catalog.xml"
    path.parent.mkdir()
    write_catalog(path, [comp])
    return path


def one_line(err: str) -> None:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_unsigned_catalog_warns_by_default(cli, catalog: Path, store: TrustStore) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "show", str(catalog), "--format", "json")
    assert r.code == 0, r
    sig = json.loads(r.out)["catalog"]["signature"]
    assert sig["status"] == "missing" and sig["signature_file"] == str(catalog) + ".sign"
    assert "warning" in r.err and "Catalog.xml.sign" in r.err
    r = cli("catalog", "show", str(catalog), "--signatures", "require")
    assert r.code == 2 and r.out == ""
    assert f"{catalog}: gpg signature missing" in r.err
    one_line(r.err)
    r = cli("catalog", "show", str(catalog), "--signatures", "off", "--format", "json")
    assert r.code == 0 and json.loads(r.out)["catalog"]["signature"] is None


def test_signed_catalog_verifies_and_names_the_file(  # type: ignore[no-untyped-def]
    cli, catalog: Path, store: TrustStore, kit: SigningKit
) -> None:
    kit.sign_detached(catalog)
    r = cli("catalog", "show", str(catalog.parent), "--signatures", "require")  # folder too
    assert r.code == 0, r
    assert f"signature: {catalog}: gpg signature valid, signed by" in r.out
    r = cli("catalog", "show", str(catalog), "--format", "json", "--signatures", "require")
    sig = json.loads(r.out)["catalog"]["signature"]
    assert sig["status"] == "valid" and sig["signature_file"] == str(catalog) + ".sign"


def test_tampered_or_foreign_catalog_is_refused(  # type: ignore[no-untyped-def]
    cli, catalog: Path, store: TrustStore, kit: SigningKit, rogue_kit: SigningKit
) -> None:
    kit.sign_detached(catalog)
    catalog.write_bytes(catalog.read_bytes().replace(b"2.4.2", b"2.4.3"))
    r = cli("catalog", "show", str(catalog), "--signatures", "require", "--no-cache")
    assert r.code == 2 and "gpg signature invalid" in r.err
    one_line(r.err)
    rogue_kit.sign_detached(catalog)
    r = cli("catalog", "show", str(catalog), "--signatures", "require", "--no-cache")
    assert r.code == 2 and "unknown key" in r.err
