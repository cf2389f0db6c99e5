"""`fwupdate dup ...` through the real entry point: exit codes, JSON, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwupdate.dup import build_bin_dup, build_exe_dup


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_inspect_json(cli, tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / kit.IDRAC_EXE, component, {"firmimg.d7": kit.IMAGE})
    r = cli("dup", "inspect", str(p), "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["format"] == "exe"
    assert doc["package"]["vendor_version"] == "2.65.65.65"
    assert doc["package"]["release_id"] == "0GHF4"
    assert doc["package"]["package_type"] == "LW64"
    assert {
        "name": "payload/firmimg.d7",
        "size": len(kit.IMAGE),
        "type": "file",
        "problem": None,
    } in doc["members"]


def test_inspect_table_and_bin(cli, tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    c = kit.idrac_component(kit.IDRAC_BIN)
    p = build_bin_dup(tmp_path / kit.IDRAC_BIN, c, {"firmimg.d7": kit.IMAGE})
    r = cli("dup", "inspect", str(p))
    assert r.code == 0, r
    assert "payload/firmimg.d7" in r.out and "2.65.65.65" in r.out and "bin" in r.out
    r = cli("dup", "inspect", str(p), "--format", "csv")
    assert r.code == 0
    assert r.out.splitlines()[0] == "name,size,type,problem"


def test_inspect_bare_image(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    img = tmp_path / "firmimg.d7"
    r = cli("dup", "build-image", "--to", str(img), "--version", "2.20.20.20")
    assert r.code == 0, r
    r = cli("dup", "inspect", str(img), "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["format"] == "image"
    assert doc["image"]["version"] == "2.20.20.20"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, not a package\n", "not a DUP"),
        (b"MZ" + b"\x90" * 5000, "no ZIP archive"),
        (b"#!/bin/sh\necho hi\n", "Startofpackage"),
    ],
)
def test_not_a_dup_exit_2(cli, tmp_path: Path, content: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "x.EXE"
    p.write_bytes(content)
    for args in (("inspect", str(p)), ("extract", str(p), "--to", str(tmp_path / "out"))):
        r = cli("dup", *args)
        assert r.code == 2, r
        assert message in r.err
        assert r.out == ""
        _no_traceback(r.err)
    assert not (tmp_path / "out").exists()


def test_missing_file_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("dup", "inspect", str(tmp_path / "nope.EXE"))
    assert r.code == 2 and "no such file" in r.err
    _no_traceback(r.err)


def test_extract_json_and_member(cli, tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / "x.EXE", component, {"firmimg.d7": kit.IMAGE, "x.bin": b"x"})
    out = tmp_path / "out"
    r = cli(
        "dup", "extract", str(p), "--to", str(out), "--member", "payload/firmimg.d7", "-f", "json"
    )
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert [f["member"] for f in doc["files"]] == ["payload/firmimg.d7"]
    assert (out / "payload/firmimg.d7").read_bytes() == kit.IMAGE
    assert not (out / "payload/x.bin").exists()


def test_extract_unsafe_exit_2_writes_nothing(cli, tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    zb = kit.raw_zip(
        [("package.xml", kit.PACKAGE_XML), ("payload/ok.bin", b"ok"), ("../../evil", b"x")]
    )
    p = kit.write_exe(tmp_path / "x.EXE", zb)
    out = tmp_path / "out"
    r = cli("dup", "extract", str(p), "--to", str(out))
    assert r.code == 2
    assert "refusing to extract" in r.err and "'..'" in r.err
    _no_traceback(r.err)
    assert r.out == ""
    assert not out.exists()
    # inspect shows the problem instead
    r = cli("dup", "inspect", str(p), "--format", "json")
    assert r.code == 0
    doc = json.loads(r.out)
    assert doc["safe"] is False and any("../../evil" in x for x in doc["problems"])


def test_extract_size_caps_from_cli(cli, tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / "x.EXE", component, {"firmimg.d7": kit.IMAGE})
    r = cli("dup", "extract", str(p), "--to", str(tmp_path / "o"), "--max-member-size", "1KiB")
    assert r.code == 2 and "per-member cap" in r.err
    r = cli("dup", "extract", str(p), "--to", str(tmp_path / "o"), "--max-total-size", "lots")
    assert r.code == 2 and "not a size" in r.err
    assert not (tmp_path / "o").exists()


def test_extract_bare_image_exit_2(cli, tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    img = tmp_path / "firmimg.d7"
    img.write_bytes(kit.IMAGE)
    r = cli("dup", "extract", str(img), "--to", str(tmp_path / "out"))
    assert r.code == 2 and "bare iDRAC firmware image" in r.err


# --- catalog-backed commands (through the catalog package's loader) ------------------------------


@pytest.fixture
def repo(tmp_path: Path, kit, monkeypatch):  # type: ignore[no-untyped-def]
    from fwupdate.dup import build_repository

    monkeypatch.setenv("FWUPDATE_CACHE_DIR", str(tmp_path / "cache"))
    comps = [kit.idrac_component(), kit.bios_component(), kit.idrac_component(kit.IDRAC_BIN)]
    build_repository(tmp_path / "repo", comps)
    return tmp_path / "repo"


def test_verify_ok_json(cli, repo: Path, kit) -> None:  # type: ignore[no-untyped-def]
    dup = repo / kit.IDRAC_EXE
    catalog = str(repo / "Catalog.xml")
    # the synthetic repository is unsigned: the catalog check passes, the signature is "missing"
    r = cli("dup", "verify", str(dup), "--against", catalog, "--allow-unsigned", "-f", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["result"] == "ok" and doc["size"] == dup.stat().st_size
    assert doc["md5"] == doc["expected_md5"]
    assert doc["signature"]["kind"] == "authenticode"
    assert doc["signature"]["status"] == "missing"
    r = cli("dup", "verify", str(dup), "--catalog", str(repo), "--allow-unsigned")  # folder too
    assert r.code == 0, r
    r = cli("dup", "verify", str(dup), "--catalog", catalog)  # but unsigned is refused
    assert r.code == 2 and "signature missing" in r.err and kit.IDRAC_EXE in r.err
    _no_traceback(r.err)


def test_verify_md5_mismatch_exit_2(cli, repo: Path, kit) -> None:  # type: ignore[no-untyped-def]
    dup = repo / kit.IDRAC_EXE
    data = bytearray(dup.read_bytes())
    data[100] ^= 0xFF  # same size, different bytes
    dup.write_bytes(bytes(data))
    r = cli("dup", "verify", str(dup), "--against", str(repo / "Catalog.xml"))
    assert r.code == 2
    assert "MD5 mismatch" in r.err and kit.IDRAC_EXE in r.err and "expects" in r.err
    _no_traceback(r.err)
    assert r.out == ""
    out = repo.parent / "out"
    r = cli(
        "dup", "extract", str(dup), "--to", str(out), "--verify-against", str(repo / "Catalog.xml")
    )
    assert r.code == 2 and "MD5 mismatch" in r.err
    assert not out.exists()


def test_verify_size_mismatch_and_not_listed(cli, repo: Path, kit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dup = repo / kit.IDRAC_BIN
    with dup.open("ab") as f:
        f.write(b"\0")
    r = cli("dup", "verify", str(dup), "--against", str(repo / "Catalog.xml"))
    assert r.code == 2 and "size mismatch" in r.err
    other = tmp_path / "Other_Firmware_X_WN64_1.0_A00.EXE"
    other.write_bytes(b"MZ")
    r = cli("dup", "verify", str(other), "--against", str(repo / "Catalog.xml"))
    assert r.code == 2 and "not listed" in r.err
    r = cli("dup", "verify", str(tmp_path / "missing.EXE"), "--against", str(repo))
    assert r.code == 2 and "no such file" in r.err


def test_verify_uppercase_md5_without_size(cli, repo: Path, kit) -> None:  # type: ignore[no-untyped-def]
    from lxml import etree

    cat = repo / "Catalog.xml"
    root = etree.fromstring(cat.read_bytes())
    for el in root.iter("SoftwareComponent"):
        el.set("hashMD5", el.get("hashMD5").upper())
        del el.attrib["size"]
    cat.write_bytes(b"\xef\xbb\xbf" + etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    exe = str(repo / kit.IDRAC_EXE)
    r = cli("dup", "verify", exe, "--against", str(cat), "--allow-unsigned", "-f", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["expected_size"] is None and doc["md5"] == doc["expected_md5"]


def test_extract_with_verify_ok(cli, repo: Path, kit) -> None:  # type: ignore[no-untyped-def]
    out = repo.parent / "out"
    r = cli(
        "dup", "extract", str(repo / kit.IDRAC_BIN), "--to", str(out),
        "--verify-against", str(repo), "-f", "json",
    )  # fmt: skip
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["verified"]["result"] == "ok"
    assert (out / "payload/firmimg.d7").read_bytes().startswith(b"FWUPDATE-SIM-IMAGE idrac7 ")


def test_build_repo_from_catalog(cli, tmp_path: Path, kit, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from fwupdate.catalog import load_catalog
    from fwupdate.dup import catalog_bytes, verify_against_component

    monkeypatch.setenv("FWUPDATE_CACHE_DIR", str(tmp_path / "cache"))
    other = dataclasses.replace(
        kit.bios_component(),
        path="BIOS_ABCDE_WN32_1.0.0.EXE",
        systems=(kit.SupportedSystem(brand_prefix="PE", system_id="04CE", display="R620"),),
    )
    src = tmp_path / "src" / "Catalog.xml"
    src.parent.mkdir()
    # An online-style source: UTF-16, hashes that belong to Dell's files, not ours.
    comps = [dataclasses.replace(kit.idrac_component(), hash_md5="f" * 32), kit.bios_component()]
    src.write_bytes(catalog_bytes([*comps, other], encoding="utf-16"))
    out = tmp_path / "repo"
    r = cli(
        "dup", "build-repo", "--from", str(src), "--to", str(out), "--system", "04F7", "-f", "json"
    )
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert sorted(p["path"] for p in doc["packages"]) == sorted(c.path for c in comps)
    assert (out / "Catalog.xml").read_bytes().startswith(b"\xef\xbb\xbf")
    rebuilt = load_catalog(str(out / "Catalog.xml"))
    assert len(rebuilt.components) == 2
    for c in rebuilt.components:
        verify_against_component(out / c.path, c)  # raises on any mismatch
    assert any(b.bundle_type == "BTW32" for b in rebuilt.bundles)
    r = cli("dup", "build-repo", "--from", str(src), "--to", str(out), "--system", "0601")
    assert r.code == 2 and "no components" in r.err


SAMPLE = (
    Path(__file__).resolve().parents[2] / "catalogs" / "suu-r320" / "repository" / "Catalog.xml"
)


def test_build_repo_rebuilds_the_sample_catalog(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fwupdate.catalog import find_component_by_filename, load_catalog
    from fwupdate.dup import extract_dup, inspect_dup, verify_against_component
    from fwupdate.dup.image import parse_image_header

    monkeypatch.setenv("FWUPDATE_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "repo"
    r = cli("dup", "build-repo", "--from", str(SAMPLE), "--to", str(out), "-f", "json")
    assert r.code == 0, r
    sample = load_catalog(str(SAMPLE))
    rebuilt = load_catalog(str(out))
    assert sorted(c.path for c in rebuilt.components) == sorted(c.path for c in sample.components)
    assert rebuilt.manifest.date_time == sample.manifest.date_time
    for c in rebuilt.components:
        verify_against_component(out / c.path, c)
        original = find_component_by_filename(sample, c.path)
        assert original is not None
        assert dataclasses_equal_but_hash(original, c)
    assert any(b.system_ids == ("04F7",) for b in rebuilt.bundles)
    # Each iDRAC DUP carries an image that names its version (and generation).
    idrac8 = next(c for c in rebuilt.components if c.release_id == "40T1C")
    info = inspect_dup(out / idrac8.path)
    assert info.component is not None and info.component.vendor_version == "2.63.60.61"
    files = extract_dup(out / idrac8.path, tmp_path / "x").files
    hdr = parse_image_header(Path(files[0].path).read_bytes()[:200])
    assert hdr is not None and (hdr.target, hdr.version) == ("idrac8", "2.63.60.61")


def dataclasses_equal_but_hash(a, b) -> bool:  # type: ignore[no-untyped-def]
    import dataclasses

    return dataclasses.replace(a, hash_md5=None, size=None) == dataclasses.replace(
        b, hash_md5=None, size=None
    )
