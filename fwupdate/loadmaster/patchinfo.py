"""What version a LoadMaster patch file installs, when the file tells.

Two sources, tried in order: the simulator's patch header (`KEMP-LM-PATCH <version> <platform>`
as the first line, docs/loadmaster.md), then the file name (Kemp names files like
`7.1-Patch28b-BARE-METAL.bin` or `LMOS_7.2.54.12.22642.RELEASE...`).  Real Kemp patch contents
are opaque to us; when neither source gives a version the operator passes --target-version.
"""

from __future__ import annotations

import re
from pathlib import Path

from fwupdate.errors import BadInputError

_HEADER = b"KEMP-LM-PATCH "
_NAME = re.compile(r"(\d+\.\d+(?:\.\d+)*(?:-Patch[0-9A-Za-z]+)?)")


def version_from_image(path: Path) -> str | None:
    p = Path(path)
    try:
        with p.open("rb") as f:
            head = f.read(200)
    except FileNotFoundError:
        raise BadInputError(f"patch file {p} does not exist") from None
    except OSError as exc:
        raise BadInputError(f"cannot read patch file {p}: {exc.strerror}") from None
    if head.startswith(_HEADER):
        line = head.split(b"\n", 1)[0].decode("ascii", "replace").split()
        if len(line) >= 2:
            return line[1]
    m = _NAME.search(p.name)
    return m.group(1) if m else None
