"""The simulated iDRAC's Redfish service: routing, authentication, actions, error bodies.

What exists depends on the device's current features (profiles.features_for): an iDRAC7 below
2.40 answers 404 for everything under /redfish, 2.40-2.59 has Redfish without UpdateService, and
2.60+ has the 12G push update.  iDRAC9 adds the Dell OEM services, MultipartUpload, pull updates,
JobService and $expand.  Domain sources: idrac-redfish.md §1-§8 and the checklist in §12.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fwupdate.sim.http import Request, Response
from fwupdate.sim.idrac import redfish_views as v
from fwupdate.sim.idrac.messages import BASE_MESSAGES, error_body, extended_info, message
from fwupdate.sim.idrac.model import Rejected
from fwupdate.sim.idrac.profiles import Features
from fwupdate.sim.idrac.sessions import Session
from fwupdate.sim.idrac.state import IdracState
from fwupdate.sim.idrac.uploads import PackageError, parse_multipart
from fwupdate.sim.routes import RouteTable

ROOT = v.ROOT
_OEM_NAMES = (
    "DellJobService",
    "DellLCService",
    "DellSoftwareInstallationService",
    "DellOSDeploymentService",
    "DelliDRACCardService",
)


@dataclass
class Call:
    req: Request
    path: str
    match: re.Match[str]
    f: Features
    session: Session | None


RedfishHandler = Callable[["RedfishService", Call], Response]
"""A row's handler: the device's service and the call (fwupdate/sim/idrac/routes.py)."""


class RedfishService:
    """Authentication, feature gates, dispatch through the route table and the response helpers
    handlers use (`reply`, `reply_collection`, `request_body`, `reply_success`)."""

    def __init__(self, state: IdracState, routes: RouteTable[RedfishHandler]) -> None:
        self.st = state
        self.routes = routes

    # --- resources without logic of their own ---------------------------------------------------

    def redfish(self, c: Call) -> Response:
        return self.reply(c, 200, {"v1": f"{ROOT}/"})

    def service_root(self, c: Call) -> Response:
        return self.reply(c, 200, v.service_root(self.st, c.f))

    def odata(self, c: Call) -> Response:
        return self.reply(c, 200, v.odata_document())

    def session_service(self, c: Call) -> Response:
        return self.reply(c, 200, v.session_service(self.st, c.f))

    def systems(self, c: Call) -> Response:
        return self.reply_collection(
            c, "#ComputerSystemCollection.ComputerSystemCollection", "Computer System Collection",
            [v.SYSTEM],
        )

    def chassis_collection(self, c: Call) -> Response:
        return self.reply_collection(
            c, "#ChassisCollection.ChassisCollection", "Chassis Collection", [v.CHASSIS]
        )

    def chassis(self, c: Call) -> Response:
        return self.reply(c, 200, v.chassis(self.st, c.f))

    def managers(self, c: Call) -> Response:
        return self.reply_collection(
            c, "#ManagerCollection.ManagerCollection", "Manager Collection", [v.MANAGER]
        )

    def manager(self, c: Call) -> Response:
        return self.reply(c, 200, v.manager(self.st, c.f))

    def task_service(self, c: Call) -> Response:
        return self.reply(c, 200, v.task_service(c.f))

    # --- entry ----------------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        f = self.st.features
        if not f.redfish:
            return Response.text(404, "Not Found", "text/html")
        path = urllib.parse.unquote(req.path)
        if len(path) > 1:
            path = path.rstrip("/")
        absent = self._absent(path, req.method, f)
        session: Session | None = None
        public = (
            req.method == "GET" and path in ("/redfish", ROOT, f"{ROOT}/odata", f"{ROOT}/$metadata")
        ) or (req.method == "POST" and path == f.sessions_uri)
        if not public:
            auth = self._authenticate(req, f)
            if isinstance(auth, Response):
                return auth
            session = auth
        if absent is not None:
            return absent
        found = self.routes.find(req.method, path)
        if found is None:
            return self._error(f, 404, "ResourceMissingAtURI", args=(path,), base=True)
        if found.handler is None:
            return self._error(f, 405, "SYS402", headers={"Allow": ", ".join(found.allowed)})
        if "$expand" in req.query and req.method == "GET" and not f.expand:
            # 12G/13G: "No sufficient LICENSE..." (check_redfish#151); status UNVERIFIED
            return self._error(
                f,
                500,
                "InternalError",
                text="failed, No sufficient LICENSE for user to perform requested operation",
                base=True,
            )
        try:
            return found.handler(self, Call(req, path, found.match, f, session))
        except Rejected as exc:
            return self._rejected(f, exc)

    def _absent(self, path: str, method: str, f: Features) -> Response | None:
        """Resources the current version does not have (answered after authentication)."""
        if f.generation < 9 and any(n in path for n in _OEM_NAMES):
            if method == "POST":
                return self._error(f, 405, "SYS402")  # iDRAC7/8: #223
            return self._error(f, 400, "InternalError", base=True)  # #62
        if path.startswith(f"{ROOT}/SessionService/Sessions") and not f.session_service_sessions_ok:
            return self._error(f, 400, "ResourceMissingAtURI", args=(path,), base=True)
        if path.startswith(f"{ROOT}/Sessions") and f.session_service_sessions_ok:
            return self._error(f, 404, "ResourceMissingAtURI", args=(path,), base=True)
        if path.startswith(v.UPDATE) and not f.update_service:
            return self._error(
                f, 400, "GeneralError", text=f"Request URI {path} is invalid.", base=True
            )
        if path == f"{v.UPDATE}/MultipartUpload" and not f.multipart:
            return self._error(f, 405, "SYS402")
        if path.startswith(f"{ROOT}/JobService") and not f.job_service:
            return self._error(f, 404, "ResourceMissingAtURI", args=(path,), base=True)
        if "/Oem/Dell/" in path and "/Jobs" in path and not f.oem_services:
            return self._error(f, 404, "ResourceMissingAtURI", args=(path,), base=True)
        if path.startswith(v.SIS_ROOT) and not f.oem_services:
            return self._error(f, 404, "ResourceMissingAtURI", args=(path,), base=True)
        return None

    def _authenticate(self, req: Request, f: Features) -> Session | Response | None:
        token = req.header("X-Auth-Token")
        if token:
            s = self.st.session_for_token(token.strip())
            if s is None:
                return self._error(f, 401, "NoValidSession", base=True)
            return s
        basic = req.basic_auth()
        if basic is not None and self.st.check_credentials(*basic):
            return None
        if basic is not None:
            self.st.emit("login_failed", user=basic[0], via="basic")
        return self._error(f, 401, "NoValidSession", base=True)

    # --- helpers --------------------------------------------------------------------------------

    def _headers(self, f: Features, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"OData-Version": "4.0", "Server": f.server_header, "Cache-Control": "no-cache"}
        h.update(extra or {})
        return h

    def reply(
        self, c: Call, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> Response:
        if isinstance(body, dict) and "Members" in body and "$expand" in c.req.query:
            body["Members"] = [self._expand(c, m["@odata.id"]) for m in body["Members"]]
        return Response.json(status, body, self._headers(c.f, headers))

    def _expand(self, c: Call, uri: str) -> Any:
        found = self.routes.find("GET", uri)
        if found is not None and found.handler is not None:
            sub = Call(_without_query(c.req), uri, found.match, c.f, c.session)
            resp = found.handler(self, sub)
            if resp.status == 200:
                return json.loads(resp.body)
        return v.ref(uri)

    def reply_collection(self, c: Call, odata_type: str, name: str, members: list[str]) -> Response:
        ctx = odata_type.lstrip("#")
        return self.reply(c, 200, v.collection(odata_type, c.path, ctx, name, members))

    def _error(
        self,
        f: Features,
        status: int,
        msg_id: str,
        *,
        args: tuple[str, ...] = (),
        text: str | None = None,
        base: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Response:
        registry = f.base_registry if base or msg_id in BASE_MESSAGES else f.idrac_registry
        info = extended_info(registry, msg_id, args, text)
        return Response.json(status, error_body(f.base_registry, [info]), self._headers(f, headers))

    def _rejected(self, f: Features, exc: Rejected) -> Response:
        base = exc.message_id in BASE_MESSAGES
        text = exc.text
        if text is None and exc.detail and not base:
            text = f"{message(exc.message_id).text} ({exc.detail})"
        return self._error(f, exc.status, exc.message_id, args=exc.args_, text=text, base=base)

    def request_body(self, c: Call) -> dict[str, Any]:
        try:
            data = c.req.json()
        except (ValueError, UnicodeDecodeError):
            raise Rejected("MalformedJSON") from None
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise Rejected("MalformedJSON")
        return data

    def reply_success(
        self,
        c: Call,
        status: int = 200,
        msg_id: str = "Success",
        headers: dict[str, str] | None = None,
    ) -> Response:
        registry = c.f.base_registry if msg_id in BASE_MESSAGES else c.f.idrac_registry
        return self.reply(
            c, status, {"@Message.ExtendedInfo": [extended_info(registry, msg_id)]}, headers
        )

    def task_accepted(self, c: Call, jid: str) -> Response:
        return self.reply_success(c, 202, "SYS408", {"Location": f"{v.TASKS}/{jid}"})

    def metadata(self, c: Call) -> Response:
        return Response(
            200,
            v.metadata_xml().encode(),
            self._headers(c.f, {"Content-Type": "application/xml;charset=utf-8"}),
        )

    # --- sessions -------------------------------------------------------------------------------

    def login(self, c: Call) -> Response:
        body = self.request_body(c)
        user, password = body.get("UserName"), body.get("Password")
        if not isinstance(user, str) or not isinstance(password, str):
            raise Rejected("PropertyMissing", args=("UserName" if user is None else "Password",))
        s = self.st.open_session(user, password)
        uri = f"{c.f.sessions_uri}/{s.id}"
        return self.reply(
            c, 201, v.session(c.f, s.id, s.user), {"X-Auth-Token": s.token, "Location": uri}
        )

    def sessions(self, c: Call) -> Response:
        ids = [f"{c.f.sessions_uri}/{s.id}" for s in self.st.sessions.all()]
        return self.reply(
            c,
            200,
            v.collection(
                "#SessionCollection.SessionCollection",
                c.f.sessions_uri,
                "SessionCollection.SessionCollection",
                "Session Collection",
                ids,
            ),
        )

    def session_get(self, c: Call) -> Response:
        s = self.st.sessions.get(c.match["sid"])
        if s is None:
            raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
        return self.reply(c, 200, v.session(c.f, s.id, s.user))

    def logout(self, c: Call) -> Response:
        if not self.st.close_session(c.match["sid"]):
            raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
        return self.reply_success(c)

    def account_service(self, c: Call) -> Response:
        if c.path != v.account_service_uri(c.f):
            raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
        return self.reply(c, 200, v.account_service(c.f))

    # --- power ----------------------------------------------------------------------------------

    def system_reset(self, c: Call) -> Response:
        kind = self.request_body(c).get("ResetType")
        if not isinstance(kind, str):
            raise Rejected("PropertyMissing", args=("ResetType",))
        if kind not in c.f.system_reset_types:
            raise Rejected(
                "ActionParameterValueNotInList", args=(kind, "ResetType", "ComputerSystem.Reset")
            )
        self.st.host_reset(kind)
        return Response.empty(204, self._headers(c.f))

    def manager_reset(self, c: Call) -> Response:
        kind = self.request_body(c).get("ResetType")
        if kind not in c.f.manager_reset_types:
            raise Rejected(
                "ActionParameterValueNotInList", args=(str(kind), "ResetType", "Manager.Reset")
            )
        self.st.idrac_reset("Manager.Reset")
        return Response.empty(204, self._headers(c.f))

    # --- jobs and tasks -------------------------------------------------------------------------

    def dell_jobs(self, c: Call) -> Response:
        base = v.dell_jobs_uri(c.f)
        if c.path != base and not (c.f.oem_services and c.path == f"{v.MANAGER}/Jobs"):
            raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
        ids = [f"{c.path}/{jid}" for jid in self.st.jobs]
        return self.reply(
            c,
            200,
            v.collection(
                "#DellJobCollection.DellJobCollection",
                c.path,
                "DellJobCollection.DellJobCollection",
                "JobQueue",
                ids,
                Description="Collection of Job Instances",
                Id="JobQueue",
            ),
        )

    def dell_job(self, c: Call) -> Response:
        job = self.st.job(c.match["jid"])
        if job is None:
            raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
        return self.reply(c, 200, v.dell_job(c.f, job, c.path))

    def dell_job_delete(self, c: Call) -> Response:
        jid = c.match["jid"]
        if jid in ("JID_CLEARALL", "JID_CLEARALL_FORCE"):
            if c.f.generation < 9:  # badfish tries this first; 12G/13G refuse it (INFERENCE)
                raise Rejected("SUP011", status=400)
            self.st.clear_jobs(force=jid.endswith("FORCE"))
            return self.reply_success(c, 200, "SUP020")
        self.st.delete_job(jid)
        return self.reply_success(c, 200, "SUP020")

    def tasks(self, c: Call) -> Response:
        ids = [f"{v.TASKS}/{jid}" for jid, j in self.st.jobs.items() if j.task_visible]
        return self.reply(
            c,
            200,
            v.collection(
                "#TaskCollection.TaskCollection",
                v.TASKS,
                "TaskCollection.TaskCollection",
                "Task Collection",
                ids,
            ),
        )

    def task(self, c: Call) -> Response:
        job = self.st.job(c.match["jid"])
        if job is None or not job.task_visible:
            raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
        return self.reply(c, 200, v.task(self.st, c.f, job))

    def job_service(self, c: Call) -> Response:
        return self.reply(c, 200, v.job_service(c.f))

    def dmtf_jobs(self, c: Call) -> Response:
        ids = [f"{v.JOBS_DMTF}/{jid}" for jid in self.st.jobs]
        return self.reply(
            c,
            200,
            v.collection(
                "#JobCollection.JobCollection",
                v.JOBS_DMTF,
                "JobCollection.JobCollection",
                "Job Collection",
                ids,
            ),
        )

    def dmtf_job(self, c: Call) -> Response:
        job = self.st.job(c.match["jid"])
        if job is None:
            raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
        return self.reply(c, 200, v.dmtf_job(self.st, c.f, job))

    # --- update service -------------------------------------------------------------------------

    def update_service(self, c: Call) -> Response:
        return self.reply(c, 200, v.update_service(self.st, c.f))

    def _etag(self, c: Call) -> str:
        tag = self.st.inventory_etag()
        return f'"{tag}"' if c.f.etag_quoted else tag

    def inventory(self, c: Call) -> Response:
        return self.reply(
            c, 200, v.inventory_collection(self.st, c.f), {"ETag": self._etag(c), "Allow": "POST"}
        )

    def inventory_item(self, c: Call) -> Response:
        item = self.st.inventory_item(c.match["item"])
        if item is None:
            raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
        etag = _member_etag(item.id)
        return self.reply(
            c,
            200,
            v.inventory_member(self.st, c.f, item),
            {"ETag": f'"{etag}"' if c.f.etag_quoted else etag},
        )

    def inventory_delete(self, c: Call) -> Response:
        """iDRAC9 only: DELETE an Available entry with the quoted ETag of a GET of it."""
        item = self.st.inventory_item(c.match["item"])
        if item is None:
            raise Rejected("ResourceMissingAtURI", status=404, args=(c.path,))
        if c.f.generation < 9 or item.state != "Available":
            raise Rejected("SYS402", status=405)
        if _strip_etag(c.req.header("If-Match") or "") != _member_etag(item.id):
            raise Rejected("PreconditionFailed", status=412)
        self.st.delete_available(item.id)
        return self.reply_success(c)

    def push(self, c: Call) -> Response:
        """12G/13G HTTP push (§4.1): If-Match = current ETag, multipart part `file` -> 201."""
        given = c.req.header("If-Match")
        # Missing or stale If-Match: 412 (the real 12G status code is UNVERIFIED, §13)
        if not given or _strip_etag(given) != self.st.inventory_etag():
            raise Rejected("PreconditionFailed", status=412)
        mp = self._parse_upload(c, ("file",))
        try:
            part = mp.get("file")
            if part is None or part.path is None:
                raise Rejected("PropertyMissing", args=("file",))
            avail = self.st.stage_upload(
                part.path, part.filename or "upload.bin", source="redfish-push", move=True
            )
        finally:
            _cleanup(mp)
        item = self.st.inventory_item(avail.id)
        uri = f"{v.INVENTORY}/{avail.id}"
        body: dict[str, Any] = (
            v.inventory_member(self.st, c.f, item) if item is not None else {"Id": avail.id}
        )
        body["Description"] = "Package successfully downloaded"
        body["@Message.ExtendedInfo"] = [extended_info(c.f.idrac_registry, "RED002")]
        return self.reply(c, 201, body, {"Location": uri, "ETag": self._etag(c)})

    def _parse_upload(self, c: Call, file_fields: tuple[str, ...]) -> Any:
        ctype = c.req.header("Content-Type") or ""
        tmp = Path(tempfile.mkdtemp(prefix="mp-", dir=self._tmp_root()))
        try:
            return _TempMultipart(
                parse_multipart(c.req.body_file, ctype, tmp, file_fields=file_fields), tmp
            )
        except PackageError as exc:
            _rmtree(tmp)
            raise Rejected(exc.message_id, exc.detail) from None

    def _tmp_root(self) -> Path:
        d = self.st.workdir / "tmp"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def _install_upon_for(self, c: Call, apply_time: Any) -> str:
        if apply_time is None:
            return "NextReboot"
        if not c.f.apply_time:
            raise Rejected(
                "ActionParameterNotSupported", args=("@Redfish.OperationApplyTime", "SimpleUpdate")
            )
        if apply_time not in ("Immediate", "OnReset"):
            raise Rejected(
                "ActionParameterValueNotInList",
                args=(str(apply_time), "@Redfish.OperationApplyTime", "SimpleUpdate"),
            )
        return "NowAndReboot" if apply_time == "Immediate" else "NextReboot"

    def simple_update(self, c: Call) -> Response:
        body = self.request_body(c)
        uri = body.get("ImageURI")
        if not isinstance(uri, str) or not uri:
            raise Rejected("PropertyMissing", args=("ImageURI",))
        upon = self._install_upon_for(c, body.get("@Redfish.OperationApplyTime"))
        parsed = urllib.parse.urlsplit(uri)
        local = parsed.path.rstrip("/")
        if local.startswith(f"{v.INVENTORY}/") and (
            not parsed.scheme or (parsed.hostname or "") in ("127.0.0.1", "localhost", "::1")
        ):
            job = self.st.install_available(local, source="redfish-simpleupdate", install_upon=upon)
            return self.task_accepted(c, job.id)
        proto = body.get("TransferProtocol")
        if not c.f.pull_protocols:
            # 12G: only the pushed Available-... URI (§4.2: pull not expected on iDRAC7)
            raise Rejected("ActionParameterNotSupported", args=("ImageURI", "SimpleUpdate"))
        if proto is not None and proto not in c.f.pull_protocols:
            raise Rejected(
                "ActionParameterValueNotInList",
                args=(str(proto), "TransferProtocol", "SimpleUpdate"),
            )
        job = self.st.install_from_uri(
            uri, source="redfish-pull", install_upon=upon, protocols=c.f.pull_protocols
        )
        return self.task_accepted(c, job.id)

    def dell_install(self, c: Call) -> Response:
        body = self.request_body(c)
        uris = body.get("SoftwareIdentityURIs")
        upon = body.get("InstallUpon")
        if not isinstance(uris, list) or not uris:
            raise Rejected("PropertyMissing", args=("SoftwareIdentityURIs",))
        if upon not in ("Now", "NowAndReboot", "NextReboot"):
            raise Rejected(
                "ActionParameterValueNotInList",
                args=(str(upon), "InstallUpon", "DellUpdateService.Install"),
            )
        if len(uris) > 1:
            raise Rejected("SYS442")
        path = urllib.parse.urlsplit(str(uris[0])).path
        job = self.st.install_available(path, source="redfish-dellinstall", install_upon=upon)
        return self.task_accepted(c, job.id)

    def multipart(self, c: Call) -> Response:
        mp = self._parse_upload(c, ("UpdateFile",))
        try:
            params_part = mp.get("UpdateParameters")
            params: dict[str, Any] = {}
            if params_part is not None and params_part.value:
                try:
                    params = json.loads(params_part.value)
                except ValueError:
                    raise Rejected("MalformedJSON") from None
            part = mp.get("UpdateFile")
            if part is None or part.path is None:
                raise Rejected("PropertyMissing", args=("UpdateFile",))
            apply_time = params.get("@Redfish.OperationApplyTime", "OnReset")
            upon = "NowAndReboot" if apply_time == "Immediate" else "NextReboot"
            avail = self.st.stage_upload(
                part.path, part.filename or "upload.bin", source="redfish-multipart", move=True
            )
        finally:
            _cleanup(mp)
        job = self.st.install_available(avail.id, source="redfish-multipart", install_upon=upon)
        return self.task_accepted(c, job.id)

    # --- iDRAC9 Dell OEM services ---------------------------------------------------------------

    def oem_service(self, c: Call) -> Response:
        name = c.match["svc"]
        actions = (
            ("DeleteJobQueue",) if name == "DellJobService" else ("GetRemoteServicesAPIStatus",)
        )
        return self.reply(c, 200, v.oem_service(c.f, name, c.path, actions))

    def delete_job_queue(self, c: Call) -> Response:
        jid = self.request_body(c).get("JobID")
        if not isinstance(jid, str) or not jid:
            raise Rejected("PropertyMissing", args=("JobID",))
        if jid in ("JID_CLEARALL", "JID_CLEARALL_FORCE"):
            self.st.clear_jobs(force=jid.endswith("FORCE"))
        else:
            self.st.delete_job(jid)
        return self.reply_success(c, 200, "SUP020")

    def remote_services_status(self, c: Call) -> Response:
        lc = self.st.lc_status()
        body = {
            "@Message.ExtendedInfo": [extended_info(c.f.idrac_registry, lc.message_id)],
            "LCStatus": lc.lc_status,
            "RTStatus": lc.rt_status,
            "ServerStatus": lc.server_status,
            "Status": lc.status,
            "TelemetryServiceStatus": "Ready",
        }
        return self.reply(c, 200, body)

    def sis(self, c: Call) -> Response:
        return self.reply(
            c,
            200,
            v.oem_service(
                c.f,
                "DellSoftwareInstallationService",
                v.SIS_ROOT,
                ("InstallFromRepository", "GetRepoBasedUpdateList"),
            ),
        )


# --- small helpers -----------------------------------------------------------------------------


@dataclass
class _TempMultipart:
    mp: Any
    tmp: Path

    def get(self, *names: str) -> Any:
        return self.mp.get(*names)


def _cleanup(tm: _TempMultipart) -> None:
    _rmtree(tm.tmp)


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _strip_etag(value: str) -> str:
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def _without_query(req: Request) -> Request:
    return replace(req, query={})


def _member_etag(item_id: str) -> str:
    return hashlib.md5(item_id.encode(), usedforsecurity=False).hexdigest()
