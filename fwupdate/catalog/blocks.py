"""Skip re-parsing repeated `<SupportedSystems>` blocks of candidate components.

A dense catalog's candidate components are ~80 % `SupportedSystems` (~60 `Brand/Model` entries),
and components of one family repeat the same block byte for byte (the R320 SUU catalog: 31
components, 6 distinct blocks).  The raw pre-filter (splitter.py) hands each candidate component
to `SystemsBlocks.rewrite`, which looks for one block it can prove is a single element, hashes
its raw bytes (SHA-256) and:

* the first time (the *record*): feeds the component unchanged except for one attribute with a
  per-parse random name in the block's start tag; once libxml2 has parsed the component, the
  collector finds that element (`claim`), removes the attribute, computes the systems from the
  element as before and remembers them for the hash, when the block passes the limits of
  `values.check_tree` as a child of a component;
* when the hash is remembered: feeds `<SupportedSystems ATTR="n"/>` (a *placeholder*) instead
  of the block, and the builders take the remembered systems (`SystemTable.systems_of`).

The result is the one a full parse gives, or the parse is done again without skipping
(`BlockSkipFallback`, caught by `load_catalog`): every marker fed must be found as a direct child
of a component that is a child of the root (else the block could sit at another depth or inside
a comment); any error in a parse that fed markers is reported by the parse without them (same
message, line and column); and the raw checks below keep the block's own parse independent of
where it stands: exactly one `<SupportedSystems` and one `</SupportedSystems` in the component,
no comment or processing instruction in the component, the block's start outside CDATA, no `<!`
but CDATA sections in the block, all closed before its end tag, no `:` in it (no namespace
prefix whose declaration could differ), at most MAX_BLOCK_BYTES.  Only single-byte encodings
(UTF-8 and ASCII supersets) are rewritten; UTF-16 catalogs are parsed in full as before.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from fwupdate.catalog.models import SupportedSystem
from fwupdate.catalog.values import MAX_TEXT_CHARS
from fwupdate.errors import CatalogError

MAX_BLOCK_BYTES = MAX_TEXT_CHARS  # so no text or attribute in a block can pass that limit
MAX_REMEMBERED = 4096  # distinct blocks remembered per parse (Dell: a few hundred)

_START = b"<SupportedSystems"
_END = b"</SupportedSystems"
_SPACE = frozenset(b" \t\r\n")
_GT = 0x3E  # '>'
_NAME_END = _SPACE | {_GT}
_CDATA_OPEN = b"<![CDATA["
_CDATA_CLOSE = b"]]>"
SMALL_ELEMENTS = 32  # MAX_DEPTH: a component and 31 elements below it, as `check_tree`'s fast path


# A start tag's `<` (followed by a name's first character), or a comment or PI opening (group
# empty).  Inside CDATA text either can match too: that only overcounts or refuses.
_OPENINGS = re.compile(rb"<(?:([A-Za-z_:])|!--|\?)")


def small_component(fed: bytes) -> bool:
    """The component `fed` (one element, as the splitter proved, with a placeholder) is within
    every limit `values.check_tree` applies, proven on its bytes instead of its tree: no
    comment or processing instruction (so its end tag is where the splitter found it), at most
    SMALL_ELEMENTS start tags (so no element deeper or wider than that), and at most
    MAX_TEXT_CHARS bytes (no text or attribute longer: the only entities are XML's own and
    character references, none longer than what it stands for).  The skipped block was checked
    as a child of a component when it was recorded."""
    if len(fed) > MAX_TEXT_CHARS:
        return False
    openings = _OPENINGS.findall(fed)
    return len(openings) <= SMALL_ELEMENTS and b"" not in openings


class BlockSkipFallback(CatalogError):
    """A parse that skipped repeated blocks met something it cannot prove equal to a full parse
    (or an error, whose report must come from the full parse): parse again without skipping."""


@dataclass(frozen=True)
class Remembered:
    systems: tuple[SupportedSystem, ...]
    names_system: bool  # a Model anywhere in the block names the filter's system id
    xml_length: int  # serialised length, as `SystemTable.last_xml_length`


# The parser's check of a recorded block element: its `Remembered`, or None when it must not be
# remembered (it does not pass the limits of `values.check_tree` as a child of a component).
Check = Callable[[etree._Element], Remembered | None]


def _unclosed(buf: bytes, lo: int, hi: int) -> bool:
    """A CDATA section opened in buf[lo:hi] is still open at `hi` (`lo` outside CDATA); see
    splitter.ComponentSplitter._unclosed."""
    o = buf.rfind(_CDATA_OPEN, lo, hi)
    return o >= 0 and buf.find(_CDATA_CLOSE, o + len(_CDATA_OPEN), hi) < 0


def find_block(buf: bytes, s: int, e: int) -> tuple[int, int, int] | None:
    """(start, end tag, end) of the first `SupportedSystems` element of the component buf[s:e]
    when it is the only one there and starts outside CDATA, else None.  What lies inside it is
    checked by `plain_block`, once per distinct block."""
    bs = buf.find(_START, s, e)
    if bs < 0 or buf[bs + len(_START)] not in _NAME_END:
        return None
    be0 = buf.find(_END, bs, e)
    if be0 < 0:
        return None
    k = be0 + len(_END)
    while k < e and buf[k] in _SPACE:
        k += 1
    if k >= e or buf[k] != _GT or k + 1 - bs > MAX_BLOCK_BYTES:
        return None
    if buf.find(_START, k, e) >= 0 or buf.find(_END, k, e) >= 0 or _unclosed(buf, s, bs):
        return None
    return bs, be0, k + 1


def plain_block(buf: bytes, bs: int, be0: int, be: int) -> bool:
    """buf[bs:be] (from `find_block`) is one element whatever surrounds it: one start tag of
    its name, no comment, processing instruction or other `<!` than CDATA sections, all closed
    before the end tag at `be0`, and no `:` (namespace prefixes)."""
    return (
        buf.find(_START, bs + 1, be) < 0
        and buf.find(b":", bs, be) < 0
        and buf.find(b"<?", bs, be) < 0
        and buf.count(b"<!", bs, be) == buf.count(_CDATA_OPEN, bs, be)
        and not _unclosed(buf, bs, be0)
    )


class SystemsBlocks:
    """The raw side (`rewrite`, called by the splitter) and the tree side (`claim`, `resolve`,
    called by the collector and `SystemTable`) of block skipping, for one parse."""

    def __init__(self, system_id: str) -> None:
        self.system_id = system_id
        self.attr = "fwupdate" + os.urandom(8).hex()  # no catalog can carry this name
        self._attr_bytes = self.attr.encode()
        self._marks: dict[int, tuple[bytes, bool]] = {}  # fed, not claimed: (hash, placeholder)
        self._small: set[int] = set()  # placeholders fed in a `small_component`
        self.proven = False  # the component last claimed is a `small_component`
        self._known: dict[bytes, Remembered] = {}
        self._claimed: dict[int, Remembered] = {}  # placeholders claimed, by marker number
        self.fed = 0  # markers fed to libxml2
        self.found = 0  # markers claimed
        self.skipped = 0  # placeholders fed
        self.skipped_bytes = 0

    # --- raw side ----------------------------------------------------------------------------

    def rewrite(self, buf: bytes, s: int, e: int) -> bytes | None:
        """What to feed instead of the candidate component buf[s:e], or None: feed it as is."""
        found = find_block(buf, s, e)
        if found is None:
            return None
        bs, be0, be = found
        key = hashlib.sha256(memoryview(buf)[bs:be]).digest()
        placeholder = key in self._known  # its bytes passed `plain_block` when recorded
        if not placeholder and (
            len(self._known) >= MAX_REMEMBERED or not plain_block(buf, bs, be0, be)
        ):
            return None
        n = self.fed
        self.fed += 1
        self._marks[n] = (key, placeholder)
        mark = b' %s="%d"' % (self._attr_bytes, n)
        if placeholder:
            self.skipped += 1
            self.skipped_bytes += be - bs
            fed = b"".join((buf[s:bs], _START, mark, b"/>", buf[be:e]))
            if small_component(fed):
                self._small.add(n)
            return fed
        cut = bs + len(_START)
        return b"".join((buf[s:cut], mark, buf[cut:e]))

    # --- tree side ---------------------------------------------------------------------------

    def claim(self, component: etree._Element, check: Check) -> bool:
        """Take the markers among the direct children of `component` (just parsed): record or
        attach their systems.  True when a placeholder's block has a Model naming the system
        (what `build.names_system` would have found in it).  BlockSkipFallback when a marker
        is in a component that is not a child of the root.  `proven`: the component holds a
        placeholder fed in a `small_component` (its limits need no check on its tree)."""
        named = self.proven = False
        attr = self.attr
        self._claimed.clear()  # the previous component's: the collector is done with them
        # markers are put on `<SupportedSystems` start tags only: one elsewhere is never claimed
        # and the parse falls back (`complete`)
        for child in component.iterchildren("{*}SupportedSystems"):
            value = child.get(attr)
            if value is None:
                continue
            parent = component.getparent()
            if parent is None or parent.getparent() is not None:
                raise BlockSkipFallback("a skipped block lies below a nested component")
            n = int(value)
            key, placeholder = self._marks.pop(n)
            self.found += 1
            if placeholder:
                known = self._claimed[n] = self._known[key]
                named = named or known.names_system
                if n in self._small:
                    self._small.discard(n)
                    self.proven = True
            else:
                del child.attrib[attr]
                self._record(key, child, check)
        return named

    def _record(self, key: bytes, block: etree._Element, check: Check) -> None:
        if key in self._known or len(self._known) >= MAX_REMEMBERED:
            return
        remembered = check(block)
        if remembered is not None:
            self._known[key] = remembered

    def resolve(self, container: etree._Element) -> Remembered | None:
        """The remembered systems of a claimed placeholder; None for any other element."""
        value = container.get(self.attr)
        if value is None:
            return None
        found = self._claimed.get(int(value))
        if found is None:
            raise BlockSkipFallback("a skipped block outside the component it was cut from")
        return found

    @property
    def complete(self) -> bool:
        """Every marker fed was claimed."""
        return self.found == self.fed

