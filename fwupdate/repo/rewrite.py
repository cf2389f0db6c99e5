"""Catalog rewriting: make an iDRAC fetch packages from the share it was pointed at.

Dell's online catalog names `baseLocation="downloads.dell.com"` and
`baseLocationAccessProtocols="HTTPS"`.  An iDRAC honours them even when InstallFromRepository
pointed it at a mirror, so it tries Dell's site (or the wrong protocol) and fails with RED006
(catalog-and-dup.md §1.3).  The fix is to empty `baseLocation` (package paths are then relative to
the share, like an SUU/DRM repository) and drop `baseLocationAccessProtocols`.

The document is parsed with lxml (no DTD, no entities, no network) and written back in its own
encoding, with the byte-order mark it had: UTF-8 with BOM (SUU), UTF-16 with BOM (online).
Everything else (comments, bundles, components, attribute order) is kept.
"""

from __future__ import annotations

import codecs
from collections.abc import Collection
from dataclasses import dataclass

from lxml import etree

from fwupdate.errors import CatalogError

BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class RewriteResult:
    data: bytes
    changes: tuple[str, ...]  # human-readable, e.g. "baseLocation 'downloads.dell.com' -> ''"
    encoding: str  # utf-8 | utf-16-le | utf-16-be
    bom: bool

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def detect_encoding(data: bytes) -> tuple[str, bool]:
    """(codec, has_bom) of a catalog's bytes; UTF-16 without BOM is recognised by its NULs."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            return codec, True
    if data[:2] == b"<\x00":
        return "utf-16-le", False
    if data[:2] == b"\x00<":
        return "utf-16-be", False
    return "utf-8", False


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False
    )


def parse_catalog_tree(data: bytes, *, what: str = "catalog") -> etree._ElementTree:
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        raise CatalogError(f"{what}: not well-formed XML: {exc}") from None
    if getattr(tree.docinfo, "doctype", "") or tree.docinfo.internalDTD is not None:
        raise CatalogError(f"{what}: a DOCTYPE is not allowed in a catalog")
    root = tree.getroot()
    if etree.QName(root).localname != "Manifest":
        raise CatalogError(f"{what}: root element is <{root.tag}>, not <Manifest>")
    return tree


def rewrite_catalog(
    data: bytes,
    *,
    base_location: str | None = "",
    keep_paths: Collection[str] | None = None,
    what: str = "catalog",
) -> RewriteResult:
    """Set `Manifest/@baseLocation` to `base_location` (default: empty = relative to the share)
    and remove `@baseLocationAccessProtocols`.  With `keep_paths`, every SoftwareComponent whose
    path is not listed (and its bundle `Package` entries) is dropped, so an iDRAC pointed at the
    catalog can only apply what the plan chose.  Returns the original bytes when nothing
    changes."""
    codec, bom = detect_encoding(data)
    tree = parse_catalog_tree(data, what=what)
    root = tree.getroot()
    changes: list[str] = []
    if base_location is not None:  # None: leave the base location alone (filtering only)
        current = root.get("baseLocation")
        if current is not None and current != base_location:
            changes.append(f"baseLocation {current!r} -> {base_location!r}")
            root.set("baseLocation", base_location)
        elif current is None and base_location:
            changes.append(f"baseLocation added: {base_location!r}")
            root.set("baseLocation", base_location)
        protocols = root.get("baseLocationAccessProtocols")
        if protocols is not None:
            changes.append(f"baseLocationAccessProtocols {protocols!r} removed")
            del root.attrib["baseLocationAccessProtocols"]
    if keep_paths is not None:
        changes.extend(_keep_only(root, keep_paths))
    if not changes:
        return RewriteResult(data, (), codec, bom)
    body = _serialize(tree)
    label = "utf-16" if codec.startswith("utf-16") else "utf-8"
    text = f'<?xml version="1.0" encoding="{label}"?>\n{body}'
    out = text.encode(codec)
    if bom:
        out = next(b for b, c in BOMS if c == codec) + out
    return RewriteResult(out, tuple(changes), codec, bom)


def _norm(path: str) -> str:
    return path.replace("\\", "/").lstrip("/").casefold()


def _keep_only(root: etree._Element, keep_paths: Collection[str]) -> list[str]:
    keep = {_norm(p) for p in keep_paths}
    dropped = 0
    for el in list(root):
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if name == "SoftwareComponent" and _norm(el.get("path") or "") not in keep:
            root.remove(el)
            dropped += 1
        elif name == "SoftwareBundle":
            for pkg in list(el.iter()):
                if (
                    isinstance(pkg.tag, str)
                    and etree.QName(pkg).localname == "Package"
                    and _norm(pkg.get("path") or "") not in keep
                ):
                    parent = pkg.getparent()
                    if parent is not None:
                        parent.remove(pkg)
    return [f"{dropped} component(s) not in the plan removed"] if dropped else []


def _serialize(tree: etree._ElementTree) -> str:
    """The document without its XML declaration (comments and PIs around the root kept)."""
    root = tree.getroot()
    parts: list[str] = []
    for sib in reversed(list(root.itersiblings(preceding=True))):
        parts.append(etree.tostring(sib, encoding="unicode", with_tail=False))
        parts.append("\n")
    parts.append(etree.tostring(root, encoding="unicode", with_tail=False))
    for sib in root.itersiblings():
        parts.append("\n")
        parts.append(etree.tostring(sib, encoding="unicode", with_tail=False))
    parts.append("\n")
    return "".join(parts)


def package_paths(data: bytes, *, what: str = "catalog") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(component package paths, bundle XML paths) named by a catalog, '/'-separated, in order."""
    root = parse_catalog_tree(data, what=what).getroot()
    comps: list[str] = []
    bundles: list[str] = []
    for el in root:
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        path = (el.get("path") or "").replace("\\", "/").lstrip("/")
        if not path:
            continue
        if name == "SoftwareComponent" and path not in comps:
            comps.append(path)
        elif name == "SoftwareBundle" and path not in bundles:
            bundles.append(path)
    return tuple(comps), tuple(bundles)
