"""Streaming, hardened parser for Dell Catalog.xml.

Input is a binary stream: UTF-8 (with or without BOM) or UTF-16 (LE/BE, with BOM), optionally
gzip-compressed (detected by its magic bytes, whatever the file is called).  The document goes
through lxml's pull parser (libxml2, the iterparse machinery fed by us) with entity resolution,
DTD loading and network access off; a DOCTYPE is refused before parsing (see prolog.py).

Memory stays flat: each `SoftwareComponent` / `SoftwareBundle` element is turned into a frozen
model, then cleared, and the elements before it are deleted.  With a system id filter, components
that cannot name the system are skipped on the raw bytes (splitter.py) and the rest are checked on
their `Model@systemID` values before a model is built.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from lxml import etree

from fwupdate.catalog.blocks import BlockSkipFallback, Remembered, SystemsBlocks
from fwupdate.catalog.build import (
    SystemTable,
    build_bundle,
    build_component,
    build_manifest,
    local,
    names_system,
    supported_systems_name,
)
from fwupdate.catalog.models import (
    PARSER_VERSION,
    Catalog,
    Manifest,
    SoftwareBundle,
    SoftwareComponent,
)
from fwupdate.catalog.prolog import MAX_PROLOG_BYTES, NeedMoreData, Prolog, read_prolog
from fwupdate.catalog.splitter import ComponentSplitter
from fwupdate.catalog.systems import normalize_system_id
from fwupdate.catalog.values import MAX_CHILDREN, MAX_DEPTH, check_tree
from fwupdate.errors import CatalogError

__all__ = [
    "PARSER_VERSION",
    "BlockSkipFallback",
    "PrefilteredParseError",
    "parse_catalog",
    "parse_component_xml",
]

# 64 KiB per read: the splitter's buffer, its copies and libxml2's input buffer scale with it
# (peak RSS at dense 10x: +3.6 MB over the imports, was +8.3 MB with 1 MiB reads); the time
# does not change (the splitter keeps at most one component across reads).
READ_SIZE = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
_TAGS = ("{*}Manifest", "{*}SoftwareComponent", "{*}SoftwareBundle")
_TRAILING_POSITION = re.compile(r"\s*,?\s*\(?line \d+, column \d+\)?$")
_MODELLED = ("SoftwareComponent", "SoftwareBundle")
# Decompression bomb: past MIN_BOMB_CHECK bytes of output, more than MAX_GZIP_RATIO times the
# compressed bytes read is refused, and so is anything over MAX_EXPANDED_BYTES (docs/catalogs.md).
MAX_EXPANDED_BYTES = 2 << 30
MAX_GZIP_RATIO = 100
MIN_BOMB_CHECK = 8 << 20


def _pull_parser() -> etree.XMLPullParser:
    """libxml2 push parser for untrusted catalog XML: no entities, no DTD, no network."""
    return etree.XMLPullParser(
        events=("start", "end"),
        tag=_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
        collect_ids=False,
    )


def _tree_parser() -> etree.XMLParser:
    """The same options for parsing a small standalone document in one go."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
        collect_ids=False,
    )


def _doctype(root: etree._Element) -> str:
    return str(getattr(root.getroottree().docinfo, "doctype", "") or "")


class PrefilteredParseError(CatalogError):
    """libxml2 rejected a document from which the raw pre-filter had removed components.

    The cut may be the cause (see splitter.py); callers that can re-read the source parse it
    again with `prefilter=False`, which gives the authoritative answer.
    """


class _Prepended:
    """A read-only stream that first returns `head`, then the rest of `raw`."""

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        self._head = head
        self._raw = raw

    def read(self, n: int = -1) -> bytes:
        if self._head:
            if n < 0 or n >= len(self._head):
                data, self._head = self._head, b""
                if n < 0:
                    return data + self._raw.read()
                return data + self._raw.read(n - len(data)) if n > len(data) else data
            data, self._head = self._head[:n], self._head[n:]
            return data
        return self._raw.read(n)


class _Counted:
    """Counts the bytes read through it (the compressed side of a gzip catalog)."""

    def __init__(self, raw: _Prepended) -> None:
        self._raw = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.count += len(data)
        return data


def _check_expansion(source: str, compressed: int, expanded: int) -> None:
    if expanded > MAX_EXPANDED_BYTES or (
        expanded > MIN_BOMB_CHECK and expanded > MAX_GZIP_RATIO * max(compressed, 1)
    ):
        raise CatalogError(
            f"{source}: refused as a decompression bomb: {compressed} compressed bytes expanded "
            f"to more than {expanded} (limits: {MAX_GZIP_RATIO}:1 past {MIN_BOMB_CHECK >> 20} "
            f"MiB, {MAX_EXPANDED_BYTES >> 30} GiB in all)"
        )


