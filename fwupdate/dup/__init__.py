"""Dell Update Packages: inspect, verify and safely extract .EXE and .BIN DUPs; build synthetic
ones (and whole repositories) for the demo, the simulator and the tests.  See docs/dups.md."""

from fwupdate.dup.archive import DupArchive, Listing, Member, MemberKind
from fwupdate.dup.build import (
    build_bin_dup,
    build_exe_dup,
    build_firmware_image,
    catalog_entry_for,
)
from fwupdate.dup.detect import (
    ARCHIVE_MARKER,
    PACKAGE_MARKER,
    BinLayout,
    Detected,
    DupFormat,
    detect,
    detect_stream,
    locate_bin_layout,
)
from fwupdate.dup.extract import ExtractedFile, ExtractResult, extract_dup
from fwupdate.dup.image import (
    BARE_IMAGE_NAMES,
    ImageHeader,
    bare_image_generation,
    make_image_bytes,
    parse_image_header,
)
from fwupdate.dup.limits import DEFAULT_LIMITS, ExtractLimits, parse_size
from fwupdate.dup.reader import DupInfo, info_document, inspect_dup, read_package
from fwupdate.dup.repo import (
    RepositoryResult,
    build_repository,
    catalog_bytes,
    default_payload,
    write_catalog,
)
from fwupdate.dup.scan import find_marker_line, iter_marker_lines
from fwupdate.dup.verify import (
    Digests,
    Verification,
    file_digests,
    stream_digests,
    verify_against_component,
)

__all__ = [
    "ARCHIVE_MARKER",
    "BARE_IMAGE_NAMES",
    "DEFAULT_LIMITS",
    "PACKAGE_MARKER",
    "BinLayout",
    "Detected",
    "Digests",
    "DupArchive",
    "DupFormat",
    "DupInfo",
    "ExtractLimits",
    "ExtractResult",
    "ExtractedFile",
    "ImageHeader",
    "Listing",
    "Member",
    "MemberKind",
    "RepositoryResult",
    "Verification",
    "bare_image_generation",
    "build_bin_dup",
    "build_exe_dup",
    "build_firmware_image",
    "build_repository",
    "catalog_bytes",
    "catalog_entry_for",
    "default_payload",
    "detect",
    "detect_stream",
    "extract_dup",
    "file_digests",
    "find_marker_line",
    "info_document",
    "inspect_dup",
    "iter_marker_lines",
    "locate_bin_layout",
    "make_image_bytes",
    "parse_image_header",
    "parse_size",
    "read_package",
    "stream_digests",
    "verify_against_component",
    "write_catalog",
]
