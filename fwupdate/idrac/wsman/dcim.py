"""DCIM operations over WS-Man for iDRAC7/8 (and iDRAC9 where the same classes exist).

One call each, no waiting (waits live in fwupdate.idrac.facade): identity and firmware inventory
(DCIM_SystemView, DCIM_iDRACCardView, DCIM_SoftwareIdentity), LC readiness
(DCIM_LCService.GetRemoteServicesAPIStatus), jobs (DCIM_LifecycleJob), queue clearing
(DCIM_JobService.DeleteJobQueue), InstallFromURI, reboot jobs and SetupJobQueue.
Class names, selectors and values: idrac-wsman.md §2.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from fwupdate.dell import IDRAC_COMPONENT_ID, JID_CLEARALL
from fwupdate.errors import (
    AuthenticationError,
    DeviceError,
    DeviceUnreachableError,
    TLSVerificationError,
)
from fwupdate.idrac.models import (
    Capabilities,
    FirmwareComponent,
    Generation,
    IdracIdentity,
    NodeInventory,
    SystemIdentity,
)
from fwupdate.idrac.wsman import soap as wx
from fwupdate.idrac.wsman.client import WsmanClient

log = logging.getLogger(__name__)

SOFTWARE_IDENTITY = wx.dcim_uri("DCIM_SoftwareIdentity")
SYSTEM_VIEW = wx.dcim_uri("DCIM_SystemView")
IDRAC_CARD_VIEW = wx.dcim_uri("DCIM_iDRACCardView")
LIFECYCLE_JOB = wx.dcim_uri("DCIM_LifecycleJob")
JOB_SERVICE = wx.dcim_uri("DCIM_JobService")
LC_SERVICE = wx.dcim_uri("DCIM_LCService")
SOFTWARE_INSTALLATION_SERVICE = wx.dcim_uri("DCIM_SoftwareInstallationService")

# Service instance keys (idrac-wsman.md §2.2).
SIS_SELECTORS = {
    "CreationClassName": "DCIM_SoftwareInstallationService",
    "SystemCreationClassName": "DCIM_ComputerSystem",
    "SystemName": "IDRAC:ID",
    "Name": "SoftwareUpdate",
}
LC_SELECTORS = {
    "CreationClassName": "DCIM_LCService",
    "SystemCreationClassName": "DCIM_ComputerSystem",
    "SystemName": "DCIM:ComputerSystem",
    "Name": "DCIM:LCService",
}
JOB_SERVICE_SELECTORS = {
    "CreationClassName": "DCIM_JobService",
    "SystemCreationClassName": "DCIM_ComputerSystem",
    "SystemName": "Idrac",
    "Name": "JobService",
}


# DCIM_LifecycleJob.JobStatus (idrac-wsman.md §2.9): match terminal states exactly, anything
# else (including strings we have never seen) is "still going".
JOB_OK = frozenset({"Completed", "Reboot Completed"})
JOB_FAILED = frozenset({"Failed", "Completed with Errors", "Reboot Failed"})
JOB_DOWNLOADED = "Downloaded"

# CIM PowerState values seen in DCIM_SystemView (2 = On, 8 = Off - Soft, 6/7/9 variants of off).
_POWER = {"2": "On", "3": "Off", "6": "Off", "7": "Off", "8": "Off", "9": "Off", "13": "Off"}


@dataclass(frozen=True)
class LcStatus:
    """GetRemoteServicesAPIStatus outputs; ready = Status 0 and LCStatus 0 (§2.10)."""

    status: str | None
    lc_status: str | None
    server_status: str | None
    rt_status: str | None
    message_id: str | None
    message: str | None

    @property
    def ready(self) -> bool:
        return self.status == "0" and self.lc_status == "0"

    def describe(self) -> str:
        parts = [f"Status={self.status}", f"LCStatus={self.lc_status}"]
        if self.server_status is not None:
            parts.append(f"ServerStatus={self.server_status}")
        if self.rt_status is not None:
            parts.append(f"RTStatus={self.rt_status}")
        return " ".join(parts)


@dataclass(frozen=True)
class WsmanJob:
    job_id: str
    name: str | None
    status: str  # JobStatus as the iDRAC says it
    message: str | None
    message_id: str | None
    percent: str | None

    @property
    def succeeded(self) -> bool:
        return self.status in JOB_OK

    @property
    def failed(self) -> bool:
        return self.status in JOB_FAILED

    @property
    def finished(self) -> bool:
        return self.succeeded or self.failed


def generation_from_model(*texts: str | None) -> Generation:
    """'12G Monolithic' -> iDRAC7, '13G ...' -> iDRAC8, 14G-16G -> iDRAC9, 17G -> iDRAC10;
    'iDRAC7'... also understood.  First text that says something wins."""
    for text in texts:
        if not text:
            continue
        m = re.search(r"\b(\d{2})G\b", text)
        if m:
            g = int(m.group(1))
            if g == 12:
                return Generation.IDRAC7
            if g == 13:
                return Generation.IDRAC8
            if 14 <= g <= 16:
                return Generation.IDRAC9
            if g >= 17:
                return Generation.IDRAC10
        m = re.search(r"idrac\s*(\d+)", text, re.IGNORECASE)
        if m:
            return {
                "7": Generation.IDRAC7,
                "8": Generation.IDRAC8,
                "9": Generation.IDRAC9,
                "10": Generation.IDRAC10,
            }.get(m.group(1), Generation.UNKNOWN)
    return Generation.UNKNOWN


def _system_id_hex(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip()
    if v.isdigit():
        return f"{int(v):04X}"
    if re.fullmatch(r"(0x)?[0-9A-Fa-f]{1,4}", v):
        return f"{int(v, 16):04X}"
    return None


def _state_of(inst: wx.Instance) -> str:
    iid = (inst.get("InstanceID") or "").upper()
    if iid.startswith("DCIM:INSTALLED"):
        return "Installed"
    if iid.startswith("DCIM:PREVIOUS"):
        return "Previous"
    if iid.startswith("DCIM:AVAILABLE"):
        return "Available"
    status = inst.get("Status")
    return status if status in ("Installed", "Available") else "Installed"


def component_from_identity(inst: wx.Instance) -> FirmwareComponent:
    """A DCIM_SoftwareIdentity instance as a FirmwareComponent with a Redfish-style id
    (`Installed-25227-2.65.65.65`), so inventories read over either transport compare equal."""
    version = inst.get("VersionString") or ""
    cid = inst.get("ComponentID") or None
    state = _state_of(inst)
    updateable_text = (inst.get("Updateable") or "true").lower()
    return FirmwareComponent(
        id=f"{state}-{cid or '0'}-{version}",
        name=inst.get("ElementName") or inst.get("FQDD") or "unknown",
        component_id=cid,
        version=version,
        updateable=updateable_text in ("true", "1", "yes"),
        state=state,
        fqdd=inst.get("FQDD"),
        vendor_id=inst.get("VendorID"),
        device_id=inst.get("DeviceID"),
        sub_vendor_id=inst.get("SubVendorID"),
        sub_device_id=inst.get("SubDeviceID"),
        component_type=inst.get("ComponentType"),
    )


def _job(inst: wx.Instance) -> WsmanJob:
    return WsmanJob(
        job_id=inst.get("InstanceID") or "",
        name=inst.get("Name"),
        status=inst.get("JobStatus") or "Unknown",
        message=inst.get("Message"),
        message_id=inst.get("MessageID"),
        percent=inst.get("PercentComplete"),
    )


class WsmanIdrac:
    """DCIM operations on one iDRAC's WS-Man endpoint."""

    def __init__(self, client: WsmanClient) -> None:
        self.client = client
        self.host = client.host

    # --- identity and inventory ------------------------------------------------------------

    def system_view(self) -> wx.Instance | None:
        items = self.client.enumerate(SYSTEM_VIEW)
        return items[0] if items else None

    def idrac_card_view(self) -> wx.Instance | None:
        items = self.client.enumerate(IDRAC_CARD_VIEW)
        return items[0] if items else None

    def software_identities(self) -> tuple[wx.Instance, ...]:
        return self.client.enumerate(SOFTWARE_IDENTITY)

    def identity(self, address: str) -> tuple[IdracIdentity, SystemIdentity | None]:
        card = self.idrac_card_view()
        system = self.system_view()
        sysgen = system.get("SystemGeneration") if system else None
        card_model = card.get("Model") if card else None
        firmware = card.get("FirmwareVersion") if card else None
        if not firmware:
            # Fall back to the installed iDRAC SoftwareIdentity.
            for inst in self.software_identities():
                if inst.get("ComponentID") == IDRAC_COMPONENT_ID and _state_of(inst) == "Installed":
                    firmware = inst.get("VersionString")
                    break
        if not firmware:
            raise DeviceError(
                "the iDRAC did not report its firmware version (DCIM_iDRACCardView)",
                host=self.host,
                step="identity",
            )
        idrac = IdracIdentity(
            address=address,
            generation=generation_from_model(sysgen, card_model),
            firmware_version=firmware,
            model=sysgen or card_model or "unknown",
            redfish_version=None,
        )
        sys_id: SystemIdentity | None = None
        if system is not None:
            power = system.get("PowerState")
            sys_id = SystemIdentity(
                model=system.get("Model") or "unknown",
                service_tag=system.get("ServiceTag"),
                bios_version=system.get("BIOSVersionString"),
                power_state=_POWER.get(power or "", power),
                system_id=_system_id_hex(system.get("SystemID")),
            )
        return idrac, sys_id

    def components(self) -> tuple[FirmwareComponent, ...]:
        return tuple(component_from_identity(i) for i in self.software_identities())

    def inventory(self, name: str, address: str, capabilities: Capabilities) -> NodeInventory:
        idrac, system = self.identity(address)
        return NodeInventory(
            name=name,
            idrac=idrac,
            system=system,
            components=self.components(),
            capabilities=capabilities,
        )

    def idrac_target(self) -> str:
        """InstanceID of the installed iDRAC firmware: the Target of an iDRAC InstallFromURI."""
        for inst in self.software_identities():
            iid = inst.get("InstanceID") or ""
            if _state_of(inst) != "Installed":
                continue
            if inst.get("ComponentID") == IDRAC_COMPONENT_ID or "iDRAC.Embedded" in iid:
                return iid
        raise DeviceError(
            "no installed iDRAC firmware entry in DCIM_SoftwareIdentity",
            host=self.host,
            step="find iDRAC target",
        )

    # --- LC readiness ------------------------------------------------------------------------

    def lc_status(self) -> LcStatus:
        out = self.client.invoke(
            LC_SERVICE, "GetRemoteServicesAPIStatus", LC_SELECTORS, step="LC status"
        )
        return LcStatus(
            status=out.get("Status"),
            lc_status=out.get("LCStatus"),
            server_status=out.get("ServerStatus"),
            rt_status=out.get("RTStatus"),
            message_id=out.message_id,
            message=out.message,
        )

    # --- jobs ----------------------------------------------------------------------------------

    def jobs(self) -> tuple[WsmanJob, ...]:
        """All jobs except the JID_CLEARALL pseudo job (§2.8)."""
        out = []
        for inst in self.client.enumerate(LIFECYCLE_JOB):
            job = _job(inst)
            if job.job_id == JID_CLEARALL or job.name == "CLEARALL":
                continue
            out.append(job)
        return tuple(out)

    def job(self, job_id: str) -> WsmanJob:
        """One job by id: Get, falling back to Enumerate + filter (the Get fault is UNVERIFIED)."""
        try:
            return _job(self.client.get(LIFECYCLE_JOB, {"InstanceID": job_id}))
        except (DeviceUnreachableError, AuthenticationError, TLSVerificationError):
            raise
        except DeviceError as exc:
            log.debug("%s: Get %s failed (%s); enumerating jobs", self.host, job_id, exc)
        for inst in self.client.enumerate(LIFECYCLE_JOB):
            if inst.get("InstanceID") == job_id:
                return _job(inst)
        raise DeviceError(f"job {job_id} does not exist", host=self.host, step="job status")

    def delete_job_queue(self, job_id: str = JID_CLEARALL) -> wx.MethodOutput:
        return self.client.invoke(
            JOB_SERVICE,
            "DeleteJobQueue",
            JOB_SERVICE_SELECTORS,
            {"JobID": job_id},
            step="clear job queue" if job_id.startswith(JID_CLEARALL) else f"delete {job_id}",
        )

    def job_count(self) -> int | None:
        """DCIM_JobService.CurrentNumberOfJobs, None when the iDRAC does not say."""
        items = self.client.enumerate(JOB_SERVICE)
        if not items:
            return None
        value = items[0].get("CurrentNumberOfJobs")
        return int(value) if value and value.isdigit() else None

    # --- updates and reboots -------------------------------------------------------------------

    def install_from_uri(self, uri: str, target_instance_id: str) -> str:
        """Start an InstallFromURI job; returns the JID (ReturnValue 4096)."""
        out = self.client.invoke(
            SOFTWARE_INSTALLATION_SERVICE,
            "InstallFromURI",
            SIS_SELECTORS,
            {
                "URI": uri,
                "Target": wx.EndpointRef(
                    SOFTWARE_IDENTITY, (("InstanceID", target_instance_id),)
                ),
            },
            step="InstallFromURI",
            expect_job=True,
        )
        assert out.job_id is not None
        return out.job_id

    def create_reboot_job(self, reboot_type: int = 3) -> str:
        """SoftwareInstallationService.CreateRebootJob (1 power cycle, 2 graceful, 3 graceful
        then forced); returns the RID."""
        out = self.client.invoke(
            SOFTWARE_INSTALLATION_SERVICE,
            "CreateRebootJob",
            SIS_SELECTORS,
            {"RebootJobType": str(reboot_type)},
            step="create reboot job",
            expect_job=True,
        )
        assert out.job_id is not None
        return out.job_id

    def setup_job_queue(self, job_ids: tuple[str, ...], start: str = "TIME_NOW") -> None:
        """Schedule jobs; Dell puts the reboot job first in JobArray (§2.6)."""
        self.client.invoke(
            JOB_SERVICE,
            "SetupJobQueue",
            JOB_SERVICE_SELECTORS,
            {"JobArray": list(job_ids), "StartTimeInterval": start},
            step="schedule jobs",
        )
