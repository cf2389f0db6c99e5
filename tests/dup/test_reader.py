"""Format detection and inspection of .EXE, .BIN and bare images; damaged and non-DUP files."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwupdate.dup import (
    DupFormat,
    build_bin_dup,
    build_exe_dup,
    build_firmware_image,
    detect,
    info_document,
    inspect_dup,
    read_package,
)
from fwupdate.errors import BadInputError, DupError


def test_exe_roundtrip_package_xml_and_payload(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / kit.IDRAC_EXE, component, {"firmimg.d7": kit.IMAGE})
    assert p.read_bytes()[:2] == b"MZ"
    info = inspect_dup(p)
    assert info.format is DupFormat.EXE
    assert info.component == component  # every field survives package.xml
    doc = info_document(info)
    assert doc["format"] == "exe"
    assert doc["package"]["component_ids"] == ["25227"]
    assert [s["system_id"] for s in doc["package"]["supported_systems"]] == ["04F7", "04CE"]
    assert doc["package"]["reboot_required"] is False
    assert doc["package"]["criticality"] == "Urgent"
    members = {m["name"]: m for m in doc["members"]}
    assert members["payload/firmimg.d7"]["size"] == len(kit.IMAGE)
    assert doc["safe"] is True
    assert doc["size"] == p.stat().st_size
    assert len(doc["md5"]) == 32 and len(doc["sha256"]) == 64


def test_bin_roundtrip(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    c = kit.idrac_component(kit.IDRAC_BIN)
    p = build_bin_dup(tmp_path / kit.IDRAC_BIN, c, {"firmimg.d7": kit.IMAGE})
    assert p.read_bytes().startswith(b"#!/bin/sh\n")
    info = inspect_dup(p)
    assert info.format is DupFormat.BIN
    assert info.component == c
    assert {m.path for m in info.members} >= {"package.xml", "payload/firmimg.d7"}


def test_build_is_deterministic(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    a = build_exe_dup(tmp_path / "a" / "x.EXE", component, {"firmimg.d7": kit.IMAGE})
    b = build_exe_dup(tmp_path / "b" / "x.EXE", component, {"firmimg.d7": kit.IMAGE})
    assert a.read_bytes() == b.read_bytes()
    c = build_bin_dup(tmp_path / "a" / "x.BIN", component, {"firmimg.d7": kit.IMAGE})
    d = build_bin_dup(tmp_path / "b" / "x.BIN", component, {"firmimg.d7": kit.IMAGE})
    assert c.read_bytes() == d.read_bytes()


def test_payload_from_path(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "firmimg.d7"
    src.write_bytes(kit.IMAGE)
    p = build_exe_dup(tmp_path / "x.EXE", component, {"payload/firmimg.d7": src})
    assert {m.path: m.size for m in inspect_dup(p).members}["payload/firmimg.d7"] == len(kit.IMAGE)


def test_bare_image_is_recognised_with_its_version(tmp_path: Path) -> None:
    p = build_firmware_image(tmp_path / "firmimg.d7", target="idrac7", version="2.10.10.10")
    assert p.read_bytes().startswith(b"FWUPDATE-SIM-IMAGE idrac7 2.10.10.10\n")
    doc = info_document(inspect_dup(p))
    assert doc["format"] == "image"
    assert doc["image"]["version"] == "2.10.10.10"
    assert doc["image"]["generation"] == "idrac7"
    assert "no package.xml" in doc["image"]["note"]
    with pytest.raises(DupError, match=r"no package\.xml"):
        read_package(p)


@pytest.mark.parametrize("name", ["firmimg.d6", "firmimg.d7", "firmimg.d9", "firmimgFIT.d9"])
def test_bare_image_by_known_name(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    p.write_bytes(b"\x00\x01opaque vendor image" * 10)
    d = detect(p)
    assert d.format is DupFormat.IMAGE
    assert d.image_generation is not None and d.image_header is None


def test_name_alone_never_decides(tmp_path: Path) -> None:
    exe = tmp_path / "BIOS_X_WN64_1.0.EXE"
    exe.write_bytes(b"just text, no PE header\n")
    with pytest.raises(DupError, match="not a DUP"):
        detect(exe)
    # A DUP named like an image is still a DUP.
    fake = tmp_path / "firmimg.d7"
    fake.write_bytes(b"#!/bin/sh\necho hello\n")
    with pytest.raises(DupError, match="not a DUP"):
        detect(fake)


def test_exe_without_zip(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "x.EXE"
    p.write_bytes(kit.pe_stub(8192))
    with pytest.raises(DupError, match="no ZIP archive"):
        detect(p)


def test_exe_zip_without_package_xml(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    p = kit.write_exe(tmp_path / "x.EXE", kit.raw_zip([("payload/firmimg.d7", b"img")]))
    with pytest.raises(DupError, match=r"no package\.xml"):
        inspect_dup(p)


def test_bin_markers_missing(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    arc = kit.raw_tar_gz([kit.tar_entry("payload/firmimg.d7")])
    # an older .BIN has no package section: then the archive must carry package.xml
    no_pkg = kit.write_bin(tmp_path / "a.BIN", arc, with_package_marker=False)
    assert detect(no_pkg).bin_layout.package_offset is None  # type: ignore[union-attr]
    with pytest.raises(DupError, match=r"no package\.xml"):
        inspect_dup(no_pkg)
    no_arc = kit.write_bin(tmp_path / "b.BIN", arc, with_archive_marker=False)
    with pytest.raises(DupError, match="Startofarchive"):
        detect(no_arc)


def test_marker_text_inside_package_xml(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    # The marker appears inside the XML both mid-line and alone on a line; neither is followed
    # by gzip data, so the real marker after the XML is the one used.
    from dataclasses import replace

    tricky = replace(
        component,
        description="before #####Startofarchive##### after\n#####Startofarchive#####\nend",
    )
    xml = kit.package_xml_bytes(tricky)
    assert b"\n#####Startofarchive#####\n" in xml
    arc = kit.raw_tar_gz([kit.tar_entry("payload/firmimg.d7", b"IMG")])
    p = kit.write_bin(tmp_path / "x.BIN", arc, package_xml=xml)
    info = inspect_dup(p)
    assert info.component is not None
    assert info.component.description is not None
    assert "#####Startofarchive#####\nend" in info.component.description
    assert [m.path for m in info.members] == ["payload/firmimg.d7"]


def test_truncated_bin(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    good = build_bin_dup(tmp_path / "g.BIN", component, {"firmimg.d7": kit.IMAGE})
    data = good.read_bytes()
    cut = tmp_path / "cut.BIN"
    cut.write_bytes(data[: len(data) - 2000])
    with pytest.raises(DupError, match="damaged or truncated"):
        inspect_dup(cut)


def test_archive_marker_without_gzip(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    p = kit.write_bin(tmp_path / "x.BIN", b"not gzip at all")
    with pytest.raises(DupError, match="no gzip archive"):
        detect(p)


def test_malformed_package_xml(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    arc = kit.raw_tar_gz([kit.tar_entry("payload/firmimg.d7")])
    p = kit.write_bin(tmp_path / "x.BIN", arc, package_xml=b"<SoftwareComponent><oops>")
    with pytest.raises(DupError, match=r"x\.BIN: package\.xml: malformed .* at line \d+"):
        read_package(p)


def test_package_xml_with_doctype_is_refused(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    xml = (
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        b'<SoftwareComponent vendorVersion="1.0" path="x.BIN"><Name><Display>&e;</Display>'
        b"</Name></SoftwareComponent>"
    )
    arc = kit.raw_tar_gz([kit.tar_entry("payload/firmimg.d7")])
    p = kit.write_bin(tmp_path / "x.BIN", arc, package_xml=xml)
    with pytest.raises(DupError, match="DOCTYPE") as ei:
        read_package(p)
    assert "root:" not in str(ei.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file"):
        detect(tmp_path / "nope.EXE")
    with pytest.raises(BadInputError, match="not a regular file"):
        detect(tmp_path)
