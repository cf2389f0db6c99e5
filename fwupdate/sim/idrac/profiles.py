"""Simulated iDRAC profiles: hardware (components), starting firmware, and version-driven features.

A profile is a hardware model plus the iDRAC version it starts on.  Everything the Redfish service
offers is derived from (generation, current iDRAC version) by `features_for`, so a simulated
iDRAC7 updated from 2.50.50.50 to 2.65.65.65 gains the Redfish update service, exactly as a real
one does.  The generation never changes.

Sources per fact: docs/simulator.md ("Profiles" and "Behaviours and timings"), which cites the
domain notes (idrac-redfish.md §1, §3, §8, §9).  Component ids 25227 (iDRAC), 159 (BIOS), 25806
(Diagnostics) and 18981 (OS Driver Pack) are Dell's; the NIC/RAID/backplane/PSU/CPLD ids are the
ones of the repository's synthetic R320 catalog (catalogs/suu-r320) where it defines them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from fwupdate.sim.idrac.versions import at_least


class RebootKind(StrEnum):
    """What applying an update restarts (GetRepoBasedUpdateList RebootType, idrac-redfish §4.5)."""

    HOST = "HOST"  # staged; runs when the host reboots into Lifecycle Controller
    NONE = "NONE"  # applied at once (Diagnostics, OS Driver Pack)
    IDRAC = "IDRAC"  # applied at once, then the iDRAC restarts itself


@dataclass(frozen=True)
class ComponentDef:
    key: str  # stable short name used in options and state files: "bios", "idrac"
    name: str  # Redfish Name / WS-Man ElementName
    component_id: str  # Dell ComponentID ("0" = unknown to LC)
    component_type: str  # FRMW, BIOS, APAC
    fqdd: str
    wsman_tail: str  # InstanceID after "DCIM:INSTALLED#"
    reboot: RebootKind
    version: str  # default starting version
    previous: str | None = None  # a rollback image ("Previous-...") the device starts with
    updateable: bool = True
    rollback: bool = True  # keeps the old image as Previous after an update
    apply_seconds: float = 60.0  # simulated time the flash takes
    vendor_id: str | None = None
    device_id: str | None = None
    sub_vendor_id: str | None = None
    sub_device_id: str | None = None
    name_has_mac: bool = False  # NIC names end in " - <MAC>"


@dataclass(frozen=True)
class Timings:
    """Simulated seconds (divided by the time-scale); docs/simulator.md cites each."""

    post_seconds: float = 150.0  # POST + "Collecting System Inventory" on an R320: 2-3 min
    lc_entry_seconds: float = 60.0  # reboot until LC starts the staged jobs (invented)
    graceful_shutdown_seconds: float = 30.0  # invented
    job_step_seconds: float = 5.0  # Downloading -> Downloaded -> Scheduled steps (invented)
    download_seconds: float = 10.0  # extra for a pulled (remote) image (invented)
    idrac_flash_seconds: float = 240.0  # 5-8 min per iDRAC step incl. reboot [PVESE]
    idrac_reset_delay_seconds: float = 5.0  # job Completed -> iDRAC goes down (invented)
    idrac_update_outage_seconds: float = 120.0  # 60-180 s (notes §0, §5.5; [PVESE] 60-120 s)
    idrac_reset_outage_seconds: float = 90.0  # Manager.Reset, within the same 60-180 s
    lc_reload_seconds: float = 60.0  # LC "Reloading Data" after an iDRAC restart (invented)
    lc_first_enable_seconds: float = 600.0  # first LC enablement after 1.x -> 2.x: 10-15 min
    signature_check_seconds: float = 30.0  # running -> RED007 (invented)
    clear_queue_seconds: float = 30.0  # JID_CLEARALL: [ASM] waits 30 s before polling LC
    clear_queue_force_seconds: float = 120.0  # JID_CLEARALL_FORCE: ~2 min (jetlag PR #778)
    session_timeout_seconds: float = 1800.0  # web-server session timeout (check_redfish#90)


@dataclass(frozen=True)
class Hardware:
    key: str
    model: str  # "PowerEdge R320"
    system_id: str  # catalog hex, "04F7"
    generation: int  # 7, 8, 9
    manager_model: str  # "12G Monolithic"
    components: tuple[ComponentDef, ...]
    timings: Timings = field(default_factory=Timings)

    def component(self, key: str) -> ComponentDef:
        for c in self.components:
            if c.key == key:
                return c
        raise KeyError(key)


@dataclass(frozen=True)
class Profile:
    name: str
    hardware: Hardware
    idrac_version: str
    idrac_previous: str | None
    description: str
    versions: Mapping[str, str] = field(default_factory=dict)  # component key -> start version


IDRAC_KEY = "idrac"
IDRAC_COMPONENT_ID = "25227"


def _idrac(version: str = "2.65.65.65", previous: str | None = None) -> ComponentDef:
    return ComponentDef(
        key=IDRAC_KEY,
        name="Integrated Dell Remote Access Controller",
        component_id=IDRAC_COMPONENT_ID,
        component_type="FRMW",
        fqdd="iDRAC.Embedded.1-1",
        wsman_tail="iDRAC.Embedded.1-1#IDRACinfo",
        reboot=RebootKind.IDRAC,
        version=version,
        previous=previous,
        apply_seconds=240.0,
    )


def _bios(version: str) -> ComponentDef:
    return ComponentDef(
        key="bios",
        name="BIOS",
        component_id="159",
        component_type="BIOS",
        fqdd="BIOS.Setup.1-1",
        wsman_tail="741__BIOS.Setup.1-1",
        reboot=RebootKind.HOST,
        version=version,
        apply_seconds=120.0,
    )


def _diags(version: str) -> ComponentDef:
    return ComponentDef(
        key="diagnostics",
        name="Dell 32 Bit uEFI Diagnostics",
        component_id="25806",
        component_type="APAC",
        fqdd="Diagnostics.Embedded.1:LC.Embedded.1",
        wsman_tail="802__Diagnostics.Embedded.1:LC.Embedded.1",
        reboot=RebootKind.NONE,
        version=version,
        rollback=False,
        apply_seconds=60.0,
    )


def _driver_pack(version: str) -> ComponentDef:
    return ComponentDef(
        key="driver-pack",
        name="OS Drivers Pack",
        component_id="18981",
        component_type="APAC",
        fqdd="DriverPack.Embedded.1:LC.Embedded.1",
        wsman_tail="802__DriverPack.Embedded.1:LC.Embedded.1",
        reboot=RebootKind.NONE,
        version=version,
        rollback=False,
        apply_seconds=60.0,
    )


def _disk(
    version: str, name: str = "Disk 0 in Backplane 1 of Integrated RAID Controller 1"
) -> ComponentDef:
    # ComponentID 0: never updated through LC (idrac-redfish.md §3.1, #80, #276).
    return ComponentDef(
        key="disk-0",
        name=name,
        component_id="0",
        component_type="FRMW",
        fqdd="Disk.Bay.0:Enclosure.Internal.0-1:RAID.Integrated.1-1",
        wsman_tail="304_C_Disk.Bay.0:Enclosure.Internal.0-1:RAID.Integrated.1-1",
        reboot=RebootKind.HOST,
        version=version,
        rollback=False,
    )


# --- R320 (12G, iDRAC7): the Kemp LoadMaster bare-metal appliance ------------------------------

R320_COMPONENTS: tuple[ComponentDef, ...] = (
    _idrac(),
    _bios("2.4.2"),
    ComponentDef(
        key="nic",
        name="Broadcom Gigabit Ethernet BCM5720",
        component_id="103014",
        component_type="FRMW",
        fqdd="NIC.Embedded.1-1-1",
        wsman_tail="701__NIC.Embedded.1-1-1",
        reboot=RebootKind.HOST,
        version="7.4.8",
        apply_seconds=60.0,
        vendor_id="14E4",
        device_id="165F",
        sub_vendor_id="1028",
        sub_device_id="1F5B",
        name_has_mac=True,
    ),
    ComponentDef(
        key="raid",
        name="PERC H310 Mini",
        component_id="105108",
        component_type="FRMW",
        fqdd="RAID.Integrated.1-1",
        wsman_tail="301_C_RAID.Integrated.1-1",
        reboot=RebootKind.HOST,
        version="20.12.1-0002",
        apply_seconds=90.0,
        vendor_id="1000",
        device_id="0073",
        sub_vendor_id="1028",
        sub_device_id="1F4E",
    ),
    ComponentDef(
        key="backplane",
        name="Backplane 1",
        component_id="11204",
        component_type="FRMW",
        fqdd="Enclosure.Internal.0-1:RAID.Integrated.1-1",
        wsman_tail="308_C_Enclosure.Internal.0-1:RAID.Integrated.1-1",
        reboot=RebootKind.HOST,
        version="1.00",
        apply_seconds=60.0,
    ),
    _diags("4239A29"),
    _driver_pack("14.10.11"),
    ComponentDef(
        key="psu",
        name="PS1 Status",
        component_id="104131",
        component_type="FRMW",
        fqdd="PSU.Slot.1",
        wsman_tail="0x15_PSU.Slot.1",
        reboot=RebootKind.HOST,
        version="06.00.1B",
        apply_seconds=300.0,
    ),
    ComponentDef(
        key="cpld",
        name="System CPLD",
        component_id="27763",
        component_type="FRMW",
        fqdd="CPLD.Embedded.1",
        wsman_tail="CPLD.Embedded.1",
        reboot=RebootKind.HOST,
        version="1.0.2",
        rollback=False,
        apply_seconds=120.0,
    ),
    _disk("GA0E"),
)

R320 = Hardware(
    key="r320",
    model="PowerEdge R320",
    system_id="04F7",
    generation=7,
    manager_model="12G Monolithic",
    components=R320_COMPONENTS,
)

# --- R630 (13G, iDRAC8) -------------------------------------------------------------------------

R630 = Hardware(
    key="r630",
    model="PowerEdge R630",
    system_id="0601",  # UNVERIFIED: R730 is 0600 (SystemID 1536 in [ASM]); 0601 is our guess
    generation=8,
    manager_model="13G Monolithic",
    components=(
        _idrac("2.75.75.75"),
        _bios("2.4.3"),
        ComponentDef(
            key="nic",
            name="Intel(R) Ethernet 10G 4P X520/I350 rNDC",
            component_id="101556",
            component_type="FRMW",
            fqdd="NIC.Integrated.1-1-1",
            wsman_tail="701__NIC.Integrated.1-1-1",
            reboot=RebootKind.HOST,
            version="17.5.10",
            vendor_id="8086",
            device_id="154D",
            sub_vendor_id="1028",
            sub_device_id="0627",
            name_has_mac=True,
        ),
        ComponentDef(
            key="raid",
            name="PERC H730P Mini",
            component_id="101560",  # Installed-101560-25.5.0.0018 (idrac-redfish.md §3.1)
            component_type="FRMW",
            fqdd="RAID.Integrated.1-1",
            wsman_tail="301_C_RAID.Integrated.1-1",
            reboot=RebootKind.HOST,
            version="25.5.0.0018",
            apply_seconds=90.0,
            vendor_id="1000",
            device_id="005D",
            sub_vendor_id="1028",
            sub_device_id="1F47",
        ),
        ComponentDef(
            key="backplane",
            name="BP13G+ 0:1",
            component_id="13468",
            component_type="FRMW",
            fqdd="Enclosure.Internal.0-1:RAID.Integrated.1-1",
            wsman_tail="308_C_Enclosure.Internal.0-1:RAID.Integrated.1-1",
            reboot=RebootKind.HOST,
            version="2.23",
        ),
        _diags("4239A36"),
        _driver_pack("16.12.12"),
        _disk("TS04"),
    ),
)

# --- R640 (14G, iDRAC9) -------------------------------------------------------------------------

R640 = Hardware(
    key="r640",
    model="PowerEdge R640",
    system_id="0716",  # SystemID 1814 (sushy system.json), bundle "3BIOS0716BTW64" (#100)
    generation=9,
    manager_model="14G Monolithic",
    components=(
        _idrac("4.40.00.00"),
        _bios("2.10.2"),
        ComponentDef(
            key="nic",
            name="Broadcom Gigabit Ethernet BCM5720",
            component_id="108255",
            component_type="FRMW",
            fqdd="NIC.Embedded.1-1-1",
            wsman_tail="701__NIC.Embedded.1-1-1",
            reboot=RebootKind.HOST,
            version="21.60.22.11",
            vendor_id="14E4",
            device_id="165F",
            sub_vendor_id="1028",
            sub_device_id="08FF",
            name_has_mac=True,
        ),
        ComponentDef(
            key="raid",
            name="PERC H740P Mini",
            component_id="104298",
            component_type="FRMW",
            fqdd="RAID.Integrated.1-1",
            wsman_tail="301_C_RAID.Integrated.1-1",
            reboot=RebootKind.HOST,
            version="50.5.0-1750",
            apply_seconds=90.0,
            vendor_id="1000",
            device_id="0016",
            sub_vendor_id="1028",
            sub_device_id="1FEA",
        ),
        ComponentDef(
            key="backplane",
            name="BP14G+ 0:1",
            component_id="13469",
            component_type="FRMW",
            fqdd="Enclosure.Internal.0-1:RAID.Integrated.1-1",
            wsman_tail="308_C_Enclosure.Internal.0-1:RAID.Integrated.1-1",
            reboot=RebootKind.HOST,
            version="4.26",
        ),
        _diags("4301A38"),
        _driver_pack("19.10.12"),
        _disk("DSF3"),
    ),
)

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "r320-idrac7-2.65",
            R320,
            "2.65.65.65",
            "2.20.20.20",
            "R320 on the last iDRAC7 firmware: Redfish 1.4.0 with the 12G push update",
        ),
        Profile(
            "r320-idrac7-2.50",
            R320,
            "2.50.50.50",
            "2.41.40.40",
            "R320 on iDRAC7 2.50: Redfish 1.0.2 without an update service (bootstrap needed)",
        ),
        Profile(
            "r320-idrac7-1.57",
            R320,
            "1.57.57",
            None,
            "R320 on iDRAC7 1.57.57: no Redfish at all, WS-Man only; needs stepping stones",
        ),
        Profile(
            "r630-idrac8-2.75",
            R630,
            "2.75.75.75",
            "2.70.70.70",
            "R630 on iDRAC8 2.75: 12G/13G Redfish plus HTTP pull",
        ),
        Profile(
            "r640-idrac9-4.40",
            R640,
            "4.40.00.00",
            "4.22.00.00",
            "R640 on iDRAC9 4.40: FQDD ids, Dell OEM services, MultipartUpload, HTTP pull",
        ),
        Profile(
            "r640-idrac9-5.10",
            R640,
            "5.10.00.00",
            "4.40.00.00",
            "R640 on iDRAC9 5.10: as 4.40 plus HTTPS pull and OperationApplyTime",
        ),
    )
}
DEFAULT_PROFILE = "r320-idrac7-2.65"


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"unknown iDRAC profile {name!r} (known: {known})") from None


# --- features derived from generation + version ------------------------------------------------


@dataclass(frozen=True)
class Features:
    generation: int
    redfish: bool
    redfish_version: str = ""
    service_root_type: str = "#ServiceRoot.v1_0_2.ServiceRoot"
    manager_type: str = "#Manager.v1_0_0.Manager"
    system_type: str = "#ComputerSystem.v1_0_2.ComputerSystem"
    update_service_type: str = "#UpdateService.v1_0_0.UpdateService"
    inventory_type: str = "#SoftwareInventory.v1_1_1.SoftwareInventory"
    task_type: str = "#Task.v1_1_0.Task"
    dell_job_type: str = "#DellJob.v1_0_0.DellJob"
    update_service: bool = False  # FirmwareInventory + push, SimpleUpdate, DellUpdateService
    http_push_uri: bool = False  # UpdateService.HttpPushUri advertised
    pull_protocols: tuple[str, ...] = ()  # SimpleUpdate TransferProtocol@Redfish.AllowableValues
    apply_time: bool = False  # @Redfish.OperationApplyTime on SimpleUpdate
    multipart: bool = False  # UpdateService.MultipartHttpPushUri
    oem_services: bool = False  # DellJobService / DellLCService / DellSoftwareInstallationService
    oem_prefix: str = ""  # where those live
    job_service: bool = False  # DMTF /redfish/v1/JobService
    expand: bool = False  # $expand honoured (12G/13G: licence error)
    fqdd_ids: bool = False  # "__<FQDD>" suffix + Oem.Dell.DellSoftwareInventory
    system_oem: bool = False  # Systems Oem.Dell.DellSystem (SystemID, SystemGeneration)
    manager_reset_types: tuple[str, ...] = ("GracefulRestart",)
    system_reset_types: tuple[str, ...] = (
        "On",
        "ForceOff",
        "ForceRestart",
        "GracefulShutdown",
        "PushPowerButton",
        "Nmi",
    )
    sessions_uri: str = "/redfish/v1/Sessions"
    session_service_sessions_ok: bool = False  # /SessionService/Sessions answers (else 400)
    etag_quoted: bool = False
    server_header: str = "Appweb/4.5.4"
    idrac_registry: str = "IDRAC.1.6"
    base_registry: str = "Base.1.0"
    # Simulated seconds a finished job's Task stays in TaskService; None = until an iDRAC reset.
    task_retention_seconds: float | None = None


TASK_RETENTION_SHORT = 5.0  # iDRAC9 below 5.00, and 7.00 before 7.10.30: "seconds" (#275)
TASK_RETENTION_LONG = 600.0  # iDRAC9 5.x (and from 7.10.30, INFERENCE): about ten minutes


def task_retention(generation: int, version: str) -> float | None:
    """How long TaskService keeps a finished Task (idrac-redfish.md §5.1, issue #275); the Dell
    Jobs view keeps the job either way.  iDRAC7/8 keep Tasks until the iDRAC restarts."""
    if generation < 9:
        return None
    if not at_least(version, "5.00.00.00"):
        return TASK_RETENTION_SHORT
    if at_least(version, "7.00.00.00") and not at_least(version, "7.10.30.00"):
        return TASK_RETENTION_SHORT
    return TASK_RETENTION_LONG


def features_for(generation: int, version: str) -> Features:
    if generation in (7, 8):
        if not at_least(version, "2.40.40.40"):
            # iDRAC 7/8 Redfish starts at 2.40.40.40 (2.30 had a stub): below, /redfish -> 404
            return Features(generation=generation, redfish=False)
        modern = at_least(version, "2.60.60.60")
        pull: tuple[str, ...] = ()
        if generation == 8 and at_least(version, "2.70.70.70"):
            pull = ("HTTP",)  # ~2.70+ on iDRAC8; not expected on iDRAC7 (UNVERIFIED)
        return Features(
            generation=generation,
            redfish=True,
            redfish_version="1.4.0" if modern else "1.0.2",
            service_root_type=(
                "#ServiceRoot.v1_3_0.ServiceRoot" if modern else "#ServiceRoot.v1_0_2.ServiceRoot"
            ),
            manager_type="#Manager.v1_3_3.Manager" if modern else "#Manager.v1_0_0.Manager",
            system_type=(
                "#ComputerSystem.v1_5_0.ComputerSystem"
                if modern
                else "#ComputerSystem.v1_0_2.ComputerSystem"
            ),
            update_service_type="#UpdateService.v1_2_1.UpdateService",
            update_service=modern,
            pull_protocols=pull,
            server_header="iDRAC/8" if modern else "Appweb/4.5.4",
        )
    # iDRAC9 (3.00+)
    v5 = at_least(version, "5.00.00.00")
    pull9: tuple[str, ...] = ()
    if at_least(version, "3.30.30.30"):
        pull9 = ("HTTP", "HTTPS", "NFS", "CIFS", "TFTP") if v5 else ("HTTP",)
    oem_ok = at_least(version, "3.30.30.30")
    return Features(
        generation=generation,
        redfish=True,
        redfish_version="1.11.0" if v5 else ("1.9.0" if at_least(version, "4.00") else "1.4.0"),
        service_root_type="#ServiceRoot.v1_6_0.ServiceRoot",
        manager_type="#Manager.v1_8_0.Manager",
        system_type="#ComputerSystem.v1_10_0.ComputerSystem",
        update_service_type="#UpdateService.v1_8_0.UpdateService",
        inventory_type="#SoftwareInventory.v1_2_3.SoftwareInventory",
        task_type="#Task.v1_4_2.Task",
        dell_job_type="#DellJob.v1_1_0.DellJob",
        update_service=True,
        http_push_uri=at_least(version, "3.18"),
        pull_protocols=pull9,
        apply_time=v5,
        multipart=at_least(version, "4.40"),
        oem_services=oem_ok,
        oem_prefix="/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell",
        job_service=at_least(version, "4.40"),
        expand=True,
        fqdd_ids=True,
        system_oem=True,
        system_reset_types=(
            "On",
            "ForceOff",
            "ForceRestart",
            "GracefulRestart",
            "GracefulShutdown",
            "PushPowerButton",
            "Nmi",
            "PowerCycle",
        ),
        sessions_uri="/redfish/v1/SessionService/Sessions",
        session_service_sessions_ok=True,
        etag_quoted=True,
        server_header="Apache",
        idrac_registry="IDRAC.2.2",
        base_registry="Base.1.7",
        task_retention_seconds=task_retention(generation, version),
    )


def with_timings(hw: Hardware, overrides: Mapping[str, float]) -> Hardware:
    """`hw` with some Timings fields replaced (device option {"timings": {...}})."""
    if not overrides:
        return hw
    return replace(hw, timings=replace(hw.timings, **dict(overrides)))
