"""Fixtures for the WS-Man tests: simulated iDRACs over real HTTPS and synthetic iDRAC DUPs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedDevice, SupportedSystem
from fwupdate.dup.build import build_bin_dup, build_exe_dup
from fwupdate.dup.repo import default_payload
from fwupdate.fleet.models import TlsSettings
from fwupdate.idrac.timing import Timing
from fwupdate.idrac.wsman.client import WsmanClient, WsmanSettings
from fwupdate.idrac.wsman.dcim import WsmanIdrac
from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, SimulatedFleet
from fwupdate.sim.idrac.device import IdracDevice

# A real R320 iDRAC step takes 5-8 minutes; at this scale one takes about a second.
SCALE = 1000.0
NODE = "lb-1"


@dataclass
class SimNode:
    sim: SimulatedFleet
    device: IdracDevice
    fleet_file: Path
    workdir: Path

    @property
    def url(self) -> str:
        return self.device.url

    @property
    def tls(self) -> TlsSettings:
        return TlsSettings(ca_bundle=self.sim.ca_bundle)

    def wsman(self, password: str = "calvin") -> WsmanIdrac:
        client = WsmanClient(
            self.url, "root", password, tls=self.tls, settings=WsmanSettings(retry_delay=0.01)
        )
        return WsmanIdrac(client)

    def events(self, event: str) -> list[dict[str, object]]:
        return self.sim.events.records(device=self.device.name, event=event)

    @property
    def timing(self) -> Timing:
        return Timing(scale=SCALE)


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[Callable[..., SimNode]]:
    """`make_node(profile, **device_options)`: one standalone simulated node `lb-1` and its
    fleet file."""
    fleets: list[SimulatedFleet] = []

    def make(profile: str, **options: Any) -> SimNode:
        device = DeviceSpec(f"{NODE}-idrac", "idrac", profile, options)
        spec = FleetSpec(standalone=(NodeSpec(NODE, device),))
        work = tmp_path / f"sim-{len(fleets)}"
        sim = SimulatedFleet(spec, workdir=work, time_scale=SCALE).start()
        fleets.append(sim)
        fleet_file = sim.write_fleet_file(work / "fleet.toml")
        dev = sim.device(f"{NODE}-idrac")
        assert isinstance(dev, IdracDevice)
        return SimNode(sim, dev, fleet_file, work)

    yield make
    for s in fleets:
        s.stop()


def _idrac_dup(folder: Path, version: str, kind: str) -> Path:
    ext, tag = ("EXE", "WN32") if kind == "exe" else ("BIN", "LN")
    release = "SIM" + version.replace(".", "")
    name = f"iDRAC-with-Lifecycle-Controller_Firmware_{release}_{tag}_{version}_A00.{ext}"
    comp = SoftwareComponent(
        path=name,
        vendor_version=version,
        name="iDRAC with Lifecycle Controller",
        component_type="FRMW",
        package_type=PackageType.LWXP if kind == "exe" else PackageType.LLXP,
        devices=(SupportedDevice("25227", "iDRAC"),),
        systems=(SupportedSystem("PE", "04F7", "R320"),),
    )
    build = build_exe_dup if kind == "exe" else build_bin_dup
    return build(folder / name, comp, default_payload(comp))


@pytest.fixture(scope="session")
def idrac_dups(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Synthetic iDRAC7 DUPs of the stepping stones, built at test time (the 2.10.10.10 one as
    a Linux .BIN, as the R320 lab used: its firmimg.d7 is what the iDRAC gets)."""
    folder = tmp_path_factory.mktemp("dups")
    return {
        "1.66.65": _idrac_dup(folder, "1.66.65", "exe"),
        "2.10.10.10": _idrac_dup(folder, "2.10.10.10", "bin"),
        "2.20.20.20": _idrac_dup(folder, "2.20.20.20", "exe"),
        "2.65.65.65": _idrac_dup(folder, "2.65.65.65", "exe"),
    }


@pytest.fixture
def scale_args() -> list[str]:
    """CLI options that scale every wait to the simulator's time-scale."""
    return ["--time-scale", str(SCALE)]
