"""One iDRAC's Redfish connection: TLS, session, retries, errors, one request at a time.

Built on the DMTF `redfish` library (`redfish.redfish_client`) for sessions (`login`/`logout`
against `Links.Sessions`, token handling) and JSON requests, with these guards:

- `max_retry=0`: the library would otherwise re-send any request after any exception, POSTs
  included (a duplicate SimpleUpdate is a duplicate job).  Idempotent GETs get our own bounded
  exponential back-off (tenacity), honouring Retry-After; POST/PATCH/DELETE are sent once.
- TLS is enforced by an adapter mounted on the library's session (fwupdate.tls):
  the library passes `verify=False` unless given a cafile, the adapter overrides it.
- Streamed multipart uploads go through requests directly (same adapter, same token): the
  library builds multipart bodies with `MultipartEncoder.to_string()`, i.e. the whole image in
  memory.
- A per-host lock: at most one request in flight per iDRAC, whoever holds a transport to it.
- 401 on a session token (the iDRAC was reset, or the session expired) -> log in again once and
  repeat the request (safe for POSTs too: a 401 was refused before anything happened).

Auth modes: "session" (one X-Auth-Token per transport, always logged out by `close()`; falls
back to basic auth when the iDRAC refuses a session, e.g. 503 RAC0218 at the session cap) and
"basic" (no session at all: read-only inventory uses it, two requests fewer and no session slot).
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import redfish
import requests
from redfish.rest.v1 import (
    InvalidCredentialsError,
    RedfishPasswordChangeRequiredError,
    RetriesExhaustedError,
    RisObject,
    SessionCreationError,
)
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests_toolbelt import MultipartEncoder  # type: ignore[import-untyped]
from tenacity import RetryCallState, Retrying, retry_if_exception

from fwupdate.dell import SESSION_CAP_IDS
from fwupdate.errors import (
    AuthenticationError,
    DeviceBusyError,
    DeviceError,
    DeviceUnreachableError,
    FwupdateError,
    UnsupportedOperationError,
)
from fwupdate.fleet.models import TlsSettings
from fwupdate.fleet.secrets import Credentials
from fwupdate.idrac.capabilities import link
from fwupdate.idrac.host_lock import host_lock
from fwupdate.idrac.redfish import errors as rerr
from fwupdate.idrac.timing import Timing
from fwupdate.logsafe import redact, register_secret
from fwupdate.tls import adapter_for

log = logging.getLogger(__name__)
# The library logs whole request/response headers and bodies at DEBUG, X-Auth-Token included;
# our own DEBUG line per request (method, path, status, time) is enough.
logging.getLogger("redfish").setLevel(logging.WARNING)

AuthMode = Literal["session", "basic"]
SERVICE_ROOT = "/redfish/v1"
DEFAULT_SESSIONS = "/redfish/v1/Sessions"  # iDRAC7/8 answer 400 on /SessionService/Sessions

@dataclass(frozen=True)
class RedfishResponse:
    method: str
    path: str
    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: Any = field(repr=False)  # parsed JSON, or None
    text: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def location(self) -> str | None:
        loc = self.header("Location")
        if not loc:
            return None
        parts = urlsplit(loc)
        return parts.path + (f"?{parts.query}" if parts.query else "") if parts.scheme else loc

    @property
    def etag(self) -> str | None:
        return self.header("ETag")

    @property
    def retry_after(self) -> float | None:
        """Retry-After in seconds (delta or HTTP date), None when absent or unparseable."""
        value = self.header("Retry-After")
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, when.timestamp() - time.time())

    @property
    def message_ids(self) -> tuple[str, ...]:
        return rerr.message_ids(self.body)

    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, DeviceUnreachableError):
        return True
    return isinstance(exc, DeviceBusyError) and exc.message_id not in SESSION_CAP_IDS


def _stop_after(attempts: int, busy_attempts: int) -> Callable[[RetryCallState], bool]:
    """Stop after `attempts`, or after `busy_attempts` (when more) while the iDRAC answers
    busy (503)."""

    def stop(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        limit = max(attempts, busy_attempts) if isinstance(exc, DeviceBusyError) else attempts
        return state.attempt_number >= limit

    return stop


class RedfishTransport:
    """Use as a context manager: `with RedfishTransport(...) as t: t.get(...)`."""

    def __init__(
        self,
        url: str,
        credentials: Credentials | Callable[[], Credentials],
        *,
        tls: TlsSettings | None = None,
        timeout: float = 30.0,
        auth: AuthMode = "session",
        timing: Timing | None = None,
        name: str | None = None,
        adapter: HTTPAdapter | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self.host = parts.netloc or self.url
        self.name = name or self.host
        self.tls = tls or TlsSettings()
        self.timeout = timeout
        self.auth_mode: AuthMode = auth
        self.timing = timing or Timing()
        self._credentials = credentials
        self._lock = host_lock(self.host)
        self._state_lock = threading.RLock()
        # `adapter`: the iDRAC's one connection pool, shared with its WS-Man client (requests to
        # one iDRAC are sent one at a time anyway: host_lock)
        self._adapter = adapter or adapter_for(self.tls, pool_connections=1, pool_maxsize=2)
        self._client: Any = None
        self._upload_session: requests.Session | None = None
        self.root: dict[str, Any] | None = None
        self.auth_used: AuthMode | None = None  # what is in use after open()
        self.session_refused: str | None = None  # why a session was refused (basic fallback)
        self.request_count = 0
        self.is_redfish_missing = False  # 404 on /redfish/v1: no Redfish service at all
        self._last_retry_after: float | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> RedfishTransport:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._client is not None and self.root is not None

    def open(self) -> dict[str, Any]:
        """Read the service root and authenticate; returns the service root."""
        with self._state_lock:
            if self.is_open:
                assert self.root is not None
                return self.root
            creds = self._resolve_credentials()
            self._client = redfish.redfish_client(
                base_url=self.url,
                username=creds.username,
                password=creds.password,
                timeout=self.timeout,
                max_retry=0,
                check_connectivity=False,
                https_adapter=self._adapter,
            )
            # No environment proxies or ~/.netrc for iDRAC traffic (management network; and a
            # netrc entry must not inject credentials).  It also saves ~25% client CPU per request.
            self._client._session.trust_env = False
            try:
                if self.auth_mode == "basic":
                    self._set_basic(creds)
                root = self._read_root(creds)
                self._authenticate(creds)
            except BaseException:
                # Nothing half-open survives a failed login (a dropped connection, a refusal):
                # the next request starts again from the service root, with credentials.
                self._discard_client()
                raise
            self.root = root  # only now: is_open means "authenticated"
            return root

    def _discard_client(self) -> None:
        self._client = None
        self.root = None
        self.auth_used = None
        self.session_refused = None

    def refresh_root(self) -> dict[str, Any]:
        """Read the service root again (after an iDRAC update its content may change)."""
        self._ensure_open()
        root = self.get(SERVICE_ROOT, step="service root").json()
        if root:
            self.root = root
        assert self.root is not None
        return self.root

    def close(self) -> None:
        """Log out (best effort: after an iDRAC reset the session is already gone)."""
        with self._state_lock:
            client = self._client
            if client is None:
                return
            if client.get_session_key():
                try:
                    with self._lock:
                        self.request_count += 1
                        client.logout()
                    log.debug("%s: logged out", self.name)
                except Exception as exc:  # a failed logout must not mask anything
                    log.info("%s: logout failed (%s); the session will expire", self.name, exc)
            client.set_session_key(None)
            client.set_session_location(None)
            client.set_authorization_key(None)
            if self._upload_session is not None:
                self._upload_session.close()
                self._upload_session = None
            self._client = None
            self.root = None
            self.auth_used = None

    def relogin(self, *, logout_old: bool = False) -> None:
        """Drop the current session (dead after an iDRAC reset) and authenticate again.

        `logout_old`: DELETE the old session first (when it may still be alive).
        """
        with self._state_lock:
            if self._client is None:
                self.open()
                return
            if logout_old and self._client.get_session_key():
                try:
                    with self._lock:
                        self.request_count += 1
                        self._client.logout()
                except Exception as exc:  # the old session is usually gone already
                    log.debug("%s: logout of the old session failed: %s", self.name, exc)
            self._client.set_session_key(None)
            self._client.set_session_location(None)
            self._client.set_authorization_key(None)
            self.session_refused = None
            creds = self._resolve_credentials()
            try:
                self._authenticate(creds)
            except BaseException:
                self._discard_client()  # never left open without credentials
                raise

    def _resolve_credentials(self) -> Credentials:
        creds = self._credentials() if callable(self._credentials) else self._credentials
        register_secret(creds.password)
        return creds

    def _set_basic(self, creds: Credentials) -> None:
        token = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
        register_secret(token)
        self._client.set_authorization_key(f"Basic {token}")
        self.auth_used = "basic"

    def _read_root(self, creds: Credentials) -> dict[str, Any]:
        step = "service root"
        resp = self._get_with_retries(SERVICE_ROOT, step=step)
        if resp.status == 401 and self.auth_used != "basic":
            # Some services want credentials even for the service root.
            self._set_basic(creds)
            resp = self._get_with_retries(SERVICE_ROOT, step=step)
        if resp.status == 404:
            self.is_redfish_missing = True
            raise UnsupportedOperationError(
                "no Redfish service (HTTP 404 on /redfish/v1): Redfish is disabled or the "
                "iDRAC firmware predates it; WS-Man is needed",
                host=self.host,
                step=step,
            )
        if not resp.ok:
            raise self._http_error(resp, step)
        root = resp.json()
        if not root:
            raise DeviceError(
                "the service root is not a Redfish JSON document", host=self.host, step=step
            )
        sessions = link(root, "Links", "Sessions") or DEFAULT_SESSIONS
        self._client.login_url = sessions
        self._client.root = RisObject.parse(root)
        self._client.root_resp = resp  # login() must not fetch the root again
        return root

    def _authenticate(self, creds: Credentials) -> None:
        if self.auth_mode == "basic":
            self._set_basic(creds)
            return
        step = "login"
        self._client.set_authorization_key(None)
        try:
            with self._lock:
                self.request_count += 1
                self._client.login(auth="session")
        except InvalidCredentialsError:
            raise AuthenticationError(
                "the iDRAC refused the credentials (HTTP 401)", host=self.host, step=step
            ) from None
        except RedfishPasswordChangeRequiredError:
            raise AuthenticationError(
                "the iDRAC requires a password change for this account", host=self.host, step=step
            ) from None
        except RetriesExhaustedError as exc:
            cause = exc.__cause__ or exc
            raise rerr.transport_error(
                cause, host=self.host, step=step, tls=self.tls, timeout=self.timeout
            ) from None
        except SessionCreationError as exc:
            self._fallback_to_basic(creds, redact(" ".join(str(exc).split())))
            return
        except Exception as exc:  # the library raises assorted errors here
            self._fallback_to_basic(creds, f"{type(exc).__name__}: {redact(str(exc))[:200]}")
            return
        token = self._client.get_session_key()
        if not token:
            self._fallback_to_basic(creds, "no X-Auth-Token in the session answer")
            return
        register_secret(token)
        self.auth_used = "session"
        log.debug("%s: session opened at %s", self.name, self._client.get_session_location())

    def _fallback_to_basic(self, creds: Credentials, why: str) -> None:
        self.session_refused = why
        log.warning(
            "%s: the iDRAC refused a Redfish session (%s); using basic authentication",
            self.name,
            why,
        )
        self._client.set_session_key(None)
        self._client.set_session_location(None)
        self._set_basic(creds)

    # --- requests -------------------------------------------------------------------------

    def _ensure_open(self) -> None:
        if not self.is_open:
            self.open()

    def request(
        self,
        method: str,
        path: str,
        *,
        step: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        args: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> RedfishResponse:
        """One HTTP exchange, whatever its status; transport failures become fwupdate errors."""
        client = self._client
        if client is None:
            raise DeviceError("not connected", host=self.host, step=step)
        hdrs = dict(headers or {})
        call = getattr(client, method.lower())
        kwargs: dict[str, Any] = {"headers": hdrs, "max_retry": 0}
        if timeout is not None:
            kwargs["timeout"] = timeout
        if args:
            kwargs["args"] = dict(args)
        if body is not None:
            kwargs["body"] = body
        started = time.perf_counter()
        try:
            with self._lock:
                self.request_count += 1
                raw = call(path, **kwargs)
        except RetriesExhaustedError as exc:
            cause = exc.__cause__ or exc
            raise rerr.transport_error(
                cause, host=self.host, step=step, tls=self.tls, timeout=timeout or self.timeout
            ) from None
        except requests.exceptions.RequestException as exc:
            raise rerr.transport_error(
                exc, host=self.host, step=step, tls=self.tls, timeout=timeout or self.timeout
            ) from None
        except ValueError as exc:  # JsonDecodingError and friends
            raise DeviceError(
                f"{method} {path}: unreadable answer: {redact(str(exc))[:200]}",
                host=self.host,
                step=step,
            ) from None
        resp = _wrap(method.upper(), path, raw)
        log.debug(
            "%s: %s %s -> %d (%.0f ms)",
            self.name,
            method.upper(),
            path,
            resp.status,
            (time.perf_counter() - started) * 1000,
        )
        return resp

    def _http_error(self, resp: RedfishResponse, step: str) -> FwupdateError:
        return rerr.http_error(
            resp.status, resp.body, host=self.host, step=step, method=resp.method, path=resp.path
        )

    def _with_relogin(self, send: Callable[[], RedfishResponse], step: str) -> RedfishResponse:
        resp = send()
        if resp.status == 401 and self.auth_used == "session":
            log.info("%s: %s: session rejected (401); logging in again", self.name, step)
            self.relogin()
            resp = send()
        return resp

    def _get_with_retries(
        self,
        path: str,
        *,
        step: str,
        args: Mapping[str, str] | None = None,
        attempts: int | None = None,
    ) -> RedfishResponse:
        def once() -> RedfishResponse:
            resp = self.request("GET", path, step=step, args=args)
            self._last_retry_after = resp.retry_after
            if resp.status == 503:  # busy: retried (except at the session cap)
                raise self._http_error(resp, step)
            return resp

        def wait(state: RetryCallState) -> float:
            n = state.attempt_number
            backoff = min(self.timing.retry_backoff_max, self.timing.retry_backoff * 2 ** (n - 1))
            if self._last_retry_after is not None:
                backoff = max(backoff, min(self._last_retry_after, self.timing.retry_backoff_max))
            return self.timing.real(backoff)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.info("%s: %s: %s; retrying (%d)", self.name, step, exc, state.attempt_number)

        retrying = Retrying(
            stop=_stop_after(max(1, attempts or self.timing.get_attempts),
                             self.timing.busy_attempts if attempts is None else 1),
            wait=wait,
            retry=retry_if_exception(_transient),
            sleep=self.timing.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        self._last_retry_after = None
        resp: RedfishResponse = retrying(once)
        return resp

    def get(
        self,
        path: str,
        *,
        step: str,
        args: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
        attempts: int | None = None,
    ) -> RedfishResponse:
        """GET with back-off on transport errors and 503; raises unless the status is in `ok`."""
        self._ensure_open()
        resp = self._with_relogin(
            lambda: self._get_with_retries(path, step=step, args=args, attempts=attempts),
            step,
        )
        if resp.status not in ok:
            raise self._http_error(resp, step)
        return resp

    def get_json(
        self, path: str, *, step: str, args: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        return self.get(path, step=step, args=args).json()

    def send(
        self,
        method: str,
        path: str,
        *,
        step: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        timeout: float | None = None,
    ) -> RedfishResponse:
        """POST/PATCH/DELETE exactly once (plus one re-send after a 401 re-login)."""
        self._ensure_open()
        hdrs = dict(headers or {})
        if method.upper() == "POST" and any(k.lower() == "if-match" for k in hdrs):
            raise ValueError("If-Match is never sent on action POSTs (iDRAC10 answers 412)")
        resp = self._with_relogin(
            lambda: self.request(method, path, step=step, body=body, headers=hdrs, timeout=timeout),
            step,
        )
        if resp.status not in ok:
            raise self._http_error(resp, step)
        return resp

    def post(self, path: str, body: Any, *, step: str, **kw: Any) -> RedfishResponse:
        return self.send("POST", path, step=step, body=body, **kw)

    def delete(self, path: str, *, step: str, **kw: Any) -> RedfishResponse:
        return self.send("DELETE", path, step=step, **kw)

    def patch(self, path: str, body: Any, *, step: str, **kw: Any) -> RedfishResponse:
        return self.send("PATCH", path, step=step, body=body, **kw)

    # --- streamed upload (requests directly) ------------------------------------------------

    def _plain_session(self) -> requests.Session:
        """A requests session on the same adapter (TLS policy, connection pool)."""
        if self._upload_session is None:
            s = requests.Session()
            s.trust_env = False
            s.mount("https://", self._adapter)
            s.mount("http://", self._adapter)
            self._upload_session = s
        return self._upload_session

    def _auth_headers(self) -> dict[str, str]:
        client = self._client
        token = client.get_session_key() if client is not None else None
        if token:
            return {"X-Auth-Token": token}
        key = client.get_authorization_key() if client is not None else None
        return {"Authorization": key} if key else {}

    def upload(
        self,
        path: str,
        file: Path,
        *,
        step: str,
        field_name: str = "file",
        part_type: str = "multipart/form-data",
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
        before: Sequence[tuple[str, tuple[None, str, str]]] = (),
    ) -> RedfishResponse:
        """POST `file` as one multipart part, streamed from disk (never read whole); `before`
        are small parts sent ahead of it (MultipartUpload's `UpdateParameters`)."""
        self._ensure_open()
        session = self._plain_session()

        def once() -> RedfishResponse:
            hdrs = {"Accept": "application/json", "OData-Version": "4.0"}
            hdrs.update(headers or {})
            hdrs.update(self._auth_headers())
            started = time.perf_counter()
            try:
                with open(file, "rb") as fh:
                    encoder = MultipartEncoder(
                        fields=[*before, (field_name, (file.name, fh, part_type))]
                    )
                    hdrs["Content-Type"] = encoder.content_type
                    with self._lock:
                        self.request_count += 1
                        raw = session.post(
                            self.url + path,
                            data=encoder,
                            headers=hdrs,
                            timeout=(self.timeout, read_timeout or self.timeout),
                        )
            except requests.exceptions.RequestException as exc:
                raise rerr.transport_error(
                    exc,
                    host=self.host,
                    step=step,
                    tls=self.tls,
                    timeout=read_timeout or self.timeout,
                ) from None
            body: Any = None
            if raw.content:
                try:
                    body = raw.json()
                except ValueError:
                    body = None
            log.debug(
                "%s: POST %s (upload %s) -> %d (%.0f ms)",
                self.name,
                path,
                file.name,
                raw.status_code,
                (time.perf_counter() - started) * 1000,
            )
            return RedfishResponse(
                "POST", path, raw.status_code, CaseInsensitiveDict(raw.headers), body, raw.text
            )

        resp = self._with_relogin(once, step)
        return resp

    # --- liveness ---------------------------------------------------------------------------

    def probe_alive(self) -> bool:
        """One quick unauthenticated GET of the service root: True when it answers 200 JSON."""
        session = self._plain_session()
        try:
            with self._lock:
                self.request_count += 1
                raw = session.get(
                    self.url + SERVICE_ROOT,
                    headers={"Accept": "application/json"},
                    timeout=self.timing.probe_timeout,
                )
        except requests.exceptions.RequestException:
            return False
        if raw.status_code != 200:
            return False
        try:
            return isinstance(raw.json(), dict)
        except ValueError:
            return False


def _wrap(method: str, path: str, raw: Any) -> RedfishResponse:
    headers = CaseInsensitiveDict(dict(raw.getheaders()))
    text = raw.text if raw.read else ""
    body: Any = None
    if text:
        try:
            body = json.loads(text)
        except ValueError:
            body = None
    return RedfishResponse(method, path, int(raw.status), headers, body, text)
