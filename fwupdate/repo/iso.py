"""Files inside an ISO image as byte ranges, read with pycdlib without mounting or extracting.

An SUU ISO (catalog-and-dup.md §5) holds a flat `repository/` folder with Catalog.xml and the
DUPs.  Every ISO 9660 file is one contiguous extent, so each member can be served as a slice of
the image file (fwupdate.fileserver.sources.FileSliceSource): streamed, concurrent, no copy.
Names come from Rock Ridge, else Joliet, else plain ISO 9660 (";1" stripped).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fwupdate.errors import BadInputError, FwupdateError
from fwupdate.fileserver.sources import FileSliceSource
from fwupdate.inputfile import open_regular

MAX_ISO_BYTES = 1 << 40  # checked on the open descriptor; only the type matters here


def _facade(iso: Any) -> str:
    if iso.has_rock_ridge():
        return "rr_path"
    if iso.has_joliet():
        return "joliet_path"
    return "iso_path"


def _walk(iso: Any, facade: str) -> Iterator[tuple[str, str]]:
    """(display path without leading '/', path as pycdlib wants it) for every file."""
    for dirpath, _dirs, files in iso.walk(**{facade: "/"}):
        for name in files:
            full = f"{dirpath.rstrip('/')}/{name}"
            shown = full
            if facade == "iso_path":
                shown = full.split(";", 1)[0].rstrip(".")
            yield shown.lstrip("/"), full


def iso_members(iso_path: Path) -> dict[str, FileSliceSource]:
    """Every regular file of the image: {relative name: slice of the image}."""
    import pycdlib  # only ISO sources need it

    iso_path = Path(iso_path)
    iso = pycdlib.PyCdlib()
    try:
        iso.open(str(iso_path))
    except Exception as exc:  # pycdlib raises its own exception and plain errors
        raise BadInputError(f"{iso_path}: not a readable ISO image: {exc}") from None
    try:
        block = int(iso.logical_block_size)
        facade = _facade(iso)
        out: dict[str, FileSliceSource] = {}
        for shown, full in _walk(iso, facade):
            rec: Any = iso.get_record(**{facade: full})
            if getattr(rec, "data_continuation", None) is not None or getattr(
                rec, "file_unit_size", False
            ):
                raise BadInputError(
                    f"{iso_path}: {shown} is stored in several extents (interleaved or > 4 GiB); "
                    "extract it instead"
                )
            out[shown] = FileSliceSource(
                iso_path,
                int(rec.extent_location()) * block,
                int(rec.get_data_length()),
                label=f"{iso_path.name}:{shown}",
            )
        return out
    finally:
        iso.close()


def is_iso(path: Path) -> bool:
    """ISO 9660 primary volume descriptor at sector 16 ('CD001')."""
    try:
        with open_regular(path, max_bytes=MAX_ISO_BYTES, what="ISO image") as f:
            f.seek(16 * 2048 + 1)
            return f.read(5) == b"CD001"
    except (OSError, FwupdateError):
        return False
