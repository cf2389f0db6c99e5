"""Helpers for the delivery tests: synthetic R640 repositories, ISOs, simulators, file servers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedDevice, SupportedSystem
from fwupdate.dup.repo import RepositoryResult, build_repository
from fwupdate.repo.iso_build import build_update_iso
from fwupdate.sim.fleet import SimulatedFleet

TIME_SCALE = 2000.0
R640 = "0716"


def component(
    cid: str, version: str, name: str, *, path: str | None = None, system_id: str = R640,
    reboot: bool = True, component_type: str = "FRMW",
) -> SoftwareComponent:
    token = "".join(ch for ch in version if ch.isalnum())
    return SoftwareComponent(
        path=path or f"{name.replace(' ', '-')}_Firmware_X{cid}_WN64_{version}_A00.EXE",
        package_id=f"P{cid}{token}"[:10],
        release_id=f"P{cid}{token}"[:10],
        package_type=PackageType.LW64,
        vendor_version=version,
        dell_version="A00",
        reboot_required=reboot,
        name=name,
        component_type=component_type,
        devices=(SupportedDevice(cid, name),),
        systems=(SupportedSystem("PE", system_id, "R640"),),
    )


def r640_components(bios: str = "2.12.1", diags: str = "4301A40") -> list[SoftwareComponent]:
    return [
        component("159", bios, "BIOS", component_type="BIOS"),
        component("25806", diags, "Diagnostics", reboot=False, component_type="APAC"),
    ]


def build_repo(
    folder: Path,
    comps: Sequence[SoftwareComponent],
    *,
    encoding: str = "utf-8",
) -> RepositoryResult:
    return build_repository(
        folder, comps, bundle_system_ids=(R640,), encoding=encoding  # type: ignore[arg-type]
    )


def online_style(catalog: Path) -> None:
    """Make a built catalog look like Dell's online one (baseLocation + access protocols)."""
    data = catalog.read_bytes()
    old = b'baseLocation=""'
    if data.startswith(b"\xff\xfe"):
        old = old.decode().encode("utf-16-le")
        new = 'baseLocation="downloads.dell.com" baseLocationAccessProtocols="HTTPS"'.encode(
            "utf-16-le"
        )
    else:
        new = b'baseLocation="downloads.dell.com" baseLocationAccessProtocols="HTTPS"'
    assert old in data
    catalog.write_bytes(data.replace(old, new, 1))


def corrupt_package(repo: RepositoryResult, index: int = 0) -> str:
    """Flip a byte in one package so its MD5 no longer matches the catalog."""
    rel = repo.paths[index]
    p = Path(repo.folder) / rel
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    return rel


def build_iso(folder: Path, iso: Path, *, prefix: str = "repository") -> Path:
    """An update ISO with `prefix/` holding every file of `folder` (Joliet + Rock Ridge names)."""
    return build_update_iso(folder, iso, prefix=prefix)


@dataclass
class SimNodes:
    sim: SimulatedFleet
    fleet_file: Path
    serve_cert: Path
    serve_key: Path

    def state(self, name: str):  # type: ignore[no-untyped-def]
        return self.sim.device(name).state  # type: ignore[attr-defined]

    def cli_common(self, node: str) -> list[str]:
        return [
            str(self.fleet_file), node, "--time-scale", str(TIME_SCALE),
            "--serve-cert", str(self.serve_cert), "--serve-key", str(self.serve_key),
        ]
