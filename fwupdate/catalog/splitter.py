"""Raw pre-filter: skip whole `<SoftwareComponent>` elements that cannot match a system id.

A 100 MB catalog holds some 12,000 components of which a few percent name a given system.  Handing
every byte to libxml2 costs about a second; most of that is building and freeing elements nobody
wants.  The splitter looks at the raw bytes (in the document's own encoding) and, for each
component, checks cheaply whether the system id's digits occur in it at all.  Components that
cannot match are replaced by as many newlines as they spanned, so libxml2 line numbers stay true;
everything else - prolog, bundles, unknown elements and candidate components - goes to libxml2
unchanged and is parsed and filtered properly.  The byte test is a superset (any occurrence of
`4F7` or `4f7`, in an attribute, a hash or a text); the exact test happens on the parsed model.

It only skips a span it has checked to be one element: the start tag is `<SoftwareComponent`
followed by white space or `>`, no other such start tag comes before the first
`</SoftwareComponent>` after it (that rules out nesting and self-closing components), and neither
boundary lies inside a CDATA section.  When a check fails it stops skipping for the rest of the
document, and libxml2 parses everything, which is always correct, only slower.

Limits, by design: comments and processing instructions are not tracked (looking for them costs
as much as the rest of the scan, and Dell catalogs have none).  A comment that contains a literal
component tag can therefore make a skip cut the document wrongly; libxml2 then reports the
document as malformed, and `load_catalog` parses it again without the pre-filter.  XML errors
inside a skipped component are not reported by a filtered read; an unfiltered read parses every
byte.  Removing bytes cannot add content the catalog does not contain as elements or in comments.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator

from fwupdate.catalog.blocks import SystemsBlocks
from fwupdate.catalog.prolog import Prolog

# (data to feed, data is real document content rather than line-keeping newlines)
Piece = tuple[bytes, bool]

MAX_SPAN = 16 << 20  # a component bigger than this is parsed, not skipped


class ComponentSplitter:
    def __init__(
        self,
        read: Callable[[int], bytes],
        head: bytes,
        prolog: Prolog,
        system_id: str,
        *,
        read_size: int = 1 << 20,
        max_span: int = MAX_SPAN,
        blocks: SystemsBlocks | None = None,
    ) -> None:
        self._read = read
        self._buf = head
        self._off = 0  # absolute offset of _buf[0]
        self._eof = False
        self._read_size = read_size
        self._max_span = max_span
        self._prolog = prolog
        self._unit = prolog.unit
        self._blocks = blocks if prolog.unit == 1 else None  # blocks.py: single-byte only
        enc = prolog.encoding
        self._start = b"<SoftwareComponent".decode().encode(enc)
        self._end = b"</SoftwareComponent".decode().encode(enc)
        self._nl = "\n".encode(enc)
        self._gt = ">".encode(enc)
        self._space = tuple(c.encode(enc) for c in " \t\r\n")
        self._cdata_open = "<![CDATA[".encode(enc)
        self._cdata_close = "]]>".encode(enc)
        digits = system_id.lstrip("0") or "0"
        pattern = b"".join(
            re.escape(ch.encode(enc)) if ch.isdigit() else b"[" + re.escape(
                ch.upper().encode(enc)) + re.escape(ch.lower().encode(enc)) + b"]"
            for ch in digits
        )
        if self._unit == 2:
            # each character is one code unit; letters become (upper|lower) of a 2-byte unit
            parts = []
            for ch in digits:
                alts = {ch.upper().encode(enc), ch.lower().encode(enc)}
                parts.append(b"(?:" + b"|".join(re.escape(a) for a in sorted(alts)) + b")")
            pattern = b"".join(parts)
        self._id_re = re.compile(pattern)
        self._hits: list[int] = []
        self._starts: list[int] = []
        self._ends: list[int] = []
        self.skipped = 0
        self.fell_back = False

    # --- buffer ------------------------------------------------------------------------------

    def _refill(self, pos: int) -> int:
        """Drop `_buf[:pos]` and append the next block; returns the new index of old `pos`.
        The block is at least as long as what is kept, so a component longer than the read
        size is copied and scanned a bounded number of times per byte (not once per read)."""
        if self._eof:
            return pos
        chunk = self._read(max(self._read_size, len(self._buf) - pos))
        if not chunk:
            self._eof = True
            return pos
        self._buf = self._buf[pos:] + chunk
        self._off += pos
        self._scan(0)
        return 0

    def _scan(self, start: int) -> None:
        """Index the buffer: id hits, component start tags and end tags."""
        buf = self._buf
        self._hits = [self._off + m.start() for m in self._id_re.finditer(buf, start)]
        self._starts = self._all(self._start, start)
        self._ends = self._all(self._end, start)

    def _all(self, needle: bytes, start: int) -> list[int]:
        out: list[int] = []
        i = self._find(needle, start)
        while i >= 0:
            out.append(i)
            i = self._find(needle, i + 1)
        return out

    def _find(self, needle: bytes, start: int, end: int | None = None) -> int:
        """Next code-unit-aligned occurrence of the encoded `needle` in buf[start:end], or -1.

        For UTF-16 the search drops the needle's outer zero byte (the last one in LE, the first
        in BE) and checks it afterwards: a needle ending in a zero byte makes bytes.find skip
        badly through text where every other byte is zero (8x slower on 100 MB).
        """
        buf = self._buf
        stop = len(buf) if end is None else end
        if self._unit == 1:
            return buf.find(needle, start, stop)
        big_endian = self._prolog.encoding.endswith("be")
        core = needle[1:] if big_endian else needle[:-1]
        lead = 1 if big_endian else 0
        i = buf.find(core, start + lead, stop - (1 - lead))
        while i >= 0:
            at = i - lead
            zero = at if big_endian else i + len(core)
            if (self._off + at) % 2 == 0 and buf[zero] == 0:
                return at
            i = buf.find(core, i + 1, stop - (1 - lead))
        return -1

    def _unclosed(self, lo: int, hi: int) -> int:
        """Where a CDATA section opened in buf[lo:hi] and still open at `hi` starts, or -1.

        `lo` must lie outside CDATA.  `]]>` cannot occur in XML text outside CDATA, so when the
        last `<![CDATA[` before `hi` has a `]]>` after it, `hi` is outside too.  A literal
        `<![CDATA[` inside CDATA text can only make this answer "open" (the cautious side).
        """
        buf = self._buf
        o = buf.rfind(self._cdata_open, lo, hi)
        if o >= 0 and buf.find(self._cdata_close, o + len(self._cdata_open), hi) < 0:
            return o
        return -1

    # --- pieces ------------------------------------------------------------------------------

    def pieces(self) -> Iterator[Piece]:
        """Yield what to feed to libxml2, in order; skipped components become newlines."""
        body = self._prolog.body_start
        while len(self._buf) < body and not self._eof:
            chunk = self._read(self._read_size)
            if not chunk:
                self._eof = True
            self._buf += chunk
        self._scan(body)
        yield self._buf[:body], True
        pos = body
        if self._prolog.root_empty:
            yield from self._rest(pos)
            return
        ls, le, unit = len(self._start), len(self._end), self._unit
        # Invariant: `pos` (the first byte not yet yielded) lies outside any CDATA section, at a
        # place where a child element of the root may start.
        while True:
            buf = self._buf
            si = bisect_left(self._starts, pos)
            s = self._starts[si] if si < len(self._starts) else -1
            if s < 0:
                if self._eof:
                    yield from self._rest(pos)
                    return
                keep = max(pos, len(buf) - ls)
                keep -= (self._off + keep) % unit
                held = self._unclosed(pos, keep)
                if held >= 0:
                    keep = held
                if keep > pos:
                    yield buf[pos:keep], True
                elif len(buf) - pos > self._max_span:
                    break
                pos = self._refill(keep)
                continue
            if self._unclosed(pos, s) >= 0:
                break  # the start tag text lies inside a CDATA section
            ei = bisect_left(self._ends, s + ls)
            e0 = self._ends[ei] if ei < len(self._ends) else -1
            if e0 < 0 or (not self._eof and e0 + le + 64 * unit > len(buf)):
                if self._eof or len(buf) - s > self._max_span:
                    break
                if s > pos:
                    yield buf[pos:s], True
                pos = self._refill(s)
                continue
            e = self._close_of(e0 + le)
            nested = si + 1 < len(self._starts) and self._starts[si + 1] < e0
            if e < 0 or nested or not self._is_plain(s, e0, ls):
                break
            if s > pos:
                yield buf[pos:s], True
            i = bisect_left(self._hits, self._off + s)
            if i < len(self._hits) and self._hits[i] < self._off + e:
                rewritten = self._blocks.rewrite(buf, s, e) if self._blocks else None
                yield (buf[s:e] if rewritten is None else rewritten), True
            else:
                self.skipped += 1
                yield self._nl * buf.count(self._nl, s, e), False
            pos = e
        self.fell_back = True
        yield from self._rest(pos)

    def _close_of(self, after_name: int) -> int:
        """Offset just after the `>` ending an end tag whose name ends at `after_name`; -1 if
        the tag is something else (`</SoftwareComponentX>`) or incomplete."""
        buf, unit = self._buf, self._unit
        k = after_name
        while buf[k : k + unit] in self._space:
            k += unit
        if buf[k : k + unit] != self._gt:
            return -1
        return k + unit

    def _is_plain(self, s: int, e0: int, ls: int) -> bool:
        """The span from `s` to the end tag at `e0` is exactly one component element (the caller
        checked that no other start tag - nested, after a self-closing one, or inside text -
        lies in between)."""
        buf, unit = self._buf, self._unit
        follow = buf[s + ls : s + ls + unit]
        if follow != self._gt and follow not in self._space:
            return False  # <SoftwareComponentX
        return self._unclosed(s, e0) < 0  # else the end tag lies inside a CDATA section

    def _rest(self, pos: int) -> Iterator[Piece]:
        if pos < len(self._buf):
            yield self._buf[pos:], True
        self._buf = b""
        while not self._eof:
            chunk = self._read(self._read_size)
            if not chunk:
                self._eof = True
                break
            yield chunk, True
