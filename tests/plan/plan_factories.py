"""Realistic catalogs, inventories, fleets and LoadMaster states for planner tests.

Component ids, names and versions follow the R320 notes (catalog-and-dup.md §1.7, §3.1, §4.3;
idrac-redfish.md §9).  Everything is built from the shared models, in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from fwupdate.catalog.models import (
    Catalog,
    Criticality,
    Manifest,
    PackageType,
    PciInfo,
    SoftwareComponent,
    SupportedDevice,
    SupportedSystem,
)
from fwupdate.dup.repo import write_catalog
from fwupdate.fleet.models import CredentialRef, Endpoint, Fleet, Node, Pair
from fwupdate.idrac.inventory_io import inventory_document
from fwupdate.idrac.models import (
    FirmwareComponent,
    Generation,
    IdracIdentity,
    NodeInventory,
    SystemIdentity,
)
from fwupdate.loadmaster.models import HaRole, LoadMasterStatus
from fwupdate.plan.compliance import Selection
from fwupdate.plan.lm_image import LmImage
from fwupdate.plan.models import Plan
from fwupdate.plan.order import PlanRequest, build_plan
from fwupdate.plan.policy import Policy, default_policy
from fwupdate.plan.selectors import parse_selectors

R320 = SupportedSystem("PE", "04F7", "R320")
R620 = SupportedSystem("PE", "04CE", "R620")

IDRAC_ID = "25227"
BIOS_ID = "159"
PERC_ID = "20137"
DRIVER_PACK_ID = "18981"
DIAG_ID = "196"
PSU_ID = "28724"
CPLD_ID = "27763"
NIC_PCI = PciInfo("14E4", "165F", "1028", "1F5B")


def comp(
    path: str,
    version: str,
    *,
    ptype: PackageType,
    name: str,
    cid: str | None = None,
    category: str | None = None,
    ctype: str = "FRMW",
    reboot: bool | None = None,
    crit: Criticality = Criticality.RECOMMENDED,
    pci: tuple[PciInfo, ...] = (),
    display: str | None = None,
    systems: tuple[SupportedSystem, ...] = (R320,),
) -> SoftwareComponent:
    return SoftwareComponent(
        path=path,
        package_id=path.split("_")[2] if path.count("_") >= 2 else None,
        package_type=ptype,
        vendor_version=version,
        dell_version="A00",
        hash_md5="0" * 32,
        size=1024,
        reboot_required=reboot,
        name=f"{name},{version},A00",
        component_type=ctype,
        category=category,
        criticality=crit,
        devices=(SupportedDevice(cid, display or name, False, pci),),
        systems=systems,
    )


def idrac_pkg(version: str, ptype: PackageType = PackageType.LWXP) -> SoftwareComponent:
    os_tag = {PackageType.LWXP: "WN32", PackageType.LW64: "WN64", PackageType.LLXP: "LN"}[ptype]
    ext = "BIN" if ptype is PackageType.LLXP else "EXE"
    prefix = (
        "ESM_Firmware" if version.startswith("1.") else "iDRAC-with-Lifecycle-Controller_Firmware"
    )
    return comp(
        f"{prefix}_X{version.replace('.', '')[:4]}_{os_tag}_{version}_A00.{ext}",
        version,
        ptype=ptype,
        name="iDRAC with Lifecycle Controller",
        cid=IDRAC_ID,
        category="iDRAC with Lifecycle Controller",
        reboot=False,
        display="iDRAC",
    )


def r320_catalog(
    *,
    extra: Iterable[SoftwareComponent] = (),
    stones: bool = True,
    sha256: str | None = "c" * 64,
) -> Catalog:
    comps = [
        idrac_pkg("2.65.65.65", PackageType.LWXP),
        idrac_pkg("2.65.65.65", PackageType.LW64),
        idrac_pkg("2.50.50.50", PackageType.LLXP),
        comp(
            "BIOS_4WMFT_WN64_2.9.0.EXE", "2.9.0", ptype=PackageType.LW64, name="Server BIOS 12G",
            cid=BIOS_ID, category="BI", ctype="BIOS", reboot=True, crit=Criticality.URGENT,
        ),
        comp(
            "BIOS_YFJDM_LN_2.4.2.BIN", "2.4.2", ptype=PackageType.LLXP, name="Server BIOS 12G",
            cid=BIOS_ID, category="BI", ctype="BIOS", reboot=True,
        ),
        comp(
            "Network_Firmware_T42R1_WN64_7.10.18_A00.EXE", "7.10.18", ptype=PackageType.LW64,
            name="Broadcom NetXtreme Gigabit Ethernet", cid="101563", category="NI", reboot=True,
            pci=(NIC_PCI,),
        ),
        comp(
            "SAS-RAID_Firmware_2G5GT_WN32_21.3.5-0002_A09.EXE", "21.3.5-0002",
            ptype=PackageType.LWXP, name="PERC H310 Mini", cid=PERC_ID, category="SF",
            reboot=True,
        ),
        comp(
            "Diagnostics_Application_FTMP5_WN32_4247A1_4247.2.EXE", "4247A1",
            ptype=PackageType.LWXP, name="Dell 32 Bit uEFI Diagnostics", cid=DIAG_ID,
            category="DI", reboot=False, ctype="APAC",
        ),
        comp(
            "Drivers-for-OS-Deployment_Application_3Y8HW_WN32_15.07.07_A00.EXE", "15.07.07",
            ptype=PackageType.LWXP, name="Dell OS Driver Pack", cid=DRIVER_PACK_ID,
            category="SM", reboot=False, ctype="APAC",
        ),
        comp(
            "Power_Firmware_5M0F4_WN64_07.2B.7D_A00.EXE", "07.2B.7D", ptype=PackageType.LW64,
            name="Power Supply", cid=PSU_ID, category="FW", reboot=True,
        ),
        comp(
            "CPLD_Firmware_3NT6V_WN32_1.0.3_A00.EXE", "1.0.3", ptype=PackageType.LWXP,
            name="System CPLD", cid=CPLD_ID, category="FW", reboot=True,
        ),
        comp(
            "BIOS_R620_WN64_2.9.0.EXE", "2.9.0", ptype=PackageType.LW64, name="Server BIOS 12G",
            cid=BIOS_ID, category="BI", ctype="BIOS", reboot=True, systems=(R620,),
        ),
    ]
    if stones:
        comps += [
            idrac_pkg("1.66.65", PackageType.LW64),
            idrac_pkg("2.10.10.10", PackageType.LWXP),
        ]
    comps += list(extra)
    return Catalog(
        source="test-catalog.xml",
        manifest=Manifest(),
        components=tuple(comps),
        components_total=len(comps),
        sha256=sha256,
    )


def fw(
    name: str,
    version: str,
    cid: str | None,
    *,
    state: str = "Installed",
    pci: PciInfo | None = None,
    fqdd: str | None = None,
    updateable: bool = True,
) -> FirmwareComponent:
    return FirmwareComponent(
        id=f"{state}-{cid or 0}-{version}" + (f"__{fqdd}" if fqdd else ""),
        name=name,
        component_id=cid,
        version=version,
        updateable=updateable,
        state=state,
        fqdd=fqdd,
        vendor_id=pci.vendor_id if pci else None,
        device_id=pci.device_id if pci else None,
        sub_vendor_id=pci.sub_vendor_id if pci else None,
        sub_device_id=pci.sub_device_id if pci else None,
    )


def r320_inventory(
    name: str,
    idrac: str = "2.50.50.50",
    *,
    bios: str = "2.4.2",
    generation: Generation = Generation.IDRAC7,
    model: str = "PowerEdge R320",
    extra: Sequence[FirmwareComponent] = (),
    nic_cid: str | None = "0",
    diag: str = "4239A35",
    errors: tuple[str, ...] = (),
    system_id: str | None = None,
) -> NodeInventory:
    comps = [
        fw("Integrated Dell Remote Access Controller", idrac, IDRAC_ID),
        fw("Integrated Dell Remote Access Controller", "2.40.40.40", IDRAC_ID, state="Previous"),
        fw("BIOS", bios, BIOS_ID),
        fw(
            "Broadcom Gigabit Ethernet BCM5720 - 00:11:22:33:44:55", "7.10.18", nic_cid,
            pci=NIC_PCI, fqdd="NIC.Embedded.1-1-1",
        ),
        fw(
            "Broadcom Gigabit Ethernet BCM5720 - 00:11:22:33:44:56", "7.8.16", nic_cid,
            pci=NIC_PCI, fqdd="NIC.Embedded.2-1-1",
        ),
        fw("PERC H310 Mini", "21.3.0-0009", PERC_ID),
        fw("Dell 32 Bit uEFI Diagnostics, version 4239, 4239A35, 4239.43", diag, "0"),
        fw("Dell OS Driver Pack, 15.07.07, A00", "14.10.00", DRIVER_PACK_ID),
        fw("Power Supply.Slot.1", "07.2B.7C", PSU_ID),
        fw("System CPLD", "1.0.2", CPLD_ID),
        fw("OS COLLECTOR", "1.1", "0"),
        *extra,
    ]
    return NodeInventory(
        name=name,
        idrac=IdracIdentity(
            address=f"https://{name}-idrac",
            generation=generation,
            firmware_version=idrac,
            model="12G Monolithic" if generation is Generation.IDRAC7 else "Other",
        ),
        system=SystemIdentity(model=model, service_tag=f"TAG{name[-2:]}", system_id=system_id),
        components=tuple(comps),
        errors=errors,
    )


def endpoint(url: str) -> Endpoint:
    return Endpoint(url=url, credentials=CredentialRef("root", password_env="X"))


def node(name: str, pair: str | None, *, lm: bool = True) -> Node:
    return Node(
        name=name,
        idrac=endpoint(f"https://{name}-idrac"),
        loadmaster=endpoint(f"https://{name}-lm") if lm else None,
        pair=pair,
    )


def fleet(
    pairs: Sequence[str] = ("p1",), standalone: Sequence[str] = (), *, concurrency: int = 8,
    lm: bool = True,
) -> Fleet:
    return Fleet(
        pairs=tuple(
            Pair(name=p, nodes=(node(f"{p}-a", p, lm=lm), node(f"{p}-b", p, lm=lm)))
            for p in pairs
        ),
        standalone=tuple(node(s, None, lm=lm) for s in standalone),
        source=Path("fleet.toml"),
        concurrency=concurrency,
    )


def lm_status(name: str, role: HaRole, version: str = "7.1-Patch28a") -> LoadMasterStatus:
    return LoadMasterStatus(
        address=f"https://{name}-lm", reachable=True, version=version, ha_role=role
    )


def lm_states(
    f: Fleet, *, version: str = "7.1-Patch28a", active_second: bool = False
) -> dict[str, LoadMasterStatus]:
    """First node of each pair active (or the second with `active_second`), standalone NOT_HA."""
    out: dict[str, LoadMasterStatus] = {}
    for p in f.pairs:
        a, b = p.nodes
        act, sb = (b, a) if active_second else (a, b)
        out[act.name] = lm_status(act.name, HaRole.ACTIVE, version)
        out[sb.name] = lm_status(sb.name, HaRole.STANDBY, version)
    for n in f.standalone:
        out[n.name] = lm_status(n.name, HaRole.NOT_HA, version)
    return out


def lm_image(version: str = "7.1-Patch28b") -> LmImage:
    return LmImage(
        file_name=f"{version}-BARE-METAL.bin",
        version=version,
        platform="BARE-METAL",
        version_source="file name",
        size=4096,
        sha256="d" * 64,
    )


def inventories(f: Fleet, idrac: str = "2.50.50.50", **kw: object) -> dict[str, NodeInventory]:
    return {n.name: r320_inventory(n.name, idrac, **kw) for n in f.nodes()}  # type: ignore[arg-type]


R630 = SupportedSystem("PE", "0601", "R630")


def r630_catalog() -> Catalog:
    """13G: iDRAC8 2.70.70.70 (a stepping stone for 2.82) and 2.82.82.82, plus a BIOS."""
    comps = [
        comp(
            f"iDRAC-with-Lifecycle-Controller_Firmware_X{v[:4].replace('.', '')}_WN64_{v}_A00.EXE",
            v,
            ptype=PackageType.LW64,
            name="iDRAC with Lifecycle Controller",
            cid=IDRAC_ID,
            category="iDRAC with Lifecycle Controller",
            reboot=False,
            systems=(R630,),
        )
        for v in ("2.70.70.70", "2.82.82.82")
    ]
    comps.append(
        comp(
            "BIOS_R630_WN64_2.19.0.EXE", "2.19.0", ptype=PackageType.LW64, name="BIOS",
            cid=BIOS_ID, category="BI", ctype="BIOS", reboot=True, systems=(R630,),
        )
    )
    return Catalog(source="r630.xml", manifest=Manifest(), components=tuple(comps),
                   components_total=len(comps), sha256="e" * 64)


def r630_inventory(name: str, idrac: str, bios: str = "2.10.0") -> NodeInventory:
    return NodeInventory(
        name=name,
        idrac=IdracIdentity(f"https://{name}-idrac", Generation.IDRAC8, idrac, "13G Monolithic"),
        system=SystemIdentity(model="PowerEdge R630"),
        components=(
            fw("Integrated Dell Remote Access Controller", idrac, IDRAC_ID),
            fw("BIOS", bios, BIOS_ID),
        ),
    )


def make_plan(
    the_fleet=None,
    invs=None,
    *,
    policy: Policy | None = None,
    catalog=None,
    loadmasters=None,
    lm_image=None,
    only=(),
    skip=(),
    **kw,
) -> Plan:
    f = the_fleet or fleet(("p1",))
    return build_plan(
        PlanRequest(
            fleet=f,
            inventories=invs if invs is not None else inventories(f),
            catalog=catalog or r320_catalog(),
            policy=policy or default_policy(),
            loadmasters=lm_states(f) if loadmasters is None else loadmasters,
            lm_image=lm_image,
            selection=Selection(
                parse_selectors(list(only), where="--only"),
                parse_selectors(list(skip), where="--skip"),
            ),
            created_at="2025-01-01T00:00:00+00:00",
            tool_version="test",
            **kw,
        )
    )


# --- a site on disk for the CLI tests (compliance, plan, HTML report) --------------------------

BUNDLE = Path(__file__).resolve().parents[2] / "catalogs" / "r320-loadmaster.toml"

SITE_FLEET = """
[defaults.idrac]
username = "root"
password_env = "FWUPDATE_TEST_IDRAC_PW"

