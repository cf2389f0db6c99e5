"""Parser: encodings, compression, namespaces, tolerance, early filtering, errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from fwupdate.catalog.models import Criticality, PackageType
from fwupdate.catalog.parser import parse_catalog, parse_component_xml
from fwupdate.errors import CatalogError

from .conftest import Comp, MakeCatalog, catalog_text, encode, sample_components


def parse_path(path: Path, system_id: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
    with open(path, "rb") as fh:
        return parse_catalog(fh, source=str(path), system_id=system_id, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("encoding", "bom", "gz"),
    [
        ("utf-8", True, False),
        ("utf-8", False, False),
        ("utf-16-le", True, False),
        ("utf-16-be", True, False),
        ("utf-16-le", False, False),
        ("utf-8", True, True),
        ("utf-16-le", True, True),
    ],
)
@pytest.mark.parametrize("system_id", [None, "04F7"])
def test_encodings_and_gzip(
    make_catalog: MakeCatalog, encoding: str, bom: bool, gz: bool, system_id: str | None
) -> None:
    # gzip is found by its magic bytes: the file is called .xml, not .gz
    path = make_catalog(sample_components(), encoding=encoding, bom=bom, gz=gz)
    cat = parse_path(path, system_id)
    assert cat.components_total == 5
    names = [c.file_name for c in cat.components]
    if system_id:
        assert names == [
            "BIOS_R320_LN_2.4.2.BIN",
            "BIOS_R320_WN32_2.9.0.EXE",
            "iDRAC_WN64_2.65.65.65.EXE",
            "NIC_WN64_7.10.EXE",
        ]
    else:
        assert len(names) == 5
    assert cat.extra["encoding"].startswith(encoding)
    assert cat.extra["compression"] == ("gzip" if gz else "none")


def test_non_ascii_text_survives_utf16(make_catalog: MakeCatalog) -> None:
    comps = [Comp("a.EXE", name="Contrôleur RAID \u2013 日本語 😀")]
    for enc in ("utf-8", "utf-16-le", "utf-16-be"):
        cat = parse_path(make_catalog(comps, encoding=enc), "04F7")
        assert cat.components[0].name == "Contrôleur RAID \u2013 日本語 😀"


def test_models_fields(make_catalog: MakeCatalog) -> None:
    cat = parse_path(make_catalog(sample_components()), "04F7")
    bios = cat.components[1]
    assert bios.path == "FOLDER01M/1/BIOS_R320_WN32_2.9.0.EXE"
    assert bios.file_name == "BIOS_R320_WN32_2.9.0.EXE"
    assert bios.package_type is PackageType.LWXP
    assert bios.hash_md5 == "0123456789abcdef0123456789abcdef"  # lower-cased
    assert bios.criticality is Criticality.URGENT
    assert bios.reboot_required is True
    assert bios.component_ids == ("159",)
    assert bios.system_ids == ("04F7",)
    assert bios.category == "BI" and bios.component_type == "FRMW"
    nic = cat.components[3]
    assert nic.system_ids == ("04CE", "04F7")  # catalog ids are normalised to upper case


def test_namespaced_catalog(make_catalog: MakeCatalog) -> None:
    path = make_catalog(sample_components(), namespace="openmanage/cm/dm")
    for sid in (None, "04F7"):
        cat = parse_path(path, sid)
        assert cat.components_total == 5
        assert len(cat.components) == (5 if sid is None else 4)
        assert cat.components[0].system_ids


def test_prefixed_namespace(tmp_path: Path) -> None:
    text = catalog_text(sample_components()).replace("<", "<d:").replace("<d:/", "</d:")
    text = text.replace("<d:?xml", "<?xml").replace("<d:![CDATA[", "<![CDATA[")
    text = text.replace("<d:Manifest ", '<d:Manifest xmlns:d="urn:dell" ', 1)
    path = tmp_path / "p.xml"
    path.write_bytes(text.encode())
    cat = parse_path(path, "04F7")
    assert len(cat.components) == 4
    assert cat.extra["prefilter"] == "on"  # nothing to skip: no plain <SoftwareComponent tags


def test_missing_optional_attributes_and_unknown_elements(tmp_path: Path) -> None:
    text = """<?xml version="1.0"?>
<Manifest>
  <ReleaseNotes><Display lang="en"><![CDATA[notes]]></Display></ReleaseNotes>
  <InventoryComponent schemaVersion="2.0" path="FOLDER1M/3/invcol_LN64.BIN" osCode="LIN64" />
  <SoftwareComponent path="x.BIN">
    <SupportedSystems><Brand><Model systemID="4f7"/></Brand></SupportedSystems>
    <SupportedDevices><Device componentID="25227">
      <RollbackInformation rollbackIdentifier="1" rollbackTimeout="600"/>
      <PayloadConfiguration><Image filename="x" id="1" skip="false" type="FRMW" version="1"/>
      </PayloadConfiguration>
    </Device></SupportedDevices>
    <FMPWrappers><FMPWrapperInformation filePathName="iDracWrapper.efi" name="DRAC">
      <Inventory source="Device" supported="true"/><Update rollback="true" supported="true"/>
    </FMPWrapperInformation></FMPWrappers>
    <SomethingNewer a="b"><Deep/></SomethingNewer>
  </SoftwareComponent>
  <SoftwareComponent/>
  <Prerequisites/>
