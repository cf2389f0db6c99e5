"""Write an update ISO (SUU-like layout: `repository/Catalog.xml` + packages) with pycdlib.

For the demo, the simulator and tests: a Dell update ISO that the virtual-media path boots.
ISO 9660 level 3 names plus Joliet and Rock Ridge long names; written to a temporary file in the
target folder and renamed into place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fwupdate.errors import BadInputError

MAX_FILES = 10_000


JOLIET_MAX = 64


def build_update_iso(
    folder: Path, iso: Path, *, prefix: str = "repository", volume: str = "FWUPDATE_UPDATE"
) -> Path:
    """Every regular file directly in `folder` goes into `/<prefix>/` of the new image `iso`."""
    import pycdlib  # only image builders need it

    folder, iso = Path(folder), Path(iso)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink())
    if not files:
        raise BadInputError(f"{folder}: no files to put on the ISO")
    if len(files) > MAX_FILES:
        raise BadInputError(f"{folder}: more than {MAX_FILES} files")
    too_long = [p.name for p in files if len(p.name) > JOLIET_MAX]
    if too_long:  # Joliet (what LC and our readers use for long names) stops at 64 characters
        raise BadInputError(
            f"{folder}: file names longer than {JOLIET_MAX} characters cannot go on the ISO: "
            + ", ".join(too_long[:3])
            + (" ..." if len(too_long) > 3 else "")
        )
    img = pycdlib.PyCdlib()
    img.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=volume[:32])
    top = "/" + prefix.upper()[:8]
    img.add_directory(top, rr_name=prefix, joliet_path="/" + prefix)
    for n, p in enumerate(files):
        img.add_file(
            str(p), f"{top}/F{n:06d}.;1", rr_name=p.name, joliet_path=f"/{prefix}/{p.name}"
        )
    iso.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=iso.parent, prefix=f".{iso.name}.")
    os.close(fd)
    try:
        img.write(tmp)
        img.close()
        os.replace(tmp, iso)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return iso
