"""Serving a repository: straight out of an ISO built at test time, only catalog files, shares."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from delivery_support import build_iso, build_repo, online_style, r640_components

from fwupdate.errors import BadInputError
from fwupdate.fileserver import FileServer
from fwupdate.idrac.share import share_from_url
from fwupdate.repo import open_repository, serve_repository


def _get(url: str, **kw: object) -> requests.Response:
    s = requests.Session()
    s.trust_env = False
    return s.get(url, timeout=10, **kw)  # type: ignore[arg-type]


def test_serves_an_suu_iso_without_mounting_it(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", r640_components(), encoding="utf-16")
    online_style(Path(repo.catalog))
    (tmp_path / "repo" / "secret.txt").write_text("not in the catalog")
    iso = build_iso(tmp_path / "repo", tmp_path / "suu.iso")
    content = open_repository(iso)
    assert content.kind == "iso" and content.catalog_name == "Catalog.xml"
    with FileServer() as fs:
        served = serve_repository(fs, iso)
        assert served.kind == "iso" and not served.missing
        assert set(served.packages) == set(repo.paths)
        assert served.rewrites  # the online-style attributes were rewritten
        cat = _get(served.catalog_url)
        assert cat.status_code == 200
        assert cat.content.startswith(b"\xff\xfe")  # UTF-16 BOM kept
        text = cat.content.decode("utf-16")
        assert 'baseLocation=""' in text and "baseLocationAccessProtocols" not in text
        for rel in repo.paths:
            got = _get(served.base_url + rel)
            assert got.status_code == 200
            assert got.content == (tmp_path / "repo" / rel).read_bytes()
        part = _get(served.base_url + repo.paths[0], headers={"Range": "bytes=2-9"})
        assert part.status_code == 206
        assert part.content == (tmp_path / "repo" / repo.paths[0]).read_bytes()[2:10]
        assert _get(served.base_url + "secret.txt").status_code == 404
        assert _get(served.base_url.rsplit("/", 2)[0] + "/").status_code == 404
    share = served.share
    assert share.share_type == "HTTP" and share.catalog_file == "Catalog.xml"
    assert share.url == served.catalog_url


def test_serves_a_folder_and_reports_missing_packages(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", r640_components())
    (tmp_path / "repo" / repo.paths[1]).unlink()
    with FileServer() as fs:
        served = serve_repository(fs, Path(repo.catalog))
        assert served.kind == "catalog"
        assert served.packages == (repo.paths[0],) and served.missing == (repo.paths[1],)
        assert not served.rewrites


def test_a_catalog_without_any_package_present_is_refused(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", r640_components())
    for rel in repo.paths:
        (tmp_path / "repo" / rel).unlink()
    with FileServer() as fs, pytest.raises(BadInputError, match="names no package"):
        serve_repository(fs, tmp_path / "repo")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://10.0.0.5:8443/run/set/", ("HTTPS", "10.0.0.5:8443", "run/set", "Catalog.xml")),
        ("http://mirror/dell/Catalog.xml.gz", ("HTTP", "mirror", "dell", "Catalog.xml.gz")),
        ("nfs://nas/export/repo", ("NFS", "nas", "export/repo", "Catalog.xml")),
        ("cifs://fs/share/", ("CIFS", "fs", "share", "Catalog.xml")),
        ("https://host:443/x/", ("HTTPS", "host", "x", "Catalog.xml")),
    ],
)
def test_share_urls(url: str, expected: tuple[str, str, str, str]) -> None:
    s = share_from_url(url)
    assert (s.share_type, s.ip_address, s.share_name, s.catalog_file) == expected
    body = s.redfish_body(apply=True, reboot=False)
    assert body["ApplyUpdate"] == "True" and body["RebootNeeded"] is False


@pytest.mark.parametrize("url", ["tftp://x/y", "https://user:pw@host/r", "/local/path"])
def test_bad_share_urls(url: str) -> None:
    with pytest.raises(BadInputError):
        share_from_url(url)


def test_serving_only_the_planned_packages(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", r640_components())
    with FileServer() as fs:
        served = serve_repository(fs, tmp_path / "repo", only=[repo.paths[1]])
        assert served.packages == (repo.paths[1],)
        assert _get(served.base_url + repo.paths[0]).status_code == 404
        cat = _get(served.catalog_url).content
        assert repo.paths[0].encode() not in cat and repo.paths[1].encode() in cat
