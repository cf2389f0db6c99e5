"""Recognising a LoadMaster patch and its version without importing the simulator."""

from __future__ import annotations

import pytest

from fwupdate.errors import BadInputError
from fwupdate.plan.lm_image import compare_lm_versions, inspect_lm_image


@pytest.mark.parametrize(
    ("name", "head", "version", "source"),
    [
        ("7.1-Patch28b-BARE-METAL.bin", b"\x8f\x00opaque", "7.1-Patch28b", "file name"),
        ("LoadMaster-7.2.54.10.22172-BARE-METAL.bin", b"\x00", "7.2.54.10.22172", "file name"),
        ("LMOS_7.2.59.4.RELEASE-Patch.bin", b"\x00", "7.2.59.4", "file name"),
        ("anything.bin", b"KEMP-LM-PATCH 7.2.48.3 BARE-METAL\nxx", "7.2.48.3", "header"),
        ("7.2.48.3-BARE-METAL.bin", b"KEMP-LM-PATCH 7.2.48.3 BARE-METAL\n", "7.2.48.3", "header"),
        ("/some/dir/V7.1.40-Patch-BARE-METAL.bin", b"\x01", "7.1.40", "file name"),
    ],
)
def test_recognised(name: str, head: bytes, version: str, source: str) -> None:
    img = inspect_lm_image(name, head, size=len(head), sha256="0" * 64)
    assert (img.version, img.version_source, img.platform) == (version, source, "BARE-METAL")
    assert "/" not in img.file_name


@pytest.mark.parametrize(
    ("name", "head", "message"),
    [
        ("iDRAC_WN64_2.65.65.65_A00.EXE", b"MZ", "Windows executable"),
        ("7.1-Patch28b-BARE-METAL.bin", b"MZ\x90", "Windows executable"),
        ("x.bin", b"#!/bin/sh\n#####Startofpackage#####\n", "Linux Dell Update Package"),
        ("firmimg.d7", b"FWUPDATE-SIM-IMAGE idrac7 2.65.65.65\n", "bare iDRAC image"),
        ("7.2.54.10-Patch.bin", b"FWUPDATE-SIM-IMAGE bios 2.9.0\n", "bare firmware image"),
        ("LoadMaster-7.2.54.10.zip", b"PK\x03\x04", "ZIP archive"),
        ("7.2.54.10-Patch.bin", b"\x1f\x8b\x08", "gzip"),
        ("LoadMaster-VLM-7.2.54.10.ova", b"\x00", "virtual appliance"),
        ("LoadMaster-7.2.54.10.vmdk", b"\x00", "VM disk"),
        ("7.2.54.10.iso", b"\x00", "ISO"),
        ("7.2.54.10-VMWARE-Patch.bin", b"\x00", "VMWARE image"),
        ("x.bin", b"KEMP-LM-PATCH 7.2.54.10 HYPERV\n", "HYPERV image"),
        ("x.bin", b"KEMP-LM-PATCH 7.2.54.10\n", "damaged"),
        ("readme.bin", b"\x00", "no version"),
        ("7.2.54.10.bin", b"\x00", "neither 'Patch' nor a platform"),
        ("7.1-Patch28b-BARE-METAL.bin", b"", "empty"),
    ],
)
def test_refused(name: str, head: bytes, message: str) -> None:
    with pytest.raises(BadInputError) as exc:
        inspect_lm_image(name, head, size=len(head))
    assert "not a LoadMaster patch" in str(exc.value)
    assert message in str(exc.value)


def test_name_and_header_must_agree() -> None:
    with pytest.raises(BadInputError, match=r"file name says version 7\.1-Patch28b"):
        inspect_lm_image("7.1-Patch28b-BARE-METAL.bin", b"KEMP-LM-PATCH 7.2.54.10 BARE-METAL\n")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("7.1-Patch28b", "7.1-Patch28a", 1),
        ("7.1-Patch28b", "7.1-Patch28b", 0),
        ("7.1-Patch30", "7.1-Patch28b", 1),
        ("7.2.54.12", "7.2.54.12.22642.RELEASE", 0),
        ("V7.1.40", "7.1.40", 0),
        ("7.2.48.3", "7.2.54.10", -1),
        ("7.1.40", "7.1.40.1", -1),
    ],
)
def test_compare_lm_versions(a: str, b: str, expected: int) -> None:
    assert compare_lm_versions(a, b) == expected
    assert compare_lm_versions(b, a) == -expected
