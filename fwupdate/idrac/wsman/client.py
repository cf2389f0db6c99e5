"""A small WS-Management client for iDRAC7/8 (Lifecycle Controller 2): Enumerate+Pull, Get, Invoke.

SOAP 1.2 over HTTPS POST to `<idrac>/wsman`, HTTP Basic auth, TLS verified (CA bundle or pinned
fingerprint).  Every failure becomes a fwupdate error naming the host, the operation and, where the
device gave one, its message id:

- HTTP 401/403                       -> AuthenticationError
- connection refused/reset/timeout   -> DeviceUnreachableError (Enumerate/Get retried first)
- HTTP 503 without a SOAP body       -> DeviceBusyError (Enumerate/Get retried first)
- TLS failure                        -> TLSVerificationError
- SOAP Fault (any HTTP status)       -> DeviceError "WS-Man fault <code>/<subcode>: <reason>",
                                        message id = the fault subcode
- a body that is not a SOAP envelope -> DeviceError "not a WS-Man answer"
- ReturnValue 2 (or anything else unexpected) -> DeviceError / DeviceBusyError with MessageID
- ReturnValue 1                      -> UnsupportedOperationError

Only Enumerate (with its Pulls, restarted as a whole) and Get are retried: an Invoke may have
started a job, so it is never re-sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from lxml import etree
from requests.adapters import HTTPAdapter

from fwupdate.dell import WSMAN_BUSY_IDS
from fwupdate.errors import (
    AuthenticationError,
    DeviceBusyError,
    DeviceError,
    DeviceUnreachableError,
    UnsupportedOperationError,
)
from fwupdate.fleet.models import TlsSettings
from fwupdate.idrac.host_lock import host_lock
from fwupdate.idrac.wsman import soap as wx
from fwupdate.netcause import cause_in_words
from fwupdate.tls import configure_session, tls_error

log = logging.getLogger(__name__)
_T = TypeVar("_T")

RET_OK = 0
RET_NOT_SUPPORTED = 1
RET_ERROR = 2
RET_JOB_CREATED = 4096



@dataclass(frozen=True)
class WsmanSettings:
    timeout: float = 60.0  # per HTTP request, seconds
    retries: int = 2  # extra attempts for Enumerate/Get on transport errors
    busy_retries: int = 5  # extra attempts while the iDRAC answers busy (503): a busy iDRAC
    # is waited out longer (Dell's scripts retry 503 after 60 s); delays double up to 6x
    retry_delay: float = 5.0  # seconds before the first retry
    max_elements: int = 100  # per Enumerate/Pull page
    max_pulls: int = 500  # bound on Pull round trips per enumeration
    max_envelope_size: int = 512000


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


class WsmanClient:
    """One iDRAC's WS-Man endpoint; requests to one iDRAC are serialised (shared host lock)."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        tls: TlsSettings | None = None,
        settings: WsmanSettings | None = None,
        session: requests.Session | None = None,
        host: str | None = None,
        adapter: HTTPAdapter | None = None,
    ) -> None:
        base = url.rstrip("/")
        self.endpoint = base if base.endswith("/wsman") else base + "/wsman"
        self.host = host or host_of(url)
        self.tls = tls or TlsSettings()
        self.settings = settings or WsmanSettings()
        self._session = session or requests.Session()
        self._session.auth = (username, password)
        self._session.headers.update({"Content-Type": wx.SOAP_CONTENT_TYPE})
        configure_session(self._session, self.tls, host=self.host, adapter=adapter)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> WsmanClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport --------------------------------------------------------------------------------

    def _post(self, payload: bytes, step: str) -> etree._Element:
        try:
            with host_lock(self.host):  # one request in flight per iDRAC, whatever the protocol
                resp = self._session.post(
                    self.endpoint, data=payload, timeout=self.settings.timeout
                )
        except requests.exceptions.SSLError as exc:
            raise tls_error(exc, host=self.host, step=step, tls=self.tls) from None
        except requests.exceptions.Timeout:
            raise DeviceUnreachableError(
                f"no answer within {self.settings.timeout:g} s", host=self.host, step=step
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise DeviceUnreachableError(
                f"cannot talk to the iDRAC over WS-Man: {cause_in_words(exc)}",
                host=self.host,
                step=step,
            ) from None
        if resp.status_code in (401, 403):
            raise AuthenticationError(
                f"the iDRAC refused the credentials (HTTP {resp.status_code})",
                host=self.host,
                step=step,
            )
        try:
            root = wx.parse(resp.content)
        except wx.NotXmlError as exc:
            if resp.status_code == 503:
                raise DeviceBusyError(
                    "the iDRAC is busy (HTTP 503 without a SOAP answer); retry later",
                    host=self.host,
                    step=step,
                ) from None
            ctype = resp.headers.get("Content-Type")
            what = f"HTTP {resp.status_code}" + (f", {ctype}" if ctype else "")
            raise DeviceError(
                f"not a WS-Man answer ({what}): {exc}",
                host=self.host,
                step=step,
            ) from None
        fault = wx.find_fault(root)
        if fault is not None:
            text = f"WS-Man fault {fault.code}"
            if fault.subcode:
                text += f"/{fault.subcode}"
            text += f": {fault.reason or 'no reason given'}"
            if fault.detail:
                text += f" ({fault.detail})"
            raise DeviceError(text, host=self.host, step=step, message_id=fault.subcode)
        if resp.status_code >= 400:
            raise DeviceError(
                f"HTTP {resp.status_code} without a SOAP fault", host=self.host, step=step
            )
        return root

    def _envelope(
        self,
        resource_uri: str,
        action: str,
        *,
        selectors: Mapping[str, str] | None = None,
        body: etree._Element | None = None,
    ) -> bytes:
        return wx.envelope(
            to=self.endpoint,
            resource_uri=resource_uri,
            action=action,
            message_id=wx.new_message_id(),
            selectors=selectors,
            body=body,
            max_envelope_size=self.settings.max_envelope_size,
            operation_timeout_s=self.settings.timeout,
        )

    def _retrying(self, step: str, fn: Callable[[], _T]) -> _T:
        retries, busy = max(0, self.settings.retries), max(0, self.settings.busy_retries)
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except (DeviceUnreachableError, DeviceBusyError) as exc:
                limit = 1 + (max(retries, busy) if isinstance(exc, DeviceBusyError) else retries)
                if attempt >= limit:
                    raise
                log.info("%s: %s: %s, retry %d/%d", self.host, step, exc.message, attempt,
                         limit - 1)  # fmt: skip
                time.sleep(self.settings.retry_delay * min(6, 2 ** (attempt - 1)))

    # --- operations -------------------------------------------------------------------------------

    def identify(self) -> dict[str, str]:
        """WS-Man Identify (authenticated): ProductVendor, ProductVersion, ... (§1.8)."""
        step = "WS-Man identify"

        def run() -> dict[str, str]:
            return self._parsed(wx.identify_result, self._post(wx.identify_envelope(), step), step)

        return self._retrying(step, run)

    def enumerate(self, resource_uri: str) -> tuple[wx.Instance, ...]:
        """All instances of a class: Enumerate, then Pull until EndOfSequence (bounded)."""
        cls = resource_uri.rsplit("/", 1)[-1]
        step = f"enumerate {cls}"

        def run() -> tuple[wx.Instance, ...]:
            root = self._post(
                self._envelope(
                    resource_uri,
                    wx.ACTION_ENUMERATE,
                    body=wx.enumerate_body(self.settings.max_elements),
                ),
                step,
            )
            page = self._parsed(wx.enumeration_page, root, step)
            items = list(page.items)
            pulls = 0
            while not page.finished:
                pulls += 1
                if pulls > self.settings.max_pulls:
                    raise DeviceError(
                        f"enumeration did not end after {self.settings.max_pulls} pulls",
                        host=self.host,
                        step=step,
                    )
                assert page.context is not None
                root = self._post(
                    self._envelope(
                        resource_uri,
                        wx.ACTION_PULL,
                        body=wx.pull_body(page.context, self.settings.max_elements),
                    ),
                    step,
                )
                page = self._parsed(wx.enumeration_page, root, step)
                items.extend(page.items)
            return tuple(items)

        return self._retrying(step, run)

    def _parsed(self, parse: Callable[[etree._Element], _T], root: etree._Element,
                step: str) -> _T:  # fmt: skip
        """`parse(root)`; an answer that is not the SOAP document expected: DeviceError."""
        try:
            return parse(root)
        except wx.NotXmlError as exc:
            raise DeviceError(f"not a WS-Man answer: {exc}", host=self.host, step=step) from None

    def get(self, resource_uri: str, selectors: Mapping[str, str]) -> wx.Instance:
        cls = resource_uri.rsplit("/", 1)[-1]
        step = f"get {cls}"

        def run() -> wx.Instance:
            root = self._post(
                self._envelope(resource_uri, wx.ACTION_GET, selectors=selectors), step
            )
            return self._parsed(wx.get_instance, root, step)

        return self._retrying(step, run)

    def invoke(
        self,
        resource_uri: str,
        method: str,
        selectors: Mapping[str, str],
        params: Mapping[str, wx.InvokeValue] | None = None,
        *,
        step: str | None = None,
        expect_job: bool = False,
    ) -> wx.MethodOutput:
        """Invoke a method once (never retried) and judge its ReturnValue.

        0 -> returned; 4096 -> returned with `job_id` (DeviceError if the reference is missing);
        missing ReturnValue -> success (some firmware omits it, §1.10); 1 -> unsupported;
        2 or anything else -> error with the device's MessageID.
        """
        step = step or method
        payload = self._envelope(
            resource_uri,
            f"{resource_uri}/{method}",
            selectors=selectors,
            body=wx.invoke_body(resource_uri, method, params or {}),
        )
        out = self._parsed(lambda root: wx.method_output(root, method), self._post(payload, step),
                           step)  # fmt: skip
        rv = out.return_value
        if rv == RET_JOB_CREATED or (rv is None and out.job_id):
            if not out.job_id:
                raise DeviceError(
                    "the iDRAC said a job was created but gave no job id",
                    host=self.host,
                    step=step,
                    message_id=out.message_id,
                )
            return out
        if rv in (RET_OK, None):
            if expect_job and not out.job_id:
                raise DeviceError(
                    f"expected a job, got none: {out.message or 'no message'}",
                    host=self.host,
                    step=step,
                    message_id=out.message_id,
                )
            return out
        message = out.message or "no message"
        if rv == RET_NOT_SUPPORTED:
            raise UnsupportedOperationError(
                f"{method} is not supported here: {message}",
                host=self.host,
                step=step,
                message_id=out.message_id,
            )
        cls = DeviceBusyError if out.message_id in WSMAN_BUSY_IDS else DeviceError
        raise cls(
            f"{method} failed (ReturnValue {rv}): {message}",
            host=self.host,
            step=step,
            message_id=out.message_id,
        )
