"""The demo fleet and its inputs: three R320 HA pairs with LoadMasters on an old image,
the sample repository built from `catalogs/`, and an old -> new LoadMaster patch.

- pair-1: iDRAC7 1.57.57 on both nodes: WS-Man only, stepping stones 1.66.65 -> 2.10.10.10 ->
  2.65.65.65 before anything else (the bootstrap);
- pair-2: iDRAC7 2.50.50.50: Redfish without an update service (WS-Man install to 2.65);
- pair-3: iDRAC7 2.65.65.65 with old BIOS, NIC and RAID firmware (Redfish push).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fwupdate.catalog.loader import load_catalog
from fwupdate.dup.repo import build_repository, default_payload
from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, PairSpec
from fwupdate.sim.loadmaster import write_patch

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CATALOG = ROOT / "catalogs" / "suu-r320" / "repository" / "Catalog.xml"
BUNDLE = ROOT / "catalogs" / "r320-loadmaster.toml"
LM_OLD = "7.2.48.3"
LM_NEW = "7.2.48.4"

PAIR_PROFILES: dict[str, tuple[str, dict[str, str]]] = {
    "pair-1": ("r320-idrac7-1.57", {}),
    "pair-2": ("r320-idrac7-2.50", {}),
    "pair-3": ("r320-idrac7-2.65", {"bios": "2.4.2", "nic": "7.4.8", "raid": "20.12.1-0002"}),
}


@dataclass(frozen=True)
class DemoInputs:
    repo: Path
    catalog: Path
    lm_image: Path
    bundle: Path


def _node(name: str, profile: str, options: dict[str, str], lm: dict[str, object]) -> NodeSpec:
    return NodeSpec(
        name,
        DeviceSpec(f"{name}-idrac", "idrac", profile, dict(options)),
        DeviceSpec(f"{name}-lm", "loadmaster", f"lm-{LM_OLD}", dict(lm)),
    )


def fleet_spec(pairs: tuple[str, ...] = tuple(PAIR_PROFILES), *,
               lm_options: dict[str, object] | None = None) -> FleetSpec:
    """Pairs by name (pair-1, pair-2, pair-3); node `<pair>a` starts Active."""
    specs = []
    for p in pairs:
        profile, options = PAIR_PROFILES[p]
        short = p.replace("pair-", "lb")
        a = _node(f"{short}a", profile, options, lm_options or {})
        b = _node(f"{short}b", profile, options, lm_options or {})
        specs.append(PairSpec(p, (a, b), {"active": a.name}))
    return FleetSpec(pairs=tuple(specs))


def build_inputs(out: Path, *, payload_size: int = 16 * 1024) -> DemoInputs:
    """The repository (a synthetic DUP per R320 component of the sample catalog, with its real
    MD5 and size in a new Catalog.xml) and the LoadMaster patch."""
    repo = out / "repository"
    catalog = load_catalog(str(SAMPLE_CATALOG), system_id="04F7", use_cache=False)
    components = [c for c in catalog.components if "04F7" in c.system_ids]
    result = build_repository(
        repo, components, payload_factory=lambda c: default_payload(c, size=payload_size)
    )
    image = write_patch(out / f"{LM_NEW}-BARE-METAL.bin", LM_NEW)
    return DemoInputs(repo, Path(result.catalog), image, BUNDLE)
