"""JSON bodies of the simulated iDRAC's Redfish resources, shaped per generation and version.

Shapes follow the public captures summarised in idrac-redfish.md: the R820 iDRAC7 2.65.65.65
capture for 12G (§1.1-1.3, §3.2), sushy's iDRAC9 samples (§1.2, §5.2), Dell's job/task samples.
Every resource carries @odata.context / @odata.id / @odata.type; collections carry Members and
Members@odata.count.
"""

from __future__ import annotations

from typing import Any

from fwupdate.sim.idrac.jobs import Job, JobState, task_state
from fwupdate.sim.idrac.model import InventoryItem
from fwupdate.sim.idrac.profiles import Features
from fwupdate.sim.idrac.state import IdracState

ROOT = "/redfish/v1"
SYSTEM = f"{ROOT}/Systems/System.Embedded.1"
MANAGER = f"{ROOT}/Managers/iDRAC.Embedded.1"
CHASSIS = f"{ROOT}/Chassis/System.Embedded.1"
UPDATE = f"{ROOT}/UpdateService"
INVENTORY = f"{UPDATE}/FirmwareInventory"
TASKS = f"{ROOT}/TaskService/Tasks"
JOBS_DMTF = f"{ROOT}/JobService/Jobs"
SIS_ROOT = f"{SYSTEM}/Oem/Dell/DellSoftwareInstallationService"


def ref(uri: str) -> dict[str, str]:
    return {"@odata.id": uri}


def resource(odata_type: str, uri: str, context: str, **body: Any) -> dict[str, Any]:
    return {
        "@odata.context": f"{ROOT}/$metadata#{context}",
        "@odata.id": uri,
        "@odata.type": odata_type,
        **body,
    }


def collection(
    odata_type: str, uri: str, context: str, name: str, members: list[str], **extra: Any
) -> dict[str, Any]:
    return resource(
        odata_type,
        uri,
        context,
        Description=extra.pop("Description", f"Collection of {name}"),
        Name=name,
        Members=[ref(m) for m in members],
        **{"Members@odata.count": len(members)},
        **extra,
    )


def dell_jobs_uri(f: Features) -> str:
    return f"{f.oem_prefix}/Jobs" if f.oem_services else f"{MANAGER}/Jobs"


def account_service_uri(f: Features) -> str:
    return f"{ROOT}/AccountService" if f.generation >= 9 else f"{MANAGER}/AccountService"


STATUS_OK = {"Health": "OK", "HealthRollup": "OK", "State": "Enabled"}


# --- service root, sessions --------------------------------------------------------------------


def service_root(st: IdracState, f: Features) -> dict[str, Any]:
    ident = st.identity()
    body: dict[str, Any] = resource(
        f.service_root_type,
        ROOT,
        "ServiceRoot.ServiceRoot",
        AccountService=ref(account_service_uri(f)),
        Chassis=ref(f"{ROOT}/Chassis"),
        Description="Root Service",
        Id="RootService",
        Links={"Sessions": ref(f.sessions_uri)},
        Managers=ref(f"{ROOT}/Managers"),
        Name="Root Service",
        Oem={
            "Dell": {
                "@odata.type": "#DellServiceRoot.v1_0_0.ServiceRootSummary",
                "IsBranded": 0,
                "ManagerMACAddress": ident.mac,
                "ServiceTag": ident.service_tag,
            }
        },
        Product="Integrated Dell Remote Access Controller",
        RedfishVersion=f.redfish_version,
        SessionService=ref(f"{ROOT}/SessionService"),
        Systems=ref(f"{ROOT}/Systems"),
        Tasks=ref(f"{ROOT}/TaskService"),
        UUID=ident.uuid,
    )
    if f.redfish_version != "1.0.2":
        body["ProtocolFeaturesSupported"] = {
            "ExpandQuery": {
                "ExpandAll": True,
                "Levels": True,
                "Links": True,
                "MaxLevels": 1,
                "NoLinks": True,
            },
            "FilterQuery": True,
            "SelectQuery": True,
        }
    if f.update_service:
        body["UpdateService"] = ref(UPDATE)
    if f.job_service:
        body["JobService"] = ref(f"{ROOT}/JobService")
    if f.generation >= 9:
        body["Vendor"] = "Dell"
    return body


def session_service(st: IdracState, f: Features) -> dict[str, Any]:
    return resource(
        "#SessionService.v1_0_2.SessionService",
        f"{ROOT}/SessionService",
        "SessionService.SessionService",
        Description="Session Service",
        Id="SessionService",
        Name="Session Service",
        ServiceEnabled=True,
        SessionTimeout=int(st.timings.session_timeout_seconds),
        Sessions=ref(f.sessions_uri),
        Status={"Health": "OK", "State": "Enabled"},
    )


