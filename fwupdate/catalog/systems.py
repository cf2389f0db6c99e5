"""Dell system ids (the catalog's `Model@systemID`) and the PowerEdge models fwupdate knows.

A system id is the Dell SMBIOS system id written as 4 upper-case hex digits (catalog-and-dup.md
§1.9).  Filters compare ids, never display names (names drift: "M630" and "M630P" share an id).
"""

from __future__ import annotations

import re

from fwupdate.errors import CatalogError, UnknownModelError

# PowerEdge 12G (iDRAC7) and two 13G (iDRAC8) systems, from catalog-and-dup.md §1.9.
KNOWN_MODELS: dict[str, str] = {
    "R320": "04F7",
    "R420": "04F8",
    "R520": "04F6",
    "R620": "04CE",
    "R720": "048C",
    "R720xd": "0528",
    "R820": "04FE",
    "T320": "04FA",
    "T420": "04F9",
    "T620": "04CF",
    "M620": "04DB",
    "R630": "0601",
    "R730": "0600",
}

_HEX_ID = re.compile(r"(?:0x)?([0-9a-f]{1,4})", re.IGNORECASE)
_BY_UPPER_NAME = {name.upper(): name for name in KNOWN_MODELS}
_BY_ID = {sid: name for name, sid in KNOWN_MODELS.items()}


def normalize_system_id(value: str) -> str:
    """'4f7', '04f7', '0x04F7' -> '04F7'.  Raises CatalogError for anything that is not hex."""
    m = _HEX_ID.fullmatch(value.strip())
    if not m:
        raise CatalogError(
            f"not a system id: {value!r} (expected up to 4 hex digits such as 04F7; "
            "use --model for names like R320)"
        )
    return m.group(1).upper().zfill(4)


_SEEN_IDS: dict[str, str] = {}


def catalog_system_id(value: str) -> str:
    """Normalise a `systemID` read from a catalog ('4f7' -> '04F7') without failing on odd
    values (they are kept, upper-cased)."""
    found = _SEEN_IDS.get(value)
    if found is not None:
        return found
    v = value.strip().upper()
    if v.startswith("0X"):
        v = v[2:]
    norm = v.zfill(4) if v and len(v) <= 4 and all(c in "0123456789ABCDEF" for c in v) else v
    if len(_SEEN_IDS) < 65536:
        _SEEN_IDS[value] = norm
    return norm


def system_id_for_model(name: str) -> str:
    """'R320', 'r320', 'PowerEdge R320', 'PER320' -> '04F7'; UnknownModelError otherwise."""
    key = " ".join(name.split()).upper()
    for prefix in ("DELL ", "POWEREDGE ", "PE "):
        key = key.removeprefix(prefix)
    if key.startswith("PE") and key[2:] in _BY_UPPER_NAME:
        key = key[2:]
    canonical = _BY_UPPER_NAME.get(key)
    if canonical is None:
        known = ", ".join(sorted(KNOWN_MODELS))
        raise UnknownModelError(
            f"unknown model {name!r}; known models: {known} (or give --system-id)"
        )
    return KNOWN_MODELS[canonical]


def model_for_system_id(system_id: str) -> str | None:
    """'04F7' -> 'R320'; None for ids outside the table."""
    return _BY_ID.get(catalog_system_id(system_id))


def resolve_system(system_id: str | None = None, model: str | None = None) -> str | None:
    """The one system id a command filters on, from --system-id or --model (not both)."""
    if system_id and model:
        raise CatalogError("give either a system id or a model, not both")
    if model:
        return system_id_for_model(model)
    if system_id:
        return normalize_system_id(system_id)
    return None
