"""Property-based fuzz of catalog input through the CLI (issue 15): whatever the bytes, exit 0
or 2, one stderr line on error, no traceback, nothing written, no hang."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Comp, catalog_text, encode, sample_components

HOSTILE_VALUES = [
    "../../etc/passwd", "/etc/shadow", "C:\\x.EXE", "a\\..\\..\\b", "-1", "99999999999999999999",
    "zz", "", "\x00", "&amp;", "&lol;", "]]>", "<![CDATA[x\ny]]>", "\u202e", "A" * 5000,
]
ATTRS = ["path", "hashMD5", "size", "vendorVersion", "packageType", "rebootRequired"]
INSERTS = [
    "<!DOCTYPE Manifest []>", "<Unknown/>" * 50, "<X>" * 300, "</Manifest>",
    "<SoftwareComponent>", "<![CDATA[a\nb]]>", "\x00",
    "<?xml version='1.0' encoding='utf-16'?>", "&#0;", "<a b='1' b='2'/>",
]
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def catalogs(draw: st.DrawFn) -> bytes:
    comps = sample_components()[:3]
    k = draw(st.integers(0, len(comps) - 1))
    attr = draw(st.sampled_from(ATTRS))
    value = draw(st.sampled_from(HOSTILE_VALUES) | st.text(max_size=40))
    comps[k] = Comp(comps[k].path if attr != "path" else value.replace('"', ""), ("04F7",),
                    attrs={} if attr == "path" else {attr: value.replace('"', "")})
    text = catalog_text(comps)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(INSERTS)) + text[at:]
    codec = draw(st.sampled_from(["utf-8", "utf-16-le", "utf-16-be"]))
    try:
        data = encode(text, codec, bom=draw(st.booleans()))
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=16)) + data[at + draw(st.integers(0, 8)):]
    if draw(st.integers(0, 5)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 4)) == 0:
        data = codecs.BOM_UTF8 + data
    if draw(st.integers(0, 4)) == 0:
        data = gzip.compress(data)
    return data


@pytest.mark.timeout(90)
@FUZZ
@given(data=catalogs(), system_id=st.sampled_from([None, "04F7"]))
def test_any_catalog_bytes_keep_the_contract(
    cli, cli_contract, snapshot_files, tmp_path: Path, data: bytes, system_id: str | None  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "Catalog.xml"
    path.write_bytes(data)
    before = snapshot_files(tmp_path)
    extra = ["--system-id", system_id] if system_id else []
    r = cli("catalog", "show", str(path), "--no-cache", "--format", "json", *extra)
    cli_contract(r)
    assert snapshot_files(tmp_path) == before
