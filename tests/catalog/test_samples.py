"""The committed sample catalogs keep the shape the rest of fwupdate relies on."""

from __future__ import annotations

import codecs

from fwupdate.catalog import load_catalog, select_components
from fwupdate.catalog.models import Criticality, PackageType

from .conftest import ONLINE_CATALOG, SUU_CATALOG


def test_suu_sample_shape() -> None:
    raw = SUU_CATALOG.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    cat = load_catalog(str(SUU_CATALOG), use_cache=False)
    assert cat.manifest.base_location == ""
    assert all("/" not in c.path for c in cat.components)  # bare file names
    r320 = select_components(cat.components, system_id="04F7")
    assert {c.package_type for c in r320} == {
        PackageType.LWXP, PackageType.LW64, PackageType.LLXP, PackageType.GZ}
    assert {c.criticality for c in r320} == {
        Criticality.RECOMMENDED, Criticality.URGENT, Criticality.OPTIONAL}
    idrac = {c.vendor_version for c in select_components(r320, component_id="25227")}
    assert idrac == {"1.66.65", "2.10.10.10", "2.20.20.20", "2.65.65.65"}
    ids = {cid for c in r320 for cid in c.component_ids}
    assert {"25227", "159", "25806", "18981"} <= ids
    assert any(d.pci for c in r320 for d in c.devices if c.category == "NI")
    names = " ".join(c.name for c in r320)
    for word in ("H310", "H710", "Backplane", "Power Supply", "CPLD", "Diagnostics",
                 "OS Driver Pack"):
        assert word in names
    assert len(cat.components) > len(r320)  # other systems to filter out
    assert any(b.path and b.path.startswith("PER320-") for b in cat.bundles)


def test_online_sample_shape() -> None:
    raw = ONLINE_CATALOG.read_bytes()
    assert raw.startswith(codecs.BOM_UTF16_LE)
    assert 'encoding="utf-16"' in raw[2:200].decode("utf-16-le")
    cat = load_catalog(str(ONLINE_CATALOG), use_cache=False)
    m = cat.manifest
    assert m.base_location == "downloads.dell.com"
    assert m.base_location_access_protocols == ("HTTPS",)
    assert m.version and m.release_id and m.identifier and m.date_time
    assert all(c.path.startswith("FOLDER") for c in cat.components)
    assert sum(1 for c in cat.components if c.size) >= 8
    text = raw.decode("utf-16")
    for element in ("InventoryComponent", "FMPWrappers", "RollbackInformation",
                    "PayloadConfiguration", "ReleaseNotes", "predecessorID"):
        assert element in text