[defaults.loadmaster]
username = "bal"
password_env = "FWUPDATE_TEST_LM_PW"

[[pairs]]
name = "p1"
[[pairs.nodes]]
name = "p1-a"
idrac = "https://127.0.0.1:9001"
loadmaster = "https://127.0.0.1:9101"
[[pairs.nodes]]
name = "p1-b"
idrac = "https://127.0.0.1:9002"
loadmaster = "https://127.0.0.1:9102"

[[nodes]]
name = "solo"
idrac = "https://127.0.0.1:9003"
"""


def write_site(tmp_path: Path) -> dict[str, Path]:
    """A fleet file, a saved inventory with LoadMaster roles, a repository catalog, a bundle."""
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(SITE_FLEET)
    invs = [
        r320_inventory("p1-a", "2.50.50.50"),
        r320_inventory("p1-b", "1.57.57"),
        r320_inventory("solo", "2.65.65.65"),
    ]
    doc = inventory_document(invs)
    roles = {"p1-a": "active", "p1-b": "standby", "solo": "not-ha"}
    for n in doc["nodes"]:
        n["loadmaster"] = {"address": "https://lm", "version": "7.1-Patch28a",
                           "ha_role": roles[n["name"]]}
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(doc))
    repo = tmp_path / "repo"
    repo.mkdir()
    write_catalog(repo / "Catalog.xml", r320_catalog().components)
    bundle = tmp_path / "r320.toml"
    # the synthetic packages are unsigned: this site says so explicitly (default: require)
    bundle.write_text(BUNDLE.read_text().replace('signatures = "require"', 'signatures = "off"'))
    return {"fleet": fleet, "inventory": inventory, "repo": repo, "bundle": bundle,
            "tmp": tmp_path}
