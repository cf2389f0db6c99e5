"""Second pass of hostile catalogs (issue 15): values that cannot be right, decompression
bombs, contradicting encodings, unknown elements; each is exit 2 with one line naming the
component and the reason."""

from __future__ import annotations

import codecs
import gzip
import io
from pathlib import Path

import pytest

from fwupdate.catalog.parser import parse_catalog
from fwupdate.errors import CatalogError

from .conftest import Comp, MakeCatalog, catalog_text, encode, sample_components


def _one_line_error(cli, path: Path, *extra: str) -> str:  # type: ignore[no-untyped-def]
    r = cli("catalog", "show", str(path), "--no-cache", *extra)
    assert r.code == 2, r
    lines = r.err.splitlines()
    assert len(lines) == 1, r.err
    assert "Traceback" not in r.err
    return lines[0]


@pytest.mark.parametrize(
    ("attrs", "path", "reason"),
    [
        ({}, "/etc/passwd", "absolute"),
        ({}, "../../outside/BIOS.EXE", "'..'"),
        ({}, "FOLDER1\\..\\..\\x.EXE", "'..'"),
        ({}, "C:/dell/x.EXE", "drive letter"),
        ({"hashMD5": "abc"}, "BIOS_A.EXE", "hashMD5"),
        ({"hashMD5": "z" * 32}, "BIOS_A.EXE", "hashMD5"),
        ({"size": "-5"}, "BIOS_A.EXE", "size"),
        ({"size": "99999999999999"}, "BIOS_A.EXE", "size"),
        ({"size": "12kB"}, "BIOS_A.EXE", "size"),
    ],
)
@pytest.mark.parametrize("system_id", [None, "04F7"])
def test_impossible_values_are_refused(
    cli, make_catalog: MakeCatalog, attrs: dict[str, str], path: str, reason: str,  # type: ignore[no-untyped-def]
    system_id: str | None,
) -> None:
    comps = sample_components()
    comps.insert(1, Comp(path, ("04F7",), name="Evil", attrs=attrs))
    cat = make_catalog(comps)
    extra = ("--system-id", system_id) if system_id else ()
    line = _one_line_error(cli, cat, *extra)
    assert reason in line
    assert "component" in line and "Evil" in line


def test_deep_nesting_inside_a_component_is_refused(cli, make_catalog: MakeCatalog) -> None:  # type: ignore[no-untyped-def]
    deep = "<X>" * 5000 + "</X>" * 5000
    comps = [Comp("BIOS_A.EXE", ("04F7",), name="Deep", extra_children=deep)]
    line = _one_line_error(cli, make_catalog(comps))
    assert "deep" in line.lower()


def test_deep_nesting_outside_components_is_refused(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    text = catalog_text(sample_components(), between="<U>" * 3000 + "</U>" * 3000)
    path = tmp_path / "deep.xml"
    path.write_bytes(encode(text))
    line = _one_line_error(cli, path)
    assert "deep" in line.lower()


@pytest.mark.parametrize("mib", [2, 11])
@pytest.mark.parametrize("system_id", [None, "04F7"])
def test_huge_text_node_is_refused(
    cli, make_catalog: MakeCatalog, mib: int, system_id: str | None  # type: ignore[no-untyped-def]
) -> None:
    """Over the 1 MiB text limit: refused naming the component (libxml2 itself stops at
    10 MB, with its own one-line message)."""
    big = "<ReleaseNotes>" + "A" * (mib << 20) + "</ReleaseNotes>"
    comps = [Comp("BIOS_A.EXE", ("04F7",), name="Noisy", extra_children=big)]
    extra = ("--system-id", system_id) if system_id else ()
    line = _one_line_error(cli, make_catalog(comps), *extra)
    assert ("text" in line and "Noisy" in line) or "limit exceeded" in line


@pytest.mark.parametrize(
    ("bom", "body_codec", "declared"),
    [
        (codecs.BOM_UTF8, "utf-8", "utf-16"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-8"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "iso-8859-1"),
    ],
)
def test_declaration_contradicting_the_bom_is_refused(
    cli, tmp_path: Path, bom: bytes, body_codec: str, declared: str  # type: ignore[no-untyped-def]
) -> None:
    text = catalog_text(sample_components(), declared=declared)
    path = tmp_path / "lie.xml"
    path.write_bytes(bom + text.encode(body_codec))
    line = _one_line_error(cli, path)
    assert "encoding" in line and "BOM" in line


def _bomb(expanded_mib: int) -> bytes:
    """A multi-member gzip whose content is a Manifest with MiBs of unknown elements (one
    compressed MiB repeated: cheap to build, GiBs when inflated)."""
    block = gzip.compress(b"<Unknown a='1'/>" * 65536, compresslevel=9)  # 1 MiB each
    head = gzip.compress(b'<?xml version="1.0"?>\n<Manifest baseLocation="">')
    return head + block * expanded_mib + gzip.compress(b"</Manifest>")


def test_decompression_bomb_is_refused_early(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "Catalog.xml.gz"
    path.write_bytes(_bomb(1024))  # 1 GiB from about 2 MB
    assert path.stat().st_size < 3 << 20
    line = _one_line_error(cli, path)
    assert "decompression bomb" in line


def test_ordinary_gzip_catalog_still_reads(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "Catalog.xml.gz"
    path.write_bytes(gzip.compress(encode(catalog_text(sample_components()))))
    r = cli("catalog", "show", str(path), "--no-cache", "--format", "json")
    assert r.code == 0, r


def test_unknown_elements_do_not_pile_up() -> None:
    """Unknown top-level elements are dropped as the parse goes (no tree of them is kept)."""
    seen: list[int] = []
    import fwupdate.catalog.parser as parser_mod

    text = catalog_text(sample_components(), between="<Unknown><A/><B>t</B></Unknown>" * 2000)
    original = parser_mod._Collector.handle

    def spy(self, events):  # type: ignore[no-untyped-def]
        original(self, events)
        if self.root is not None:
            seen.append(len(self.root))

    parser_mod._Collector.handle = spy  # type: ignore[method-assign]
    try:
        cat = parse_catalog(io.BytesIO(encode(text)), read_size=4096)
    finally:
        parser_mod._Collector.handle = original  # type: ignore[method-assign]
    assert len(cat.components) == len(sample_components())
    assert seen and max(seen) <= 2


def test_multi_line_libxml2_message_becomes_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = catalog_text(sample_components()).replace(
        "</Manifest>", "<Bad><![CDATA[line one\nline two\n]]></Bad>\n<<</Manifest>"
    )
    path = tmp_path / "bad.xml"
    path.write_bytes(encode(text))
    line = _one_line_error(cli, path)
    assert "malformed catalog XML" in line


def test_component_name_in_value_errors_is_clean() -> None:
    comps = [Comp("../x.EXE", ("04F7",), name="Line1\nLine2")]
    with pytest.raises(CatalogError) as err:
        parse_catalog(io.BytesIO(encode(catalog_text(comps))))
    assert "\n" not in str(err.value)
