"""The one place that checks catalog values that cannot be right (docs/catalogs.md, "Limits").

A component whose `path` would leave its repository, whose `hashMD5` is not 32 hex digits,
whose `size` is negative, absurd or not a number, that nests elements deeper than any Dell
catalog does or that carries a huge text is refused: CatalogError (exit 2), one line naming the
component and the reason.  The same rules apply to a DUP's package.xml (same builder).
"""

from __future__ import annotations

import re

from lxml import etree

from fwupdate.errors import CatalogError
from fwupdate.pathsafe import package_path_reason

MAX_PACKAGE_BYTES = 64 << 30  # no Dell package comes near 64 GiB (iDRAC DUPs: 30-120 MB)
MAX_DEPTH = 32  # element levels below <Manifest>; Dell catalogs use about 6
MAX_TEXT_CHARS = 1 << 20  # one text node or attribute value inside a component
MAX_CHILDREN = 10_000  # children of one element inside a component (Dell: a few hundred Models)

_MD5_RE = re.compile(r"[0-9A-Fa-f]{32}")
_SIZE_RE = re.compile(r"\+?[0-9]{1,20}")


def component_label(name: str | None, path: str | None) -> str:
    """`component 'BIOS' (path 'x.EXE')`, each part cut short and printable."""
    shown = _short(name or "?")
    return f"component {shown} (path {_short(path or '')})"


def _short(text: str) -> str:
    return repr(text if len(text) <= 120 else text[:120] + "...")


def refuse(label: str, reason: str) -> CatalogError:
    return CatalogError(f"{label}: {reason}; refused")


def check_path(path: str, label: str) -> str:
    """A package path relative to its repository (empty is allowed: a package.xml has none)."""
    if path:
        reason = package_path_reason(path)
        if reason:
            raise refuse(label, f"path {_short(path)}: {reason}")
    return path


def check_md5(value: str | None, label: str) -> str | None:
    if value is None:
        return None
    if not _MD5_RE.fullmatch(value):
        raise refuse(label, f"hashMD5 {_short(value)} is not 32 hex digits")
    return value.lower()


def check_size(value: str | None, label: str) -> int | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.startswith("-") and _SIZE_RE.fullmatch(text[1:]):
        raise refuse(label, f"size {text} is negative")
    if not _SIZE_RE.fullmatch(text):
        raise refuse(label, f"size {_short(text)} is not a whole number of bytes")
    size = int(text)
    if size > MAX_PACKAGE_BYTES:
        raise refuse(label, f"size {size} is absurd (more than {MAX_PACKAGE_BYTES} bytes)")
    return size


_WITHIN_LIMITS: dict[tuple[int, bool], etree.XPath] = {}
_SMALL_WITHIN_LIMITS: dict[int, etree.XPath] = {}
_SHAPE_WITHIN_LIMITS: dict[int, etree.XPath] = {}


def _small_within_limits(base_depth: int) -> etree.XPath:
    """True only for a small element within every limit: no comment or processing instruction
    below it, at most `MAX_DEPTH - base_depth` elements below it (so none is deeper than
    MAX_DEPTH, none has more children than that), all its text together and each attribute at
    most MAX_TEXT_CHARS characters.  A kept component whose `SupportedSystems` was skipped
    (blocks.py) has ~25 elements: this is 3x cheaper than `_within_limits`, which reads every
    attribute with a predicate and walks a 32-step path."""
    xp = _SMALL_WITHIN_LIMITS.get(base_depth)
    if xp is None:
        xp = _SMALL_WITHIN_LIMITS[base_depth] = etree.XPath(
            "not(descendant::comment() | descendant::processing-instruction())"
            f" and count(descendant::*) <= {MAX_DEPTH - base_depth}"
            f" and string-length(string(.)) <= {MAX_TEXT_CHARS}"
            f" and not(.//@*[string-length() > {MAX_TEXT_CHARS}])"
        )
    return xp


def _shape_within_limits(base_depth: int) -> etree.XPath:
    """`_within_limits` without the text and attribute parts (for `texts_proven`)."""
    xp = _SHAPE_WITHIN_LIMITS.get(base_depth)
    if xp is None:
        too_deep = "/".join(["*"] * (MAX_DEPTH - base_depth + 1))
        xp = _SHAPE_WITHIN_LIMITS[base_depth] = etree.XPath(
            f"count(descendant::node()) <= {MAX_CHILDREN} and not({too_deep})"
        )
    return xp


def _within_limits(base_depth: int, systems_proven: bool) -> etree.XPath:
    """An XPath (evaluated in libxml2, no Python per element) that is true only when no limit
    of `check_tree` can be hit: at most MAX_CHILDREN nodes below the element in all (so no
    element has more children), all its text together (`string(.)`: every text node below it,
    not its own tail) at most MAX_TEXT_CHARS characters, no attribute longer, and no element
    deeper than MAX_DEPTH.  False proves nothing: the exact walk then decides.

    `systems_proven`: the caller knows that no attribute inside a `SupportedSystems` child is
    longer than MAX_TEXT_CHARS (its serialised XML is no longer than that), so only the
    attributes outside those children are read (the systems hold most of a component's)."""
    xp = _WITHIN_LIMITS.get((base_depth, systems_proven))
    if xp is None:
        too_deep = "/".join(["*"] * (MAX_DEPTH - base_depth + 1))
        long_attr = f"@*[string-length(.) > {MAX_TEXT_CHARS}]"
        attrs = (
            f"not({long_attr}) and not(*[local-name() != 'SupportedSystems']"
            f"/descendant-or-self::*/{long_attr})"
            if systems_proven
            else f"not(descendant-or-self::*/{long_attr})"
        )
        xp = _WITHIN_LIMITS[(base_depth, systems_proven)] = etree.XPath(
            f"count(descendant::node()) <= {MAX_CHILDREN}"
            f" and string-length(string(.)) <= {MAX_TEXT_CHARS}"
            f" and {attrs}"
            f" and not({too_deep})"
        )
    return xp


def check_tree(
    el: etree._Element,
    label: str,
    base_depth: int = 1,
    *,
    systems_proven: bool = False,
    texts_proven: bool = False,
) -> None:
    """Depth, fan-out and text sizes of a component's subtree (cheap: a few KB per component).
    `systems_proven`: see `_within_limits`; `texts_proven`: the caller knows that no text or
    attribute below `el` can be longer than MAX_TEXT_CHARS (its raw bytes are no longer)."""
    if 0 < base_depth <= MAX_DEPTH and (
        _small_within_limits(base_depth)(el) is True
        or (texts_proven and _shape_within_limits(base_depth)(el) is True)
        or _within_limits(base_depth, systems_proven)(el) is True
    ):
        return
    stack: list[tuple[etree._Element, int]] = [(el, base_depth)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise refuse(label, f"elements nested more than {MAX_DEPTH} levels deep")
        if len(node) > MAX_CHILDREN:
            raise refuse(label, f"more than {MAX_CHILDREN} child elements in one element")
        for text in (node.text, node.tail if node is not el else None, *node.attrib.values()):
            if text is not None and len(text) > MAX_TEXT_CHARS:
                raise refuse(
                    label, f"a text or attribute of {len(text)} characters (limit {MAX_TEXT_CHARS})"
                )
        stack.extend((child, depth + 1) for child in node)
