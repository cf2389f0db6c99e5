"""The campaign's fleets and inputs: the demo's repository extended to every generation.

Pair kinds (each a fixed pair name, so the bundle's delivery table can name its nodes):

| pair   | hardware / iDRAC          | delivery                                          |
|--------|---------------------------|---------------------------------------------------|
| pair-1 | R320 iDRAC7 1.57.57       | WS-Man bootstrap through the stepping stones       |
| pair-2 | R320 iDRAC7 2.50.50.50    | WS-Man install to 2.65, then Redfish push           |
| pair-3 | R320 iDRAC7 2.65.65.65    | Redfish push (old BIOS/NIC/RAID)                    |
| pair-4 | R640 iDRAC9 4.40          | lb4a repository update, lb4b virtual media          |
| pair-5 | R630 iDRAC8 2.75          | Redfish push (a BIOS for the R630)                  |
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fwupdate.catalog.loader import load_catalog
from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedDevice, SupportedSystem
from fwupdate.demo.scenario import (
    BUNDLE,
    LM_NEW,
    LM_OLD,
    PAIR_PROFILES,
    R640,
    R640_COMPONENTS,
    SAMPLE_CATALOG,
    bundle_text,
)
from fwupdate.dup.repo import build_repository, default_payload
from fwupdate.repo.iso_build import build_update_iso
from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, PairSpec
from fwupdate.sim.loadmaster import write_patch

R630 = "0601"  # the simulator's R630 system id (UNVERIFIED there)
KINDS: dict[str, tuple[str, dict[str, str]]] = {
    **PAIR_PROFILES,
    "pair-5": ("r630-idrac8-2.75", {}),
}
LM_PAIR_OPTIONS: dict[str, object] = {"rate_limit": 0}

R630_BIOS = SoftwareComponent(
    path="BIOS_R630_WN64_2.19.0_A00.EXE", package_id="R630B", release_id="R630B",
    package_type=PackageType.LW64, vendor_version="2.19.0", dell_version="A00",
    reboot_required=True, name="BIOS", component_type="BIOS",
    devices=(SupportedDevice("159", "BIOS"),), systems=(SupportedSystem("PE", R630, "R630"),),
)  # fmt: skip


@dataclass(frozen=True)
class CampaignInputs:
    repo: Path
    catalog: Path
    lm_image: Path
    bundle: Path


def _bundle(out: Path, repo: Path, iso: Path) -> Path:
    text = bundle_text("off")  # the synthetic packages are unsigned: said explicitly
    old = 'systems = ["04F7"]'
    if old not in text:
        raise RuntimeError(f"{BUNDLE}: expected `{old}` to extend it to every generation")
    text = text.replace(old, f'systems = ["04F7", "{R640}", "{R630}"]', 1)
    text += (
        "\n# Added by the chaos campaign: the R640 pair's delivery paths.\n"
        '[delivery]\ndefault = "push"\n'
        f'[[delivery.nodes]]\nselect = "node:lb4a"\nmode = "repository"\n'
        f"source = {json.dumps(str(repo))}\n"
        f'[[delivery.nodes]]\nselect = "node:lb4b"\nmode = "virtual-media"\n'
        f"source = {json.dumps(str(iso))}\n"
    )
    path = out / "chaos-bundle.toml"
    path.write_text(text, encoding="utf-8")
    return path


def build_inputs(out: Path, *, payload_size: int = 8 * 1024) -> CampaignInputs:
    """Repository (R320 sample catalog + R640 + R630 packages), LoadMaster patch, R640 update
    ISO and the bundle; built once per campaign."""
    out.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog(str(SAMPLE_CATALOG), system_id="04F7", use_cache=False)
    comps = [c for c in catalog.components if "04F7" in c.system_ids]
    comps += [*R640_COMPONENTS, R630_BIOS]
    result = build_repository(out / "repository", comps,
                              payload_factory=lambda c: default_payload(c, size=payload_size),
                              bundle_system_ids=("04F7", R640, R630))  # fmt: skip
    iso_src = build_repository(out / "r640-iso-repository", list(R640_COMPONENTS),
                               payload_factory=lambda c: default_payload(c, size=payload_size),
                               bundle_system_ids=(R640,))  # fmt: skip
    iso = build_update_iso(Path(iso_src.folder), out / "r640-update.iso")
    image = write_patch(out / f"{LM_NEW}-BARE-METAL.bin", LM_NEW)
    repo = out / "repository"
    return CampaignInputs(repo, Path(result.catalog), image, _bundle(out, repo, iso))


def _node(name: str, profile: str, options: dict[str, str]) -> NodeSpec:
    return NodeSpec(name, DeviceSpec(f"{name}-idrac", "idrac", profile, dict(options)),
                    DeviceSpec(f"{name}-lm", "loadmaster", f"lm-{LM_OLD}",
                               dict(LM_PAIR_OPTIONS)))  # fmt: skip


def fleet_spec(pairs: tuple[str, ...], *, active_b: frozenset[str] = frozenset()) -> FleetSpec:
    """The pairs by kind name; node `<short>a` starts Active unless the pair is in active_b."""
    specs = []
    for p in pairs:
        profile, options = KINDS[p]
        short = p.replace("pair-", "lb")
        a, b = _node(f"{short}a", profile, options), _node(f"{short}b", profile, options)
        specs.append(PairSpec(p, (a, b), {"active": (b if p in active_b else a).name}))
    return FleetSpec(pairs=tuple(specs))
