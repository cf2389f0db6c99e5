"""WS-Management front-end of the simulated iDRAC: `POST /wsman` on the device's own port.

Same device state as the Redfish front-end (fwupdate.sim.idrac.state.IdracState); this module only
translates.  What it answers (idrac-wsman.md §1-2, checklist §6):

- Basic auth on every request (401 `WWW-Authenticate: Basic realm="OPENWSMAN"` otherwise).
- Identify; Enumerate (+ Pull with EnumerationContext, MaxElements paging, OptimizeEnumeration)
  and Get (InstanceID) of DCIM_SoftwareIdentity, DCIM_SystemView, DCIM_iDRACCardView,
  DCIM_LifecycleJob, DCIM_JobService, DCIM_LCService, DCIM_SoftwareInstallationService.
- Invoke: DCIM_LCService.GetRemoteServicesAPIStatus; DCIM_SoftwareInstallationService
  InstallFromURI (the image is fetched from the URL for real by the state, in a thread) and
  CreateRebootJob; DCIM_JobService SetupJobQueue and DeleteJobQueue (a JID, JID_CLEARALL or
  JID_CLEARALL_FORCE).  Method failures are ReturnValue 2 + MessageID (the state's Rejected),
  jobs are ReturnValue 4096 + a job reference.
- Faults: malformed envelopes, unknown classes, selectors or methods, missing parameters and
  expired enumeration contexts are SOAP faults (400/500); injected `busy` (503, empty body) and
  outages (dropped connections) are applied by the device before this handler runs.
- Realism details: both resource-URI forms are accepted and echoed as `n1`; a just-cleared queue
  shows the `JID_CLEARALL` pseudo job for a while; iDRAC7 1.x omits RTStatus.
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from fwupdate.sim.http import Drop, Request, Response
from fwupdate.sim.idrac.jobs import Job, JobState, wsman_status
from fwupdate.sim.idrac.messages import message
from fwupdate.sim.idrac.model import Rejected
from fwupdate.sim.idrac.state import IdracState
from fwupdate.sim.idrac.versions import older
from fwupdate.sim.idrac.wsman_soap import (
    SimInstance,
    SoapRequestError,
    Value,
    WsmanRequest,
    enumerate_context_only,
    enumerate_response,
    fault_response,
    get_response,
    identify_response,
    method_response,
    parse_request,
    pull_response,
)
from fwupdate.sim.routes import check_unique

WSMAN_PATH = "/wsman"
MAX_BODY = 1 << 20  # a WS-Man request is small
CONTEXT_TTL = 300.0  # real seconds an unfinished enumeration stays pullable
MAX_CONTEXTS = 64
DEFAULT_PAGE = 20  # items per page when the client does not say (MaxElements absent)

SIS_KEYS = {
    "CreationClassName": "DCIM_SoftwareInstallationService",
    "SystemCreationClassName": "DCIM_ComputerSystem",
    "SystemName": "IDRAC:ID",
    "Name": "SoftwareUpdate",
}
LC_KEYS = {
    "CreationClassName": "DCIM_LCService",
    "SystemCreationClassName": "DCIM_ComputerSystem",
    "SystemName": "DCIM:ComputerSystem",
    "Name": "DCIM:LCService",
}
JOB_SERVICE_KEYS = {
    "CreationClassName": "DCIM_JobService",
    "SystemCreationClassName": "DCIM_ComputerSystem",
    "SystemName": "Idrac",  # [DC] sends "idrac": both spellings accepted
    "Name": "JobService",
}
JOB_URI = "http://schemas.dell.com/wbem/wscim/1/cim-schema/2/DCIM_LifecycleJob"
_POWER_CODE = {"On": "2", "Off": "8"}
# Software Update / Job Control profile messages the shared registry does not hold (§2.5, §2.7).
_EXTRA_TEXT = {
    "SUP003": "The URI or Target parameter is missing or too long.",
    "SUP007": "The component is not updateable.",
    "SUP017": "Invalid start time.",
}


class WsmanFault(Exception):
    def __init__(
        self, subcode: str, reason: str, *, code: str = "s:Sender", detail: str | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(reason)
        self.subcode, self.reason, self.code, self.detail = subcode, reason, code, detail
        self.status = status


@dataclass
class _Enumeration:
    items: list[SimInstance]
    resource_uri: str
    expires: float


def _nil_or(value: str | None) -> str | None:
    return value if value else None


WsmanInvoke = Callable[["WsmanService", WsmanRequest], bytes]
"""Invoke handler: raises Rejected (ReturnValue 2 + MessageID) or WsmanFault (a SOAP fault)."""
WsmanProducer = Callable[["WsmanService"], list[SimInstance]]


@dataclass(frozen=True)
class Invoke:
    """One Invoke row: `class_name.method` is answered by `handler`."""

    class_name: str
    method: str
    handler: WsmanInvoke


@dataclass(frozen=True)
class Instances:
    """One class for Enumerate/Get: `producer` lists its instances; a service (one instance made
    of its key selectors) gives `service_keys` and no producer.  Invoke on a class with
    service_keys checks the request's selectors against them."""

    class_name: str
    producer: WsmanProducer | None = None
    service_keys: Mapping[str, str] | None = None


