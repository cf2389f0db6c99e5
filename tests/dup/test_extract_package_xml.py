"""`dup extract` checks package.xml like `dup inspect` (issue 15): missing, damaged or DOCTYPE
package.xml, or one with the ZIP encryption flag, is bad input (exit 2, one line) and nothing
is written."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from fwupdate.dup import build_exe_dup

GOOD_XML = (
    b'<?xml version="1.0" encoding="utf-8"?><SoftwareComponent packageType="LW64" '
    b'vendorVersion="2.65.65.65"><Name><Display lang="en">iDRAC</Display></Name>'
    b"</SoftwareComponent>"
)


def _exe(path: Path, package_xml: bytes | None, *, encrypted: bool = False) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        if package_xml is not None:
            zf.writestr(zipfile.ZipInfo("package.xml", (2020, 1, 1, 0, 0, 0)), package_xml)
        zf.writestr(zipfile.ZipInfo("payload/firmimg.d7", (2020, 1, 1, 0, 0, 0)), b"image")
    data = bytearray(buf.getvalue())
    if encrypted:  # zipfile clears flag bits when writing: set bit 0 of the first entry's
        data[6] |= 0x1  # local header and of its central directory record
        data[data.index(b"PK\x01\x02") + 8] |= 0x1
    path.write_bytes(b"MZ" + b"\0" * 126 + bytes(data))
    return path


CASES = {
    "missing": (None, False, "package.xml"),
    "damaged": (b"<SoftwareComponent><Name>", False, "malformed"),
    "doctype": (b'<!DOCTYPE x SYSTEM "http://evil/x.dtd">' + GOOD_XML, False, "DOCTYPE"),
    "empty": (b"", False, "package.xml"),
    "encrypted": (GOOD_XML, True, "encrypt"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["extract", "inspect"])
def test_bad_package_xml_is_refused(cli, tmp_path: Path, case: str, command: str) -> None:  # type: ignore[no-untyped-def]
    xml, encrypted, needle = CASES[case]
    dup = _exe(tmp_path / "iDRAC_WN64_2.65.65.65_A00.EXE", xml, encrypted=encrypted)
    out = tmp_path / "out"
    args = ["dup", command, str(dup)] + (["--to", str(out)] if command == "extract" else [])
    r = cli(*args)
    assert r.code == 2, r
    assert len(r.err.splitlines()) == 1 and "internal error" not in r.err
    assert needle.lower() in r.err.lower()
    assert not out.exists() or not any(out.rglob("*"))


def test_good_synthetic_dup_still_extracts(cli, tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / kit.IDRAC_EXE, component, {"firmimg.d7": kit.IMAGE})
    r = cli("dup", "extract", str(p), "--to", str(tmp_path / "out"))
    assert r.code == 0, r
    assert (tmp_path / "out" / "payload" / "firmimg.d7").is_file()
