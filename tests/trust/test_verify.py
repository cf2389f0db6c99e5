"""Signature verdicts on synthetic DUPs signed by osslsigncode (Authenticode) and gpg (detached):
valid, tampered byte, wrong signer, untrusted root, expired certificate with and without a
timestamp, missing signature, signature of another file, unknown key."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest

from fwupdate.catalog.models import PackageType, SoftwareComponent
from fwupdate.dup import build_bin_dup, build_exe_dup
from fwupdate.dup.image import make_image_bytes
from fwupdate.trust import SigKind, SigStatus, TrustStore, verify_file
from fwupdate.trust.kit import SigningKit

IMAGE = make_image_bytes("idrac7", "2.65.65.65", 32 * 1024)
EXE = "iDRAC-with-Lifecycle-Controller_Firmware_0GHF4_WN64_2.65.65.65_A00.EXE"
BIN = "iDRAC-with-Lifecycle-Controller_Firmware_Y9YPN_LN_2.65.65.65_A00.BIN"
NOW = dt.datetime.now(dt.UTC)


def component(path: str) -> SoftwareComponent:
    kind = PackageType.LW64 if path.endswith(".EXE") else PackageType.LLXP
    return SoftwareComponent(path=path, package_type=kind, vendor_version="2.65.65.65")


@pytest.fixture(scope="session")
def signed(kit: SigningKit, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One synthetic .EXE and .BIN per case, signed once for the whole session."""
    folder = tmp_path_factory.mktemp("signed")
    out: dict[str, Path] = {}

    def exe(case: str) -> Path:
        p = build_exe_dup(folder / case / EXE, component(EXE), {"firmimg.d7": IMAGE})
        out[case] = p
        return p

    kit.sign_exe(exe("exe"))
    exe("exe-unsigned")
    kit.sign_exe(exe("exe-evil"), signer=kit.issue_signer("evil", "Evil Corp"))
    expired = kit.issue_signer(
        "expired", "Dell Inc", not_before=NOW - dt.timedelta(days=40),
        not_after=NOW - dt.timedelta(days=10),
    )  # fmt: skip
    kit.sign_exe(exe("exe-expired"), signer=expired)
    kit.sign_exe(exe("exe-expired-ts"), signer=expired, timestamp_at=NOW - dt.timedelta(days=20))
    kit.sign_exe(exe("exe-ts"), timestamp_at=NOW)
    b = build_bin_dup(folder / "bin" / BIN, component(BIN), {"firmimg.d7": IMAGE})
    kit.sign_detached(b)
    out["bin"] = b
    return out


def copy(src: Path, tmp_path: Path, *, with_sign: bool = True) -> Path:
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    if with_sign and src.with_name(src.name + ".sign").exists():
        shutil.copy(src.with_name(src.name + ".sign"), tmp_path / (src.name + ".sign"))
    return dst


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_signed_exe_is_valid_and_still_a_dup(signed: dict[str, Path], store: TrustStore) -> None:
    v = verify_file(signed["exe"], store)
    assert (v.kind, v.status) == (SigKind.AUTHENTICODE, SigStatus.VALID), v
    assert "O=Dell Inc" in v.signer
    with zipfile.ZipFile(signed["exe"]) as z:  # the signature after the ZIP hides nothing
        assert z.read("payload/firmimg.d7") == IMAGE


def test_timestamp_is_reported(signed: dict[str, Path], store: TrustStore) -> None:
    v = verify_file(signed["exe-ts"], store)
    assert v.ok and v.signed_at is not None


@pytest.mark.parametrize("where", ["payload", "pe-header", "signature"])
def test_tampered_byte_is_invalid(
    signed: dict[str, Path], store: TrustStore, tmp_path: Path, where: str
) -> None:
    p = copy(signed["exe"], tmp_path)
    size = p.stat().st_size
    flip(p, {"payload": 5000, "pe-header": 0x90, "signature": size - 200}[where])
    v = verify_file(p, store)
    assert v.status is SigStatus.INVALID, v
    with pytest.raises(Exception, match=rf"{p.name}: authenticode signature invalid: "):
        v.require()


def test_wrong_signer_is_untrusted(signed: dict[str, Path], store: TrustStore) -> None:
    v = verify_file(signed["exe-evil"], store)
    assert v.status is SigStatus.UNTRUSTED
    assert "Evil Corp" in v.reason and "Dell Inc" in v.reason
    assert verify_file(signed["exe-evil"], store, organisation="Evil Corp").ok


