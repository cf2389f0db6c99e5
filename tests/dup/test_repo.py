"""Synthetic repositories: one DUP per component and a Catalog.xml whose hashes match."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from fwupdate.catalog.models import PackageType
from fwupdate.dup import build_repository, catalog_bytes, extract_dup, inspect_dup
from fwupdate.dup.image import parse_image_header
from fwupdate.errors import BadInputError


def _components(kit):  # type: ignore[no-untyped-def]
    idrac_bin = kit.idrac_component(kit.IDRAC_BIN)
    tarball = dataclasses.replace(
        kit.bios_component(),
        path="OM-SrvAdmin-Dell-Web-LX-9.1.0.tar.gz",
        package_type=PackageType.GZ,
        component_type="APAC",
        systems=(),
    )
    return [kit.idrac_component(), kit.bios_component(), idrac_bin, tarball]


def test_repository_catalog_matches_every_file(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    comps = _components(kit)
    r = build_repository(tmp_path / "repo", comps)
    raw = Path(r.catalog).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf<?xml")
    root = etree.fromstring(raw)
    assert root.tag == "Manifest" and root.get("baseLocation") == ""
    elements = root.findall("SoftwareComponent")
    assert len(elements) == len(comps)
    for el in elements:
        f = tmp_path / "repo" / el.get("path")
        assert hashlib.md5(f.read_bytes()).hexdigest() == el.get("hashMD5")
        assert int(el.get("size")) == f.stat().st_size
    bundles = root.findall("SoftwareBundle")
    by_type = {b.get("bundleType"): b for b in bundles}
    assert set(by_type) == {"BTW32", "BTW64", "BTLX"}
    for b in bundles:
        assert b.find("TargetSystems/Brand/Model").get("systemID") == "04F7"
    listed = {p.get("path") for b in bundles for p in b.findall("Contents/Package")}
    assert listed == {c.path for c in comps if c.supports_system("04F7")}
    # The built DUPs are real DUPs of the right format with the catalog's version inside.
    exe = inspect_dup(tmp_path / "repo" / kit.IDRAC_EXE)
    assert exe.format.value == "exe" and exe.component is not None
    assert exe.component.vendor_version == "2.65.65.65"
    assert inspect_dup(tmp_path / "repo" / kit.IDRAC_BIN).format.value == "bin"
    out = extract_dup(tmp_path / "repo" / kit.IDRAC_EXE, tmp_path / "x")
    hdr = parse_image_header(Path(out.files[0].path).read_bytes()[:200])
    assert out.files[0].member == "payload/firmimg.d7"
    assert hdr is not None and (hdr.target, hdr.version) == ("idrac7", "2.65.65.65")
    with zipfile.ZipFile(tmp_path / "repo" / "BIOS_YFJDM_WN32_2.4.2.EXE") as zf:
        assert "payload/BIOS_YFJDM.cap" in zf.namelist()


def test_utf16_catalog_and_xml_escaping(kit) -> None:  # type: ignore[no-untyped-def]
    c = dataclasses.replace(kit.idrac_component(), name='A & B <"x"> ]]> y', hash_md5="ab" * 16)
    raw = catalog_bytes([c], encoding="utf-16")
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    root = etree.fromstring(raw)
    assert root.find("SoftwareComponent/Name/Display").text == 'A & B <"x"> ]]> y'
    assert root.find("SoftwareComponent").get("hashMD5") == "ab" * 16
    assert root.find("SoftwareComponent/Criticality").get("value") == "2"


@pytest.mark.parametrize("bad", ["../evil.EXE", "/abs/evil.EXE", "a\\..\\..\\evil.EXE"])
def test_hostile_component_path_refused(tmp_path: Path, kit, bad: str) -> None:  # type: ignore[no-untyped-def]
    c = dataclasses.replace(kit.idrac_component(), path=bad)
    with pytest.raises(BadInputError):
        build_repository(tmp_path / "repo", [c])
    assert not (tmp_path / "evil.EXE").exists()


def test_online_style_folder_paths_are_kept(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    c = dataclasses.replace(kit.idrac_component(), path="FOLDER05417123M/1/" + kit.IDRAC_EXE)
    r = build_repository(tmp_path / "repo", [c])
    assert (tmp_path / "repo" / c.path).is_file()
    assert r.components[0].path == c.path
