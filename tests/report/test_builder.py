"""The escaping HTML builder: every value is escaped, names are checked, Markup passes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_support import parse

from fwupdate.report.html_builder import Markup, el, escape, join, page, table


def test_text_and_attributes_are_escaped() -> None:
    out = el("td", {"title": '"><script>x</script>', "class_": "a b", "data_node": "n<1>"},
             "<b>&amp;</b>")
    assert out == ('<td title="&quot;&gt;&lt;script&gt;x&lt;/script&gt;" class="a b" '
                   'data-node="n&lt;1&gt;">&lt;b&gt;&amp;amp;&lt;/b&gt;</td>')


def test_markup_is_not_escaped_twice_and_none_is_dropped() -> None:
    inner = el("b", None, "a&b")
    assert el("p", None, inner, None, [1, 2.5, "x"]) == "<p><b>a&amp;b</b>12.5x</p>"
    assert isinstance(join("a", inner), Markup)
    assert escape(inner) is inner


def test_boolean_and_missing_attributes() -> None:
    assert el("input", {"checked": True, "disabled": False, "value": None}) == "<input checked>"


@pytest.mark.parametrize("bad", ["scr ipt", "a>b", "", "1x", "on\"click"])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        el(bad)
    with pytest.raises(ValueError):
        el("p", {bad: "x"})


def test_table_and_page_are_well_formed() -> None:
    doc = page("t<1>", "body{}", table(("a", "b"), [("<x>", 1)], row_classes=["r"]))
    dom = parse(doc)
    assert dom.find("title")[0].text == "t<1>"
    assert [e.attrs.get("class") for e in dom.find("tr")] == [None, "r"]
    assert dom.find("td")[0].text == "<x>"


@given(st.text(max_size=60))
def test_any_text_round_trips_through_the_parser(text: str) -> None:
    dom = parse(page("x", "", el("p", {"title": text}, text)))
    p = dom.find("p")[0]
    # the parser normalises \r and NUL like a browser; everything else comes back unchanged
    want = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" not in text:
        assert p.attrs["title"].replace("\r\n", "\n").replace("\r", "\n") == want
        assert p.text.replace("\r\n", "\n").replace("\r", "\n") == want
    assert len(dom.find("p")) == 1 and not dom.find("script")
