"""Builders for synthetic and deliberately malicious DUPs, made at test time in tmp dirs."""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import tarfile
import types
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from fwupdate.catalog.models import (
    Criticality,
    PackageType,
    SoftwareComponent,
    SupportedDevice,
    SupportedSystem,
)
from fwupdate.dup.build import bin_script_header, pe_stub
from fwupdate.dup.component_xml import package_xml_bytes
from fwupdate.dup.detect import ARCHIVE_MARKER, PACKAGE_MARKER
from fwupdate.dup.image import make_image_bytes

IDRAC_EXE = "iDRAC-with-Lifecycle-Controller_Firmware_0GHF4_WN64_2.65.65.65_A00.EXE"
IDRAC_BIN = "iDRAC-with-Lifecycle-Controller_Firmware_Y9YPN_LN_2.65.65.65_A00.BIN"


def idrac_component(path: str = IDRAC_EXE, version: str = "2.65.65.65") -> SoftwareComponent:
    return SoftwareComponent(
        path=path,
        package_id="0GHF4",
        release_id="0GHF4",
        package_type=PackageType.LW64 if path.endswith(".EXE") else PackageType.LLXP,
        vendor_version=version,
        dell_version="A00",
        release_date="March 14, 2019",
        date_time="2019-03-14T10:00:00+00:00",
        reboot_required=False,
        name=f"iDRAC with Lifecycle Controller,{version},A00",
        description='iDRAC7/8 firmware & <Lifecycle Controller> "quoted"',
        component_type="FRMW",
        category="iDRAC with Lifecycle Controller",
        lu_category="NONE",
        criticality=Criticality.URGENT,
        devices=(SupportedDevice(component_id="25227", display="iDRAC", embedded=True),),
        systems=(
            SupportedSystem(brand_prefix="PE", system_id="04F7", display="R320"),
            SupportedSystem(brand_prefix="PE", system_id="04CE", display="R620"),
        ),
        schema_version="1.0",
    )


def bios_component() -> SoftwareComponent:
    return SoftwareComponent(
        path="BIOS_YFJDM_WN32_2.4.2.EXE",
        package_id="YFJDM",
        release_id="YFJDM",
        package_type=PackageType.LWXP,
        vendor_version="2.4.2",
        dell_version="2.4.2",
        reboot_required=True,
        name="Server BIOS 12G,2.4.2",
        component_type="BIOS",
        category="BI",
        criticality=Criticality.RECOMMENDED,
        devices=(SupportedDevice(component_id="159", display="BIOS"),),
        systems=(SupportedSystem(brand_prefix="PE", system_id="04F7", display="R320"),),
        schema_version="1.0",
    )


IMAGE = make_image_bytes("idrac7", "2.65.65.65", 32 * 1024)
PACKAGE_XML = package_xml_bytes(idrac_component())


# --- raw archive writers for malicious packages --------------------------------------------------


def raw_zip(entries: Iterable[zipfile.ZipInfo | tuple[str, bytes]]) -> bytes:
    """A ZIP with exactly these entries (names are not cleaned); duplicates allowed."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name"
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for e in entries:
                if isinstance(e, tuple):
                    zi = zipfile.ZipInfo(e[0])
                    zi.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(zi, e[1])
                else:
                    zf.writestr(e, b"/etc/passwd" if e.filename.startswith("link") else b"x")
    return buf.getvalue()


def zip_link(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name)
    zi.create_system = 3
    zi.external_attr = (stat.S_IFLNK | 0o777) << 16
    return zi


def zip_device(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name)
    zi.create_system = 3
    zi.external_attr = (stat.S_IFCHR | 0o666) << 16
    return zi


def write_exe(path: Path, zip_bytes: bytes, stub_size: int = 2048) -> Path:
    path.write_bytes(pe_stub(stub_size) + zip_bytes)
    return path


def tar_entry(
    name: str, data: bytes = b"x", *, type_: bytes = tarfile.REGTYPE, linkname: str = ""
) -> tuple[tarfile.TarInfo, bytes]:
    ti = tarfile.TarInfo(name)
    ti.type = type_
    ti.linkname = linkname
    ti.size = len(data) if type_ in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
    ti.mode = 0o644
    return ti, data


def raw_tar_gz(entries: Iterable[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    """A tar.gz of exactly these headers + data (headers may lie about sizes)."""
    raw = io.BytesIO()
    for ti, data in entries:
        raw.write(ti.tobuf(format=tarfile.GNU_FORMAT))
        raw.write(data)
        pad = (-len(data)) % tarfile.BLOCKSIZE
        raw.write(b"\0" * pad)
    raw.write(b"\0" * tarfile.BLOCKSIZE * 2)
    return gzip.compress(raw.getvalue(), mtime=0)


def write_bin(
    path: Path,
    archive: bytes,
    *,
    package_xml: bytes = PACKAGE_XML,
    with_package_marker: bool = True,
    with_archive_marker: bool = True,
) -> Path:
    parts = [bin_script_header()]
    if with_package_marker:
        parts.append(PACKAGE_MARKER + b"\n")
    parts.append(package_xml.rstrip(b"\n") + b"\n")
    if with_archive_marker:
        parts.append(ARCHIVE_MARKER + b"\n")
    parts.append(archive)
    path.write_bytes(b"".join(parts))
    return path


def tree_files(root: Path) -> list[str]:
    """Every path below root (files, links, folders), relative, sorted."""
    if not root.exists():
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            out.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(out)


@pytest.fixture
def component() -> SoftwareComponent:
    return idrac_component()


@pytest.fixture
def kit() -> types.ModuleType:
    """This module: the builders above, for tests (conftest cannot be imported by name)."""
    return sys.modules[__name__]
