"""What the simulated iDRAC does with uploaded bytes: multipart parsing and package inspection.

The simulator has its own parsers (a real iDRAC does not share code with its clients either):
- `parse_multipart` streams a multipart/form-data body from the spooled request file, writing file
  parts to disk and keeping small fields in memory;
- `inspect_package` decides what an uploaded file would install:
  * Windows DUP (`MZ` + ZIP, catalog-and-dup.md §3.3): `package.xml` inside decides the component
    (SupportedDevices/Device@componentID), the version (vendorVersion), the systems
    (SupportedSystems/Brand/Model@systemID) and rebootRequired; an iDRAC DUP's `payload/firmimg.d7`
    or `.d9` decides the generation it fits;
  * bare iDRAC image (`firmimg.d7` / `.d9`, §3.5): the synthetic first line
    `FWUPDATE-SIM-IMAGE <target> <version>` (fwupdate/dup/image.py's format, read here on our own);
  * Linux `.BIN` (shell + `#####Startofpackage#####` ...): refused, as by every iDRAC interface
    (idrac-redfish.md §4.1, #4, #118).
package.xml is untrusted: DOCTYPE/ENTITY declarations are refused before parsing, sizes capped.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET

MAX_PACKAGE_XML = 1024 * 1024
MAX_FIELD = 64 * 1024
MAX_PART_HEADERS = 16 * 1024
READ_CHUNK = 1024 * 1024
BIN_MARKERS = (b"#####Startofpackage#####", b"#####Startofarchive#####")
IMAGE_MAGIC = b"FWUPDATE-SIM-IMAGE "
IDRAC_TARGETS = {"idrac6": 6, "idrac7": 7, "idrac8": 8, "idrac9": 9}
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,47}$")


class PackageError(Exception):
    """An upload the iDRAC refuses; `message_id` is a registry id (messages.py)."""

    def __init__(self, message_id: str, detail: str) -> None:
        super().__init__(detail)
        self.message_id = message_id
        self.detail = detail


# --- multipart --------------------------------------------------------------------------------


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    value: bytes = b""  # small fields
    path: Path | None = None  # file parts
    size: int = 0


@dataclass
class Multipart:
    parts: list[Part] = field(default_factory=list)

    def get(self, *names: str) -> Part | None:
        wanted = {n.lower() for n in names}
        for p in self.parts:
            if p.name.lower() in wanted:
                return p
        return None


def boundary_of(content_type: str) -> str | None:
    main, _, params = content_type.partition(";")
    if main.strip().lower() != "multipart/form-data":
        return None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "boundary":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value or None
    return None


def _header_params(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in value.split(";")[1:]:
        key, _, v = item.strip().partition("=")
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] == '"':
            v = v[1:-1]
        out[key.strip().lower()] = v
    return out


def parse_multipart(
    body: IO[bytes], content_type: str, file_dir: Path, *, file_fields: tuple[str, ...]
) -> Multipart:
    """Stream-parse `body`; parts named in `file_fields` (or carrying a filename) go to disk."""
    boundary = boundary_of(content_type)
    if not boundary:
        raise PackageError("RED008", "expected multipart/form-data with a boundary")
    delim = b"\r\n--" + boundary.encode("latin-1")
    body.seek(0)
    buf = b"\r\n"  # so the first delimiter looks like every other one
    eof = False

    def fill() -> None:
        nonlocal buf, eof
        if not eof:
            chunk = body.read(READ_CHUNK)
            if chunk:
                buf += chunk
            else:
                eof = True

    # skip the preamble up to the first delimiter
    while True:
        i = buf.find(delim)
        if i >= 0:
            buf = buf[i + len(delim) :]
            break
        if eof:
            raise PackageError("RED008", "multipart body without a boundary line")
        buf = buf[-len(delim) :]
        fill()
    result = Multipart()
    counter = 0
    while True:
        while len(buf) < 2 and not eof:
            fill()
        if buf.startswith(b"--"):
            return result  # closing delimiter
        if buf.startswith(b"\r\n"):
            buf = buf[2:]
        # headers until a blank line (a part without headers starts with the blank line)
        buf = b"\r\n" + buf
        while b"\r\n\r\n" not in buf and not eof and len(buf) < MAX_PART_HEADERS:
            fill()
        head, sep, rest = buf.partition(b"\r\n\r\n")
        if not sep:
            raise PackageError("RED008", "malformed multipart part headers")
        buf = rest
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            k, colon, v = line.partition(":")
            if colon:
                headers[k.strip().lower()] = v.strip()
        disp = _header_params(headers.get("content-disposition", ""))
        part = Part(
            name=disp.get("name", ""),
            filename=disp.get("filename"),
            content_type=headers.get("content-type"),
        )
        to_file = part.filename is not None or part.name in file_fields
        sink: IO[bytes] | None = None
        if to_file:
            counter += 1
            file_dir.mkdir(parents=True, exist_ok=True)
            part.path = file_dir / f"part-{counter}.bin"
            sink = part.path.open("wb")
        value = bytearray()
        try:
            while True:
                i = buf.find(delim)
                if i >= 0:
                    data, buf = buf[:i], buf[i + len(delim) :]
                    done = True
                else:
                    keep = len(delim) - 1
                    if eof:
                        raise PackageError("RED008", "multipart body ends inside a part")
                    data, buf = buf[: max(0, len(buf) - keep)], buf[max(0, len(buf) - keep) :]
                    done = False
                part.size += len(data)
                if sink is not None:
                    sink.write(data)
                else:
                    value += data
                    if len(value) > MAX_FIELD:
                        raise PackageError("RED008", f"multipart field {part.name!r} too large")
                if done:
                    break
                fill()
        finally:
            if sink is not None:
                sink.close()
        part.value = bytes(value)
        result.parts.append(part)


# --- package inspection -------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageInfo:
    """What an uploaded file would install."""

    kind: str  # "windows-dup" | "image"
    component_ids: tuple[str, ...]  # candidate ComponentIDs (an image: ("25227",))
    version: str
    name: str = ""
    system_ids: tuple[str, ...] = ()  # empty: the package does not restrict systems
    reboot_required: bool | None = None
    idrac_generations: tuple[int, ...] = ()  # for iDRAC images/DUPs: generations it fits
    package_type: str = ""  # LW64 / LWXP when package.xml says so


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _display_text(el: ET.Element | None) -> str:
    if el is None:
        return ""
    for child in el.iter():
        if _local(child.tag) == "Display" and child.text:
            return child.text.strip()
    return (el.text or "").strip()


def parse_package_xml(data: bytes) -> tuple[ET.Element, str]:
    if len(data) > MAX_PACKAGE_XML:
        raise PackageError("RED008", "package.xml too large")
    head = data[:4096].lower()
    if b"<!doctype" in data.lower() or b"<!entity" in head:
        raise PackageError("RED008", "package.xml with DOCTYPE/ENTITY declarations refused")
    try:
        root = ET.fromstring(data)  # noqa: S314  (DTDs refused above; size capped)
    except ET.ParseError as exc:
        raise PackageError("RED008", f"package.xml is not well-formed XML: {exc}") from None
    comp = root if _local(root.tag) == "SoftwareComponent" else None
    if comp is None:
        for el in root.iter():
            if _local(el.tag) == "SoftwareComponent":
                comp = el
                break
    if comp is None:
        raise PackageError("RED008", "package.xml has no SoftwareComponent")
    return comp, _display_text(next((c for c in comp if _local(c.tag) == "Name"), None))


def _info_from_component(comp: ET.Element, name: str, members: list[str]) -> PackageInfo:
    version = (comp.get("vendorVersion") or "").strip()
    if not version:
        raise PackageError("RED008", "package.xml has no vendorVersion")
    cids: list[str] = []
    systems: list[str] = []
    for el in comp.iter():
        tag = _local(el.tag)
        if tag == "Device" and el.get("componentID"):
            cids.append(el.get("componentID", "").strip())
        elif tag == "Model" and el.get("systemID"):
            systems.append(el.get("systemID", "").strip().upper())
    rr = comp.get("rebootRequired")
    gens: list[int] = []
    lower = [m.lower() for m in members]
    if any(m.endswith(".d7") for m in lower):
        gens += [7, 8]
    if any(m.endswith(".d9") for m in lower):
        gens.append(9)
    if any(m.endswith(".d6") for m in lower):
        gens.append(6)
    return PackageInfo(
        kind="windows-dup",
        component_ids=tuple(dict.fromkeys(c for c in cids if c)),
        version=version,
        name=name,
        system_ids=tuple(dict.fromkeys(systems)),
        reboot_required=None if rr is None else rr.strip().lower() == "true",
        idrac_generations=tuple(gens),
        package_type=(comp.get("packageType") or "").strip().upper(),
    )


def _inspect_exe(path: Path) -> PackageInfo:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            pkg = next((n for n in names if n.replace("\\", "/").lower() == "package.xml"), None)
            if pkg is None:
                raise PackageError("RED008", "the DUP has no package.xml")
            info = zf.getinfo(pkg)
            if info.file_size > MAX_PACKAGE_XML:
                raise PackageError("RED008", "package.xml too large")
            data = zf.read(pkg)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise PackageError("RED008", f"not a Windows Dell Update Package: {exc}") from None
    comp, name = parse_package_xml(data)
    return _info_from_component(comp, name, names)


def parse_image_header(head: bytes) -> tuple[str, str] | None:
    """(target, version) from a synthetic image's first line, or None."""
    if not head.startswith(IMAGE_MAGIC):
        return None
    line, sep, _ = head[:128].partition(b"\n")
    if not sep:
        return None
    parts = line.decode("ascii", "replace").strip().split(" ")
    if len(parts) != 3 or not all(_TOKEN.match(p) for p in parts[1:]):
        return None
    return parts[1], parts[2]


