"""The parsed-catalog cache: hits, misses, changes, corruption."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from fwupdate.catalog import load_catalog
from fwupdate.catalog import loader as loader_mod
from fwupdate.catalog.cache import CatalogCache, decode_catalog, default_cache_dir, encode_catalog

from .conftest import ONLINE_CATALOG, SUU_CATALOG


@pytest.fixture
def parse_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = loader_mod._parse_source

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(loader_mod, "_parse_source", counting)
    return calls


def test_round_trip_codec() -> None:
    for path in (SUU_CATALOG, ONLINE_CATALOG):
        cat = load_catalog(str(path), use_cache=False)
        again = decode_catalog(json.loads(json.dumps(encode_catalog(cat))))
        assert again == cat
        assert again.extra == cat.extra


def test_hit_miss_and_change(tmp_path: Path, parse_count: list[int]) -> None:
    path = tmp_path / "Catalog.xml"
    shutil.copy(SUU_CATALOG, path)
    cache = tmp_path / "cache"
    first = load_catalog(str(path), system_id="04F7", cache_dir=cache)
    second = load_catalog(str(path), system_id="04F7", cache_dir=cache)
    assert len(parse_count) == 1
    assert second == first and second.sha256 and len(second.sha256) == 64

    # another filter is another entry
    load_catalog(str(path), cache_dir=cache)
    assert len(parse_count) == 2

    # same bytes at another path: parsed again (identity differs), same sha256
    other = tmp_path / "copy.xml"
    shutil.copy(path, other)
    copy = load_catalog(str(other), system_id="04F7", cache_dir=cache)
    assert copy.sha256 == first.sha256 and copy.source == str(other)

    # changed content, size and mtime: parsed again, new hash
    data = path.read_bytes().replace(b'vendorVersion="2.9.0"', b'vendorVersion="2.9.1"')
    path.write_bytes(data)
    os.utime(path, ns=(1, 1))
    changed = load_catalog(str(path), system_id="04F7", cache_dir=cache)
    assert changed.sha256 != first.sha256
    assert "2.9.1" in {c.vendor_version for c in changed.components}


def test_no_cache_flag(tmp_path: Path, parse_count: list[int]) -> None:
    for _ in range(2):
        load_catalog(str(SUU_CATALOG), cache_dir=tmp_path / "c", use_cache=False)
    assert len(parse_count) == 2
    assert not (tmp_path / "c" / "catalogs").exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong-sha", "empty", "old-format"])
def test_corrupt_entries_are_ignored_and_rebuilt(
    tmp_path: Path, parse_count: list[int], damage: str
) -> None:
    cache = tmp_path / "cache"
    good = load_catalog(str(SUU_CATALOG), system_id="04F7", cache_dir=cache)
    (entry,) = (cache / "catalogs" / "parsed").iterdir()
    raw = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        entry.write_bytes(os.urandom(200))
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        doc = json.loads(raw)
        if damage == "wrong-sha":
            doc["sha256"] = "0" * 64
        else:
            doc["format"] = 0
        entry.write_text(json.dumps(doc))
    again = load_catalog(str(SUU_CATALOG), system_id="04F7", cache_dir=cache)
    assert again == good
    assert len(parse_count) == 2
    # and the entry was rewritten: the next load is a hit
    load_catalog(str(SUU_CATALOG), system_id="04F7", cache_dir=cache)
    assert len(parse_count) == 2


def test_format_2_entry_is_ignored_and_rebuilt(tmp_path: Path, parse_count: list[int]) -> None:
    """An entry written by the hand-written codec (format 2: each component's `systems` an
    index, no parallel lists) is another version's entry: parsed again, rewritten, no error."""
    cache = tmp_path / "cache"
    good = load_catalog(str(SUU_CATALOG), system_id="04F7", cache_dir=cache)
    (entry,) = (cache / "catalogs" / "parsed").iterdir()
    doc = json.loads(entry.read_bytes())
    for c, i in zip(doc["components"], doc.pop("component_systems"), strict=True):
        c["systems"] = i
    for b, i in zip(doc["bundles"], doc.pop("bundle_systems"), strict=True):
        b["systems"] = i
    doc["format"] = 2
    entry.write_text(json.dumps(doc))
    assert load_catalog(str(SUU_CATALOG), system_id="04F7", cache_dir=cache) == good
    assert len(parse_count) == 2
    assert json.loads(entry.read_bytes())["format"] == 3
    load_catalog(str(SUU_CATALOG), system_id="04F7", cache_dir=cache)
    assert len(parse_count) == 2


def test_corrupt_index_entry(tmp_path: Path, parse_count: list[int]) -> None:
    cache = tmp_path / "cache"
    load_catalog(str(SUU_CATALOG), cache_dir=cache)
    (entry,) = (cache / "catalogs" / "index").iterdir()
    entry.write_text("{not json")
    assert load_catalog(str(SUU_CATALOG), cache_dir=cache).components_total == 31
    assert len(parse_count) == 2


def test_unwritable_cache_does_not_fail(tmp_path: Path) -> None:
    cache = tmp_path / "ro"
    cache.mkdir()
    (cache / "catalogs").write_text("a file where a folder should be")
    cat = load_catalog(str(SUU_CATALOG), cache_dir=cache)
    assert cat.components_total == 31


def test_entries_are_private_files(tmp_path: Path) -> None:
    load_catalog(str(SUU_CATALOG), cache_dir=tmp_path)
    for p in (tmp_path / "catalogs").rglob("*.json"):
        assert p.stat().st_mode & 0o077 == 0
    assert not list((tmp_path / "catalogs").rglob("*.tmp"))


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FWUPDATE_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("FWUPDATE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "fwupdate"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "fwupdate"


def test_cache_store_skips_catalog_without_hash(tmp_path: Path) -> None:
    cat = load_catalog(str(SUU_CATALOG), use_cache=False)
    import dataclasses

    CatalogCache(tmp_path).store("all", dataclasses.replace(cat, sha256=None))
    assert not (tmp_path / "catalogs").exists()
