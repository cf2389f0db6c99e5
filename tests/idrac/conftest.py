"""A tiny fake iDRAC for `responses`: documents per generation, sessions, one-shot answers.

The documents follow the shapes in the domain notes (idrac-redfish.md §1-§5): a 12G R320 on
2.65.65.65 (no Dell OEM services but Jobs, push to the collection, no $expand), a 13G R630 and a
14G R640 on iDRAC9 (HttpPushUri, DellJobService, $expand), and the 12G on 2.50 (no UpdateService).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from fwupdate.fleet.secrets import Credentials
from fwupdate.idrac.redfish.client import RedfishClient
from fwupdate.idrac.timing import Timing

BASE = "https://idrac.test"
USER = "root"
PASSWORD = "calvin-Secret-77"
MGR = "/redfish/v1/Managers/iDRAC.Embedded.1"
SYS = "/redfish/v1/Systems/System.Embedded.1"
FWINV = "/redfish/v1/UpdateService/FirmwareInventory"


def _ref(uri: str) -> dict[str, str]:
    return {"@odata.id": uri}


def root_doc(gen: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@odata.id": "/redfish/v1",
        "Id": "RootService",
        "Product": "Integrated Dell Remote Access Controller",
        "RedfishVersion": {"12G": "1.4.0", "12G-2.50": "1.0.2", "13G": "1.4.0"}.get(gen, "1.11.0"),
        "Links": {"Sessions": _ref("/redfish/v1/Sessions")},
        "Systems": _ref("/redfish/v1/Systems"),
        "Managers": _ref("/redfish/v1/Managers"),
        "Tasks": _ref("/redfish/v1/TaskService"),
        "Oem": {"Dell": {"ServiceTag": "G2XBKY1"}},
        "ProtocolFeaturesSupported": {"ExpandQuery": {"ExpandAll": True, "MaxLevels": 1}},
    }
    if gen != "12G-2.50":
        doc["UpdateService"] = _ref("/redfish/v1/UpdateService")
    if gen in ("14G", "17G"):
        doc["JobService"] = _ref("/redfish/v1/JobService")
    return doc


def manager_doc(gen: str, version: str) -> dict[str, Any]:
    model = {"12G": "12G Monolithic", "12G-2.50": "12G Monolithic", "13G": "13G Monolithic"}.get(
        gen, f"{gen} Monolithic"
    )
    dell: dict[str, Any] = {"Jobs": _ref(f"{MGR}/Jobs")}
    if gen in ("14G", "17G"):
        dell = {
            "DellJobService": _ref(f"{MGR}/Oem/Dell/DellJobService"),
            "DellLCService": _ref(f"{MGR}/Oem/Dell/DellLCService"),
            "Jobs": _ref(f"{MGR}/Oem/Dell/Jobs"),
        }
    return {
        "@odata.id": MGR,
        "Id": "iDRAC.Embedded.1",
        "Model": model,
        "FirmwareVersion": version,
        "ManagerType": "BMC",
        "Actions": {
            "#Manager.Reset": {
                "target": f"{MGR}/Actions/Manager.Reset",
                "ResetType@Redfish.AllowableValues": ["GracefulRestart"],
            }
        },
        "Links": {"Oem": {"Dell": dell}},
    }


def system_doc(gen: str) -> dict[str, Any]:
    resets = ["On", "ForceOff", "ForceRestart", "GracefulShutdown", "PushPowerButton", "Nmi"]
    doc: dict[str, Any] = {
        "@odata.id": SYS,
        "Id": "System.Embedded.1",
        "Model": {"13G": "PowerEdge R630", "14G": "PowerEdge R640"}.get(gen, "PowerEdge R320"),
        "Manufacturer": "Dell Inc.",
        "SKU": "G2XBKY1",
        "SerialNumber": "CN747514CF0014",
        "BiosVersion": "2.4.2",
        "PowerState": "On",
        "Actions": {
            "#ComputerSystem.Reset": {
                "target": f"{SYS}/Actions/ComputerSystem.Reset",
                "ResetType@Redfish.AllowableValues": resets,
            }
        },
    }
    if gen in ("14G", "17G"):
        doc["Actions"]["#ComputerSystem.Reset"]["ResetType@Redfish.AllowableValues"] = [
            *resets,
            "GracefulRestart",
            "PowerCycle",
        ]
        doc["Oem"] = {
            "Dell": {
                "DellSystem": {
                    "SystemID": 1814,
                    "SystemGeneration": "14G Monolithic",
                    "ChassisServiceTag": "ABC1234",
                }
            }
        }
    return doc


def update_service_doc(gen: str, *, dell_install: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@odata.id": "/redfish/v1/UpdateService",
        "FirmwareInventory": _ref(FWINV),
        "Actions": {
            "#UpdateService.SimpleUpdate": {
                "target": "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
            },
        },
    }
    if dell_install:
        doc["Actions"]["Oem"] = {
            "DellUpdateService.v1_0_0#DellUpdateService.Install": {
                "target": "/redfish/v1/UpdateService/Actions/Oem/DellUpdateService.Install",
                "InstallUpon@Redfish.AllowableValues": ["Now", "NowAndReboot", "NextReboot"],
            }
        }
    if gen in ("14G", "17G"):
        doc["HttpPushUri"] = FWINV
        doc["MultipartHttpPushUri"] = "/redfish/v1/UpdateService/MultipartUpload"
        doc["Actions"]["#UpdateService.SimpleUpdate"][
            "TransferProtocol@Redfish.AllowableValues"
        ] = ["HTTP"]
    return doc


def member_doc(ident: str, name: str, version: str, *, gen: str) -> dict[str, Any]:
    cid = ident.split("-")[1]
    doc: dict[str, Any] = {
        "@odata.id": f"{FWINV}/{ident}",
        "Id": ident,
        "Name": name,
        "Description": "Represents Firmware Inventory",
        "Version": version,
        "Updateable": True,
        "SoftwareId": cid,
        "Status": {"Health": "OK", "State": "Enabled"},
    }
    if gen in ("14G", "17G"):
        doc["Oem"] = {
            "Dell": {
                "DellSoftwareInventory": {
                    "ComponentID": cid,
                    "ComponentType": "FRMW",
                    "VendorID": "14E4",
                    "DeviceID": "165F",
                }
            }
        }
    return doc


def inventory_members(gen: str, idrac_version: str) -> list[dict[str, Any]]:
    suffix = "__iDRAC.Embedded.1-1" if gen in ("14G", "17G") else ""
    bios_sfx = "__BIOS.Setup.1-1" if gen in ("14G", "17G") else ""
    return [
        member_doc(
            f"Installed-25227-{idrac_version}{suffix}",
            "Integrated Dell Remote Access Controller",
            idrac_version,
            gen=gen,
        ),
        member_doc(
            f"Previous-25227-2.20.20.20{suffix}",
            "Integrated Dell Remote Access Controller",
            "2.20.20.20",
            gen=gen,
        ),
        member_doc(f"Installed-159-2.4.2{bios_sfx}", "BIOS", "2.4.2", gen=gen),
        member_doc("Installed-0-GA0E", "Disk 0 in Backplane 1", "GA0E", gen=gen),
    ]


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


Answer = tuple[int, dict[str, str], Any]


@dataclass
class FakeIdrac:
    """Routes every request under BASE; tests tweak `docs`, `queue` one-shot answers, etc."""

    gen: str = "12G"
    version: str = "2.65.65.65"
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    sessions: dict[str, str] = field(default_factory=dict)  # token -> session id
    session_cap: int = 8
    expand_works: bool = True
    redfish: bool = True
    once: dict[tuple[str, str], list[Answer | Exception]] = field(default_factory=dict)
    handlers: dict[tuple[str, str], Callable[[Call], Answer]] = field(default_factory=dict)
    down_requests: int = 0  # that many next requests fail to connect (an iDRAC restart)
    on_up: Callable[[], None] | None = None  # runs when the outage is over
    _next_session: int = 1

    def __post_init__(self) -> None:
        g = self.gen
        self.docs.update(
            {
                "/redfish/v1": root_doc(g),
                MGR: manager_doc(g, self.version),
                SYS: system_doc(g),
                "/redfish/v1/Managers": {"Members": [_ref(MGR)]},
                "/redfish/v1/Systems": {"Members": [_ref(SYS)]},
            }
        )
        if g != "12G-2.50":
            self.docs["/redfish/v1/UpdateService"] = update_service_doc(g)
            members = inventory_members(g, self.version)
            for m in members:
                self.docs[m["@odata.id"]] = m
            self.docs[FWINV] = {
                "@odata.id": FWINV,
                "Members": [_ref(m["@odata.id"]) for m in members],
            }
            self.headers[FWINV] = {"ETag": "b5a284cf5c079720baf10922407c8a50"}

    # --- test helpers ---------------------------------------------------------------------

    def queue(self, method: str, path: str, *answers: Answer | Exception) -> None:
        self.once.setdefault((method, path), []).extend(answers)

    def on(self, method: str, path: str, fn: Callable[[Call], Answer]) -> None:
        self.handlers[(method, path)] = fn

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1
            for c in self.calls
            if (method is None or c.method == method) and (path is None or c.path == path)
        )

    def paths(self, method: str = "GET") -> list[str]:
        return [c.path for c in self.calls if c.method == method]

    # --- routing ----------------------------------------------------------------------------

    def __call__(self, request: requests.PreparedRequest) -> Answer:
        parts = urlsplit(request.url or "")
        body: Any = request.body
        if isinstance(body, bytes | str) and body:
            with contextlib.suppress(ValueError):
                body = json.loads(body)
        call = Call(
            method=request.method or "GET",
            path=parts.path,
            query=parse_qs(parts.query),
            headers=dict(request.headers),
            body=body,
        )
        self.calls.append(call)
        if self.down_requests > 0:
            self.down_requests -= 1
            if self.down_requests == 0 and self.on_up is not None:
                self.on_up()
            raise requests.exceptions.ConnectionError("connection refused (restarting)")
        key = (call.method, call.path)
        if self.once.get(key):
            ans = self.once[key].pop(0)
            if isinstance(ans, Exception):
                raise ans
            return _json_answer(*ans)
        if key in self.handlers:
            return _json_answer(*self.handlers[key](call))
        if not self.redfish:
            return 404, {}, "<html>Not Found</html>"
        if call.path == "/redfish/v1" and call.method == "GET":
            return _json_answer(200, {}, self.docs["/redfish/v1"])
        if call.method == "POST" and call.path == "/redfish/v1/Sessions":
            return self._login(call)
        if not self._authorized(call):
            return _json_answer(401, {}, _error("Base.1.0.AccessDenied", "Unauthorized"))
        if call.method == "DELETE" and call.path.startswith("/redfish/v1/Sessions/"):
            sid = call.path.rsplit("/", 1)[-1]
            for tok, s in list(self.sessions.items()):
                if s == sid:
                    del self.sessions[tok]
                    return 200, {}, ""
            return _json_answer(404, {}, _error("Base.1.0.ResourceMissingAtURI", "no session"))
        if call.method == "GET" and call.path in self.docs:
            doc = copy.deepcopy(self.docs[call.path])
            if "$expand" in call.query and "Members" in doc:
                if not self.expand_works:
                    return _json_answer(
                        500, {}, _error("Base.1.0.InternalError", "No sufficient LICENSE")
                    )
                doc["Members"] = [
                    copy.deepcopy(self.docs.get(m["@odata.id"], m)) for m in doc["Members"]
                ]
            return _json_answer(200, self.headers.get(call.path, {}), doc)
        if call.method == "GET":
            return _json_answer(404, {}, _error("Base.1.0.ResourceMissingAtURI", "not found"))
        return _json_answer(
            405, {}, _error("IDRAC.1.6.SYS402", "the requested HTTP method is not allowed")
        )

    def _login(self, call: Call) -> Answer:
        body = call.body if isinstance(call.body, dict) else {}
        if body.get("UserName") != USER or body.get("Password") != PASSWORD:
            return _json_answer(401, {}, _error("Base.1.0.AccessDenied", "bad credentials"))
        if len(self.sessions) >= self.session_cap:
            return _json_answer(
                503,
                {},
                _error("IDRAC.2.8.RAC0218", "The maximum number of user sessions is reached."),
            )
        sid = str(self._next_session)
        self._next_session += 1
        token = f"tok{sid}abcdef{sid}"
        self.sessions[token] = sid
        loc = f"/redfish/v1/Sessions/{sid}"
        return _json_answer(201, {"X-Auth-Token": token, "Location": loc}, {"@odata.id": loc})

    def _authorized(self, call: Call) -> bool:
        token = call.headers.get("X-Auth-Token")
        if token:
            return token in self.sessions
        auth = call.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            return user == USER and pw == PASSWORD
        return False


def _error(message_id: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": "Base.1.0.GeneralError",
            "message": message,
            "@Message.ExtendedInfo": [{"MessageId": message_id, "Message": message}],
        }
    }


def _json_answer(status: int, headers: dict[str, str], body: Any) -> Answer:
    if isinstance(body, dict | list):
        return status, {"Content-Type": "application/json", **headers}, json.dumps(body)
    return status, headers, body


@dataclass
class Sleeps:
    """A fake clock: `sleep` advances `now`, records each requested (real) duration."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def timing(sleeps: Sleeps) -> Timing:
    return Timing(sleep=sleeps.sleep, monotonic=sleeps.monotonic)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def make_idrac(
    mocked: responses.RequestsMock, timing: Timing
) -> Callable[..., tuple[FakeIdrac, RedfishClient]]:
    """make_idrac(gen="12G", auth="session") -> (fake, client not yet opened)."""

    def _make(
        gen: str = "12G", *, version: str | None = None, auth: str = "session", **kw: Any
    ) -> tuple[FakeIdrac, RedfishClient]:
        default = {"12G": "2.65.65.65", "12G-2.50": "2.50.50.50", "13G": "2.75.75.75"}
        fake = FakeIdrac(gen=gen, version=version or default.get(gen, "4.40.00.00"), **kw)
        pattern = re.compile(re.escape(BASE) + r"(/.*)?$")
        for method in ("GET", "POST", "PATCH", "DELETE", "HEAD"):
            mocked.add_callback(method, pattern, callback=fake)
        client = RedfishClient.connect(
            BASE,
            Credentials(USER, PASSWORD),
            auth="basic" if auth == "basic" else "session",
            timing=timing,
            name="n1",
        )
        return fake, client

    return _make
