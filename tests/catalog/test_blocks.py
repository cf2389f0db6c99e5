"""Skipping repeated `SupportedSystems` blocks (blocks.py) never changes the answer: what
`load_catalog` returns - the components, their systems, the bundles and totals, or the error
with its line and column - is what the parse without skipping returns, for every input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fwupdate.catalog import load_catalog
from fwupdate.catalog.blocks import BlockSkipFallback
from fwupdate.catalog.parser import PrefilteredParseError, parse_catalog
from fwupdate.errors import CatalogError

from .conftest import ONLINE_CATALOG, SUU_CATALOG, Comp, catalog_text, component_xml, encode
from .test_bench_generator import _generator

SID = "04F7"


def _today(data: bytes, read_size: int) -> object:
    """What load_catalog answered before block skipping (its pre-filter and fallback)."""
    try:
        try:
            return parse_catalog(io.BytesIO(data), system_id=SID, read_size=read_size)
        except PrefilteredParseError:
            return parse_catalog(io.BytesIO(data), system_id=SID, prefilter=False)
    except CatalogError as exc:
        return ("error", type(exc).__name__, exc.message)


def _skipping(data: bytes, read_size: int) -> tuple[object, bool]:
    """The same with block skipping, as load_catalog does it; and whether it fell back."""
    try:
        try:
            try:
                cat = parse_catalog(
                    io.BytesIO(data), system_id=SID, read_size=read_size, skip_blocks=True
                )
                return cat, False
            except BlockSkipFallback:
                return _today(data, read_size), True
        except PrefilteredParseError:
            return parse_catalog(io.BytesIO(data), system_id=SID, prefilter=False), False
    except CatalogError as exc:
        return ("error", type(exc).__name__, exc.message), False


def _summary(result: object) -> object:
    if isinstance(result, tuple):
        return result
    cat = result
    return (
        cat.components,  # type: ignore[attr-defined]
        tuple(c.systems for c in cat.components),  # type: ignore[attr-defined]
        cat.bundles,  # type: ignore[attr-defined]
        cat.components_total,  # type: ignore[attr-defined]
        cat.manifest,  # type: ignore[attr-defined]
    )


def assert_same(data: bytes, read_size: int = 1 << 20) -> tuple[object, bool]:
    expected = _today(data, read_size)
    got, fell_back = _skipping(data, read_size)
    assert _summary(got) == _summary(expected)
    return got, fell_back


def _skipped(data: bytes) -> int:
    cat = parse_catalog(io.BytesIO(data), system_id=SID, skip_blocks=True)
    return int(cat.extra["blocks"].split()[0])


# --- real and generated catalogs ---------------------------------------------------------------


def test_generated_dense_and_sparse_catalogs(tmp_path: Path) -> None:
    gen = _generator()
    dense = gen.write_dense_catalog(tmp_path / "dense.xml", 2).read_bytes()
    got, fell_back = assert_same(dense)
    assert not fell_back and len(got.components) == 2 * 201  # type: ignore[attr-defined]
    assert _skipped(dense) >= 201  # the second copy of every block naming the R320
    sparse = gen.write_catalog(tmp_path / "sparse.xml", 0.5).read_bytes()
    assert_same(sparse)
    for read_size in (4096, 65536):
        assert_same(dense[: 400_000] + b"</Manifest>\n", read_size)


@pytest.mark.parametrize("path", [SUU_CATALOG, ONLINE_CATALOG], ids=["suu", "online"])
def test_sample_catalogs(path: Path) -> None:
    data = path.read_bytes()
    for read_size in (333, 1 << 20):
        _, fell_back = assert_same(data, read_size)
        assert not fell_back


def test_suu_sample_skips_its_repeated_blocks() -> None:
    assert _skipped(SUU_CATALOG.read_bytes()) > 10  # 31 components, 6 distinct blocks


def test_load_catalog_skips_and_equals(tmp_path: Path) -> None:
    path = tmp_path / "c.xml"
    path.write_bytes(SUU_CATALOG.read_bytes())
    cat = load_catalog(str(path), system_id=SID, use_cache=False)
    assert cat.extra["blocks"].split()[0] != "0"
    ref = parse_catalog(io.BytesIO(path.read_bytes()), system_id=SID)
    assert cat.components == ref.components


# --- hostile variants ---------------------------------------------------------------------------

BLOCK_MODELS = ("04F7", "04CE", "0601")


def _catalog(*comps: Comp, between: str = "", encoding: str = "utf-8") -> bytes:
    return encode(catalog_text(comps, between=between), encoding)


def _comps(n: int, systems: tuple[str, ...] = BLOCK_MODELS, **kw: str) -> list[Comp]:
    return [Comp(f"c{i}.EXE", systems, **kw) for i in range(n)]  # type: ignore[arg-type]


def test_plain_repeats_are_skipped() -> None:
    data = _catalog(*_comps(4))
    assert _skipped(data) == 3
    assert_same(data)
    gz = encode(catalog_text(_comps(4)), gz=True)
    assert _skipped(gz) == 3
    assert_same(gz, 64)


def test_a_block_differing_by_one_byte_is_parsed() -> None:
    comps = _comps(3)
    comps[1] = Comp("c1.EXE", ("04F7", "04CE", "0602"))
    comps[2] = Comp("c2.EXE", ("04F8", "04CE", "0601"))  # the system's byte differs
    data = _catalog(*comps)
    got, _ = assert_same(data)
    assert [c.path for c in got.components] == ["c0.EXE", "c1.EXE"]  # type: ignore[attr-defined]
    assert _skipped(data) == 0


def test_utf16_is_parsed_in_full() -> None:
    for enc in ("utf-16-le", "utf-16-be"):
        data = _catalog(*_comps(3), encoding=enc)
        assert_same(data)
        assert "blocks" not in parse_catalog(
            io.BytesIO(data), system_id=SID, skip_blocks=True
        ).extra


HOSTILE_CHILDREN = {
    # text that looks like the block's end tag, inside CDATA in or around the block
    "cdata-around": "<Notes><![CDATA[</SupportedSystems> <SupportedSystems>]]></Notes>",
    "comment-around": "<!-- <SupportedSystems><Brand><Model systemID='04F7'/></Brand>"
    "</SupportedSystems> -->",
    "pi-around": "<?pi <SupportedSystems>?>",
    "second-block": '<SupportedSystems><Brand prefix="X"><Model systemID="0601"/></Brand>'
    "</SupportedSystems>",
    "second-block-names-it": '<SupportedSystems><Brand prefix="X"><Model systemID="04F7"/>'
    "</Brand></SupportedSystems>",
    "model-outside-brand": '<Other><Model systemID="04F7"/></Other>',
    "stray-end": "</SupportedSystems>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_CHILDREN))
def test_hostile_neighbours(name: str) -> None:
    child = HOSTILE_CHILDREN[name]
    for where in (0, 1, 2):
        comps = _comps(3, ("04CE", "0601", "04F7"))
        comps[where] = Comp(f"c{where}.EXE", ("04CE", "0601", "04F7"), extra_children=child)
        for read_size in (64, 1 << 20):
            assert_same(_catalog(*comps), read_size)
    # the block names the system only in a second block, repeated
    comps = _comps(3, ("04CE",), extra_children=child)
    assert_same(_catalog(*comps))


BLOCK_VARIANTS = {
    "cdata-in-display": '<SupportedSystems><Brand prefix="PE"><Model systemID="04F7">'
    '<Display><![CDATA[a</SupportedSystems>b]]></Display></Model></Brand></SupportedSystems>',
    "comment-inside": '<SupportedSystems><Brand prefix="PE"><!-- x --><Model systemID="04F7"/>'
    "</Brand></SupportedSystems>",
    "pi-inside": '<SupportedSystems><Brand prefix="PE"><?x y?><Model systemID="04F7"/>'
    "</Brand></SupportedSystems>",
    "unclosed-cdata": '<SupportedSystems><Brand prefix="PE"><Model systemID="04F7"/>'
    "<X><![CDATA[ </SupportedSystems> ]]></X></Brand></SupportedSystems>",
    "prefixed": '<SupportedSystems xmlns:p="urn:p"><p:Brand prefix="PE"><p:Model systemID="04F7"/>'
    "</p:Brand></SupportedSystems>",
    "default-namespace": '<SupportedSystems xmlns="urn:x"><Brand prefix="PE">'
    '<Model systemID="04F7"/></Brand></SupportedSystems>',
    "self-closing": '<SupportedSystems/><Brand prefix="PE"><Model systemID="04F7"/></Brand>',
    "nested-model": '<SupportedSystems><Brand prefix="PE"><X><Model systemID="04F7"/></X>'
    '</Brand><Model systemID="04F7"/></SupportedSystems>',
    "space-in-end": '<SupportedSystems ><Brand prefix="PE"><Model systemID="04F7"/></Brand>'
    "</SupportedSystems\n  >",
    "entity": '<SupportedSystems><Brand prefix="P&amp;E"><Model systemID="04F7"/></Brand>'
    "</SupportedSystems>",
    "undefined-entity": '<SupportedSystems><Brand prefix="P&x;E"><Model systemID="04F7"/>'
    "</Brand></SupportedSystems>",
    "malformed": '<SupportedSystems><Brand prefix="PE"><Model systemID="04F7"></Brand>'
    "</SupportedSystems>",
    "deep": "<SupportedSystems>" + "<D>" * 29 + '<Model systemID="04F7"/>' + "</D>" * 29
    + "</SupportedSystems>",
    "too-deep": "<SupportedSystems>" + "<D>" * 31 + '<Model systemID="04F7"/>' + "</D>" * 31
    + "</SupportedSystems>",
    "wide": '<SupportedSystems><Brand prefix="PE">' + '<Model systemID="04F7"/>' * 10_001
    + "</Brand></SupportedSystems>",
}


def _with_block(block: str, n: int = 3, *, bad_last: str = "") -> bytes:
    """n components whose SupportedSystems is `block` (the conftest one removed)."""
    parts = []
    for i in range(n):
        xml = component_xml(Comp(f"c{i}.EXE", (), extra_children=block))
        xml = xml.replace('<SupportedSystems display="1"><Brand key="3" prefix="PE"></Brand>'
                          "</SupportedSystems>", "")
        if bad_last and i == n - 1:
            xml = xml.replace('path="', bad_last, 1)
        parts.append(xml)
    return encode(catalog_text([]).replace("</Manifest>", "".join(parts) + "</Manifest>"))


@pytest.mark.parametrize("name", sorted(BLOCK_VARIANTS))
def test_block_variants(name: str) -> None:
    data = _with_block(BLOCK_VARIANTS[name])
    for read_size in (100, 1 << 20):
        assert_same(data, read_size)


def test_errors_after_a_skip_are_the_full_parse_errors() -> None:
    block = BLOCK_VARIANTS["entity"]
    cases = [
        _with_block(block, 4, bad_last='path="../escape.EXE" x="'),  # refused value
        _with_block(block, 4, bad_last='path="a.EXE" path="'),  # duplicate attribute
        _with_block(block, 4) .replace(b"</Manifest>", b"<Broken></Manifest>"),
        _with_block(block, 4).replace(b"</Manifest>", b"</SoftwareComponent></Manifest>"),
        _with_block(block, 4)[:-40],  # cut short
    ]
    for data in cases:
        got, fell_back = assert_same(data)
        assert isinstance(got, tuple) and fell_back, got


def test_placeholders_in_a_nested_component_fall_back() -> None:
    comp = component_xml(Comp("n.EXE", BLOCK_MODELS))
    data = _catalog(*_comps(2), between=f"<Wrapper>{comp}</Wrapper>")
    got, fell_back = assert_same(data)
    assert fell_back and not isinstance(got, tuple)


def test_placeholders_in_a_commented_component_fall_back() -> None:
    comp = component_xml(Comp("n.EXE", BLOCK_MODELS))
    data = _catalog(*_comps(2), between=f"<!-- {comp} -->")
    assert_same(data)


def test_fallback_on_a_bundle_that_holds_a_placeholder() -> None:
    comp = component_xml(Comp("n.EXE", BLOCK_MODELS))
    data = _catalog(*_comps(2), between=f"<SoftwareBundle><!-- -->{comp}</SoftwareBundle>")
    assert_same(data)


def test_depth_of_a_skipped_block_under_a_nested_component() -> None:
    """`_prune` refuses depth along the open elements: a skipped block must not hide that."""
    block = BLOCK_VARIANTS["deep"]
    comps = _with_block(block, 3)
    deep = comps.replace(b"<SoftwareComponent", b"<W><SoftwareComponent").replace(
        b"</SoftwareComponent>", b"</SoftwareComponent></W>"
    )
    for read_size in (7, 100, 1 << 20):
        assert_same(deep, read_size)


# --- property: any mix of repeated blocks and tricky content ------------------------------------

TRICKS = st.sampled_from(
    [
        *[""] * 10,
        "<!-- c -->",
        "<![CDATA[</SupportedSystems>]]>",
        "<?pi x?>",
        "<Other><Model systemID='04F7'/></Other>",
        "<SupportedSystems><Brand><Model systemID='04F7'/></Brand></SupportedSystems>",
    ]
)


@st.composite
def repeating_catalogs(draw: st.DrawFn) -> bytes:
    blocks = [
        draw(st.lists(st.sampled_from(["04F7", "04CE", "0601", "04f7", "4F70"]), max_size=3))
        for _ in range(draw(st.integers(1, 3)))
    ]
    parts = []
    for i in range(draw(st.integers(0, 7))):
        systems = tuple(draw(st.sampled_from(blocks)))
        child = draw(TRICKS)
        parts.append(draw(st.sampled_from(["", "\n", "<!-- g -->", "<W/>"])))
        parts.append(component_xml(Comp(f"c{i}.BIN", systems, extra_children=child)))
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<Manifest baseLocation="">'
        + "".join(parts)
        + "</Manifest>\n"
    )
    return xml.encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=repeating_catalogs(), read_size=st.sampled_from([16, 333, 1 << 20]))
def test_skipping_never_changes_the_result(data: bytes, read_size: int) -> None:
    assert_same(data, read_size)


# --- limits proven on the raw bytes of a component with a placeholder (small_component) ----------


def _nest(depth: int, inner: str = "") -> str:
    return "<D>" * depth + inner + "</D>" * depth


SMALL_PROOF_CHILDREN = {
    # at and past the start-tag bound (the conftest component has 10 elements and the block)
    "nest-20": _nest(20),
    "nest-22": _nest(22),
    "nest-31": _nest(31),
    "nest-32": _nest(32),
    "wide-40": "<W/>" * 40,
    # a comment or PI that holds the component's end tag: the element goes on after the cut
    "comment-hides-end": "<!-- </SoftwareComponent> -->" + _nest(33),
    "pi-hides-end": "<?x </SoftwareComponent> ?>" + _nest(33),
    "cdata-hides-end": "<N><![CDATA[ </SoftwareComponent> ]]></N>" + _nest(33),
    "long-text": "<T>" + "x" * (1 << 20) + "y</T>",
    "long-attribute": '<T a="' + "x" * (1 << 20) + 'y"/>',
    "start-tags-in-cdata": "<N><![CDATA[" + "<a>" * 40 + "]]></N>",
}


@pytest.mark.parametrize("name", sorted(SMALL_PROOF_CHILDREN))
def test_limits_proven_on_raw_bytes_equal_the_tree_check(name: str) -> None:
    """A kept component whose SupportedSystems is a placeholder skips `check_tree` only when
    its bytes prove the limits; around that bound the answer (or the refusal, with its line)
    is the full parse's."""
    child = SMALL_PROOF_CHILDREN[name]
    for where in (1, 2):
        comps = _comps(3)
        comps[where] = Comp(f"c{where}.EXE", BLOCK_MODELS, extra_children=child)
        for read_size in (100, 1 << 20):
            assert_same(_catalog(*comps), read_size)


def test_small_component_counts_every_opening() -> None:
    from fwupdate.catalog.blocks import SMALL_ELEMENTS, small_component

    inside = "<b/>" * (SMALL_ELEMENTS - 1)
    assert small_component(f"<a>{inside}</a>".encode())
    assert not small_component(f"<a>{inside}<b/></a>".encode())
    assert not small_component(b"<a><!-- c --></a>")
    assert not small_component(b"<a><?p?></a>")
    assert not small_component(b"<a>" + b"x" * (1 << 20) + b"</a>")
