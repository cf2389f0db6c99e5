"""Read a DUP's own `package.xml` (a catalog `<SoftwareComponent>`) into the catalog model.

The XML is parsed by the catalog package's element parser (`parse_component_xml`: lxml with no
entities, no DTD, no network, DOCTYPE refused), so a DUP and a catalog entry always mean the
same thing.  Only the DUP-specific parts live here: a leading blank line between the `.BIN`
marker and the XML is tolerated, errors name the DUP, and a package.xml without `path` gets the
DUP's file name.
"""

from __future__ import annotations

import dataclasses

from fwupdate.catalog.models import SoftwareComponent
from fwupdate.catalog.parser import parse_component_xml
from fwupdate.errors import CatalogError, DupError


def parse_package_xml(data: bytes, *, path: str) -> SoftwareComponent:
    """Parse package.xml bytes (any BOM/encoding the declaration names) into a component."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.lstrip()  # a declaration must come first; UTF-16 text is left alone
    try:
        component = parse_component_xml(data, source=f"{path}: package.xml")
    except CatalogError as exc:
        raise DupError(str(exc)) from None
    return component if component.path else dataclasses.replace(component, path=path)