def test_untrusted_root(rogue_kit: SigningKit, store: TrustStore, tmp_path: Path) -> None:
    p = build_exe_dup(tmp_path / EXE, component(EXE), {"firmimg.d7": IMAGE})
    rogue_kit.sign_exe(p)
    v = verify_file(p, store)
    assert v.status is SigStatus.UNTRUSTED and "does not reach the trust store" in v.reason


def test_expired_certificate_needs_a_timestamp(signed: dict[str, Path], store: TrustStore) -> None:
    v = verify_file(signed["exe-expired"], store)
    assert v.status is SigStatus.UNTRUSTED
    assert "no timestamp" in v.reason and "CN=expired" in v.reason
    v = verify_file(signed["exe-expired-ts"], store)
    assert v.ok, v
    assert v.signed_at is not None and v.signed_at < NOW.isoformat()


def test_unsigned_exe_is_missing(signed: dict[str, Path], store: TrustStore) -> None:
    v = verify_file(signed["exe-unsigned"], store)
    assert v.status is SigStatus.MISSING


def test_bin_detached(signed: dict[str, Path], store: TrustStore, kit: SigningKit) -> None:
    v = verify_file(signed["bin"], store)
    assert (v.kind, v.status) == (SigKind.GPG, SigStatus.VALID), v
    assert kit.pgp_fingerprint in v.signer
    assert v.signature_file == str(signed["bin"]) + ".sign"


def test_bin_missing_sign(signed: dict[str, Path], store: TrustStore, tmp_path: Path) -> None:
    p = copy(signed["bin"], tmp_path, with_sign=False)
    v = verify_file(p, store)
    assert v.status is SigStatus.MISSING and f"{p.name}.sign" in v.reason


def test_bin_tampered(signed: dict[str, Path], store: TrustStore, tmp_path: Path) -> None:
    p = copy(signed["bin"], tmp_path)
    flip(p, p.stat().st_size - 10)
    v = verify_file(p, store)
    assert v.status is SigStatus.INVALID and "does not match" in v.reason


def test_signature_of_another_file(
    signed: dict[str, Path], store: TrustStore, kit: SigningKit, tmp_path: Path
) -> None:
    p = copy(signed["bin"], tmp_path, with_sign=False)
    other = tmp_path / "other.bin"
    other.write_bytes(b"another file")
    kit.sign_detached(other, p.with_name(p.name + ".sign"))
    v = verify_file(p, store)
    assert v.status is SigStatus.INVALID


def test_unknown_key(rogue_kit: SigningKit, store: TrustStore, tmp_path: Path) -> None:
    p = tmp_path / "Catalog.xml"
    p.write_bytes(b"<Manifest/>")
    rogue_kit.sign_detached(p)
    v = verify_file(p, store)
    assert v.status is SigStatus.UNTRUSTED and "unknown key" in v.reason


def test_garbage_sign_file(store: TrustStore, tmp_path: Path) -> None:
    p = tmp_path / "x.BIN"
    p.write_bytes(b"#!/bin/sh\n")
    p.with_name("x.BIN.sign").write_bytes(b"not a signature")
    assert verify_file(p, store).status is SigStatus.INVALID


def test_empty_store_trusts_nothing(
    signed: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = TrustStore(tmp_path / "empty")
    assert verify_file(signed["bin"], empty).status is SigStatus.UNTRUSTED
    assert verify_file(signed["exe"], empty).status is SigStatus.UNTRUSTED


def test_a_flipped_signature_byte_never_raises(
    signed: dict[str, Path], store: TrustStore, tmp_path: Path
) -> None:
    """A changed byte anywhere in the certificate table gives a verdict, never an exception
    (asn1crypto parses lazily).  Most flips are "invalid"; a few stay "valid": bytes no
    signature covers and nothing uses (table padding, the CA copy inside the signature when
    the trust store's own copy is the anchor)."""
    src = signed["exe-ts"]
    size = src.stat().st_size
    p = tmp_path / src.name
    data = src.read_bytes()
    statuses: list[SigStatus] = []
    for back in range(8, 2000, 7):  # bounded: ~285 flips, each a fresh verification
        mutated = bytearray(data)
        mutated[size - back] ^= 0x01
        p.write_bytes(bytes(mutated))
        statuses.append(verify_file(p, store).status)
    assert statuses.count(SigStatus.INVALID) > len(statuses) // 2
