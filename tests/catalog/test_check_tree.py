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
