"""`check_tree`'s libxml2 fast path never lets through what the exact walk refuses."""

from __future__ import annotations

import pytest
from lxml import etree

from fwupdate.catalog.values import MAX_CHILDREN, MAX_DEPTH, MAX_TEXT_CHARS, check_tree
from fwupdate.errors import CatalogError

_N = MAX_TEXT_CHARS


def _el(xml: str) -> etree._Element:
    return etree.fromstring(xml, etree.XMLParser(huge_tree=False))


REFUSED = {
    "text split by CDATA": f"<C><N>{'a' * (_N // 2 + 1)}<![CDATA[{'b' * (_N // 2 + 1)}]]></N></C>",
    "long tail inside": f"<C><N/>{'t' * (_N + 1)}<M/></C>",
    "long own text": f"<C>{'t' * (_N + 1)}</C>",
    "long attribute": f"<C><N a='{'v' * (_N + 1)}'/></C>",
    "long own attribute": f"<C a='{'v' * (_N + 1)}'/>",
    "too deep": "<C>" + "<X>" * MAX_DEPTH + "</X>" * MAX_DEPTH + "</C>",
    "too wide": "<C><W>" + "<x/>" * (MAX_CHILDREN + 1) + "</W></C>",
}
ACCEPTED = {
    "text at the limit": f"<C><N>{'a' * (_N // 2)}<![CDATA[{'b' * (_N // 2)}]]></N></C>",
    "attribute at the limit": f"<C><N a='{'v' * _N}'/></C>",
    "deepest allowed": "<C>" + "<X>" * (MAX_DEPTH - 1) + "</X>" * (MAX_DEPTH - 1) + "</C>",
    "widest allowed": "<C><W>" + "<x/>" * MAX_CHILDREN + "</W></C>",
    "many texts, each short": "<C>" + f"<T>{'a' * 1000}</T>" * 2000 + "</C>",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused(name: str) -> None:
    with pytest.raises(CatalogError):
        check_tree(_el(REFUSED[name]), "component 'X'")


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted(name: str) -> None:
    check_tree(_el(ACCEPTED[name]), "component 'X'")


# With `systems_proven` (the parser saw every SupportedSystems child serialise to at most
# MAX_TEXT_CHARS bytes), only attributes outside those children are read by the fast path.
PROVEN_REFUSED = {
    "long attribute outside the systems": f"<C><SupportedSystems/><N a='{'v' * (_N + 1)}'/></C>",
    "long own attribute": f"<C a='{'v' * (_N + 1)}'><SupportedSystems/></C>",
    "long text inside the systems": f"<C><SupportedSystems>{'t' * (_N + 1)}</SupportedSystems></C>",
    "too deep inside the systems": "<C><SupportedSystems>" + "<X>" * MAX_DEPTH
    + "</X>" * MAX_DEPTH + "</SupportedSystems></C>",
}


@pytest.mark.parametrize("name", sorted(PROVEN_REFUSED))
def test_refused_when_systems_proven(name: str) -> None:
    with pytest.raises(CatalogError):
        check_tree(_el(PROVEN_REFUSED[name]), "component 'X'", systems_proven=True)


def test_parser_still_refuses_a_long_attribute_inside_the_systems() -> None:
    from io import BytesIO

    from fwupdate.catalog.parser import parse_catalog

    xml = (
        "<?xml version='1.0' encoding='utf-8'?><Manifest><SoftwareComponent path='a/b.exe'>"
        f"<SupportedSystems><Brand prefix='PE'><Model systemID='04F7' x='{'v' * (_N + 1)}'/>"
        "</Brand></SupportedSystems></SoftwareComponent></Manifest>"
    )
    for sid in ("04F7", None):
        with pytest.raises(CatalogError, match="characters"):
            parse_catalog(BytesIO(xml.encode()), system_id=sid)


# `texts_proven` (a recorded SupportedSystems block no longer than MAX_TEXT_CHARS bytes) drops
# only the text and attribute parts of the fast path: shape limits still hold.
SHAPE_REFUSED = {name: REFUSED[name] for name in ("too deep", "too wide")}


@pytest.mark.parametrize("name", sorted(SHAPE_REFUSED))
def test_shape_refused_when_texts_proven(name: str) -> None:
    with pytest.raises(CatalogError):
        check_tree(_el(SHAPE_REFUSED[name]), "block", base_depth=2, texts_proven=True)
    with pytest.raises(CatalogError):
        check_tree(_el(SHAPE_REFUSED[name]), "block", texts_proven=True)


def test_small_fast_path_bounds() -> None:
    """The small-element proof counts elements: 31 below a component is the deepest chain it
    may prove; one more goes to the other proofs and the exact walk."""
    chain = "<C>" + "<X>" * (MAX_DEPTH - 1) + "</X>" * (MAX_DEPTH - 1) + "</C>"
    check_tree(_el(chain), "component 'X'")
    with pytest.raises(CatalogError):
        check_tree(_el("<W>" + chain + "</W>"), "component 'X'")
    with pytest.raises(CatalogError):
        check_tree(_el(chain), "block", base_depth=2)
