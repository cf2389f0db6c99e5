"""Helpers for the report tests: a tiny DOM summary from the stdlib HTML parser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    parents: tuple[str, ...] = ()

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


@dataclass
class Dom(HTMLParser):
    elements: list[Element] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    stack: list[Element] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        e = Element(tag, {k: v or "" for k, v in attrs}, parents=tuple(x.tag for x in self.stack))
        self.elements.append(e)
        if tag not in ("meta", "br", "hr", "img", "link", "col", "wbr", "input"):
            self.stack.append(e)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1].tag == tag, (tag, [x.tag for x in self.stack])
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        for e in self.stack:
            e.text += data

    def find(self, tag: str, cls: str | None = None) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and (cls is None or cls in e.classes)]


def parse(text: str) -> Dom:
    """Parse a page; fails on any unbalanced tag (so escaping errors show up as structure)."""
    dom = Dom()
    dom.feed(text)
    dom.close()
    assert not dom.stack, [x.tag for x in dom.stack]
    return dom


EXTERNAL = re.compile(r"""(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:|//)""", re.I)


def assert_standalone(text: str) -> None:
    """No script, no external asset, no event handler attribute."""
    dom = parse(text)
    assert not dom.find("script") and not dom.find("img") and not dom.find("link")
    assert not dom.find("iframe") and not dom.find("object")
    assert not EXTERNAL.search(text)
    for e in dom.elements:
        assert not any(a.lower().startswith("on") for a in e.attrs), e
        assert not any("url(" in v for v in e.attrs.values()), e
    assert "@import" not in text
