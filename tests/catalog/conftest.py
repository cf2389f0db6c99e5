"""Fixtures for the catalog tests: sample catalog paths and a small catalog builder."""

from __future__ import annotations

import codecs
import gzip
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUU_FOLDER = REPO / "catalogs" / "suu-r320"
SUU_CATALOG = SUU_FOLDER / "repository" / "Catalog.xml"
ONLINE_CATALOG = REPO / "catalogs" / "online-sample" / "Catalog.xml"
POLICY_FILE = REPO / "catalogs" / "r320-loadmaster.toml"


@dataclass
class Comp:
    path: str
    systems: Sequence[str] = ("04F7",)
    version: str = "1.0.0"
    component_id: str | None = "159"
    package_type: str = "LWXP"
    name: str = "Component"
    extra_children: str = ""  # raw XML inserted into the component
    attrs: dict[str, str] = field(default_factory=dict)


def component_xml(c: Comp) -> str:
    attrs = {
        "schemaVersion": "1.0",
        "releaseID": "ABCDE",
        "packageID": "ABCDE",
        "hashMD5": "0123456789ABCDEF0123456789ABCDEF",
        "path": c.path,
        "dateTime": "2017-08-03T16:20:57+00:00",
        "releaseDate": "August 03, 2017",
        "vendorVersion": c.version,
        "dellVersion": "A00",
        "packageType": c.package_type,
        "rebootRequired": "true",
        **c.attrs,
    }
    a = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    models = "".join(
        f'<Model systemID="{s}"><Display lang="en"><![CDATA[M{s}]]></Display></Model>'
        for s in c.systems
    )
    device = (
        f'<SupportedDevices><Device componentID="{c.component_id}" embedded="1">'
        f'<Display lang="en"><![CDATA[dev]]></Display></Device></SupportedDevices>'
        if c.component_id
        else ""
    )
    return (
        f"<SoftwareComponent {a}>\n"
        f'  <Name><Display lang="en"><![CDATA[{c.name}]]></Display></Name>\n'
        f'  <ComponentType value="FRMW"><Display lang="en"><![CDATA[Firmware]]></Display>'
        "</ComponentType>\n"
        f'  <Category value="BI"><Display lang="en"><![CDATA[BIOS]]></Display></Category>\n'
        f"  {device}\n"
        f'  <SupportedSystems display="1"><Brand key="3" prefix="PE">{models}</Brand>'
        "</SupportedSystems>\n"
        '  <Criticality value="2"><Display lang="en"><![CDATA[Urgent-x]]></Display>'
        "</Criticality>\n"
        f"  {c.extra_children}\n"
        "</SoftwareComponent>\n"
    )


def bundle_xml(bundle_id: str, system_id: str, packages: Sequence[str]) -> str:
    pk = "".join(f'<Package path="{p}" />' for p in packages)
    return (
        f'<SoftwareBundle schemaVersion="1.0" releaseID="X" bundleID="{bundle_id}" '
        f'dateTime="2017-12-01T09:34:48+00:00" vendorVersion="1" path="PER320-LX-X.XML" '
        f'bundleType="BTLX"><Name><Display lang="en"><![CDATA[Bundle]]></Display></Name>'
        f'<TargetSystems><Brand key="3" prefix="PE"><Model systemID="{system_id}">'
        f'<Display lang="en"><![CDATA[R]]></Display></Model></Brand></TargetSystems>'
        f"<Contents>{pk}</Contents></SoftwareBundle>\n"
    )


def catalog_text(
    components: Sequence[Comp],
    *,
    bundles: Sequence[str] = (),
    namespace: str | None = None,
    declared: str = "utf-8",
    between: str = "",
    manifest_attrs: str = 'baseLocation="" dateTime="2017-12-01T09:34:48+00:00"',
) -> str:
    ns = f' xmlns="{namespace}"' if namespace else ""
    body = "".join(bundles) + between.join(component_xml(c) for c in components)
    return (
        f'<?xml version="1.0" encoding="{declared}"?>\n'
        f"<Manifest {manifest_attrs}{ns}>\n{body}</Manifest>\n"
    )


def encode(text: str, encoding: str = "utf-8", *, bom: bool = True, gz: bool = False) -> bytes:
    if encoding.startswith("utf-16"):
        text = text.replace('encoding="utf-8"', 'encoding="utf-16"')
    data = text.encode(encoding)
    if bom:
        data = {
            "utf-8": codecs.BOM_UTF8,
            "utf-16-le": codecs.BOM_UTF16_LE,
            "utf-16-be": codecs.BOM_UTF16_BE,
        }[encoding] + data
    return gzip.compress(data) if gz else data


MakeCatalog = Callable[..., Path]


@pytest.fixture
def make_catalog(tmp_path: Path) -> MakeCatalog:
    """Write a small catalog file and return its path."""
    counter = iter(range(1000))

    def _make(
        components: Sequence[Comp],
        *,
        encoding: str = "utf-8",
        bom: bool = True,
        gz: bool = False,
        name: str | None = None,
        **kwargs: object,
    ) -> Path:
        data = encode(catalog_text(components, **kwargs), encoding, bom=bom, gz=gz)  # type: ignore[arg-type]
        path = tmp_path / (name or f"Catalog{next(counter)}.xml")
        path.write_bytes(data)
        return path

    return _make


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test writes to ~/.cache: the default cache folder is a per-test temp folder."""
    cache = tmp_path / "fwcache"
    monkeypatch.setenv("FWUPDATE_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def cache_dir(_isolated_cache: Path) -> Path:
    return _isolated_cache


def sample_components() -> list[Comp]:
    return [
        Comp("BIOS_R320_LN_2.4.2.BIN", ("04F7",), "2.4.2", "159", "LLXP"),
        Comp("FOLDER01M/1/BIOS_R320_WN32_2.9.0.EXE", ("04F7",), "2.9.0", "159", "LWXP"),
        Comp("BIOS_R620_WN32_2.9.0.EXE", ("04CE",), "2.9.0", "159", "LWXP"),
        Comp("iDRAC_WN64_2.65.65.65.EXE", ("04F7", "04CE"), "2.65.65.65", "25227", "LW64"),
        Comp("NIC_WN64_7.10.EXE", ("04ce", "04f7"), "7.10", "103014", "LW64"),
    ]
