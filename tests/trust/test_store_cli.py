"""`fwupdate trust import/list/remove` and `dup verify/inspect` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwupdate.catalog.models import PackageType, SoftwareComponent
from fwupdate.dup import build_bin_dup, build_exe_dup
from fwupdate.dup.image import make_image_bytes
from fwupdate.dup.repo import build_repository
from fwupdate.trust import TrustStore, default_trust_dir
from fwupdate.trust.kit import SigningKit
from fwupdate.trust.store import is_dell_pgp

EXE = "iDRAC-with-Lifecycle-Controller_Firmware_0GHF4_WN64_2.65.65.65_A00.EXE"
IMAGE = make_image_bytes("idrac7", "2.65.65.65", 32 * 1024)


def one_line(err: str) -> None:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_trust_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FWUPDATE_TRUST_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert default_trust_dir() == tmp_path / "cfg" / "fwupdate" / "trust"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert default_trust_dir() == Path.home() / ".config" / "fwupdate" / "trust"
    monkeypatch.setenv("FWUPDATE_TRUST_DIR", str(tmp_path / "t"))
    assert default_trust_dir() == tmp_path / "t"


def test_dell_fingerprints_known() -> None:
    assert is_dell_pgp("42550abd1e80d7c1bc0bad851285491434d8786f")
    assert not is_dell_pgp("0" * 40)


def test_import_list_remove(cli, kit: SigningKit, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FWUPDATE_TRUST_DIR", str(tmp_path / "t"))
    r = cli("trust", "import", str(kit.ca.cert_pem))
    assert r.code == 0, r
    r = cli("trust", "import", str(kit.pgp_public))
    assert r.code == 0 and "not one of Dell's known signing keys" in r.err
    r = cli("trust", "list", "--format", "json")
    doc = json.loads(r.out)
    assert doc["store"] == str(tmp_path / "t")
    kinds = {e["kind"]: e for e in doc["entries"]}
    assert kinds["openpgp"]["id"] == kit.pgp_fingerprint
    assert kinds["openpgp"]["dell_known"] is False
    assert kinds["x509"]["name"] == "CN=root-ca,O=Dell Inc"
    r = cli("trust", "remove", kit.pgp_fingerprint[:10])
    assert r.code == 0 and kit.pgp_fingerprint in r.out
    assert [e.kind for e in TrustStore().entries()] == ["x509"]
    r = cli("trust", "remove", "DEADBEEFDEAD")
    assert r.code == 2 and "no such entry" in r.err
    one_line(r.err)


@pytest.mark.parametrize("bad", ["leaf", "garbage", "missing", "armour"])
def test_import_refuses(cli, kit: SigningKit, tmp_path: Path, monkeypatch, bad: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FWUPDATE_TRUST_DIR", str(tmp_path / "t"))
    f = tmp_path / "in.pem"
    if bad == "leaf":
        f = kit.signer.cert_pem
    elif bad == "garbage":
        f.write_text("hello\n")
    elif bad == "armour":
        f.write_text(kit.pgp_public.read_text().replace("\n\n", "\n\n!!", 1))
    r = cli("trust", "import", str(f) if bad != "missing" else str(tmp_path / "nope.asc"))
    assert r.code == 2, r
    one_line(r.err)
    assert not list((tmp_path / "t").rglob("*.*")) if (tmp_path / "t").exists() else True


def test_dup_verify_json(cli, kit: SigningKit, store: TrustStore, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    comp = SoftwareComponent(path=EXE, package_type=PackageType.LW64, vendor_version="2.65.65.65")
    repo = tmp_path / "repo"
    build_repository(repo, [comp], payloads={EXE: {"firmimg.d7": IMAGE}})
    dup = repo / EXE
    signed = kit.sign_exe(build_exe_dup(tmp_path / EXE, comp, {"firmimg.d7": IMAGE}))
    r = cli("dup", "verify", str(signed), "--format", "json")
    assert r.code == 0, r
    sig = json.loads(r.out)["signature"]
    assert sig["kind"] == "authenticode" and sig["status"] == "valid"
    assert sig["signer"] == "CN=code-signing,O=Dell Inc"
    # signed after the catalog was written: the catalog check fails first, naming the file
    r = cli("dup", "verify", str(signed), "--catalog", str(repo / "Catalog.xml"))
    assert r.code == 2 and "mismatch" in r.err
    # the unsigned copy in the repository matches the catalog but has no signature
    r = cli("dup", "verify", str(dup), "--catalog", str(repo), "--format", "json")
    assert r.code == 2 and r.out == ""
    assert f"{dup}: authenticode signature missing" in r.err
    one_line(r.err)
    r = cli("dup", "inspect", str(dup), "--format", "json")  # inspect shows, never fails
    assert r.code == 0 and json.loads(r.out)["signature"]["status"] == "missing"
    r = cli("dup", "inspect", str(signed))
    assert r.code == 0 and "authenticode valid: CN=code-signing,O=Dell Inc" in r.out


def test_dup_verify_bin(cli, kit: SigningKit, store: TrustStore, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    name = EXE.replace("WN64", "LN").replace(".EXE", ".BIN")
    comp = SoftwareComponent(path=name, package_type=PackageType.LLXP, vendor_version="1")
    b = build_bin_dup(tmp_path / name, comp, {"firmimg.d7": IMAGE})
    r = cli("dup", "verify", str(b), "-f", "json")
    assert r.code == 2 and "gpg signature missing" in r.err and name in r.err
    kit.sign_detached(b)
    r = cli("dup", "verify", str(b), "-f", "json")
    assert r.code == 0, r
    assert json.loads(r.out)["signature"]["kind"] == "gpg"
    with b.open("ab") as f:
        f.write(b"\0")
    r = cli("dup", "verify", str(b))
    assert r.code == 2 and "gpg signature invalid" in r.err
    one_line(r.err)
