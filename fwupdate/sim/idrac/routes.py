"""Every endpoint of the simulated iDRAC, declared in one place.

- `REDFISH_ROUTES`: (method, path pattern, handler) for everything under /redfish.  Handlers take
  the device's RedfishService and the call; they live in redfish.py (core), repository.py
  (InstallFromRepository / GetRepoBasedUpdateList) and virtual_media.py (VirtualMedia, boot once).
- `WSMAN_INVOKES` / `WSMAN_CLASSES`: the WS-Man front-end's Invoke methods and the classes it
  enumerates (wsman.py core, wsman_repository.py, wsman_osd.py).
- `CONTROL_ROUTES`: the simulator-only /sim/... control endpoint (control.py).

IdracDevice builds its services from `REDFISH`, `WSMAN` and `CONTROL`; importing any module
registers nothing, and a (method, pattern) or WS-Man class/method declared twice raises
DuplicateRoute.  Feature gates (what a firmware version lacks) stay in RedfishService._absent
and the handlers.
"""

from __future__ import annotations

import re

from fwupdate.sim.http import Response
from fwupdate.sim.idrac import control, repository, virtual_media, wsman_osd, wsman_repository
from fwupdate.sim.idrac import redfish_views as v
from fwupdate.sim.idrac.control import ControlHandler
from fwupdate.sim.idrac.redfish import Call, RedfishHandler, RedfishService
from fwupdate.sim.idrac.wsman import (
    JOB_SERVICE_KEYS,
    LC_KEYS,
    SIS_KEYS,
    Instances,
    Invoke,
    WsmanService,
    WsmanTable,
)
from fwupdate.sim.routes import Route, RouteTable

R = RedfishService
SYSTEM = r"/redfish/v1/Systems/System\.Embedded\.1"
MANAGER = r"/redfish/v1/Managers/iDRAC\.Embedded\.1"
SESSIONS = r"/redfish/v1/Sessions|/redfish/v1/SessionService/Sessions"
SIS = rf"{SYSTEM}/Oem/Dell/DellSoftwareInstallationService"
VM = re.escape(virtual_media.VM_ROOT)
VM_DEV = rf"{VM}/(?P<dev>CD|RemovableDisk)"


def system_get(svc: RedfishService, c: Call) -> Response:
    """GET the System resource: the core view with the boot-once fields virtual media keeps."""
    body = v.system(svc.st, c.f)
    body.setdefault("Boot", {}).update(virtual_media.boot_override(svc.st))
    return svc.reply(c, 200, body)


def _get(pattern: str, handler: RedfishHandler) -> Route[RedfishHandler]:
    return Route("GET", pattern, handler)


def _post(pattern: str, handler: RedfishHandler) -> Route[RedfishHandler]:
    return Route("POST", pattern, handler)


