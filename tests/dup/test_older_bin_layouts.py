"""Older Linux DUP layouts whose payload is extractable (docs/dups.md, "Older .BIN layouts"):
the `#####EndOfScriptFileMarker#` archive marker, package.xml only inside the archive, marker
lines with trailing blanks, bytes after the gzip stream."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fwupdate.dup import build_bin_dup, extract_dup, inspect_dup
from fwupdate.errors import DupError

START_PKG = b"\n#####Startofpackage#####\n"
START_ARC = b"\n#####Startofarchive#####\n"


def _normal(tmp_path: Path, kit) -> bytes:  # type: ignore[no-untyped-def]
    c = kit.idrac_component(kit.IDRAC_BIN)
    p = build_bin_dup(tmp_path / "normal.BIN", c, {"firmimg.d7": kit.IMAGE})
    data = p.read_bytes()
    assert data.count(START_PKG) == 1 and data.count(START_ARC) == 1
    return data


def _old_marker(data: bytes) -> bytes:
    return data.replace(START_ARC, b"\n#####EndOfScriptFileMarker#\n")


def _no_package_section(data: bytes) -> bytes:
    head, rest = data.split(START_PKG)
    _xml, archive = rest.split(START_ARC)
    return head + START_ARC + archive


def _trailing_blanks(data: bytes) -> bytes:
    return data.replace(START_PKG, b"\n#####Startofpackage##### \n").replace(
        START_ARC, b"\n#####Startofarchive#####\t \r\n")


def _trailing_bytes(data: bytes) -> bytes:
    return data + b"\n# signature block of an older packer\n" + bytes(range(256)) * 4


LAYOUTS: dict[str, Callable[[bytes], bytes]] = {
    "EndOfScriptFileMarker": _old_marker,
    "package.xml only in the archive": _no_package_section,
    "marker with trailing blanks": _trailing_blanks,
    "bytes after the gzip stream": _trailing_bytes,
    "all of them": lambda d: _trailing_bytes(_old_marker(_no_package_section(d))),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_older_layouts_are_read_and_extracted(tmp_path: Path, kit, layout: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / kit.IDRAC_BIN
    p.write_bytes(LAYOUTS[layout](_normal(tmp_path, kit)))
    info = inspect_dup(p)
    assert info.component is not None and info.component.vendor_version == "2.65.65.65"
    r = extract_dup(p, tmp_path / "out", members=["payload/firmimg.d7"])
    assert [f.member for f in r.files] == ["payload/firmimg.d7"]
    assert (tmp_path / "out/payload/firmimg.d7").read_bytes() == kit.IMAGE


def test_a_marker_line_with_other_text_is_still_not_a_marker(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    data = _normal(tmp_path, kit).replace(START_ARC, b"\n#####Startofarchive##### x\n")
    p = tmp_path / "x.BIN"
    p.write_bytes(data)
    with pytest.raises(DupError):
        inspect_dup(p)


def test_no_package_xml_anywhere_is_still_refused(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    arc = kit.raw_tar_gz([kit.tar_entry("payload/firmimg.d7", kit.IMAGE)])
    p = kit.write_bin(tmp_path / "x.BIN", arc, with_package_marker=False, package_xml=b"")
    with pytest.raises(DupError, match=r"package\.xml"):
        inspect_dup(p)


def test_bytes_after_an_unpadded_gzip_stream(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    """A tar without record padding: reading its end reaches past the gzip member."""
    arc = kit.raw_tar_gz([kit.tar_entry("package.xml", kit.PACKAGE_XML),
                          kit.tar_entry("payload/firmimg.d7", kit.IMAGE)])
    p = kit.write_bin(tmp_path / "x.BIN", arc + b"\nTRAILER not gzip " + b"\x07" * 300)
    assert inspect_dup(p).component is not None
    extract_dup(p, tmp_path / "out", members=["payload/firmimg.d7"])
    assert (tmp_path / "out/payload/firmimg.d7").read_bytes() == kit.IMAGE
