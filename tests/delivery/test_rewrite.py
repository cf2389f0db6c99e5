"""Catalog rewriting: baseLocation / baseLocationAccessProtocols, encoding and BOM kept."""

from __future__ import annotations

import codecs

import pytest

from fwupdate.errors import CatalogError
from fwupdate.repo.rewrite import detect_encoding, package_paths, rewrite_catalog

DOC = (
    '<?xml version="1.0" encoding="{enc}"?>\n<!-- a comment before the root -->\n'
    '<Manifest baseLocation="downloads.dell.com" baseLocationAccessProtocols="HTTPS" '
    'dateTime="2025-04-22T01:46:12+05:30" version="25.04.28">'
    '<SoftwareBundle path="PER640-WIN64.XML"/>'
    '<SoftwareComponent path="FOLDER0123/1/BIOS_X_WN64_2.12.1.EXE" vendorVersion="2.12.1">'
    "<Name><Display lang=\"en\"><![CDATA[BIOS é]]></Display></Name></SoftwareComponent>"
    "</Manifest>\n"
)


@pytest.mark.parametrize(
    ("enc", "codec", "bom"),
    [
        ("utf-16", "utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16", "utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-8", "utf-8", codecs.BOM_UTF8),
        ("utf-8", "utf-8", b""),
    ],
)
def test_rewrite_keeps_encoding_bom_and_content(enc: str, codec: str, bom: bytes) -> None:
    data = bom + DOC.format(enc=enc).encode(codec)
    result = rewrite_catalog(data)
    assert result.changed
    assert result.data.startswith(bom)
    assert detect_encoding(result.data) == (codec, bool(bom))
    text = result.data[len(bom):].decode(codec)
    assert 'baseLocation=""' in text
    assert "baseLocationAccessProtocols" not in text
    assert "<!-- a comment before the root -->" in text
    assert 'dateTime="2025-04-22T01:46:12+05:30"' in text and "BIOS é" in text
    assert text.startswith(f'<?xml version="1.0" encoding="{enc}"?>')
    assert package_paths(result.data) == (
        ("FOLDER0123/1/BIOS_X_WN64_2.12.1.EXE",),
        ("PER640-WIN64.XML",),
    )
    assert any("downloads.dell.com" in c for c in result.changes)


def test_rewrite_of_a_local_catalog_changes_nothing() -> None:
    data = codecs.BOM_UTF8 + b'<?xml version="1.0"?>\n<Manifest baseLocation="" dateTime="x"/>'
    result = rewrite_catalog(data)
    assert not result.changed and result.data == data


def test_rewrite_to_another_base_location() -> None:
    data = DOC.format(enc="utf-8").encode()
    result = rewrite_catalog(data, base_location="mirror.example/dell")
    assert b'baseLocation="mirror.example/dell"' in result.data


@pytest.mark.parametrize(
    "doc",
    [
        b'<?xml version="1.0"?><!DOCTYPE Manifest [<!ENTITY x "y">]><Manifest baseLocation="a"/>',
        b"<Manifest baseLocation='a'>",
        b'<Other baseLocation="a"/>',
    ],
)
def test_hostile_or_broken_catalogs_are_refused(doc: bytes) -> None:
    with pytest.raises(CatalogError):
        rewrite_catalog(doc)


def test_keep_paths_drops_unplanned_components_and_bundle_entries() -> None:
    doc = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<Manifest baseLocation="" dateTime="x">'
        b'<SoftwareBundle path="B.XML"><Contents><Package path="a.EXE"/><Package path="b.EXE"/>'
        b'</Contents></SoftwareBundle>'
        b'<SoftwareComponent path="a.EXE"/><SoftwareComponent path="b.EXE"/></Manifest>'
    )
    result = rewrite_catalog(doc, keep_paths=["A.exe"], base_location=None)
    assert result.changes == ("1 component(s) not in the plan removed",)
    assert b'path="b.EXE"' not in result.data and b'<Package path="a.EXE"/>' in result.data
    assert package_paths(result.data) == (("a.EXE",), ("B.XML",))