def _inspect_image(head: bytes, filename: str) -> PackageInfo:
    hdr = parse_image_header(head)
    if hdr is None:
        raise PackageError("RED008", f"{filename}: not an iDRAC image this simulator can read")
    target, version = hdr
    gen = IDRAC_TARGETS.get(target.lower())
    if gen is None:
        raise PackageError("RED008", f"{filename}: image for {target!r}, not an iDRAC image")
    ext = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    gens = (7, 8) if gen in (7, 8) else (gen,)
    if ext in ("d7", "d9", "d6") and {"d6": 6, "d7": 7, "d9": 9}[ext] not in (*gens, gen):
        raise PackageError("RED008", f"{filename}: the name does not match an image for {target}")
    return PackageInfo(
        kind="image",
        component_ids=("25227",),
        version=version,
        name="Integrated Dell Remote Access Controller",
        idrac_generations=gens,
    )


def known_image(path: Path, filename: str, known: Mapping[str, str]) -> PackageInfo | None:
    """A real iDRAC image the simulator cannot read, vouched for by its SHA-256 (device option
    `known_images` = {sha256: version}, set by a rehearsal from its plan); None if unknown."""
    ext = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if not known or ext not in ("d7", "d9"):
        return None
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    version = known.get(digest.hexdigest())
    if version is None:
        return None
    return PackageInfo(
        kind="image",
        component_ids=("25227",),
        version=version,
        name="Integrated Dell Remote Access Controller",
        idrac_generations=(7, 8) if ext == "d7" else (9,),
    )


def inspect_package(path: Path, filename: str) -> PackageInfo:
    """Classify and read an uploaded file; raises PackageError when an iDRAC would refuse it."""
    with path.open("rb") as f:
        head = f.read(64 * 1024)
    lower = filename.lower()
    if lower.endswith(".bin") or head.startswith(b"#!") or any(m in head for m in BIN_MARKERS):
        raise PackageError(
            "RED008",
            f"{filename}: Linux update packages (.BIN) are not supported by iDRAC; "
            "use the Windows package (.EXE) or the iDRAC image (.d7/.d9)",
        )
    if head.startswith(b"MZ"):
        return _inspect_exe(path)
    if head.startswith(IMAGE_MAGIC) or lower.endswith((".d7", ".d9", ".d6")):
        return _inspect_image(head, filename)
    if lower.endswith(".pm"):
        raise PackageError("RED008", f"{filename}: .pm packages are not simulated")
    raise PackageError("RED008", f"{filename}: not a Dell Update Package or iDRAC image")
