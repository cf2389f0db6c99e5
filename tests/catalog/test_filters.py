"""System ids, model names, filters and the bundle view."""

from __future__ import annotations

import pytest

from fwupdate.catalog import (
    filter_catalog,
    find_component_by_filename,
    load_catalog,
    match_bundle,
    select_components,
    system_id_for_model,
)
from fwupdate.catalog.filters import bundles_for_system, parse_package_type
from fwupdate.catalog.models import PackageType
from fwupdate.catalog.systems import (
    KNOWN_MODELS,
    model_for_system_id,
    normalize_system_id,
    resolve_system,
)
from fwupdate.errors import BadInputError, CatalogError, UnknownModelError

from .conftest import ONLINE_CATALOG, SUU_CATALOG


def test_known_models_table() -> None:
    assert KNOWN_MODELS["R320"] == "04F7"
    expected = {"R620": "04CE", "R720": "048C", "R720xd": "0528", "R420": "04F8",
                "R520": "04F6", "R820": "04FE", "T320": "04FA", "T420": "04F9",
                "T620": "04CF", "M620": "04DB", "R630": "0601", "R730": "0600"}
    for name, sid in expected.items():
        assert system_id_for_model(name) == sid


@pytest.mark.parametrize("name", ["R320", "r320", "PowerEdge R320", "poweredge  r320", "PER320",
                                  "Dell PowerEdge R320"])
def test_model_lookup(name: str) -> None:
    assert system_id_for_model(name) == "04F7"


def test_unknown_model_lists_known_names() -> None:
    with pytest.raises(UnknownModelError) as err:
        system_id_for_model("R999")
    assert "R320" in str(err.value) and "R730" in str(err.value)
    assert err.value.exit_code == 2


@pytest.mark.parametrize("raw", ["04F7", "4f7", "04f7", "0x04F7", " 4F7 "])
def test_normalize_system_id(raw: str) -> None:
    assert normalize_system_id(raw) == "04F7"
    assert model_for_system_id(raw.strip().removeprefix("0x")) == "R320"


@pytest.mark.parametrize("raw", ["R320", "", "12345", "04G7"])
def test_bad_system_id(raw: str) -> None:
    with pytest.raises(CatalogError, match="not a system id"):
        normalize_system_id(raw)


def test_resolve_system_exclusive() -> None:
    assert resolve_system(model="R620") == "04CE"
    assert resolve_system(system_id="4f7") == "04F7"
    assert resolve_system() is None
    with pytest.raises(CatalogError, match="not both"):
        resolve_system("04F7", "R320")


def test_package_type_parsing() -> None:
    assert parse_package_type("lwxp") is PackageType.LWXP
    assert parse_package_type("any") is None and parse_package_type(None) is None
    with pytest.raises(BadInputError, match="unknown package type"):
        parse_package_type("EXE")


def test_filters_on_the_suu_sample() -> None:
    full = load_catalog(str(SUU_CATALOG), use_cache=False)
    assert full.components_total == len(full.components) == 31
    r320 = select_components(full.components, system_id="4f7")
    assert len(r320) == 27
    assert all("04F7" in c.system_ids for c in r320)
    r620 = filter_catalog(full, model="R620")
    assert {c.file_name for c in r620.components} >= {"BIOS_KC0W4_WN32_2.9.0.EXE"}
    assert [b.bundle_id for b in r620.bundles] == ["PH0K4X_WIN.150"]

    idrac = select_components(full.components, system_id="04F7", component_id="25227")
    assert [c.vendor_version for c in idrac] == [
        "1.66.65", "1.66.65", "2.10.10.10", "2.20.20.20", "2.20.20.20", "2.65.65.65",
        "2.65.65.65"]
    windows = select_components(idrac, package_type="LW64")
    assert [c.file_name for c in windows] == [
        "ESM_Firmware_3F4WV_WN64_1.66.65_A00.EXE",
        "iDRAC-with-Lifecycle-Controller_Firmware_0GHF4_WN64_2.65.65.65_A00.EXE"]
    bios = select_components(full.components, component_id="159")
    assert {c.file_name for c in bios} >= {"BIOS_KC0W4_LN_2.9.0.BIN", "BIOS_YFJDM_LN_2.4.2.BIN"}
    assert {c.file_name for c in select_components(bios, system_id="04F7")}.isdisjoint(
        {"BIOS_KC0W4_LN_2.9.0.BIN", "BIOS_KC0W4_WN32_2.9.0.EXE"})
    assert len(select_components(full.components, category="di")) == 2
    assert len(select_components(full.components, component_type="APAC")) == 4
    gz = select_components(full.components, package_type="GZ")
    assert [c.reboot_required for c in gz] == [None]


def test_early_filter_equals_late_filter() -> None:
    for path in (SUU_CATALOG, ONLINE_CATALOG):
        full = load_catalog(str(path), use_cache=False)
        early = load_catalog(str(path), system_id="04F7", use_cache=False)
        late = filter_catalog(full, system_id="04F7")
        assert early.components == late.components
        assert early.bundles == late.bundles
        assert early.components_total == full.components_total


def test_bundle_matching_by_file_name() -> None:
    cat = load_catalog(str(SUU_CATALOG), system_id="04F7", use_cache=False)
    win = next(b for b in cat.bundles if b.bundle_type == "BTW32")
    match = match_bundle(cat, win)
    assert len(win.package_paths) == 12 and len(match.matched) == 11
    assert match.unmatched == ("SAS-Drive_Firmware_F9KMH_WN64_GS0F_A00.EXE",)
    assert all(path == comp.path for path, comp in match.matched)

    online = load_catalog(str(ONLINE_CATALOG), system_id="04F7", use_cache=False)
    (bundle,) = bundles_for_system(online, "04F7")
    m = match_bundle(online, bundle)
    # bundle paths are bare names or other FOLDER prefixes; components have FOLDER prefixes
    assert m.unmatched == ()
    assert [c.path.split("/")[0] for c in m.components] == [
        "FOLDER05623521M", "FOLDER06044117M", "FOLDER04711120M"]


def test_find_component_by_filename() -> None:
    online = load_catalog(str(ONLINE_CATALOG), use_cache=False)
    c = find_component_by_filename(
        online, "/tmp/dl/idrac-with-lifecycle-controller_firmware_0ghf4_wn64_2.65.65.65_a00.exe")
    assert c is not None and c.vendor_version == "2.65.65.65" and c.package_type is PackageType.LW64
    assert find_component_by_filename(online, "nothing.EXE") is None
    assert find_component_by_filename(online, "") is None
