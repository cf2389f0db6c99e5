"""Kemp LoadMaster REST API v1 client (`https://<unit>/access/<command>`, XML answers).

API v1 because `installpatch` exists only there (loadmaster-api.md §1).  One client talks to one
address (a unit's direct address or a pair's shared address).  It:
- verifies TLS (CA bundle or pinned SHA-256 fingerprint from the fleet endpoint; insecure only
  when the fleet file says so),
- authenticates with HTTP Basic (header, never in the URL) or an API key (`apikey=`),
- paces its calls (Pacer, default <= 4/s) and retries idempotent GETs with exponential back-off
  when the connection drops (the API's rate limit drops connections),
- never repeats `installpatch`, `reboot`, `shutdown` or `restorepatch` on its own,
- streams patch uploads from disk with a long timeout and backups to disk (0600, atomic),
- maps error answers onto fwupdate.errors with host and step.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests

from fwupdate.errors import (
    AuthenticationError,
    BadInputError,
    DeviceBusyError,
    DeviceError,
    DeviceUnreachableError,
    FwupdateError,
    TLSVerificationError,
    UnsupportedOperationError,
)
from fwupdate.fleet.models import Endpoint, TlsSettings
from fwupdate.loadmaster.answer import Answer, children, clean, flat, parse_answer, text, walk
from fwupdate.loadmaster.models import HaRole, LoadMasterStatus, VirtualServiceHealth
from fwupdate.loadmaster.pacing import DEFAULT_MIN_INTERVAL, Pacer
from fwupdate.logsafe import register_secret
from fwupdate.netcause import cause_in_words
from fwupdate.tls import configure_session, tls_error

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_UPLOAD_TIMEOUT = 1800.0  # PS waits 500 s; bare-metal uploads over slow links take longer
DEFAULT_GET_RETRIES = 3
DEFAULT_RETRY_BACKOFF = 2.0  # doubled per retry; a rate-limit window is 3 s
MAX_BACKOFF = 30.0
STATUS_PARAMS = ("version", "serialnumber", "hastatus", "hamode", "haprefered", "boottime",
                 "activetime")  # fmt: skip
_CHUNK = 1024 * 1024


def parse_role(value: str | None, ha_mode: str | None = None) -> HaRole:
    """`hastatus` text -> HaRole (cluster wording master/slave accepted too)."""
    t = clean(value).lower()
    if t in ("active", "master") or (t.startswith("active") and "inactive" not in t):
        return HaRole.ACTIVE
    if t in ("standby", "slave") or t.startswith("standby"):
        return HaRole.STANDBY
    if t.startswith("passive"):
        return HaRole.PASSIVE
    if "not configured" in t or (not t and clean(ha_mode) == "0"):
        return HaRole.NOT_HA
    return HaRole.UNKNOWN


def _reason(exc: BaseException) -> str:
    """A short reason for a transport failure, without the URL (it may carry an API key)."""
    return cause_in_words(exc)


def api_error(answer: Answer, *, command: str, host: str, step: str) -> FwupdateError:
    """The fwupdate error for an error answer (status meanings from loadmaster-api.md §1.1)."""
    status = answer.status
    said = f": {answer.message}" if answer.message else ""
    if status in (401, 403):
        return AuthenticationError(
            f"the LoadMaster refused the credentials (HTTP {status}{said}); check the user "
            "(bal or an API user with rights for this command) and its password/API key",
            host=host,
            step=step,
        )
    if status == 404:
        return UnsupportedOperationError(
            "the LoadMaster API is not enabled (HTTP 404); enable it in the WUI under "
            "Certificates & Security > Remote Access > Enable API Interface",
            host=host,
            step=step,
        )
    if status == 405:
        return UnsupportedOperationError(
            f"the LoadMaster does not know the API command {command!r} (HTTP 405{said})",
            host=host,
            step=step,
        )
    if status == 503:
        return DeviceBusyError(f"{command}: the LoadMaster is busy (HTTP 503{said})", host=host,
                               step=step)  # fmt: skip
    return DeviceError(f"{command} refused (HTTP {status}{said})", host=host, step=step)


class LoadMasterClient:
    """API v1 client for one LoadMaster address.  Use as a context manager or call close()."""

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        tls: TlsSettings | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        upload_timeout: float = DEFAULT_UPLOAD_TIMEOUT,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        get_retries: int = DEFAULT_GET_RETRIES,
        retry_backoff: float = DEFAULT_RETRY_BACKOFF,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise BadInputError(f"not a LoadMaster URL: {url!r} (want https://host[:port])")
        if parts.username or parts.password:
            raise BadInputError("put LoadMaster credentials in the fleet file, not in the URL")
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.name = name or parts.netloc
        self.tls = tls or TlsSettings()
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.get_retries = max(0, get_retries)
        self.retry_backoff = max(0.0, retry_backoff)
        self._sleep = sleep
        self._pacer = Pacer(min_interval, sleep=sleep)
        self._api_key = api_key
        register_secret(password)
        register_secret(api_key)
        self._session = session or requests.Session()
        configure_session(self._session, self.tls, host=self.name)
        if username is not None and password is not None:
            self._session.auth = (username, password)
        self._session.headers["User-Agent"] = "fwupdate-loadmaster/1"

    @classmethod
    def from_endpoint(cls, endpoint: Endpoint, *, name: str, **kwargs: Any) -> LoadMasterClient:
        """A client for a fleet endpoint; the password is read (env or 0600 file) only now."""
        from fwupdate.fleet.secrets import resolve, resolve_apikey

        kwargs.setdefault("timeout", endpoint.timeout)
        ref = endpoint.credentials
        key = resolve_apikey(ref, what=f"{name}: LoadMaster API key")
        if key is not None:  # the fleet names a Kemp API key: no password is sent
            return cls(endpoint.url, name=name, api_key=key, tls=endpoint.tls, **kwargs)
        creds = resolve(ref, what=f"{name}: LoadMaster credentials")
        return cls(
            endpoint.url,
            name=name,
            username=creds.username,
            password=creds.password,
            tls=endpoint.tls,
            **kwargs,
        )

    def use_api_key(self, key: str) -> None:
        """Authenticate with `apikey=` from now on (Basic auth is no longer sent)."""
        register_secret(key)
        self._api_key = key
        self._session.auth = None

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> LoadMasterClient:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- transport ------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        command: str,
        params: Mapping[str, str] | None,
        *,
        step: str,
        retry: bool,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        query = dict(params or {})
        if self._api_key:
            query["apikey"] = self._api_key
        url = f"{self.url}/access/{command}"
        attempts = 1 + (self.get_retries if retry else 0)
        last: BaseException | None = None
        for attempt in range(attempts):
            self._pacer.wait()
            try:
                return self._session.request(
                    method,
                    url,
                    params=query,
                    data=data,
                    headers=dict(headers or {}),
                    timeout=timeout if timeout is not None else self.timeout,
                    stream=stream,
                    allow_redirects=False,
                    # Explicit, or REQUESTS_CA_BUNDLE in the environment would replace it.
                    verify=self._session.verify,
                )
            except requests.exceptions.SSLError as exc:
                raise tls_error(exc, host=self.name, step=step, tls=self.tls) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                last = exc
                if attempt + 1 < attempts:
                    delay = min(self.retry_backoff * 2**attempt, MAX_BACKOFF)
                    log.info(
                        "%s: %s: %s; retrying in %.1f s", self.name, command, _reason(exc), delay
                    )
                    self._sleep(delay)
        assert last is not None
        raise DeviceUnreachableError(
            f"no answer from the LoadMaster API ({_reason(last)})", host=self.name, step=step
        )

    def call_raw(
        self,
        command: str,
        params: Mapping[str, str] | None = None,
        *,
        step: str | None = None,
        retry: bool = True,
    ) -> Answer:
        """GET a command and parse the answer; raises only for transport failures."""
        resp = self._send("GET", command, params, step=step or command, retry=retry)
        with resp:
            return parse_answer(resp.content, resp.status_code)

    def call(
        self,
        command: str,
        params: Mapping[str, str] | None = None,
        *,
        step: str | None = None,
        retry: bool = True,
    ) -> Answer:
        """GET a command; an error answer raises the matching fwupdate error."""
        answer = self.call_raw(command, params, step=step, retry=retry)
        if not answer.ok:
            raise api_error(answer, command=command, host=self.name, step=step or command)
        return answer

    # --- parameters -----------------------------------------------------------------------------

    def get_param(self, param: str, *, step: str | None = None) -> str:
        answer = self.call("get", {"param": param}, step=step or f"get {param}")
        values = flat(answer.data)
        if param.lower() in values:
            return values[param.lower()]
        if answer.data is not None and len(answer.data) == 0:
            return clean(answer.data.text)  # <Data>value</Data>
        if len(values) == 1:
            return next(iter(values.values()))
        return clean(answer.message)

    def set_param(self, param: str, value: str | int, *, step: str | None = None) -> None:
        self.call("set", {"param": param, "value": str(value)}, step=step or f"set {param}")

    def params(self, names: Iterable[str], *, step: str = "read parameters") -> dict[str, str]:
        """Several parameters: one `getall` where it answers, single `get`s for what it lacks."""
        wanted = [n.lower() for n in names]
        answer = self.call_raw("getall", step=step)
        if not answer.ok and answer.status not in (405, 422):
            raise api_error(answer, command="getall", host=self.name, step=step)
        have = flat(answer.data) if answer.ok else {}
        out: dict[str, str] = {}
        for n in wanted:
            out[n] = have[n] if n in have else self.get_param(n, step=step)
        return out

    def version(self) -> str:
        return self.get_param("version", step="read version")

    def serial(self) -> str:
        return self.get_param("serialnumber", step="read serial number")

    def ha_role(self) -> HaRole:
        return parse_role(self.get_param("hastatus", step="read HA status"))

    def ha_mode(self) -> str:
        return self.get_param("hamode", step="read HA mode")

    def preferred_host(self) -> str:
        return self.get_param("haprefered", step="read preferred host")

    def set_preferred_host(self, value: str | int) -> None:
        """haprefered: 0 No Preferred Host, 1 prefer the first HA unit, 2 the second."""
        self.set_param("haprefered", value, step="set preferred host")

    def boot_time(self) -> str:
        return self.get_param("boottime", step="read boot time")

    def previous_version(self) -> str:
        answer = self.call("getpreviousversion", step="read previous version")
        return text(answer.data, "PreviousVersion") or clean(answer.message)

    # --- health ---------------------------------------------------------------------------------

    def virtual_services(self) -> tuple[VirtualServiceHealth, ...]:
        """All Virtual Services with their Real Server (or SubVS) counts (`listvs`)."""
        answer = self.call("listvs", step="read virtual services")
        out: list[VirtualServiceHealth] = []
        for vs in children(answer.data, "VS"):
            members = children(vs, "Rs") + children(vs, "SubVS")
            up = sum(1 for m in members if text(m, "Status").lower() == "up")
            out.append(
                VirtualServiceHealth(
                    index=text(vs, "Index"),
                    name=text(vs, "NickName"),
                    address=text(vs, "VSAddress"),
                    port=text(vs, "VSPort"),
                    status=text(vs, "Status").capitalize() or "Unknown",
                    real_servers_up=up,
                    real_servers_total=len(members),
                    parent=text(vs, "MasterVSID"),
                )
            )
        return tuple(out)

    def vs_totals(self) -> dict[str, str]:
        return flat(self.call("vstotals", step="read VS totals").data)

    def status(self) -> LoadMasterStatus:
        """Everything `lm status` shows; never raises for a device problem (see `.error`)."""
        try:
            p = self.params(STATUS_PARAMS, step="status")
            vss = self.virtual_services()
        except FwupdateError as exc:
            unreachable = isinstance(exc, DeviceUnreachableError | TLSVerificationError)
            return LoadMasterStatus(
                address=self.url, reachable=not unreachable, error=exc.message, name=self.name
            )
        return LoadMasterStatus(
            address=self.url,
            reachable=True,
            version=p["version"] or None,
            serial=p["serialnumber"] or None,
            ha_role=parse_role(p["hastatus"], p["hamode"]),
            ha_mode=p["hamode"] or None,
            preferred_host=p["haprefered"] or None,
            virtual_services=vss,
            name=self.name,
            boot_time=p["boottime"] or None,
            active_time=p["activetime"] or None,
        )

    def probe(self) -> tuple[bool, str | None]:
        """One un-retried call for polling: (answers at all, boot time if readable).

        A web server that answers 401/404/405 is up too [code PS Test-LmServerConnection]."""
        try:
            answer = self.call_raw("get", {"param": "boottime"}, step="probe", retry=False)
        except FwupdateError:
            return False, None
        if not answer.ok:
            return True, None
        return True, flat(answer.data).get("boottime")

    # --- changes --------------------------------------------------------------------------------

    def install_patch(self, image: Path, *, step: str = "installpatch") -> str:
        """Upload and stage a patch (raw body, streamed from disk); needs a reboot to run.

        Never retried: if the connection breaks, whether the unit staged the patch is unknown."""
        path = Path(image)
        try:
            f = path.open("rb")
        except OSError as exc:
            raise BadInputError(f"cannot read patch file {path}: {exc.strerror}") from None
        with f:
            size = os.fstat(f.fileno()).st_size
            log.info("%s: uploading %s (%d bytes)", self.name, path.name, size)
            try:
                resp = self._send(
                    "POST",
                    "installpatch",
                    None,
                    step=step,
                    retry=False,
                    data=f,
                    # curl --data-binary, as documented [doc KR §3.19.4.1], sends this type.
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Content-Length": str(size),
                    },
                    timeout=(self.timeout, self.upload_timeout),
                )
            except DeviceUnreachableError as exc:
                raise DeviceUnreachableError(
                    f"{exc.message} during the upload; the unit may or may not have staged the "
                    "patch; check it before trying again",
                    host=self.name,
                    step=step,
                ) from None
        with resp:
            answer = parse_answer(resp.content, resp.status_code)
        if not answer.ok:
            raise api_error(answer, command="installpatch", host=self.name, step=step)
        return answer.message or "ok"

    def reboot(self, *, step: str = "reboot") -> None:
        """Ask the unit to reboot (not retried: a repeated reboot counts towards pacifying)."""
        self.call("reboot", step=step, retry=False)

    def restore_patch(self, *, step: str = "restorepatch") -> None:
        """Stage the previous firmware (`getpreviousversion`); a reboot applies it."""
        self.call("restorepatch", step=step, retry=False)

    def add_api_key(self) -> str:
        """Create an API key for the current user and return it (the newest in the list)."""
        answer = self.call("addapikey", step="add API key", retry=False)
        keys = [clean(e.text) for e in walk(answer.data, "apikey") if clean(e.text)]
        if not keys:
            keys = [v for v in flat(answer.data).values() if v]
        if not keys:
            raise DeviceError("addapikey returned no key", host=self.name, step="add API key")
        register_secret(keys[-1])
        return keys[-1]

    def backup(self, dest: Path, *, step: str = "backup") -> Path:
        """Download the configuration backup to `dest` (0600, written atomically)."""
        dest = Path(dest)
        resp = self._send("GET", "backup", None, step=step, retry=True, stream=True)
        with resp:
            ctype = resp.headers.get("Content-Type", "").lower()
            if resp.status_code != 200 or "xml" in ctype or "html" in ctype:
                answer = parse_answer(resp.content, resp.status_code)
                if answer.ok:
                    answer = Answer(ok=False, status=resp.status_code, message="not a backup file")
                raise api_error(answer, command="backup", host=self.name, step=step)
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.part")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            size = 0
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in resp.iter_content(_CHUNK):
                        out.write(chunk)
                        size += len(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                if size == 0:
                    raise DeviceError("the backup was empty", host=self.name, step=step)
                os.replace(tmp, dest)
            except (OSError, requests.exceptions.RequestException) as exc:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                if isinstance(exc, OSError):
                    raise BadInputError(f"cannot write backup {dest}: {exc.strerror}") from None
                raise DeviceUnreachableError(
                    f"backup download broke off ({_reason(exc)})", host=self.name, step=step
                ) from None
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
        return dest
