"""One rule for package paths inside their repository (fwupdate.pathsafe), at every call site:
the executor's package store, the repository reader and the file server (issue 15)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fwupdate.errors import BadInputError
from fwupdate.fileserver.server import _check_name
from fwupdate.pathsafe import package_path_reason, resolve_inside
from fwupdate.plan.models import PackageRef
from fwupdate.repo.source import open_repository
from fwupdate.run.packages import PackageStore


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "../x.EXE", "a/../../x.EXE", "a\\..\\..\\x.EXE", "C:/x.EXE", ""]
)
def test_unsafe_package_paths(path: str) -> None:
    assert package_path_reason(path) is not None


@pytest.mark.parametrize("path", ["BIOS.EXE", "FOLDER05623521M/1/x.EXE", "FOLDER\\1\\x.EXE"])
def test_safe_package_paths(path: str) -> None:
    assert package_path_reason(path) is None


def test_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "secret.EXE").write_bytes(b"x")
    os.symlink(tmp_path / "secret.EXE", repo / "link.EXE")
    with pytest.raises(BadInputError, match="outside"):
        resolve_inside(repo, "link.EXE")


def _ref(path: str, file_name: str) -> PackageRef:
    return PackageRef(path=path, file_name=file_name, package_type="LW64", vendor_version="1")


@pytest.mark.parametrize(
    ("path", "file_name"),
    [("../outside/secret.EXE", "secret.EXE"), ("ok.EXE", "../outside/secret.EXE")],
)
def test_package_store_never_reads_outside_the_repository(
    tmp_path: Path, path: str, file_name: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.EXE").write_bytes(b"secret")
    store = PackageStore(repo, None)
    with pytest.raises(BadInputError, match="refused"):
        store.locate(_ref(path, file_name))


def test_repository_lookup_refuses_climbing_names(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Catalog.xml").write_text("<Manifest/>")
    content = open_repository(repo)
    with pytest.raises(BadInputError, match="refused"):
        content.find("../repo/Catalog.xml")


@pytest.mark.parametrize("name", ["x/../../a.bin", "/a.bin", "a\\b.bin", "C:/a.bin"])
def test_file_server_refuses_climbing_names(name: str) -> None:
    with pytest.raises(BadInputError, match="cannot serve"):
        _check_name(name)


def test_bundle_stepping_stone_package_must_stay_in_the_repository() -> None:
    from fwupdate.errors import ConfigError
    from fwupdate.plan.policy import policy_from_mapping

    data = {
        "schema_version": 1,
        "idrac": {"stepping_stones": [
            {"generation": "iDRAC7", "version": "1.66.65", "package": "../../etc/x.EXE"}
        ]},
    }
    with pytest.raises(ConfigError, match=r"'\.\.'"):
        policy_from_mapping(data, source="b.toml")


@pytest.mark.timeout(20)
def test_repository_catalog_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "Catalog.xml"
    os.mkfifo(fifo)
    with pytest.raises(BadInputError, match="not a regular file"):
        open_repository(fifo)
