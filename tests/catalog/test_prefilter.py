"""The raw pre-filter must never change the answer: a filtered read with it equals a filtered
read without it, whatever tricky (but well-formed) content the catalog holds."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fwupdate.catalog.parser import PrefilteredParseError, parse_catalog

from .conftest import Comp, component_xml, encode

# plain values dominate so that most examples keep the pre-filter on; the tricky ones make it
# fall back (or cut, see below) and must not change the answer either
TEXTS = st.sampled_from(
    [
        *["plain"] * 12,
        "</SoftwareComponent>",
        "<SoftwareComponent path='fake'>",
        "<SoftwareComponent",
        "<![CDATA[",
        "04F7",
        "4f7 in text",
        "<!--",
        "-->",
        "?>",
        "ünïcödé 日本",
    ]
)

GAPS = st.sampled_from(
    [
        *[""] * 8,
        *["\n  "] * 8,
        "<!-- a comment -->",
        "<!-- <![CDATA[ -->",
        "<?pi data?>",
        '<InventoryComponent path="x" />',
        "<Unknown><![CDATA[</SoftwareComponent> <SoftwareComponent>]]></Unknown>",
        "<Unknown><![CDATA[04F7]]></Unknown>",
        '<SoftwareComponent path="selfclosing.BIN" />',
        '<SoftwareComponent path="sc2"><SupportedSystems><Brand><Model systemID="04F7"/>'
        "</Brand></SupportedSystems></SoftwareComponent >",
    ]
)

# comments that hold component tags can make a skip cut the document; the parser then says so
# (PrefilteredParseError) and load_catalog reads again without the pre-filter
RISKY_CHILDREN = st.sampled_from(
    [*[""] * 20, "<!-- </SoftwareComponent> -->", "<!-- <SoftwareComponent x='1'> -->"]
)


@st.composite
def catalogs(draw: st.DrawFn) -> bytes:
    n = draw(st.integers(0, 6))
    parts = []
    for i in range(n):
        systems = draw(st.lists(st.sampled_from(["04F7", "04CE", "0601", "04f7", "4F70"]),
                                max_size=3))
        c = Comp(
            f"c{i}.BIN",
            tuple(systems),
            name=draw(TEXTS),
            extra_children=(
                f'<Description><Display lang="en"><![CDATA[{draw(TEXTS).replace("]]>", "")}]]>'
                f"</Display></Description>{draw(RISKY_CHILDREN)}"
            ),
        )
        parts.append(draw(GAPS))
        parts.append(component_xml(c))
    parts.append(draw(GAPS))
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<Manifest baseLocation="">'
        + "".join(parts)
        + "</Manifest>\n"
    )
    return encode(xml, draw(st.sampled_from(["utf-8", "utf-16-le", "utf-16-be"])))


def _parse(data: bytes, prefilter: bool, read_size: int):  # type: ignore[no-untyped-def]
    return parse_catalog(
        io.BytesIO(data), system_id="04F7", prefilter=prefilter, read_size=read_size
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=catalogs(), read_size=st.sampled_from([5, 16, 64, 333, 1 << 20]))
def test_prefilter_never_changes_the_result(data: bytes, read_size: int) -> None:
    reference = _parse(data, False, 1 << 20)
    try:
        fast = _parse(data, True, read_size)
    except PrefilteredParseError:
        return  # load_catalog falls back to the reference read
    assert fast.components == reference.components
    assert fast.bundles == reference.bundles
    assert fast.components_total == reference.components_total
    assert fast.manifest == reference.manifest


def test_prefilter_skips_and_counts(make_catalog) -> None:  # type: ignore[no-untyped-def]
    comps = [Comp(f"o{i}.BIN", ("04CE",)) for i in range(20)] + [Comp("r.BIN", ("04F7",))]
    path = make_catalog(comps)
    with open(path, "rb") as fh:
        cat = parse_catalog(fh, system_id="04F7", read_size=100)
    assert [c.path for c in cat.components] == ["r.BIN"]
    assert cat.components_total == 21
    assert cat.extra["prefilter"] == "on"


class _CountedReads(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads += 1
        return super().read(size)


def test_a_component_longer_than_the_read_size_is_not_read_once_per_read_size(
    make_catalog,  # type: ignore[no-untyped-def]
) -> None:
    """A component with a long text (up to the 1 MiB text bound) read 100 bytes at a time:
    each read used to copy and rescan everything held since the component's start (10,000
    reads of up to 1 MiB: 20 s).  The splitter grows its reads with what it holds."""
    long = Comp("r.BIN", ("04F7",), extra_children="<T>" + "x" * (1 << 20) + "</T>")
    data = make_catalog([Comp("o.BIN", ("04CE",)), long]).read_bytes()
    stream = _CountedReads(data)
    cat = parse_catalog(stream, system_id="04F7", read_size=100)
    assert [c.path for c in cat.components] == ["r.BIN"]
    assert stream.reads < 200, stream.reads


def test_fallback_when_a_component_tag_hides_in_text(make_catalog) -> None:  # type: ignore[no-untyped-def]
    comps = [
        Comp("a.BIN", ("04CE",), name="</SoftwareComponent>"),  # inside CDATA
        Comp("b.BIN", ("04F7",)),
    ]
    with open(make_catalog(comps), "rb") as fh:
        cat = parse_catalog(fh, system_id="04F7")
    assert [c.path for c in cat.components] == ["b.BIN"]
    assert cat.extra["prefilter"] == "fell back"


def test_load_catalog_recovers_from_a_cut_at_a_comment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fwupdate.catalog import load_catalog

    comps = [
        Comp("a.BIN", ("04CE",), extra_children="<!-- </SoftwareComponent> -->"),
        Comp("b.BIN", ("04F7",)),
    ]
    from .conftest import catalog_text

    path = tmp_path / "c.xml"
    path.write_bytes(catalog_text(comps).encode())
    with open(path, "rb") as fh:
        try:
            parse_catalog(fh, system_id="04F7")
            cut = False
        except PrefilteredParseError:
            cut = True
    assert cut
    cat = load_catalog(str(path), system_id="04F7", use_cache=False)
    assert [c.path for c in cat.components] == ["b.BIN"]
