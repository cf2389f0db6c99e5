"""`update-self` image handling: DUP -> bare firmimg.d7, bare images, refusals; hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwupdate.app.delivery import loopback_warning, prepare_image
from fwupdate.app.targets import Target
from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedDevice, SupportedSystem
from fwupdate.cli.idrac_cmd import say
from fwupdate.dup.build import build_exe_dup, build_firmware_image
from fwupdate.dup.image import parse_image_header
from fwupdate.dup.repo import default_payload
from fwupdate.errors import BadInputError
from fwupdate.fleet.models import CredentialRef, Endpoint


def test_dup_gives_its_bare_image(idrac_dups: dict[str, Path], tmp_path: Path) -> None:
    for version in ("1.66.65", "2.10.10.10"):  # an .EXE and a .BIN
        p = prepare_image(idrac_dups[version], tmp_path / version)
        assert p.version == version and p.path.name == "firmimg.d7"
        assert p.path.is_relative_to(tmp_path / version)
        header = parse_image_header(p.path.read_bytes()[:128])
        assert header is not None and header.version == version
        assert p.described == f"firmimg.d7 from {idrac_dups[version].name}"


def test_as_is_and_bare_images(idrac_dups: dict[str, Path], tmp_path: Path) -> None:
    p = prepare_image(idrac_dups["2.65.65.65"], tmp_path, as_is=True)
    assert p.path == idrac_dups["2.65.65.65"] and p.version == "2.65.65.65"
    with pytest.raises(BadInputError, match=r"no Linux \.BIN"):
        prepare_image(idrac_dups["2.10.10.10"], tmp_path, as_is=True)
    bare = build_firmware_image(tmp_path / "firmimg.d7", version="1.66.65")
    p = prepare_image(bare, tmp_path / "unused")
    assert p.path == bare and p.version == "1.66.65" and not (tmp_path / "unused").exists()
    bios_img = build_firmware_image(tmp_path / "bios.d7", target="bios", version="2.4.2")
    with pytest.raises(BadInputError, match="not for an iDRAC"):
        prepare_image(bios_img, tmp_path)


def test_non_idrac_dup_is_refused(tmp_path: Path) -> None:
    comp = SoftwareComponent(
        path="BIOS_XXXX_WN32_2.9.0.EXE", vendor_version="2.9.0", name="BIOS",
        component_type="BIOS", package_type=PackageType.LWXP,
        devices=(SupportedDevice("159"),), systems=(SupportedSystem("PE", "04F7", "R320"),),
    )
    dup = build_exe_dup(tmp_path / comp.path, comp, default_payload(comp))
    with pytest.raises(BadInputError, match="not an iDRAC package"):
        prepare_image(dup, tmp_path / "x")
    with pytest.raises(BadInputError, match="no such file"):
        prepare_image(tmp_path / "missing.EXE", tmp_path)


def _warn_loopback(served: str, target: Target) -> None:
    """What the hand commands do with the warning: one line on stderr."""
    if (warning := loopback_warning(served, target)) is not None:
        say(warning)


def test_loopback_file_server_warning(capsys: pytest.CaptureFixture[str]) -> None:
    remote = Target("lb-a1", Endpoint("https://10.0.1.11", CredentialRef("root", "PW")))
    local = Target("sim", Endpoint("https://127.0.0.1:4443", CredentialRef("root", "PW")))
    _warn_loopback("127.0.0.1", remote)
    err = capsys.readouterr().err
    assert "the iDRAC at 10.0.1.11 cannot reach" in err and "give --serve-address" in err
    for served, target in (("127.0.0.1", local), ("10.0.1.5", remote)):
        _warn_loopback(served, target)
        assert capsys.readouterr().err == ""