def _open_decompressed(raw: BinaryIO, source: str) -> tuple[Callable[[int], bytes], str]:
    """A read function over the catalog bytes (gunzipped when needed) and the compression."""
    first = raw.read(2)
    stream = _Prepended(first, raw)
    if first == _GZIP_MAGIC:
        counted = _Counted(stream)
        gz = gzip.GzipFile(fileobj=counted, mode="rb")  # type: ignore[call-overload]
        expanded = 0

        def read_gz(n: int) -> bytes:
            nonlocal expanded
            try:
                data = bytes(gz.read(n))
            except (OSError, EOFError, zlib.error) as exc:
                raise CatalogError(f"{source}: damaged gzip data: {exc}") from exc
            expanded += len(data)
            _check_expansion(source, counted.count, expanded)
            return data

        return read_gz, "gzip"

    def read_plain(n: int) -> bytes:
        try:
            return stream.read(n)
        except OSError as exc:
            raise CatalogError(f"{source}: cannot read the catalog: {exc}") from exc

    return read_plain, "none"


def _syntax_error(source: str, exc: etree.XMLSyntaxError) -> CatalogError:
    line, column = exc.position if exc.position else (exc.lineno, 0)
    message = (getattr(exc, "msg", None) or str(exc)).strip()
    message = " ".join(message.split())  # libxml2 may echo text with newlines: one line
    message = _TRAILING_POSITION.sub("", message)[:300]
    return CatalogError(
        f"{source}: malformed catalog XML at line {line}, column {column}: {message}"
    )


class _Collector:
    """Receives parse events, builds models, and keeps the tree small."""

    def __init__(self, system_id: str | None, blocks: SystemsBlocks | None = None) -> None:
        self.system_id = system_id
        self.table = SystemTable()
        self.table.blocks = self.blocks = blocks
        self.manifest: Manifest | None = None
        self.root: etree._Element | None = None
        self.components: list[SoftwareComponent] = []
        self.bundles: list[SoftwareBundle] = []
        self.seen_components = 0
        self.seen_bundles = 0

    def handle(self, events: Iterable[tuple[str, Any]]) -> None:
        sid = self.system_id
        for event, el in events:
            tag = local(el.tag)
            if event == "start":
                if tag == "Manifest" and self.manifest is None and el.getparent() is None:
                    self.manifest = build_manifest(el)
                    self.root = el
                continue
            if tag == "SoftwareComponent":
                self.seen_components += 1
                blocks = self.blocks
                named = proven = False
                if blocks is not None and not blocks.complete:
                    named = blocks.claim(el, self._remember_block)
                    proven = blocks.proven
                if sid is None:
                    self.components.append(build_component(el, self.table))
                elif supported_systems_name(el, sid, self.table) or named or names_system(
                    el, sid
                ):
                    comp = build_component(el, self.table, limits_proven=proven)
                    if sid in comp.system_ids:
                        self.components.append(comp)
            elif tag == "SoftwareBundle":
                self.seen_bundles += 1
                bundle = build_bundle(el, self.table)
                if sid is None or sid in bundle.system_ids:
                    self.bundles.append(bundle)
            else:
                continue
            el.clear()
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
        self._prune()

    def _remember_block(self, block: etree._Element) -> Remembered | None:
        """What a later placeholder for this `SupportedSystems` child stands for, or None when
        it fails the limits `check_tree` applies to it inside a component (blocks.py)."""
        try:
            check_tree(block, "block", base_depth=2, texts_proven=True)  # <= MAX_BLOCK_BYTES
        except CatalogError:
            return None
        systems = self.table.systems_of(block)
        return Remembered(
            systems,
            names_system(block, self.system_id or ""),
            self.table.last_xml_length,
        )

    def _prune(self) -> None:
        """Drop every finished element outside components and bundles (unknown elements,
        whatever their name or depth): along the chain of open elements from the root, only
        the last child of each is kept.  Elements inside an open component or bundle are kept
        until it ends, with their depth and fan-out bounded."""
        el, depth, inside = self.root, 0, False
        while el is not None:
            last = next(el.iterchildren(reversed=True), None)
            if last is None:
                return
            if depth and local(el.tag) in _MODELLED:
                inside = True
            if inside:
                _check_fan_out(last)
            else:
                prev = last.getprevious()
                while prev is not None:
                    el.remove(prev)
                    prev = last.getprevious()
            el, depth = last, depth + 1
            if depth > MAX_DEPTH:
                raise CatalogError(f"elements nested more than {MAX_DEPTH} levels deep")


def _handle(collector: _Collector, events: Iterable[tuple[str, Any]], source: str) -> None:
    try:
        collector.handle(events)
    except CatalogError as exc:
        raise CatalogError(f"{source}: {exc.message}") from None


def _check_fan_out(last: etree._Element) -> None:
    """At most MAX_CHILDREN siblings before `last` (walks no further than that)."""
    prev, count = last.getprevious(), 0
    while prev is not None:
        count += 1
        if count >= MAX_CHILDREN:
            raise CatalogError(f"more than {MAX_CHILDREN} child elements in one element")
        prev = prev.getprevious()