class WsmanTable:
    """The WS-Man front-end's explicit table (fwupdate/sim/idrac/routes.py); duplicates raise
    DuplicateRoute."""

    def __init__(self, invokes: Iterable[Invoke], classes: Iterable[Instances]) -> None:
        self.invokes = tuple(invokes)
        self.classes = tuple(classes)
        check_unique(((i.class_name, i.method) for i in self.invokes), "WS-Man method")
        check_unique((c.class_name for c in self.classes), "WS-Man class")
        self._invoke = {(i.class_name, i.method): i.handler for i in self.invokes}
        self._classes = {c.class_name: c for c in self.classes}

    def invoke(self, class_name: str, method: str) -> WsmanInvoke | None:
        return self._invoke.get((class_name, method))

    def instances(self, class_name: str) -> Instances | None:
        return self._classes.get(class_name)

    def service_keys(self, class_name: str) -> Mapping[str, str] | None:
        row = self._classes.get(class_name)
        return None if row is None else row.service_keys


class WsmanService:
    """Handles `/wsman` for one simulated iDRAC (thread-safe)."""

    def __init__(self, state: IdracState, routes: WsmanTable) -> None:
        self.state = state
        self.routes = routes
        self._lock = threading.Lock()
        self._contexts: dict[str, _Enumeration] = {}
        self._ids = itertools.count(1)
        self._clearall_until = 0.0  # simulated time until which JID_CLEARALL stays visible
        self.requests = 0

    # --- entry point ------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        if request.method != "POST":
            return Response.text(405, "WS-Man takes POST only", "text/plain")
        self.requests += 1
        if not self._authorized(request):
            self.state.emit("wsman_auth_failed")
            return Response(
                401, b"", {"WWW-Authenticate": 'Basic realm="OPENWSMAN"', "Content-Length": "0"}
            )
        if request.body_length > MAX_BODY:
            return Response.text(413, "request too large")
        try:
            req = parse_request(request.body())
        except SoapRequestError as exc:
            return self._fault("", WsmanFault(exc.subcode, exc.reason, detail=exc.detail))
        try:
            body = self._dispatch(req)
        except WsmanFault as f:
            return self._fault(req.message_id, f)
        self.state.emit("wsman", kind=req.kind, cls=req.class_name, method=req.method)
        return Response.xml(200, body, {"Content-Type": "application/soap+xml;charset=UTF-8"})

    def _authorized(self, request: Request) -> bool:
        value = request.header("Authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "basic" or not token:
            return False
        try:
            user, _, pw = base64.b64decode(token.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return self.state.check_credentials(user, pw)

    def _fault(self, relates_to: str, f: WsmanFault) -> Response:
        self.state.emit("wsman_fault", subcode=f.subcode, reason=f.reason)
        status = 500 if f.code == "s:Receiver" else f.status
        return Response.xml(
            status,
            fault_response(relates_to, f.code, f.subcode, f.reason, f.detail),
            {"Content-Type": "application/soap+xml;charset=UTF-8"},
        )

    def _dispatch(self, req: WsmanRequest) -> bytes:
        kind = req.kind
        if kind == "identify":
            ident = self.state.identity()
            gen = ident.manager_model
            pv = (f"iDRAC : System Type = {gen} : LC Version = {ident.lc_version} : "
                  f"Version = {ident.firmware_version}")
            return identify_response(req, pv, ident.firmware_version)
        if not req.class_name:
            raise WsmanFault(
                "wsa:DestinationUnreachable",
                f"Invalid Resource URI: {req.resource_uri or '(none)'}",
            )
        if kind == "enumerate":
            return self._enumerate(req)
        if kind == "pull":
            return self._pull(req)
        if kind == "get":
            return self._get(req)
        if kind == "invoke":
            return self._invoke(req)
        raise WsmanFault("wsa:ActionNotSupported", f"unsupported action {req.action!r}")

    # --- instances ----------------------------------------------------------------------------

    def _instances(self, cls: str) -> list[SimInstance]:
        row = self.routes.instances(cls)
        if row is None:
            raise WsmanFault("wsa:DestinationUnreachable", f"Invalid Resource URI: class {cls}")
        if row.producer is None:
            return [SimInstance(cls, dict(row.service_keys or {}))]
        return row.producer(self)

    def software_identities(self) -> list[SimInstance]:
        out = []
        for item in self.state.inventory():
            props: dict[str, Value] = {
                "BuildNumber": "0",
                "Classifications": "10",
                "ComponentID": item.component_id,
                "ComponentType": item.component_type,
                "DeviceID": item.device_id,
                "ElementName": item.name,
                "FQDD": item.fqdd,
                "IdentityInfoType": "OrgID:ComponentType:ComponentID",
                "IdentityInfoValue": f"DCIM:firmware:{item.component_id}",
                "InstanceID": item.instance_id,
                "IsEntity": "true",
                "Status": "Installed" if item.state == "Installed" else "Available",
                "SubDeviceID": item.sub_device_id,
                "SubVendorID": item.sub_vendor_id,
                "Updateable": "true" if item.updateable else "false",
                "VendorID": item.vendor_id,
                "VersionString": item.version,
            }
            out.append(SimInstance("DCIM_SoftwareIdentity", props))
        return out

    def system_view(self) -> list[SimInstance]:
        ident = self.state.identity()
        props: dict[str, Value] = {
            "BIOSVersionString": ident.bios_version,
            "ChassisServiceTag": ident.service_tag,
            "ExpressServiceCode": ident.express_service_code,
            "FQDD": "System.Embedded.1",
            "HostName": ident.host_name,
            "InstanceID": "System.Embedded.1",
            "LifecycleControllerVersion": ident.lc_version,
            "Manufacturer": "Dell Inc.",
            "Model": ident.model,
            "PowerState": _POWER_CODE.get(ident.power_state, "8"),
            "ServiceTag": ident.service_tag,
            "SystemGeneration": ident.manager_model,
            "SystemID": str(int(ident.system_id, 16)),
            "UUID": ident.uuid,
        }
        return [SimInstance("DCIM_SystemView", props)]

    def idrac_card_view(self) -> list[SimInstance]:
        ident = self.state.identity()
        props: dict[str, Value] = {
            "DNSRacName": f"idrac-{ident.service_tag}",
            "FQDD": "iDRAC.Embedded.1-1",
            "FirmwareVersion": ident.firmware_version,
            "GUID": ident.uuid,
            "IPMIVersion": "2.0",
            "InstanceID": "iDRAC.Embedded.1-1",
            "LANEnabledState": "1",
            "Model": "Enterprise",  # the licence, not the generation (UNVERIFIED value)
            "PermanentMACAddress": ident.mac.lower(),
            "ProductDescription": "This system component provides a complete set of remote "
            "management functions for Dell PowerEdge Servers",
            "URLString": "https://127.0.0.1:443",
        }
        return [SimInstance("DCIM_iDRACCardView", props)]

    def _job_instance(self, job: Job) -> SimInstance:
        scheduled = job.state in (JobState.SCHEDULED, JobState.READY, JobState.REBOOT_PENDING)
        props: dict[str, Value] = {
            "ElapsedTimeSinceCompletion": None,
            "InstanceID": job.id,
            "JobStartTime": job.start_time if scheduled else "TIME_NA",
            "JobStatus": wsman_status(job.state),
            "JobUntilTime": "TIME_NA",
            "Message": job.message,
            "MessageArguments": None,
            "MessageID": job.message_id,
            "Name": job.name,
            "PercentComplete": str(job.percent),
        }
        return SimInstance("DCIM_LifecycleJob", props)

    def lifecycle_jobs(self) -> list[SimInstance]:
        jobs = sorted(self.state.jobs.values(), key=lambda j: j.created)
        out = [self._job_instance(j) for j in jobs]
        if self.state.now() < self._clearall_until:
            out.append(
                SimInstance(
                    "DCIM_LifecycleJob",
                    {
                        "InstanceID": "JID_CLEARALL",
                        "JobStartTime": "TIME_NOW",
                        "JobStatus": "Pending",
                        "JobUntilTime": "TIME_NA",
                        "Message": "NA",
                        "MessageID": "NA",
                        "Name": "CLEARALL",
                        "PercentComplete": "NA",
                    },
                )
            )
        return out

    def job_service(self) -> list[SimInstance]:
        props: dict[str, Value] = dict(JOB_SERVICE_KEYS)
        props["CurrentNumberOfJobs"] = str(len(self.state.jobs))
        props["MaximumNumberOfJobs"] = "256"
        return [SimInstance("DCIM_JobService", props)]

    # --- enumerate / pull / get -----------------------------------------------------------------

    def _new_context(self, items: list[SimInstance], uri: str) -> str:
        now = time.monotonic()
        with self._lock:
            for ctx in [c for c, e in self._contexts.items() if e.expires < now]:
                del self._contexts[ctx]
            while len(self._contexts) >= MAX_CONTEXTS:
                del self._contexts[next(iter(self._contexts))]
            ctx = f"{next(self._ids):08x}-{self.state.name}"
            self._contexts[ctx] = _Enumeration(items, uri, now + CONTEXT_TTL)
            return ctx

    def _enumerate(self, req: WsmanRequest) -> bytes:
        items = self._instances(req.class_name)
        page = req.max_elements or DEFAULT_PAGE
        if not req.optimize:
            return enumerate_context_only(req, self._new_context(items, req.resource_uri))
        first, rest = items[:page], items[page:]
        ctx = self._new_context(rest, req.resource_uri) if rest else None
        return enumerate_response(req, first, ctx)

    def _pull(self, req: WsmanRequest) -> bytes:
        ctx = req.context or ""
        with self._lock:
            enum = self._contexts.get(ctx)
            if enum is None or enum.expires < time.monotonic():
                self._contexts.pop(ctx, None)
                raise WsmanFault(
                    "wsen:InvalidEnumerationContext",
                    "The enumeration context supplied in the message is not valid",
                )
            page = req.max_elements or DEFAULT_PAGE
            first, enum.items = enum.items[:page], enum.items[page:]
            if not enum.items:
                del self._contexts[ctx]
                ctx = ""
        return pull_response(req, first, ctx or None)

    def _get(self, req: WsmanRequest) -> bytes:
        iid = req.selectors.get("InstanceID")
        items = self._instances(req.class_name)
        if iid is None:
            if len(items) == 1 and self.routes.service_keys(req.class_name) is not None:
                self._check_service_selectors(req)
                return get_response(req, items[0])
            raise WsmanFault("wsman:InvalidSelectors", "the InstanceID selector is missing",
                         detail="InsufficientSelectors")
        for inst in items:
            if inst.properties.get("InstanceID") == iid:
                return get_response(req, inst)
        raise WsmanFault("wsman:InvalidSelectors", f"no instance with InstanceID {iid}",
                     detail="UnexpectedSelectors")

    # --- invoke ---------------------------------------------------------------------------------

    def _check_service_selectors(self, req: WsmanRequest) -> None:
        keys = self.routes.service_keys(req.class_name)
        if keys is None:
            return
        for name, want in keys.items():
            got = req.selectors.get(name)
            if name == "__cimnamespace":
                continue
            if got is None or got.lower() != want.lower():
                raise WsmanFault(
                    "wsman:InvalidSelectors",
                    f"selector {name}={got!r} does not name the {req.class_name} instance",
                    detail="UnexpectedSelectors" if got is not None else "InsufficientSelectors",
                )

    def _required(self, req: WsmanRequest, name: str) -> str:
        value = req.param(name)
        if not value:
            raise WsmanFault("wsman:InvalidParameter", "CMPI_RC_ERR_INVALID_PARAMETER",
                         detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
                         f"MissingValues ({name})")
        return value

    def _error(self, req: WsmanRequest, exc: Rejected) -> bytes:
        m = message(exc.message_id)
        text = _EXTRA_TEXT.get(m.id, m.text)
        self.state.emit("wsman_method_error", method=req.method, message_id=m.id,
                        detail=exc.detail)
        return method_response(req, return_value=2, message=text, message_id=m.id)

    def _invoke(self, req: WsmanRequest) -> bytes:
        fn = self.routes.invoke(req.class_name, req.method or "")
        if fn is None:
            raise WsmanFault(
                "wsa:ActionNotSupported",
                f"{req.class_name}.{req.method} is not supported by this iDRAC",
            )
        self._check_service_selectors(req)
        try:
            return fn(self, req)
        except Rejected as exc:
            return self._error(req, exc)

    def lc_status(self, req: WsmanRequest) -> bytes:
        st = self.state.lc_status()
        codes = st.codes()
        outputs: dict[str, Value] = {
            "LCStatus": str(codes["LCStatus"]),
            "ServerStatus": str(codes["ServerStatus"]),
            "Status": str(codes["Status"]),
        }
        # RTStatus is absent from the LC2 v2.1 guide's example and present in newer replies.
        if not (self.state.generation == 7 and older(self.state.firmware_version, "2.0")):
            outputs["RTStatus"] = str(codes["RTStatus"])
        m = message(st.message_id)
        return method_response(req, return_value=0, message=m.text, message_id=m.id,
                               outputs=outputs)

    def install_from_uri(self, req: WsmanRequest) -> bytes:
        uri = self._required(req, "URI")
        target = req.refs.get("Target")
        if target is None or not target.selectors.get("InstanceID"):
            raise Rejected("SUP003", "Target is missing")
        iid = target.selectors["InstanceID"]
        item = next((i for i in self.state.inventory() if i.instance_id == iid), None)
        if item is None or item.state != "Installed":
            raise Rejected("SUP024", f"no installed component {iid}")
        if not item.updateable:
            raise Rejected("SUP007", f"{item.name} is not updateable")
        job = self.state.install_from_uri(uri, source="wsman", auto_schedule=False)
        self.state.emit("wsman_install_from_uri", job=job.id, target=iid, uri=uri)
        return method_response(req, return_value=4096, job=("Job", job.id, JOB_URI))

    def create_reboot_job(self, req: WsmanRequest) -> bytes:
        text = self._required(req, "RebootJobType")
        if not text.isdigit():
            raise Rejected("RAC004", f"RebootJobType {text!r}")
        job = self.state.create_reboot_job(int(text))
        return method_response(req, return_value=4096, job=("RebootJobID", job.id, JOB_URI))

    def setup_job_queue(self, req: WsmanRequest) -> bytes:
        ids: Sequence[str] = req.params.get("JobArray") or []
        if not ids:
            self._required(req, "JobArray")
        start = req.param("StartTimeInterval") or "TIME_NOW"
        if start != "TIME_NOW" and not (start.isdigit() and len(start) == 14):
            raise Rejected("SUP017", f"StartTimeInterval {start!r}")
        self.state.setup_job_queue(list(ids), start)
        m = message("JCP001")
        return method_response(req, return_value=0, message=m.text, message_id=m.id)

    def delete_job_queue(self, req: WsmanRequest) -> bytes:
        jid = self._required(req, "JobID")
        if jid in ("JID_CLEARALL", "JID_CLEARALL_FORCE"):
            force = jid.endswith("FORCE")
            self.state.clear_jobs(force=force)
            t = self.state.timings
            delay = t.clear_queue_force_seconds if force else t.clear_queue_seconds
            self._clearall_until = self.state.now() + delay
        else:
            self.state.delete_job(jid)
        m = message("SUP020")
        return method_response(req, return_value=0, message=m.text, message_id=m.id)