</Manifest>"""
    path = tmp_path / "m.xml"
    path.write_bytes(text.encode())
    cat = parse_path(path)
    assert cat.manifest.base_location == "" and cat.manifest.date_time is None
    assert cat.components_total == 2
    c = cat.components[0]
    assert c.vendor_version == "" and c.package_type is PackageType.OTHER
    assert c.reboot_required is None and c.size is None and c.hash_md5 is None
    assert c.criticality is Criticality.UNKNOWN
    assert c.system_ids == ("04F7",) and c.component_ids == ("25227",)
    assert cat.components[1].path == ""
    filtered = parse_path(path, "04f7")
    assert [x.path for x in filtered.components] == ["x.BIN"]


def test_manifest_attributes_online_style(make_catalog: MakeCatalog) -> None:
    attrs = (
        'baseLocation="downloads.dell.com" baseLocationAccessProtocols="HTTPS,HTTP" '
        'dateTime="2025-04-22T01:46:12+05:30" identifier="g1" predecessorID="g0" '
        'releaseID="RHDC6" version="25.04.28"'
    )
    cat = parse_path(make_catalog(sample_components(), encoding="utf-16-le", manifest_attrs=attrs))
    m = cat.manifest
    assert m.base_location == "downloads.dell.com"
    assert m.base_location_access_protocols == ("HTTPS", "HTTP")
    assert (m.version, m.release_id, m.identifier) == ("25.04.28", "RHDC6", "g1")


def test_bundles_are_parsed_and_filtered(make_catalog: MakeCatalog) -> None:
    from .conftest import bundle_xml

    bundles = [bundle_xml("B320", "04F7", ["a.BIN", "b.BIN"]), bundle_xml("B620", "04CE", ["c"])]
    path = make_catalog(sample_components(), bundles=bundles)
    assert [b.bundle_id for b in parse_path(path).bundles] == ["B320", "B620"]
    only = parse_path(path, "04F7")
    assert [b.bundle_id for b in only.bundles] == ["B320"]
    assert only.bundles[0].package_paths == ("a.BIN", "b.BIN")
    assert only.extra["bundles_total"] == "2"


def test_line_number_in_error(tmp_path: Path) -> None:
    text = catalog_text(sample_components())
    lines = text.splitlines()
    assert "</Name>" in lines[12]
    lines[12] = lines[12].replace("</Name>", "</Nmae>")
    bad = "\n".join(lines)
    for enc in ("utf-8", "utf-16-le"):
        path = tmp_path / f"bad-{enc}.xml"
        path.write_bytes(encode(bad, enc))
        with pytest.raises(CatalogError, match=r"malformed catalog XML at line 13\b"):
            parse_path(path)


def test_line_number_kept_after_skipped_components(tmp_path: Path) -> None:
    # the error sits in a component that names 04F7, after skipped ones: the skipped bytes
    # are replaced by as many newlines, so the line is still right
    comps = [Comp(f"other{i}.BIN", ("04CE",)) for i in range(5)] + [Comp("r320.BIN")]
    text = catalog_text(comps)
    target = text.index('path="r320.BIN"')
    line = text.count("\n", 0, target) + 2
    bad = text[:target] + text[target:].replace("</Name>", "</Nmae>", 1)
    path = tmp_path / "bad.xml"
    path.write_bytes(encode(bad, "utf-8"))
    with pytest.raises(CatalogError, match=rf"at line {line}\b"):
        parse_path(path, "04F7", prefilter=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n  ", "no root element"),
        (b'<?xml version="1.0"?>\n<Catalog/>', "root element is <Catalog>"),
        (b"<html><body>404</body></html>", "root element is <html>"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not an XML catalog"),
        (b"PK\x03\x04 zip data", "not an XML catalog"),
        (b"\xff\xfe\x00\x00<\x00\x00\x00", "UTF-32"),
    ],
)
def test_not_a_catalog(data: bytes, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog(io.BytesIO(data), source="x")


def test_empty_manifest() -> None:
    cat = parse_catalog(io.BytesIO(b'<Manifest baseLocation=""/>'), system_id="04F7")
    assert cat.components == () and cat.components_total == 0


def test_damaged_gzip() -> None:
    import gzip

    data = gzip.compress(catalog_text(sample_components()).encode())
    with pytest.raises(CatalogError, match="gzip"):
        parse_catalog(io.BytesIO(data[: len(data) // 2]), source="x")


def test_memory_is_released_while_streaming(make_catalog: MakeCatalog) -> None:
    """Elements are cleared as they are read: the tree never holds more than one component."""
    from lxml import etree

    from fwupdate.catalog import parser as parser_mod

    sizes: list[int] = []
    real = parser_mod._Collector.handle

    def spy(self, events):  # type: ignore[no-untyped-def]
        events = list(events)
        real(self, iter(events))
        for _, el in events:
            if isinstance(el, etree._Element) and el.getparent() is not None:
                sizes.append(len(el.getparent()))

    comps = [Comp(f"c{i}.BIN") for i in range(50)]
    path = make_catalog(comps)
    parser_mod._Collector.handle = spy  # type: ignore[method-assign]
    try:
        cat = parse_path(path)
    finally:
        parser_mod._Collector.handle = real  # type: ignore[method-assign]
    assert len(cat.components) == 50
    assert sizes and max(sizes) <= 2


def test_parse_component_xml() -> None:
    xml = Comp("x.EXE", ("04F7",), "2.65.65.65", "25227")
    from .conftest import component_xml

    c = parse_component_xml(component_xml(xml).encode())
    assert c.vendor_version == "2.65.65.65" and c.component_ids == ("25227",)
    with pytest.raises(CatalogError, match="DOCTYPE"):
        parse_component_xml(b'<!DOCTYPE x [<!ENTITY a "b">]><SoftwareComponent path="&a;"/>')
    with pytest.raises(CatalogError, match="no <SoftwareComponent>"):
        parse_component_xml(b"<Other/>")