def parse_catalog(
    stream: BinaryIO,
    *,
    source: str = "<stream>",
    system_id: str | None = None,
    prefilter: bool = True,
    read_size: int = READ_SIZE,
    skip_blocks: bool = False,
) -> Catalog:
    """Parse a catalog from a binary stream; keep only components for `system_id` if given.

    With a system id and `prefilter`, components that cannot name the system are skipped on
    the raw bytes (splitter.py); with `skip_blocks` too, repeated `SupportedSystems` blocks of
    the other components are parsed once (blocks.py).  Raises CatalogError (exit 2) for anything
    that is not a readable Dell catalog, with the line number for XML errors;
    PrefilteredParseError when the error may come from the pre-filter; BlockSkipFallback when
    the answer must come from a parse with `skip_blocks=False` (the caller re-reads).
    """
    sid = normalize_system_id(system_id) if system_id else None
    read, compression = _open_decompressed(stream, source)

    head = b""
    prolog: Prolog | None = None
    while prolog is None:
        chunk = read(min(read_size, MAX_PROLOG_BYTES))
        head += chunk
        try:
            prolog = read_prolog(head, complete=not chunk)
        except NeedMoreData:
            continue
        except CatalogError as exc:
            raise CatalogError(f"{source}: {exc.message}") from None

    splitter: ComponentSplitter | None = None
    blocks: SystemsBlocks | None = None
    pieces: Iterator[tuple[bytes, bool]]
    if sid is not None and prefilter and prolog.splittable:
        if skip_blocks and prolog.unit == 1:
            blocks = SystemsBlocks(sid)
        splitter = ComponentSplitter(read, head, prolog, sid, read_size=read_size, blocks=blocks)
        pieces = splitter.pieces()
    else:
        pieces = _plain_pieces(read, head, read_size)
    collector = _Collector(sid, blocks)

    try:
        root = _feed_all(pieces, collector, source)
    except (CatalogError, etree.XMLSyntaxError) as exc:
        if blocks is not None and blocks.fed:
            raise BlockSkipFallback(f"{source}: parse again without skipping blocks") from None
        if not isinstance(exc, etree.XMLSyntaxError):
            raise
        error = _syntax_error(source, exc)
        if splitter is not None and splitter.skipped:
            raise PrefilteredParseError(error.message) from None
        raise error from None
    if blocks is not None and not blocks.complete:
        raise BlockSkipFallback(f"{source}: a skipped block was not where it was cut from")

    if local(root.tag) != "Manifest":  # read_prolog checked the name already; belt and braces
        raise CatalogError(f"{source}: not a Dell catalog: the root element is <{local(root.tag)}>")
    if _doctype(root):
        raise CatalogError(f"{source}: the catalog has a DOCTYPE declaration; refused")

    skipped = splitter.skipped if splitter else 0
    extra = {
        "encoding": prolog.encoding + ("" if prolog.bom_length else " (no BOM)"),
        "compression": compression,
        "bundles_total": str(collector.seen_bundles),
        "prefilter": (
            "off" if splitter is None else ("fell back" if splitter.fell_back else "on")
        ),
    }
    if blocks is not None:
        extra["blocks"] = f"{blocks.skipped} of {blocks.fed} skipped"
    return Catalog(
        source=source,
        manifest=collector.manifest or build_manifest(root),
        components=tuple(collector.components),
        bundles=tuple(collector.bundles),
        components_total=collector.seen_components + skipped,
        sha256=None,
        extra=extra,
    )


def _feed_all(
    pieces: Iterator[tuple[bytes, bool]], collector: _Collector, source: str
) -> etree._Element:
    """Feed every piece to a new pull parser, handing its events to `collector`; the root."""
    parser = _pull_parser()
    for data, real in pieces:
        parser.feed(data)
        if real:
            _handle(collector, parser.read_events(), source)
    root = parser.close()
    _handle(collector, parser.read_events(), source)
    return root


def _plain_pieces(
    read: Callable[[int], bytes], head: bytes, read_size: int
) -> Iterator[tuple[bytes, bool]]:
    yield head, True
    while True:
        chunk = read(read_size)
        if not chunk:
            return
        yield chunk, True


def parse_component_xml(data: bytes, *, source: str = "<package.xml>") -> SoftwareComponent:
    """Parse a standalone `<SoftwareComponent>` document, such as a DUP's package.xml."""
    head = data[:MAX_PROLOG_BYTES]
    if b"<!DOCTYPE" in head or "<!DOCTYPE".encode("utf-16-le") in head:
        raise CatalogError(f"{source}: a DOCTYPE declaration is refused")
    parser = _tree_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(source, exc) from None
    if _doctype(root):
        raise CatalogError(f"{source}: a DOCTYPE declaration is refused")
    element = root if local(root.tag) == "SoftwareComponent" else next(
        iter(root.iter("{*}SoftwareComponent")), None
    )
    if element is None:
        raise CatalogError(f"{source}: no <SoftwareComponent> element")
    return build_component(element, SystemTable())