REDFISH_ROUTES: tuple[Route[RedfishHandler], ...] = (
    _get(r"/redfish", R.redfish),
    _get(r"/redfish/v1", R.service_root),
    _get(r"/redfish/v1/odata", R.odata),
    _get(r"/redfish/v1/\$metadata", R.metadata),
    _get(r"/redfish/v1/SessionService", R.session_service),
    _get(SESSIONS, R.sessions),
    _post(SESSIONS, R.login),
    _get(rf"(?:{SESSIONS})/(?P<sid>[^/]+)", R.session_get),
    Route("DELETE", rf"(?:{SESSIONS})/(?P<sid>[^/]+)", R.logout),
    _get(rf"/redfish/v1/AccountService|{MANAGER}/AccountService", R.account_service),
    _get(r"/redfish/v1/Systems", R.systems),
    _get(SYSTEM, system_get),
    Route("PATCH", SYSTEM, virtual_media.system_patch),
    _post(rf"{SYSTEM}/Actions/ComputerSystem\.Reset", R.system_reset),
    _get(r"/redfish/v1/Chassis", R.chassis_collection),
    _get(r"/redfish/v1/Chassis/System\.Embedded\.1", R.chassis),
    _get(r"/redfish/v1/Managers", R.managers),
    _get(MANAGER, R.manager),
    _post(rf"{MANAGER}/Actions/Manager\.Reset", R.manager_reset),
    _get(rf"{MANAGER}(?:/Oem/Dell)?/Jobs", R.dell_jobs),
    _get(rf"{MANAGER}(?:/Oem/Dell)?/Jobs/(?P<jid>[^/]+)", R.dell_job),
    Route("DELETE", rf"{MANAGER}(?:/Oem/Dell)?/Jobs/(?P<jid>[^/]+)", R.dell_job_delete),
    _get(r"/redfish/v1/TaskService", R.task_service),
    _get(r"/redfish/v1/TaskService/Tasks", R.tasks),
    _get(r"/redfish/v1/TaskService/Tasks/(?P<jid>[^/]+)", R.task),
    _get(r"/redfish/v1/JobService", R.job_service),
    _get(r"/redfish/v1/JobService/Jobs", R.dmtf_jobs),
    _get(r"/redfish/v1/JobService/Jobs/(?P<jid>[^/]+)", R.dmtf_job),
    Route("DELETE", r"/redfish/v1/JobService/Jobs/(?P<jid>[^/]+)", R.dell_job_delete),
    _get(r"/redfish/v1/UpdateService", R.update_service),
    _get(r"/redfish/v1/UpdateService/FirmwareInventory", R.inventory),
    _post(r"/redfish/v1/UpdateService/FirmwareInventory", R.push),
    _get(r"/redfish/v1/UpdateService/FirmwareInventory/(?P<item>[^/]+)", R.inventory_item),
    Route(
        "DELETE", r"/redfish/v1/UpdateService/FirmwareInventory/(?P<item>[^/]+)",
        R.inventory_delete,
    ),
    _post(r"/redfish/v1/UpdateService/Actions/UpdateService\.SimpleUpdate", R.simple_update),
    _post(r"/redfish/v1/UpdateService/Actions/Oem/DellUpdateService\.Install", R.dell_install),
    _post(r"/redfish/v1/UpdateService/MultipartUpload", R.multipart),
    _get(rf"{MANAGER}/Oem/Dell/(?P<svc>DellJobService|DellLCService)", R.oem_service),
    _post(
        rf"{MANAGER}/Oem/Dell/DellJobService/Actions/DellJobService\.DeleteJobQueue",
        R.delete_job_queue,
    ),
    _post(
        rf"{MANAGER}/Oem/Dell/DellLCService/Actions/DellLCService\.GetRemoteServicesAPIStatus",
        R.remote_services_status,
    ),
    _get(SIS, R.sis),
    _post(
        rf"{SIS}/Actions/DellSoftwareInstallationService\.(?P<action>InstallFromRepository|"
        r"GetRepoBasedUpdateList)",
        repository.sis_action,
    ),
    _get(VM, virtual_media.collection),
    _get(VM_DEV, virtual_media.member),
    _post(rf"{VM_DEV}/Actions/VirtualMedia\.InsertMedia", virtual_media.insert_media),
    _post(rf"{VM_DEV}/Actions/VirtualMedia\.EjectMedia", virtual_media.eject_media),
)

W = WsmanService
SIS_CLASS = "DCIM_SoftwareInstallationService"
OSD = wsman_osd.OSD

WSMAN_INVOKES: tuple[Invoke, ...] = (
    Invoke("DCIM_LCService", "GetRemoteServicesAPIStatus", W.lc_status),
    Invoke(SIS_CLASS, "InstallFromURI", W.install_from_uri),
    Invoke(SIS_CLASS, "CreateRebootJob", W.create_reboot_job),
    Invoke("DCIM_JobService", "SetupJobQueue", W.setup_job_queue),
    Invoke("DCIM_JobService", "DeleteJobQueue", W.delete_job_queue),
    Invoke(SIS_CLASS, "InstallFromRepository", wsman_repository.install_from_repository),
    Invoke(SIS_CLASS, "GetRepoBasedUpdateList", wsman_repository.get_repo_based_update_list),
    Invoke(OSD, "BootToNetworkISO", wsman_osd.boot_to_network_iso),
    Invoke(OSD, "DetachISOImage", wsman_osd.detach_iso_image),
    Invoke(OSD, "GetAttachStatus", wsman_osd.get_attach_status),
)

WSMAN_CLASSES: tuple[Instances, ...] = (
    Instances("DCIM_SoftwareIdentity", W.software_identities),
    Instances("DCIM_SystemView", W.system_view),
    Instances("DCIM_iDRACCardView", W.idrac_card_view),
    Instances("DCIM_LifecycleJob", W.lifecycle_jobs),
    Instances("DCIM_JobService", W.job_service, service_keys=JOB_SERVICE_KEYS),
    Instances("DCIM_LCService", service_keys=LC_KEYS),
    Instances(SIS_CLASS, service_keys=SIS_KEYS),
    Instances(wsman_osd.OSD_JOB, wsman_osd.osd_jobs),
    Instances(OSD, service_keys=wsman_osd.OSD_KEYS),
)

CONTROL_ROUTES: tuple[Route[ControlHandler], ...] = (
    Route("GET", r"/sim/state", control.get_state),
    Route("GET", r"/sim/fault", control.get_faults),
    Route("POST", r"/sim/fault", control.set_fault),
    Route("DELETE", r"/sim/fault", control.clear_faults),
)

REDFISH: RouteTable[RedfishHandler] = RouteTable(REDFISH_ROUTES)
CONTROL: RouteTable[ControlHandler] = RouteTable(CONTROL_ROUTES)
WSMAN = WsmanTable(WSMAN_INVOKES, WSMAN_CLASSES)
