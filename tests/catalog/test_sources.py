"""Catalog sources: files, repository folders, SUU ISO images, https URLs."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pycdlib
import pytest
import requests
import responses

from fwupdate.catalog import load_catalog
from fwupdate.catalog.sources import (
    extract_from_iso,
    find_catalog_in_folder,
    find_in_iso,
    find_iso_catalog,
    redact_url,
)
from fwupdate.errors import (
    CatalogError,
    DeviceUnreachableError,
    FwupdateError,
    TLSVerificationError,
)

from .conftest import SUU_CATALOG, SUU_FOLDER

# --- folders -----------------------------------------------------------------------------------


def test_repository_folder_and_its_parent() -> None:
    assert find_catalog_in_folder(SUU_FOLDER / "repository") == SUU_CATALOG
    assert find_catalog_in_folder(SUU_FOLDER) == SUU_CATALOG  # SUU root: repository/ inside
    cat = load_catalog(str(SUU_FOLDER), system_id="04F7")
    assert cat.source == str(SUU_CATALOG) and len(cat.components) == 27


@pytest.mark.parametrize("name", ["catalog.xml", "CATALOG.XML", "Catalog.xml.gz"])
def test_folder_name_variants(tmp_path: Path, name: str) -> None:
    data = SUU_CATALOG.read_bytes()
    (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert find_catalog_in_folder(tmp_path).name == name
    assert len(load_catalog(str(tmp_path), system_id="04F7").components) == 27


def test_folder_without_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no catalog in folder"):
        load_catalog(str(tmp_path))


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not found"):
        load_catalog(str(tmp_path / "nope.xml"))


# --- ISO ---------------------------------------------------------------------------------------

DUP_NAME = "iDRAC-with-Lifecycle-Controller_Firmware_0GHF4_WN64_2.65.65.65_A00.EXE"
DUP_BYTES = b"MZ" + os.urandom(3000) + b"PK\x05\x06" + bytes(18)


def build_iso(path: Path, *, joliet: bool, rock_ridge: bool, catalog_dir: str = "REPOSITORY",
              catalog_name: str = "CATALOG.XML") -> Path:
    """A small SUU-like ISO: /REPOSITORY/Catalog.xml and one DUP."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3 if joliet else None,
            rock_ridge="1.09" if rock_ridge else None)
    data = SUU_CATALOG.read_bytes()
    mixed = {"REPOSITORY": "repository", "SUU": "suu"}.get(catalog_dir, catalog_dir.lower())
    iso.add_directory(f"/{catalog_dir}", rr_name=mixed if rock_ridge else None,
                      joliet_path=f"/{mixed}" if joliet else None)
    iso.add_fp(io.BytesIO(data), len(data), f"/{catalog_dir}/{catalog_name};1",
               rr_name="Catalog.xml" if rock_ridge else None,
               joliet_path=f"/{mixed}/Catalog.xml" if joliet else None)
    iso.add_fp(io.BytesIO(DUP_BYTES), len(DUP_BYTES), f"/{catalog_dir}/IDRAC265.EXE;1",
               rr_name=DUP_NAME if rock_ridge else None,
               joliet_path=f"/{mixed}/{DUP_NAME[:60]}" if joliet else None)
    readme = b"SUU"
    iso.add_fp(io.BytesIO(readme), len(readme), "/README.TXT;1",
               rr_name="readme.txt" if rock_ridge else None,
               joliet_path="/readme.txt" if joliet else None)
    iso.write(str(path))
    iso.close()
    return path


@pytest.mark.parametrize(("joliet", "rock_ridge"), [(True, True), (True, False), (False, False)])
def test_iso_source(tmp_path: Path, joliet: bool, rock_ridge: bool) -> None:
    iso_path = build_iso(tmp_path / "SUU-32_15.09.200.74.iso", joliet=joliet, rock_ridge=rock_ridge)
    entry = find_iso_catalog(iso_path)
    assert entry.display_path.lower() == "/repository/catalog.xml"
    cat = load_catalog(str(iso_path), system_id="04F7")
    assert len(cat.components) == 27
    assert cat.source.startswith(str(iso_path) + "!")
    # the same bytes as the file: same sha256
    assert cat.sha256 == load_catalog(str(SUU_CATALOG), use_cache=False).sha256


def test_iso_detected_by_magic_not_name(tmp_path: Path) -> None:
    iso_path = build_iso(tmp_path / "image.bin", joliet=True, rock_ridge=False)
    assert len(load_catalog(str(iso_path), system_id="04F7").components) == 27


def test_iso_without_catalog(tmp_path: Path) -> None:
    iso = pycdlib.PyCdlib()
    iso.new()
    iso.add_fp(io.BytesIO(b"x"), 1, "/X.TXT;1")
    iso.write(str(tmp_path / "empty.iso"))
    iso.close()
    with pytest.raises(CatalogError, match=r"no repository/Catalog\.xml"):
        load_catalog(str(tmp_path / "empty.iso"))


