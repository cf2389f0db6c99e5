"""The demo fleet and its inputs: three R320 HA pairs with LoadMasters on an old image,
the sample repository built from `catalogs/`, and an old -> new LoadMaster patch.

- pair-1: iDRAC7 1.57.57 on both nodes: WS-Man only, stepping stones 1.66.65 -> 2.10.10.10 ->
  2.65.65.65 before anything else (the bootstrap);
- pair-2: iDRAC7 2.50.50.50: Redfish without an update service (WS-Man install to 2.65);
- pair-3: iDRAC7 2.65.65.65 with old BIOS, NIC and RAID firmware (Redfish push);
- pair-4: iDRAC9 (R640) nodes showing the two other delivery paths (docs/delivery.md): lb4a pulls
  the repository that fwupdate serves itself (InstallFromRepository), lb4b boots an update ISO by
  virtual media.  The bundle gets a `[delivery]` table for them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fwupdate.catalog.loader import load_catalog
from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedDevice, SupportedSystem
from fwupdate.dup.repo import build_repository, default_payload
from fwupdate.repo.iso_build import build_update_iso
from fwupdate.repo.rewrite import rewrite_catalog
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
    "pair-4": ("r640-idrac9-4.40", {}),
}
DELIVERY_PAIR = "pair-4"
R640 = "0716"  # Dell system id of the PowerEdge R640 (the simulator's iDRAC9 profile)


@dataclass(frozen=True)
class DemoInputs:
    repo: Path
    catalog: Path
    lm_image: Path
    bundle: Path
    iso: Path | None = None


def _node(name: str, profile: str, options: dict[str, str], lm: dict[str, object]) -> NodeSpec:
    return NodeSpec(
        name,
        DeviceSpec(f"{name}-idrac", "idrac", profile, dict(options)),
        DeviceSpec(f"{name}-lm", "loadmaster", f"lm-{LM_OLD}", dict(lm)),
    )


def fleet_spec(
    pairs: tuple[str, ...] = tuple(PAIR_PROFILES), *, lm_options: dict[str, object] | None = None
) -> FleetSpec:
    """Pairs by name (pair-1, pair-2, pair-3); node `<pair>a` starts Active."""
    specs = []
    for p in pairs:
        profile, options = PAIR_PROFILES[p]
        short = p.replace("pair-", "lb")
        a = _node(f"{short}a", profile, options, lm_options or {})
        b = _node(f"{short}b", profile, options, lm_options or {})
        specs.append(PairSpec(p, (a, b), {"active": a.name}))
    return FleetSpec(pairs=tuple(specs))


def _r640_component(
    cid: str, version: str, name: str, *, reboot: bool, ctype: str
) -> SoftwareComponent:
    """An R640 package for the delivery pair (invented release ids; Windows 64-bit DUPs)."""
    rid = f"D{cid}"[:5]
    return SoftwareComponent(
        path=f"{name}_Firmware_{rid}_WN64_{version}_A00.EXE",
        package_id=rid,
        release_id=rid,
        package_type=PackageType.LW64,
        vendor_version=version,
        dell_version="A00",
        reboot_required=reboot,
        name=name,
        component_type=ctype,
        devices=(SupportedDevice(cid, name),),
        systems=(SupportedSystem("PE", R640, "R640"),),
    )


R640_COMPONENTS = (
    _r640_component("159", "2.13.0", "BIOS", reboot=True, ctype="BIOS"),
    _r640_component("25806", "4301A40", "Diagnostics", reboot=False, ctype="APAC"),
)


SIGNATURES_LINE = 'signatures = "require"'


def bundle_text(signatures: str) -> str:
    """The shipped R320 bundle with its `signatures` policy set to `signatures`."""
    text = BUNDLE.read_text(encoding="utf-8")
    if SIGNATURES_LINE not in text:
        raise RuntimeError(f"{BUNDLE}: expected `{SIGNATURES_LINE}` to set the demo's policy")
    return text.replace(SIGNATURES_LINE, f'signatures = "{signatures}"', 1)


def _plain_bundle(out: Path, signatures: str) -> Path:
    path = out / "demo-bundle.toml"
    path.write_text(bundle_text(signatures), encoding="utf-8")
    return path


def _delivery_bundle(out: Path, repo: Path, iso: Path, signatures: str) -> Path:
    """The R320 bundle, extended to the R640 pair with one node per delivery mode."""
    text = bundle_text(signatures)
    old = 'systems = ["04F7"]'
    if old not in text:
        raise RuntimeError(f"{BUNDLE}: expected `{old}` to extend it for the delivery pair")
    text = text.replace(old, f'systems = ["04F7", "{R640}"]', 1)
    text += (
        "\n# Added by `fwupdate demo`: the R640 pair shows the two other delivery paths.\n"
        "[delivery]\n"
        'default = "push"\n'
        "[[delivery.nodes]]\n"
        'select = "node:lb4a"\n'
        'mode = "repository"\n'
        f"source = {json.dumps(str(repo))}\n"
        "[[delivery.nodes]]\n"
        'select = "node:lb4b"\n'
        'mode = "virtual-media"\n'
        f"source = {json.dumps(str(iso))}\n"
    )
    path = out / "demo-bundle.toml"
    path.write_text(text, encoding="utf-8")
    return path


def build_inputs(
    out: Path,
    *,
    payload_size: int = 16 * 1024,
    delivery: bool = False,
    signatures: str = "off",
    sign: Callable[[Path], None] | None = None,
) -> DemoInputs:
    """The repository (a synthetic DUP per R320 component of the sample catalog, with its real
    MD5 and size in a new Catalog.xml) and the LoadMaster patch; with `delivery`, also R640
    packages, an update ISO of the repository and a bundle choosing repository / virtual media
    for the R640 pair.  The bundle's `signatures` policy is `signatures`: the synthetic
    packages, catalogs and patch are unsigned unless `sign` signs each file
    (fwupdate.demo.signing)."""
    repo = out / "repository"
    catalog = load_catalog(str(SAMPLE_CATALOG), system_id="04F7", use_cache=False)
    components = [c for c in catalog.components if "04F7" in c.system_ids]
    if delivery:
        components += list(R640_COMPONENTS)
    result = build_repository(
        repo,
        components,
        payload_factory=lambda c: default_payload(c, size=payload_size),
        bundle_system_ids=("04F7", R640) if delivery else ("04F7",),
        sign=sign,
    )
    image = write_patch(out / f"{LM_NEW}-BARE-METAL.bin", LM_NEW)
    if sign is not None:
        sign(image)
    if not delivery:
        return DemoInputs(repo, Path(result.catalog), image, _plain_bundle(out, signatures))
    # The update ISO holds its own small repository: the same R640 packages (the run checks
    # each against the plan before serving the ISO) and their catalog.
    iso_src = _r640_iso_folder(repo, Path(result.catalog), out / "r640-iso-repository", sign)
    iso = build_update_iso(iso_src, out / "r640-update.iso")
    bundle = _delivery_bundle(out, repo, iso, signatures)
    return DemoInputs(repo, Path(result.catalog), image, bundle, iso)


def _r640_iso_folder(
    repo: Path, catalog: Path, folder: Path, sign: Callable[[Path], None] | None
) -> Path:
    """A copy of the repository's R640 packages (with their `.sign`) and a catalog of them."""
    paths = [c.path for c in R640_COMPONENTS]
    for rel in paths:
        for name in (rel, rel + ".sign"):
            if (repo / name).is_file():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(repo / name, folder / name)
    data = rewrite_catalog(catalog.read_bytes(), base_location="", keep_paths=paths).data
    (folder / "Catalog.xml").write_bytes(data)
    if sign is not None:
        sign(folder / "Catalog.xml")
    return folder