def session(f: Features, sid: str, user: str) -> dict[str, Any]:
    return resource(
        "#Session.v1_0_2.Session",
        f"{f.sessions_uri}/{sid}",
        "Session.Session",
        Description="User Session",
        Id=sid,
        Name="User Session",
        UserName=user,
    )


def account_service(f: Features) -> dict[str, Any]:
    return resource(
        "#AccountService.v1_0_2.AccountService",
        account_service_uri(f),
        "AccountService.AccountService",
        Description="BMC User Accounts",
        Id="AccountService",
        Name="Account Service",
        ServiceEnabled=True,
        Status={"Health": "OK", "State": "Enabled"},
    )


# --- system, chassis, manager ------------------------------------------------------------------


def system(st: IdracState, f: Features) -> dict[str, Any]:
    ident = st.identity()
    body = resource(
        f.system_type,
        SYSTEM,
        "ComputerSystem.ComputerSystem",
        Actions={
            "#ComputerSystem.Reset": {
                "ResetType@Redfish.AllowableValues": list(f.system_reset_types),
                "target": f"{SYSTEM}/Actions/ComputerSystem.Reset",
            }
        },
        AssetTag="",
        BiosVersion=ident.bios_version,
        Boot={
            "BootSourceOverrideEnabled": "Once",
            "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": [
                "None",
                "Pxe",
                "Cd",
                "Floppy",
                "Hdd",
                "BiosSetup",
                "Utilities",
                "UefiTarget",
                "SDCard",
                "UefiHttp",
            ],
        },
        Description="Computer System which represents a machine (physical or virtual) and the "
        "local resources such as memory, cpu and other devices that can be accessed from that "
        "machine.",
        HostName="",
        Id="System.Embedded.1",
        IndicatorLED="Off",
        Links=system_links(f),
        Manufacturer="Dell Inc.",
        Model=ident.model,
        Name="System",
        PartNumber="0" + ident.service_tag[:5],
        PowerState=ident.power_state,
        SKU=ident.service_tag,
        SerialNumber=ident.board_serial,
        Status=STATUS_OK,
        SystemType="Physical",
        UUID=ident.uuid,
    )
    if f.system_oem:
        body["Oem"] = {
            "Dell": {
                "DellSystem": {
                    "@odata.type": "#DellSystem.v1_0_0.DellSystem",
                    "BIOSReleaseDate": "01/01/2021",
                    "ChassisServiceTag": ident.service_tag,
                    "ExpressServiceCode": ident.express_service_code,
                    "LifecycleControllerVersion": ident.lc_version,
                    "SystemGeneration": ident.manager_model,
                    "SystemID": int(ident.system_id, 16),
                }
            }
        }
    return body


def chassis(st: IdracState, f: Features) -> dict[str, Any]:
    ident = st.identity()
    return resource(
        "#Chassis.v1_0_2.Chassis",
        CHASSIS,
        "Chassis.Chassis",
        ChassisType="RackMount",
        Id="System.Embedded.1",
        Links={"ComputerSystems": [ref(SYSTEM)], "ManagedBy": [ref(MANAGER)]},
        Manufacturer="Dell Inc.",
        Model=ident.model,
        Name="Computer System Chassis",
        PowerState=ident.power_state,
        SKU=ident.service_tag,
        SerialNumber=ident.board_serial,
        Status=STATUS_OK,
    )


def oem_links(f: Features) -> dict[str, Any]:
    links: dict[str, Any] = {"Jobs": ref(dell_jobs_uri(f))}  # 12G: only Jobs ([R820])
    if f.oem_services:
        links["@odata.type"] = "#DellOem.v1_0_0.DellOemLinks"
        links["DellJobService"] = ref(f"{f.oem_prefix}/DellJobService")
        links["DellLCService"] = ref(f"{f.oem_prefix}/DellLCService")
    return links


def system_links(f: Features) -> dict[str, Any]:
    """iDRAC9 links its System OEM services (DellSoftwareInstallationService...) from the
    System resource's Links.Oem.Dell, not from the Manager's."""
    links: dict[str, Any] = {"Chassis": [ref(CHASSIS)], "ManagedBy": [ref(MANAGER)]}
    if f.oem_services:
        links["Oem"] = {
            "Dell": {
                "@odata.type": "#DellOem.v1_0_0.DellOemLinks",
                "DellSoftwareInstallationService": ref(SIS_ROOT),
            }
        }
    return links


