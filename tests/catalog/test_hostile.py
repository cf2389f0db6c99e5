"""Hostile and broken inputs: each ends in a CatalogError naming the problem, quickly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from fwupdate.catalog import load_catalog
from fwupdate.catalog.parser import parse_catalog
from fwupdate.errors import CatalogError

from .conftest import Comp, catalog_text, encode, sample_components

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Manifest [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Manifest baseLocation="">
  <SoftwareComponent path="&lol9;"><SupportedSystems><Brand><Model systemID="04F7"/>
  </Brand></SupportedSystems></SoftwareComponent>
</Manifest>
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le"])
@pytest.mark.parametrize("system_id", [None, "04F7"])
def test_billion_laughs_is_refused(encoding: str, system_id: str | None) -> None:
    data = encode(BILLION_LAUGHS, encoding)
    with pytest.raises(CatalogError, match="DOCTYPE"):
        parse_catalog(io.BytesIO(data), source="laughs", system_id=system_id)


def test_external_entity_to_a_file_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    text = (
        f'<?xml version="1.0"?>\n<!DOCTYPE Manifest [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<Manifest><SoftwareComponent path="x"><Name><Display>&xxe;</Display></Name>'
        '<SupportedSystems><Brand><Model systemID="04F7"/></Brand></SupportedSystems>'
        "</SoftwareComponent></Manifest>"
    )
    path = tmp_path / "xxe.xml"
    path.write_text(text)
    with pytest.raises(CatalogError, match="DOCTYPE") as err:
        load_catalog(str(path), cache_dir=tmp_path / "c")
    assert "TOP-SECRET" not in str(err.value)


def test_doctype_after_a_comment_is_still_found() -> None:
    data = b'<?xml version="1.0"?><!-- x --><!doctype Manifest SYSTEM "http://evil/x.dtd"><Manifest/>'
    with pytest.raises(CatalogError, match="DOCTYPE"):
        parse_catalog(io.BytesIO(data))


@pytest.mark.parametrize("where", ["attribute", "text"])
def test_libxml2_settings_alone_do_not_expand_entities(where: str) -> None:
    """Belt and braces: even if the prolog check were bypassed, the parser configuration
    neither expands the entities (text) nor lets the amplification through (libxml2 stops
    it with an error); either way nothing near 10**9 characters is built."""
    from lxml import etree

    from fwupdate.catalog.parser import _pull_parser

    text = BILLION_LAUGHS
    if where == "text":
        text = text.replace('path="&lol9;">', 'path="x"><Name>&lol9;</Name>')
    parser = _pull_parser()
    try:
        parser.feed(text.encode())
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        assert "amplification" in str(exc)
        return
    assert len(etree.tostring(root)) < 10_000


@pytest.mark.parametrize("system_id", [None, "04F7"])
def test_truncated_xml(tmp_path: Path, system_id: str | None) -> None:
    data = encode(catalog_text(sample_components()), "utf-8")
    for cut in (len(data) // 3, len(data) - 20):
        path = tmp_path / f"t{cut}.xml"
        path.write_bytes(data[:cut])
        with pytest.raises(CatalogError, match="malformed catalog XML at line"):
            load_catalog(str(path), system_id=system_id, use_cache=False)


def test_non_xml_bytes(tmp_path: Path) -> None:
    path = tmp_path / "random.xml"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(CatalogError):
        load_catalog(str(path), use_cache=False)


@pytest.mark.parametrize("system_id", [None, "04F7"])
@pytest.mark.parametrize("matching", [True, False])
def test_huge_attribute_is_refused(tmp_path: Path, system_id: str | None, matching: bool) -> None:
    """A 12 MB attribute exceeds libxml2's limit without huge_tree: a clean error, not a hang."""
    comps = sample_components()
    comps.insert(
        1,
        Comp("huge.BIN", ("04F7",) if matching else ("04CE",), attrs={"x": "A" * (12 << 20)}),
    )
    path = tmp_path / "huge.xml"
    path.write_bytes(encode(catalog_text(comps), "utf-8"))
    if system_id and not matching:
        # skipped on the raw bytes: the component is never parsed, so nothing to refuse
        cat = load_catalog(str(path), system_id=system_id, use_cache=False)
        assert cat.components[0].file_name == "BIOS_R320_LN_2.4.2.BIN"
        assert cat.components_total == 6
        return
    with pytest.raises(CatalogError, match="malformed catalog XML at line"):
        load_catalog(str(path), system_id=system_id, use_cache=False)


def test_mismatched_declared_encoding(tmp_path: Path) -> None:
    text = catalog_text(sample_components()).replace('encoding="utf-8"', 'encoding="utf-16"')
    path = tmp_path / "lie.xml"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(CatalogError):
        load_catalog(str(path), system_id="04F7", use_cache=False)
