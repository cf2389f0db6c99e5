"""Encoding detection and prolog checks, done on raw bytes before libxml2 sees the document.

Catalogs are read as bytes (catalog-and-dup.md §1.2): the online catalog is UTF-16 with a BOM, SUU
and DRM repositories write UTF-8 with a BOM, hand-made ones may have no BOM at all.  This module
finds the encoding, reads the prolog (XML declaration, comments, processing instructions) and the
root start tag, and refuses what a Dell catalog never contains:

* any `<!DOCTYPE ...>`: it is the only way to declare entities, so refusing it rules out entity
  expansion ("billion laughs") and external entities (file or network reads) before parsing;
* a root element other than `Manifest` (namespace prefixes are ignored);
* bytes that are not XML at all, or an encoding other than UTF-8 / UTF-16 / 8-bit ASCII supersets.

It also tells the raw component splitter where the body starts and how to encode its needles.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from fwupdate.errors import CatalogError

MAX_PROLOG_BYTES = 1 << 20

_ASCII_COMPATIBLE = re.compile(
    r"(utf-?8|us-ascii|ascii|iso[-_]?8859[-_]?\d+|latin-?1|(windows|cp)-?125\d)", re.IGNORECASE
)
_ENCODING_DECL = re.compile(r"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_NAME = re.compile(r"[^\s/>]+")


class NeedMoreData(Exception):
    """The prolog or root start tag continues beyond the bytes given."""


@dataclass(frozen=True)
class Prolog:
    """What the first bytes of a catalog told us."""

    encoding: str  # Python codec of the bytes: utf-8, utf-16-le, utf-16-be, latin-1
    unit: int  # bytes per code unit (1 or 2)
    bom_length: int
    root_name: str  # local name of the root element
    body_start: int  # byte offset just after the root start tag
    root_empty: bool  # <Manifest ... />
    splittable: bool  # the raw splitter may work on these bytes


def _detect_encoding(head: bytes) -> tuple[str, int]:
    """(codec, BOM length) from the BOM or the first characters (XML 1.0 appendix F)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise CatalogError("unsupported catalog encoding UTF-32 (expected UTF-8 or UTF-16)")
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if head.startswith(b"\x00\x00"):
        raise CatalogError("unsupported catalog encoding (expected UTF-8 or UTF-16)")
    if len(head) >= 2 and head[1] == 0 and head[0] != 0:
        return "utf-16-le", 0
    if len(head) >= 2 and head[0] == 0 and head[1] != 0:
        return "utf-16-be", 0
    return "utf-8", 0


_UTF16_DECL = ("utf-16", "utf16", "unicode")


def _check_declaration(declared: str | None, encoding: str, bom: int) -> None:
    """An encoding declaration must agree with the BOM (or, without one, the bytes)."""
    if not declared:
        return
    if encoding.startswith("utf-16"):
        ok = declared.startswith(_UTF16_DECL)
    elif bom:
        ok = declared.replace("_", "-") in ("utf-8", "utf8")
    else:
        ok = not declared.startswith(_UTF16_DECL)
    if not ok:
        what = f"the {_BOM_NAMES[encoding]} BOM" if bom else f"the bytes ({encoding}, no BOM)"
        raise CatalogError(f"the encoding declaration {declared!r} contradicts {what}; refused")


_BOM_NAMES = {"utf-8": "UTF-8", "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE"}


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def read_prolog(head: bytes, *, complete: bool) -> Prolog:
    """Inspect the first bytes of a catalog.

    `complete` says `head` is the whole document; otherwise NeedMoreData asks for more bytes when
    the root start tag is not in `head` yet.  Raises CatalogError for what is refused.
    """
    if not head:
        raise CatalogError("catalog is empty (0 bytes)")
    encoding, bom = _detect_encoding(head)
    unit = 2 if encoding.startswith("utf-16") else 1
    body = head[bom:]
    if unit == 2 and len(body) % 2:
        body = body[:-1]
    errors = "surrogatepass" if unit == 2 else "surrogateescape"
    text = body.decode(encoding, errors)

    declared: str | None = None
    i = 0
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n or (not complete and n - i < 16):
            break  # need more bytes to tell what comes next
        if text.startswith("<?", i):
            j = text.find("?>", i + 2)
            if j < 0:
                break
            if text.startswith("<?xml", i) and declared is None:
                m = _ENCODING_DECL.search(text, i, j)
                declared = m.group(1).lower() if m else ""
            i = j + 2
            continue
        if text.startswith("<!--", i):
            j = text.find("-->", i + 4)
            if j < 0:
                break
            i = j + 3
            continue
        if text.startswith("<!", i) and text[i + 2 : i + 9].upper().startswith("DOCTYPE"):
            raise CatalogError(
                f"line {_line_of(text, i)}: the catalog has a DOCTYPE declaration; Dell catalogs "
                "never do and fwupdate refuses them (entity expansion / external entity risk)"
            )
        if text.startswith("<", i) and i + 1 < n and text[i + 1] not in "!?":
            m = _NAME.match(text, i + 1)
            if not m:
                break
            qname = m.group(0)
            k = m.end()
            quote = ""
            while k < n:
                c = text[k]
                if quote:
                    if c == quote:
                        quote = ""
                elif c in "\"'":
                    quote = c
                elif c == ">":
                    break
                k += 1
            if k >= n:
                break
            local = qname.rsplit(":", 1)[-1]
            if local != "Manifest":
                raise CatalogError(
                    f"line {_line_of(text, i)}: not a Dell catalog: the root element is "
                    f"<{qname}>, expected <Manifest>"
                )
            _check_declaration(declared, encoding, bom)
            body_start = bom + len(text[: k + 1].encode(encoding, errors))
            ascii_ok = unit == 1 and (declared in (None, "") or _ASCII_COMPATIBLE.fullmatch(
                declared or "") is not None)
            utf16_ok = unit == 2 and (declared in (None, "") or (declared or "").startswith(
                ("utf-16", "utf16", "unicode")))
            return Prolog(
                encoding=encoding,
                unit=unit,
                bom_length=bom,
                root_name=local,
                body_start=body_start,
                root_empty=text[k - 1] == "/",
                splittable=ascii_ok or utf16_ok,
            )
        snippet = text[i : i + 20].encode("ascii", "backslashreplace").decode()
        raise CatalogError(
            f"line {_line_of(text, i)}: not an XML catalog (unexpected content {snippet!r})"
        )
    if complete or len(head) >= MAX_PROLOG_BYTES:
        if len(head) >= MAX_PROLOG_BYTES:
            raise CatalogError("not a Dell catalog: no root element in the first 1 MiB")
        raise CatalogError("not a Dell catalog: no root element (document ends in the prolog)")
    raise NeedMoreData
