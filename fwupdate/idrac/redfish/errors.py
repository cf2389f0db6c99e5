"""Turn Redfish answers and transport failures into fwupdate errors a person can act on.

Message ids come from `error.@Message.ExtendedInfo[].MessageId` (or a Task's `Messages`), e.g.
`IDRAC.2.8.RAC0218`; the short form (`RAC0218`) is what errors carry and what callers test.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from fwupdate.dell import REDFISH_BUSY_IDS, SESSION_CAP_IDS, UNSUPPORTED_IDS
from fwupdate.errors import (
    AuthenticationError,
    DeviceBusyError,
    DeviceError,
    DeviceUnreachableError,
    FwupdateError,
    UnsupportedOperationError,
)
from fwupdate.fleet.models import TlsSettings
from fwupdate.logsafe import redact
from fwupdate.netcause import cause_in_words
from fwupdate.tls import tls_error

# Busy signals (fwupdate.dell.REDFISH_BUSY_IDS): session cap, a job operation already running,
# pending configuration / LC busy, "iDRAC not yet ready after previous operation".


def short_message_id(message_id: str) -> str:
    """`IDRAC.2.8.RAC0218` -> `RAC0218`; `Base.1.18.PreconditionFailed` -> `PreconditionFailed`."""
    return message_id.rsplit(".", 1)[-1] if message_id else message_id


def _messages(body: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not isinstance(body, dict):
        return out
    err = body.get("error")
    if isinstance(err, dict):
        info = err.get("@Message.ExtendedInfo")
        if isinstance(info, list):
            out += [m for m in info if isinstance(m, dict)]
        if "code" in err and not out:
            out.append({"MessageId": err.get("code"), "Message": err.get("message")})
    for key in ("@Message.ExtendedInfo", "Messages"):
        info = body.get(key)
        if isinstance(info, list):
            out += [m for m in info if isinstance(m, dict)]
    return out


def message_ids(body: Any) -> tuple[str, ...]:
    """Short message ids in the order the device gave them (duplicates removed)."""
    seen: list[str] = []
    for m in _messages(body):
        mid = m.get("MessageId")
        if isinstance(mid, str) and mid:
            short = short_message_id(mid)
            if short not in seen:
                seen.append(short)
    return tuple(seen)


def device_message(body: Any, limit: int = 240) -> str | None:
    """The first human message the device gave, redacted and shortened."""
    for m in _messages(body):
        text = m.get("Message")
        if isinstance(text, str) and text.strip():
            text = " ".join(redact(text).split())
            return text if len(text) <= limit else text[: limit - 3] + "..."
    return None


def _first(ids: Iterable[str], wanted: frozenset[str]) -> str | None:
    for i in ids:
        if i in wanted:
            return i
    return None


def http_error(
    status: int, body: Any, *, host: str, step: str, method: str = "GET", path: str = ""
) -> FwupdateError:
    """The error for a non-success HTTP answer."""
    ids = message_ids(body)
    said = device_message(body)
    mid = ids[0] if ids else None
    detail = f": {said}" if said else ""
    where = f"{method} {path}" if path else method
    if status in (401, 403):
        return AuthenticationError(
            f"the iDRAC refused the credentials (HTTP {status})", host=host, step=step
        )
    busy = _first(ids, REDFISH_BUSY_IDS)
    if busy in SESSION_CAP_IDS:
        return DeviceBusyError(
            "the iDRAC's session limit is reached (HTTP 503); close stale sessions or wait "
            "for them to expire (30 min by default)",
            host=host,
            step=step,
            message_id=busy,
        )
    if busy is not None:
        return DeviceBusyError(
            f"the iDRAC is busy (HTTP {status}){detail}; retry later",
            host=host,
            step=step,
            message_id=busy,
        )
    if status == 503:
        return DeviceBusyError(
            f"the iDRAC is busy (HTTP 503 on {where}){detail}", host=host, step=step, message_id=mid
        )
    unsupported = _first(ids, UNSUPPORTED_IDS)
    if status == 405 or unsupported is not None:
        return UnsupportedOperationError(
            f"this iDRAC does not support {where} (HTTP {status}){detail}",
            host=host,
            step=step,
            message_id=unsupported or mid,
        )
    if status == 412:
        return DeviceError(
            f"precondition failed on {where} (HTTP 412; the resource changed?){detail}",
            host=host,
            step=step,
            message_id=mid,
        )
    if status == 404:
        return DeviceError(f"not found: {where} (HTTP 404){detail}", host=host, step=step)
    return DeviceError(
        f"{where} failed with HTTP {status}{detail}", host=host, step=step, message_id=mid
    )


def transport_error(
    exc: BaseException, *, host: str, step: str, tls: TlsSettings, timeout: float
) -> FwupdateError:
    """The error for a failure below HTTP: TLS, refused/reset connection, timeout."""
    if isinstance(exc, requests.exceptions.SSLError):
        return tls_error(exc, host=host, step=step, tls=tls)
    if isinstance(exc, requests.exceptions.Timeout):
        return DeviceUnreachableError(f"no answer within {timeout:g} s", host=host, step=step)
    return DeviceUnreachableError(
        f"cannot talk to the iDRAC: {cause_in_words(exc)}", host=host, step=step
    )
