"""Recognise a LoadMaster patch image and read its version, from its name and first bytes.

Pure: the CLI reads the file name and the first bytes (HEAD_BYTES) and passes them in.  Two
sources of the version, both accepted:

* the header line of fwupdate's simulated patch format (docs/loadmaster.md):
  `KEMP-LM-PATCH <version> <platform>` — authoritative when present;
* the file name: `7.1-Patch28b-BARE-METAL.bin` (Kemp's bare-metal naming seen in the field,
  loadmaster-api.md §4.5) or `LoadMaster-7.2.54.10...-BARE-METAL.bin`.

Anything that looks like something else (a Dell DUP, a bare iDRAC image, a VM disk or ISO, a
patch for another platform) is refused with a BadInputError saying what it looks like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fwupdate.catalog.versions import version_key
from fwupdate.errors import BadInputError

HEAD_BYTES = 512
PATCH_MAGIC = b"KEMP-LM-PATCH"

_NOT_PATCH_EXT = {
    ".exe": "a Windows executable (a Dell DUP?)",
    ".iso": "an ISO image",
    ".ova": "a virtual appliance (VLM), not a bare-metal patch",
    ".ovf": "a virtual appliance (VLM), not a bare-metal patch",
    ".vmdk": "a VM disk, not a patch",
    ".vhd": "a VM disk, not a patch",
    ".vhdx": "a VM disk, not a patch",
    ".qcow2": "a VM disk, not a patch",
    ".xml": "an XML file (a verification file?), not the patch itself",
    ".d7": "a bare iDRAC image",
    ".d9": "a bare iDRAC image",
}
_PLATFORMS = ("BARE-METAL", "VMWARE", "HYPERV", "HYPER-V", "KVM", "XEN", "AZURE", "AWS", "GCP")
# "7.1-Patch28b", "7.2.54.10.22172", "V7.1.40" in a file name
_NAME_VERSION = re.compile(r"(?i)(?<![0-9A-Za-z])v?(\d+\.\d+(?:[.-](?:patch)?[0-9][0-9A-Za-z]*)*)")


@dataclass(frozen=True)
class LmImage:
    file_name: str
    version: str
    platform: str
    version_source: str  # "header" | "file name"
    size: int | None = None
    sha256: str | None = None


def _name_platform(name: str) -> str | None:
    upper = name.upper()
    for p in _PLATFORMS:
        if p in upper:
            return "HYPER-V" if p == "HYPERV" else p
    return None


def _name_version(name: str) -> str | None:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    m = _NAME_VERSION.search(stem)
    if m is None:
        # no extension strip for names like "7.1-Patch28b" without an extension
        m = _NAME_VERSION.search(name)
    return m.group(1) if m else None


def _refuse(file_name: str, what: str) -> BadInputError:
    return BadInputError(f"{file_name}: not a LoadMaster patch: {what}")


# File heads that are something else than a LoadMaster patch, and what they are.
_NOT_PATCH_HEADS: tuple[tuple[bytes, bytes | None, str], ...] = (
    (b"MZ", None, "a Windows executable (a Dell DUP?)"),
    (b"#!", b"#####Startof", "a Linux Dell Update Package (.BIN)"),
    (b"FWUPDATE-SIM-IMAGE", None, "a bare firmware image for a Dell component"),
    (b"PK\x03\x04", None, "a ZIP archive: unpack it and give the patch file inside"),
    (b"\x1f\x8b", None, "a gzip archive: unpack it and give the patch file inside"),
)


def _refuse_not_a_patch(base: str, head: bytes, size: int | None) -> None:
    """Refuse what the name or the first bytes show is not a LoadMaster patch."""
    lower = base.lower()
    for ext, what in _NOT_PATCH_EXT.items():
        if lower.endswith(ext):
            raise _refuse(base, what)
    if lower.startswith("firmimg"):
        raise _refuse(base, "a bare iDRAC image")
    if size == 0 or (size is None and not head):
        raise _refuse(base, "the file is empty")
    for magic, marker, what in _NOT_PATCH_HEADS:
        if head.startswith(magic) and (marker is None or marker in head):
            raise _refuse(base, what)


def _from_header(base: str, head: bytes) -> tuple[str, str]:
    """(version, platform) from the KEMP-LM-PATCH header line, checked against the name."""
    line, sep, _ = head.partition(b"\n")
    parts = line.decode("ascii", "replace").split(" ")
    if not sep or len(parts) != 3 or parts[0] != PATCH_MAGIC.decode():
        raise _refuse(base, "damaged KEMP-LM-PATCH header line")
    version, platform = parts[1], parts[2].upper()
    name_version = _name_version(base)
    if name_version and compare_lm_versions(name_version, version) != 0:
        raise BadInputError(
            f"{base}: the file name says version {name_version} but the patch header says "
            f"{version}; rename the file or check you have the right image"
        )
    return version, platform


def _from_name(base: str, expected_platform: str) -> tuple[str, str]:
    """(version, platform) from the file name alone (no header)."""
    name_version = _name_version(base)
    name_platform = _name_platform(base)
    if name_version is None:
        raise _refuse(
            base,
            "no KEMP-LM-PATCH header and no version in the file name "
            "(expected e.g. 7.1-Patch28b-BARE-METAL.bin)",
        )
    if name_platform is None and "patch" not in base.lower():
        raise _refuse(base, "the name says neither 'Patch' nor a platform such as BARE-METAL")
    return name_version, name_platform or expected_platform.upper()


def inspect_lm_image(
    file_name: str,
    head: bytes,
    *,
    expected_platform: str = "BARE-METAL",
    size: int | None = None,
    sha256: str | None = None,
) -> LmImage:
    """Identify a LoadMaster patch; raises BadInputError for anything else."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    _refuse_not_a_patch(base, head, size)
    if head.startswith(PATCH_MAGIC):
        (version, platform), source = _from_header(base, head), "header"
    else:
        (version, platform), source = _from_name(base, expected_platform), "file name"
    if platform != expected_platform.upper():
        raise _refuse(
            base, f"it is a {platform} image; these appliances need {expected_platform.upper()}"
        )
    return LmImage(
        file_name=base,
        version=version,
        platform=platform,
        version_source=source,
        size=size,
        sha256=sha256,
    )


def _lm_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Catalog version key of a LoadMaster version without its decorations.

    `7.1-Patch28b` -> key of `7.1-28b`; `V7.1.40` -> `7.1.40`; `7.2.54.12.22642.RELEASE` ->
    `7.2.54.12.22642`.
    """
    v = re.sub(r"(?i)patch|release|^v(?=\d)", " ", version.strip())
    return version_key(v)


def compare_lm_versions(a: str, b: str) -> int:
    """Compare LoadMaster versions; a build-number suffix on one side does not make a difference
    (`7.2.54.12` equals `7.2.54.12.22642.RELEASE`)."""
    ka, kb = _lm_key(a), _lm_key(b)
    n = min(len(ka), len(kb))
    if n and ka[:n] == kb[:n] and len(ka) != len(kb) and n >= 4:
        return 0
    return (ka > kb) - (ka < kb)
