"""Generate a large, realistic Dell Catalog.xml for benchmarks (never committed).

The shape follows catalog-and-dup.md §1: a `Manifest` with bundles first, then many
`SoftwareComponent` elements of about 8.6 KB each (the size per component measured on a real SUU
catalog), every one listing many `Brand/Model` entries, CDATA display texts, devices with PCIInfo,
and a few percent of components naming the R320 (`04F7`).  Output is written as a stream, so
generating a 200 MB file needs no more memory than a 1 MB one.

The *dense* variant follows the issue's real 2017 SUU catalog instead: 392 components, 201 of
them for the R320, each with a ~60-entry `SupportedSystems` list, the whole set repeated N times
(10x / 30x / 60x), so most components match and the per-component work dominates.

Run directly: `python -m bench.catalog_gen OUT.xml --size-mb 100 [--utf16] [--gzip]` or
`python -m bench.catalog_gen OUT.xml --dense 30`.
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

GENERATOR_VERSION = 1  # bump when the output changes, so stale bench-out files are not reused
TARGET_SYSTEM = "04F7"
TARGET_SHARE = 0.04  # "a few percent" of components support the R320

# 11G-14G PowerEdge ids; display names are only cosmetic here.
_SYSTEMS: tuple[tuple[str, str], ...] = (
    *((f"{0x0400 + i * 3:04X}", f"R{300 + i * 10}") for i in range(1, 90)),
    ("04CE", "R620"), ("048C", "R720"), ("0528", "R720xd"), ("04F8", "R420"),
    ("04F6", "R520"), ("04FE", "R820"), ("04FA", "T320"), ("04F9", "T420"),
    ("04CF", "T620"), ("04DB", "M620"), ("0601", "R630"), ("0600", "R730"),
)
_OTHER_SYSTEMS = tuple(s for s in _SYSTEMS if s[0] != TARGET_SYSTEM)

_KINDS: tuple[tuple[str, str, str, str], ...] = (
    # (name words, ComponentType, Category, LUCategory)
    ("Network_Firmware", "FRMW", "NI", "Network"),
    ("SAS-RAID_Firmware", "FRMW", "SF", "SAS RAID"),
    ("Serial-ATA_Firmware", "FRMW", "SA", "Serial ATA"),
    ("SAS-Drive_Firmware", "FRMW", "AS", "SAS Drive"),
    ("BIOS", "BIOS", "BI", "BIOS"),
    ("Diagnostics_Application", "APAC", "DI", "Diagnostics"),
    ("Network_Driver", "DRVR", "NI", "Network"),
    ("Systems-Management_Application", "APP", "SM", "Systems Management"),
)
_PACKAGE_TYPES = (("LLXP", "LN", "BIN"), ("LWXP", "WN32", "EXE"), ("LW64", "WN64", "EXE"))
_LETTERS = "0123456789BCDFGHJKMNPRTVWXY"


def _release_id(rng: random.Random) -> str:
    return "".join(rng.choice(_LETTERS) for _ in range(5))


def _model(system_id: str, display: str) -> str:
    return (
        f'        <Model systemID="{system_id}" systemIDType="BIOS">\n'
        f'          <Display lang="en"><![CDATA[{display}]]></Display>\n'
        "        </Model>\n"
    )


def _component(
    rng: random.Random, index: int, with_target: bool, systems_range: tuple[int, int] = (44, 56)
) -> str:
    words, ctype, category, lucat = rng.choice(_KINDS)
    ptype, os_token, ext = rng.choice(_PACKAGE_TYPES)
    rid = _release_id(rng)
    version = f"{rng.randint(1, 30)}.{rng.randint(0, 99)}.{rng.randint(0, 99)}"
    dell = f"A{rng.randint(0, 12):02d}"
    folder = f"FOLDER{rng.randint(10**7, 10**8 - 1)}M/{rng.randint(1, 3)}"
    path = f"{folder}/{words}_{rid}_{os_token}_{version}_{dell}.{ext}"
    systems = rng.sample(_OTHER_SYSTEMS, rng.randint(*systems_range))
    if with_target:
        systems[rng.randrange(len(systems))] = (TARGET_SYSTEM, "R320")
    models = "".join(_model(sid, disp) for sid, disp in systems)
    crit = rng.choice(("1", "1", "1", "2", "3"))
    crit_text = {"1": "Recommended", "2": "Urgent", "3": "Optional"}[crit]
    cid = rng.randint(100, 110000)
    md5 = f"{rng.getrandbits(128):032x}"
    pci = "".join(
        f'      <PCIInfo deviceID="{rng.getrandbits(16):04X}" vendorID="14E4" '
        f'subDeviceID="{rng.getrandbits(16):04X}" subVendorID="1028" />\n'
        for _ in range(rng.randint(1, 4))
    )
    description = (
        f"This package provides the {words.replace('_', ' ')} update, version {version}, "
        "for supported Dell PowerEdge servers. " * 3
    )
    return (
        f'  <SoftwareComponent schemaVersion="2.4" releaseID="{rid}" packageID="{rid}" '
        f'hashMD5="{md5}" path="{path}" dateTime="2024-10-15T05:03:16-05:00" '
        f'releaseDate="October 15, 2024" vendorVersion="{version}" dellVersion="{dell}" '
        f'packageType="{ptype}" rebootRequired="{"true" if ctype != "APP" else "false"}" '
        f'size="{rng.randint(10**5, 10**8)}">\n'
        f'    <Name><Display lang="en"><![CDATA[{words.replace("_", " ")} {index},{version},'
        f"{dell}]]></Display></Name>\n"
        f'    <ComponentType value="{ctype}"><Display lang="en"><![CDATA[{ctype}]]></Display>'
        "</ComponentType>\n"
        f'    <Description><Display lang="en"><![CDATA[{description}]]></Display></Description>\n'
        f'    <LUCategory value="{lucat}"><Display lang="en"><![CDATA[{lucat}]]></Display>'
        "</LUCategory>\n"
        f'    <Category value="{category}"><Display lang="en"><![CDATA[{lucat}]]></Display>'
        "</Category>\n"
        "    <SupportedDevices>\n"
        f'      <Device componentID="{cid}" embedded="{rng.randint(0, 1)}">\n'
        f'        <Display lang="en"><![CDATA[{words} device {cid}]]></Display>\n'
        f"{pci}"
        "      </Device>\n"
        "    </SupportedDevices>\n"
        '    <SupportedSystems display="1">\n'
        '      <Brand key="3" prefix="PE">\n'
        '        <Display lang="en"><![CDATA[PowerEdge]]></Display>\n'
        f"{models}"
        "      </Brand>\n"
        "    </SupportedSystems>\n"
        '    <ImportantInfo URL="https://www.dell.com/support/home/drivers/DriversDetails'
        f'?driverId={rid}" />\n'
        f'    <Criticality value="{crit}"><Display lang="en"><![CDATA[{crit_text}-Dell recommends '
        "applying this update during your next scheduled update cycle.]]></Display></Criticality>\n"
        '    <RevisionHistory><Display lang="en"><![CDATA[- Fixes and enhancements.]]></Display>'
        "</RevisionHistory>\n"
        "  </SoftwareComponent>\n"
    )


def _bundle(rng: random.Random, system_id: str, display: str, paths: list[str]) -> str:
    rid = _release_id(rng)
    packages = "".join(f'      <Package path="{p}" />\n' for p in paths)
    return (
        f'  <SoftwareBundle schemaVersion="1.0" releaseID="{rid}" bundleID="{rid}_WIN.100" '
        f'dateTime="2024-10-15T05:03:16-05:00" vendorVersion="{rid}.100" '
        f'path="PE{display}-WIN64-{rid}.XML" bundleType="BTW64">\n'
        f'    <Name><Display lang="en"><![CDATA[Dell Server Bundle for {display}]]></Display>'
        "</Name>\n"
        '    <ComponentType value="SBDL"><Display lang="en"><![CDATA[Dell System Bundle]]>'
        "</Display></ComponentType>\n"
        '    <TargetSystems><Brand key="3" prefix="PE">'
        '<Display lang="en"><![CDATA[PowerEdge]]></Display>\n'
        f'      <Model systemID="{system_id}"><Display lang="en"><![CDATA[{display}]]>'
        "</Display></Model>\n"
        "    </Brand></TargetSystems>\n"
        f"    <Contents>\n{packages}    </Contents>\n"
        "  </SoftwareBundle>\n"
    )


def iter_catalog(size_bytes: int, seed: int = 320) -> Iterator[str]:
    """Yield the catalog text in pieces until about `size_bytes` UTF-8 bytes were produced."""
    rng = random.Random(seed)
    yield from _head(rng)
    produced = 0
    index = 0
    while produced < size_bytes:
        text = _component(rng, index, rng.random() < TARGET_SHARE)
        produced += len(text)
        index += 1
        yield text
    yield "</Manifest>\n"


DENSE_COMPONENTS = 392  # the real SUU catalog
DENSE_TARGET = 201  # of them for the R320
DENSE_SYSTEMS = (56, 64)  # ~60 SupportedSystems entries per component


def _head(rng: random.Random) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="utf-8"?>\n'
    yield (
        '<Manifest baseLocation="downloads.dell.com" baseLocationAccessProtocols="HTTPS" '
        'dateTime="2025-04-22T01:46:12+05:30" identifier="5b6c2d71-0000-4000-8000-000000000001" '
        'predecessorID="5b6c2d71-0000-4000-8000-000000000000" releaseID="BENCH" '
        'version="25.04.28">\n'
    )
    yield (
        '  <ReleaseNotes><Display lang="en"><![CDATA[Synthetic benchmark catalog]]></Display>'
        "</ReleaseNotes>\n"
    )
    for sid, disp in (*_SYSTEMS[:11], (TARGET_SYSTEM, "R320")):
        yield _bundle(rng, sid, disp, [f"FOLDER0{n}M/1/Pkg_{n}.EXE" for n in range(40)])


def iter_dense_catalog(repeat: int, seed: int = 320) -> Iterator[str]:
    """The dense shape: DENSE_COMPONENTS components (DENSE_TARGET of them for the R320, spread
    through the set), ~60 systems each, the same set repeated `repeat` times."""
    rng = random.Random(seed)
    yield from _head(rng)
    targets = set(rng.sample(range(DENSE_COMPONENTS), DENSE_TARGET))
    base = [
        _component(rng, i, i in targets, DENSE_SYSTEMS) for i in range(DENSE_COMPONENTS)
    ]
    for _ in range(repeat):
        yield from base
    yield "</Manifest>\n"


def write_dense_catalog(path: Path, repeat: int, *, seed: int = 320) -> Path:
    """Write the dense catalog (UTF-8 with BOM) repeated `repeat` times, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(codecs.BOM_UTF8)
        for piece in iter_dense_catalog(repeat, seed):
            fh.write(piece.encode("utf-8"))
    os.replace(tmp, path)
    return path