def manager(st: IdracState, f: Features) -> dict[str, Any]:
    ident = st.identity()
    return resource(
        f.manager_type,
        MANAGER,
        "Manager.Manager",
        Actions={
            "#Manager.Reset": {
                "ResetType@Redfish.AllowableValues": list(f.manager_reset_types),
                "target": f"{MANAGER}/Actions/Manager.Reset",
            }
        },
        DateTime=_now_iso(),
        DateTimeLocalOffset="+00:00",
        Description="BMC",
        FirmwareVersion=ident.firmware_version,
        Id="iDRAC.Embedded.1",
        Links={
            "ManagerForChassis": [ref(CHASSIS)],
            "ManagerForServers": [ref(SYSTEM)],
            "Oem": {"Dell": oem_links(f)},
        },
        ManagerType="BMC",
        Model=ident.manager_model,
        Name="Manager",
        Status={"Health": "OK", "State": "Enabled"},
        UUID=ident.uuid,
    )


def _now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


# --- update service, inventory -----------------------------------------------------------------


def update_service(st: IdracState, f: Features) -> dict[str, Any]:
    simple: dict[str, Any] = {"target": f"{UPDATE}/Actions/UpdateService.SimpleUpdate"}
    if f.pull_protocols:
        simple["TransferProtocol@Redfish.AllowableValues"] = list(f.pull_protocols)
    if f.apply_time:
        simple["@Redfish.OperationApplyTimeSupport"] = {
            "@odata.type": "#Settings.v1_2_0.OperationApplyTimeSupport",
            "SupportedValues": ["Immediate", "OnReset"],
        }
    body = resource(
        f.update_service_type,
        UPDATE,
        "UpdateService.UpdateService",
        Actions={
            "#UpdateService.SimpleUpdate": simple,
            "Oem": {
                "DellUpdateService.v1_0_0#DellUpdateService.Install": {
                    "InstallUpon@Redfish.AllowableValues": ["Now", "NowAndReboot", "NextReboot"],
                    "target": f"{UPDATE}/Actions/Oem/DellUpdateService.Install",
                }
            },
        },
        Description="Represents the properties for the Update Service",
        FirmwareInventory=ref(INVENTORY),
        Id="UpdateService",
        Name="Update Service",
        ServiceEnabled=True,
        Status={"Health": "OK", "State": "Enabled"},
    )
    if f.http_push_uri:
        body["HttpPushUri"] = INVENTORY
    if f.multipart:
        body["MultipartHttpPushUri"] = f"{UPDATE}/MultipartUpload"
    return body


def inventory_member(st: IdracState, f: Features, item: InventoryItem) -> dict[str, Any]:
    body = resource(
        f.inventory_type,
        f"{INVENTORY}/{item.id}",
        "SoftwareInventory.SoftwareInventory",
        Description="Represents Firmware Inventory",
        Id=item.id,
        Name=item.name,
        SoftwareId=item.component_id,
        Status={"Health": "OK", "State": "Enabled"},
        Updateable=item.updateable,
        Version=item.version,
    )
    if f.fqdd_ids:
        kind = "BIOS" if item.component_type == "BIOS" else "firmware"
        major, _, rest = item.version.partition(".")
        minor, _, revision = rest.partition(".")
        body["ReleaseDate"] = "00:00:00Z"
        body["Oem"] = {
            "Dell": {
                "@odata.type": "#DellSoftwareInventory.v1_0_0.DellSoftwareInventory",
                "DellSoftwareInventory": {
                    "ComponentID": item.component_id,
                    "ComponentType": item.component_type,
                    "DeviceID": item.device_id,
                    "ElementName": item.name,
                    "FQDD": item.fqdd,
                    "Id": item.instance_id,
                    "IdentityInfoValue": f"DCIM:{kind}:{item.component_id}",
                    "MajorVersion": major,
                    "MinorVersion": minor,
                    "RevisionNumber": revision,
                    "Status": "Installed"
                    if item.state == "Installed"
                    else "AvailableForInstallation",
                    "SubDeviceID": item.sub_device_id,
                    "SubVendorID": item.sub_vendor_id,
                    "VendorID": item.vendor_id,
                },
            }
        }
    return body


def inventory_collection(st: IdracState, f: Features) -> dict[str, Any]:
    return collection(
        "#SoftwareInventoryCollection.SoftwareInventoryCollection",
        INVENTORY,
        "SoftwareInventoryCollection.SoftwareInventoryCollection",
        "Firmware Inventory Collection",
        [f"{INVENTORY}/{i.id}" for i in st.inventory()],
        Description="Collection of Firmware Inventory",
    )


# --- jobs and tasks ----------------------------------------------------------------------------


