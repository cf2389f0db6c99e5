"""The benchmark's catalog generator makes what the benchmark claims to measure (no timing)."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

from fwupdate.catalog import load_catalog

from .conftest import REPO


def _generator() -> ModuleType:
    source = REPO / "bench" / "catalog_gen.py"
    spec = importlib.util.spec_from_file_location("bench_catalog_gen", source)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_generated_catalog_matches_the_baseline(tmp_path: Path) -> None:
    gen = _generator()
    path = gen.ensure_catalog(tmp_path / "c.xml", 1.0)
    size = path.stat().st_size
    assert 0.9e6 < size < 1.2e6
    root = ET.parse(path).getroot()  # noqa: S314 - our own generated file
    comps = root.findall("SoftwareComponent")
    per_component = size / len(comps)
    assert 7000 < per_component < 10000  # about 8.6 KB per component, like real catalogs
    match = "SupportedSystems/Brand/Model[@systemID='04F7']"
    expected = [c.get("path") for c in comps if c.find(match) is not None]
    assert 0 < len(expected) < len(comps) * 0.1  # "a few percent"
    cat = load_catalog(str(path), system_id="04F7", cache_dir=tmp_path / "cache")
    assert [c.path for c in cat.components] == expected
    assert cat.components_total == len(comps)
    assert cat.extra["prefilter"] == "on"
    # only generated when missing
    mtime = path.stat().st_mtime_ns
    gen.ensure_catalog(path, 1.0)
    assert path.stat().st_mtime_ns == mtime


def test_generated_utf16_and_gzip(tmp_path: Path) -> None:
    gen = _generator()
    plain = gen.write_catalog(tmp_path / "a.xml", 0.5)
    wide = gen.write_catalog(tmp_path / "b.xml", 1.0, utf16=True, compress=True)
    a = load_catalog(str(plain), system_id="04F7", use_cache=False)
    b = load_catalog(str(wide), system_id="04F7", use_cache=False)
    assert b.extra["compression"] == "gzip" and b.extra["encoding"] == "utf-16-le"
    assert [c.path for c in a.components] == [c.path for c in b.components]


def test_dense_catalog_has_the_issues_shape(tmp_path: Path) -> None:
    gen = _generator()
    path = gen.ensure_dense_catalog(tmp_path / "dense.xml", 2)
    root = ET.parse(path).getroot()  # noqa: S314 - our own generated file
    comps = root.findall("SoftwareComponent")
    assert len(comps) == 2 * 392
    match = "SupportedSystems/Brand/Model[@systemID='04F7']"
    expected = [c.get("path") for c in comps if c.find(match) is not None]
    assert len(expected) == 2 * 201
    systems = [len(c.findall("SupportedSystems/Brand/Model")) for c in comps]
    assert 55 < sum(systems) / len(systems) < 65  # ~60 systems per component
    cat = load_catalog(str(path), system_id="04F7", cache_dir=tmp_path / "cache")
    assert [c.path for c in cat.components] == expected