def ensure_dense_catalog(path: Path, repeat: int) -> Path:
    """Generate the dense catalog only if it is missing."""
    if not path.exists():
        write_dense_catalog(path, repeat)
    return path


def write_catalog(
    path: Path, size_mb: float, *, utf16: bool = False, compress: bool = False, seed: int = 320
) -> Path:
    """Write a catalog of about `size_mb` MB (of bytes on disk before compression) to `path`,
    atomically.  UTF-16 doubles the bytes per character, so it holds half the components."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    size = int(size_mb * 1024 * 1024 / (2 if utf16 else 1))
    encoding = "utf-16-le" if utf16 else "utf-8"
    with open(tmp, "wb") as fh:
        gz = gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=1) if compress else None
        write: Callable[[bytes], object] = gz.write if gz else fh.write
        try:
            write(codecs.BOM_UTF16_LE if utf16 else codecs.BOM_UTF8)
            for piece in iter_catalog(size, seed):
                if utf16:
                    piece = piece.replace('encoding="utf-8"', 'encoding="utf-16"')
                write(piece.encode(encoding))
        finally:
            if gz:
                gz.close()
    os.replace(tmp, path)
    return path


def ensure_catalog(
    path: Path, size_mb: float, *, utf16: bool = False, compress: bool = False
) -> Path:
    """Generate the catalog only if it is missing (benchmarks reuse bench-out/)."""
    if not path.exists():
        write_catalog(path, size_mb, utf16=utf16, compress=compress)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--utf16", action="store_true")
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--seed", type=int, default=320)
    parser.add_argument("--dense", type=int, metavar="N", help="the dense shape, repeated N times")
    args = parser.parse_args()
    if args.dense:
        write_dense_catalog(args.out, args.dense, seed=args.seed)
    else:
        write_catalog(args.out, args.size_mb, utf16=args.utf16, compress=args.gzip,
                      seed=args.seed)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