def dell_job(f: Features, job: Job, uri: str) -> dict[str, Any]:
    terminal = job.terminal
    return resource(
        f.dell_job_type,
        uri,
        "DellJob.DellJob",
        CompletionTime=job.completed_wall if terminal else None,
        Description="Job Instance",
        EndTime="TIME_NA",
        Id=job.id,
        JobState=job.state,
        JobType=job.job_type,
        Message=job.message,
        MessageArgs=[],
        **{"MessageArgs@odata.count": 0},
        MessageId=job.message_id,
        Name=job.name,
        PercentComplete=job.percent,
        StartTime=job.start_time,
        TargetSettingsURI=None,
    )


def _task_status(job: Job) -> str:
    if job.state in (JobState.FAILED, JobState.REBOOT_FAILED):
        return "Critical"
    if job.state == JobState.COMPLETED_WITH_ERRORS:
        return "Warning"
    return "OK"


def task(st: IdracState, f: Features, job: Job) -> dict[str, Any]:
    dell = dell_job(f, job, f"{dell_jobs_uri(f)}/{job.id}")
    for k in ("@odata.context", "@odata.id"):
        dell.pop(k, None)
    return resource(
        f.task_type,
        f"{TASKS}/{job.id}",
        "Task.Task",
        Description="Server Task",
        EndTime=job.completed_wall if job.terminal else "TIME_NA",
        Id=job.id,
        Messages=[
            {
                "Message": job.message,
                "MessageArgs": [],
                "MessageArgs@odata.count": 0,
                "MessageId": f"{f.idrac_registry}.{job.message_id}",
            }
        ],
        **{"Messages@odata.count": 1},
        Name="Task",
        Oem={"Dell": dell},
        PercentComplete=job.percent,
        StartTime=job.created_wall,
        TaskState=task_state(job.state, st.scheduled_task_state),
        TaskStatus=_task_status(job),
    )


def dmtf_job(st: IdracState, f: Features, job: Job) -> dict[str, Any]:
    dell = dell_job(f, job, f"{dell_jobs_uri(f)}/{job.id}")
    for k in ("@odata.context", "@odata.id"):
        dell.pop(k, None)
    return resource(
        "#Job.v1_0_1.Job",
        f"{JOBS_DMTF}/{job.id}",
        "Job.Job",
        Description="Job Instance",
        EndTime=job.completed_wall if job.terminal else None,
        Id=job.id,
        JobState=task_state(job.state, st.scheduled_task_state),
        JobStatus=_task_status(job),
        Messages=[{"Message": job.message, "MessageId": f"{f.idrac_registry}.{job.message_id}"}],
        Name=job.name,
        Oem={"Dell": dell},
        PercentComplete=job.percent,
        StartTime=job.created_wall,
    )


def task_service(f: Features) -> dict[str, Any]:
    return resource(
        "#TaskService.v1_1_0.TaskService",
        f"{ROOT}/TaskService",
        "TaskService.TaskService",
        CompletedTaskOverWritePolicy="Oldest",
        DateTime=_now_iso(),
        Description="Represents the properties for the Task Service",
        Id="TaskService",
        LifeCycleEventOnTaskStateChange=True,
        Name="Task Service",
        ServiceEnabled=True,
        Status={"Health": "OK", "State": "Enabled"},
        Tasks=ref(TASKS),
    )


def job_service(f: Features) -> dict[str, Any]:
    return resource(
        "#JobService.v1_0_2.JobService",
        f"{ROOT}/JobService",
        "JobService.JobService",
        Description="Represents the properties for the Job Service",
        Id="JobService",
        Jobs=ref(JOBS_DMTF),
        Name="Job Service",
        ServiceEnabled=True,
        Status={"Health": "OK", "State": "Enabled"},
    )


def oem_service(f: Features, name: str, uri: str, actions: tuple[str, ...]) -> dict[str, Any]:
    return resource(
        f"#{name}.v1_1_0.{name}",
        uri,
        f"{name}.{name}",
        Actions={f"#{name}.{a}": {"target": f"{uri}/Actions/{name}.{a}"} for a in actions},
        Description=f"The {name} resource",
        Id=name,
        Name=name,
    )


def metadata_xml() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">\n'
        "  <edmx:DataServices>\n"
        '    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Service">\n'
        '      <EntityContainer Name="Service" Extends="ServiceRoot.v1_0_0.ServiceContainer"/>\n'
        "    </Schema>\n"
        "  </edmx:DataServices>\n"
        "</edmx:Edmx>\n"
    )


def odata_document() -> dict[str, Any]:
    names = ("Systems", "Chassis", "Managers", "SessionService", "UpdateService", "TaskService")
    return {
        "@odata.context": f"{ROOT}/$metadata",
        "value": [{"kind": "Singleton", "name": n, "url": f"{ROOT}/{n}"} for n in names],
    }
