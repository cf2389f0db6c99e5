"""Bare iDRAC firmware images (`firmimg.d7` ...) and fwupdate's synthetic image header.

A bare image is what sits in a DUP's `payload/`: iDRAC6 `firmimg.d6`, iDRAC7/8 `firmimg.d7`,
iDRAC9 `firmimg.d9` / `firmimgFIT.d9` (catalog-and-dup.md §3.5).  It has no package.xml.

Synthetic images (built for tests, the demo and the simulated iDRAC) start with one ASCII line

    FWUPDATE-SIM-IMAGE <target> <version>\\n

e.g. `FWUPDATE-SIM-IMAGE idrac7 2.65.65.65`, where `<target>` is `idrac6|idrac7|idrac8|idrac9`
for iDRAC images or a free token without spaces for other components (`bios`,
`component-159`), followed by deterministic filler bytes up to the requested size.  The line is
at most 128 bytes; everything after the first `\\n` is padding and must be ignored by readers.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

IMAGE_MAGIC = b"FWUPDATE-SIM-IMAGE"
MAX_HEADER_LINE = 128

# File name -> iDRAC generation the image belongs to (lower-case match).
BARE_IMAGE_NAMES: dict[str, str] = {
    "firmimg.d6": "idrac6",
    "firmimg.d7": "idrac7/8",
    "firmimg.d9": "idrac9",
    "firmimgfit.d9": "idrac9",
}
IDRAC_TARGETS = ("idrac6", "idrac7", "idrac8", "idrac9")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,47}$")


@dataclass(frozen=True)
class ImageHeader:
    """What a synthetic image declares: its target (`idrac7`) and the version it installs."""

    target: str
    version: str

    @property
    def is_idrac(self) -> bool:
        return self.target in IDRAC_TARGETS


def bare_image_generation(file_name: str) -> str | None:
    """`firmimg.d7` -> `idrac7/8`; None when the name is not a known bare iDRAC image name."""
    return BARE_IMAGE_NAMES.get(file_name.replace("\\", "/").rsplit("/", 1)[-1].lower())


def default_image_name(target: str) -> str:
    """Payload file name Dell uses for an iDRAC generation (`idrac7` -> `firmimg.d7`)."""
    return {"idrac6": "firmimg.d6", "idrac9": "firmimgFIT.d9"}.get(target, "firmimg.d7")


def image_header_line(target: str, version: str) -> bytes:
    """The first line of a synthetic image, validated so readers can split it on spaces."""
    for label, token in (("target", target), ("version", version)):
        if not _TOKEN_RE.match(token):
            raise ValueError(f"image {label} must be a short token without spaces: {token!r}")
    return b" ".join((IMAGE_MAGIC, target.encode(), version.encode())) + b"\n"


def make_image_bytes(target: str, version: str, size: int = 64 * 1024) -> bytes:
    """Header line plus filler derived from target/version, so each version hashes differently."""
    header = image_header_line(target, version)
    size = max(size, len(header))
    filler = bytearray()
    seed = hashlib.sha256(header).digest()
    counter = 0
    while len(header) + len(filler) < size:
        filler += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return header + bytes(filler[: size - len(header)])


def parse_image_header(head: bytes) -> ImageHeader | None:
    """Read the synthetic header from the first bytes of a file; None if it is not one."""
    if not head.startswith(IMAGE_MAGIC + b" "):
        return None
    line, sep, _ = head[:MAX_HEADER_LINE].partition(b"\n")
    if not sep:
        return None
    parts = line.decode("ascii", "replace").split(" ")
    if len(parts) != 3 or not all(_TOKEN_RE.match(p) for p in parts[1:]):
        return None
    return ImageHeader(target=parts[1], version=parts[2])