def test_not_an_iso(tmp_path: Path) -> None:
    bad = tmp_path / "bad.iso"
    bad.write_bytes(b"\x00" * 40000)
    with pytest.raises(CatalogError, match="not a readable ISO"):
        load_catalog(str(bad))


def test_extract_dup_from_iso(tmp_path: Path) -> None:
    iso_path = build_iso(tmp_path / "suu.iso", joliet=False, rock_ridge=True)
    out = tmp_path / "out"
    out.mkdir()
    got = extract_from_iso(iso_path, DUP_NAME.lower(), out)
    assert got == out / DUP_NAME
    assert got.read_bytes() == DUP_BYTES
    assert [p.name for p in out.iterdir()] == [DUP_NAME]  # no temp file left behind
    target = extract_from_iso(iso_path, "README.TXT", tmp_path / "readme-copy")
    assert target.read_bytes() == b"SUU"
    assert find_in_iso(iso_path, "missing.EXE") is None
    with pytest.raises(CatalogError, match="no file named"):
        extract_from_iso(iso_path, "missing.EXE", out)


def test_extract_from_plain_iso9660_names(tmp_path: Path) -> None:
    iso_path = build_iso(tmp_path / "plain.iso", joliet=False, rock_ridge=False)
    got = extract_from_iso(iso_path, "idrac265.exe", tmp_path / "x.exe")
    assert got.read_bytes() == DUP_BYTES


# --- URLs --------------------------------------------------------------------------------------

URL = "https://downloads.example.test/catalog/Catalog.xml.gz"


@responses.activate
def test_url_download_and_conditional_get(tmp_path: Path) -> None:
    body = gzip.compress(SUU_CATALOG.read_bytes())
    responses.add(responses.GET, URL, body=body, status=200,
                  headers={"ETag": '"v1"', "Last-Modified": "Wed, 15 Jan 2020 08:30:00 GMT"})
    responses.add(responses.GET, URL, status=304)
    cache = tmp_path / "cache"

    first = load_catalog(URL, system_id="04F7", cache_dir=cache, ca_bundle="/etc/my-ca.pem")
    assert len(first.components) == 27 and first.source == URL
    req0 = responses.calls[0].request
    assert "If-None-Match" not in req0.headers
    assert req0.req_kwargs["verify"] == "/etc/my-ca.pem"

    second = load_catalog(URL, system_id="04F7", cache_dir=cache)
    req1 = responses.calls[1].request
    assert req1.headers["If-None-Match"] == '"v1"'
    assert req1.headers["If-Modified-Since"] == "Wed, 15 Jan 2020 08:30:00 GMT"
    assert req1.req_kwargs["verify"] not in (False, None)  # TLS verification is never off
    assert second.components == first.components and second.sha256 == first.sha256


@responses.activate
def test_url_changed_content_replaces_the_copy(tmp_path: Path) -> None:
    data = SUU_CATALOG.read_bytes()
    changed = data.replace(b'vendorVersion="2.9.0"', b'vendorVersion="2.9.1"')
    responses.add(responses.GET, URL, body=data, headers={"ETag": '"v1"'})
    responses.add(responses.GET, URL, body=changed, headers={"ETag": '"v2"'})
    a = load_catalog(URL, cache_dir=tmp_path)
    b = load_catalog(URL, cache_dir=tmp_path)
    assert a.sha256 != b.sha256
    assert "2.9.1" in {c.vendor_version for c in b.components}


@responses.activate
def test_url_errors(tmp_path: Path) -> None:
    responses.add(responses.GET, URL, status=404)
    with pytest.raises(CatalogError, match="HTTP 404"):
        load_catalog(URL, cache_dir=tmp_path)
    responses.replace(responses.GET, URL, status=503)
    with pytest.raises(FwupdateError, match="HTTP 503") as err:
        load_catalog(URL, cache_dir=tmp_path)
    assert err.value.exit_code == 1
    responses.replace(responses.GET, URL, body=requests.exceptions.SSLError("bad cert"))
    with pytest.raises(TLSVerificationError, match="--ca-bundle"):
        load_catalog(URL, cache_dir=tmp_path)
    responses.replace(responses.GET, URL, body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(DeviceUnreachableError, match="refused"):
        load_catalog(URL, cache_dir=tmp_path)


def test_plain_http_refused_and_other_schemes(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="plain-http"):
        load_catalog("http://mirror.example.test/Catalog.xml", cache_dir=tmp_path)
    with pytest.raises(CatalogError, match="scheme"):
        load_catalog("ftp://ftp.dell.com/Catalog.xml.gz", cache_dir=tmp_path)


@responses.activate
def test_http_allowed_when_asked(tmp_path: Path) -> None:
    url = "http://mirror.example.test/Catalog.xml"
    responses.add(responses.GET, url, body=SUU_CATALOG.read_bytes())
    assert load_catalog(url, cache_dir=tmp_path, allow_http=True).components_total == 31


def test_redact_url() -> None:
    assert redact_url("https://user:pw@host:8443/a/Catalog.xml?token=x") == (
        "https://host:8443/a/Catalog.xml")
