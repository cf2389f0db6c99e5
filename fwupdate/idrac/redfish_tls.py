"""Transport adapters that enforce fwupdate's TLS policy on the Redfish connections.

The DMTF `redfish` library decides certificate verification itself: it passes `verify=False` to
requests on every call unless a `cafile` is given.  It does let us mount an `HTTPAdapter` on its
session, so the policy lives in the adapter, where the library cannot weaken it:

- CA bundle      -> verify against that file, whatever the caller passed;
- fingerprint    -> urllib3 `assert_fingerprint` on the leaf certificate (the pin replaces the
                    CA chain and host name checks; fwupdate.idrac.tls.PinnedFingerprintAdapter);
- neither        -> the system trust store (REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE honoured);
- insecure       -> no verification, only when the operator asked for it.

The same adapter instance is mounted on the session we use for streamed uploads, so both paths
share one connection pool per iDRAC and one policy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from fwupdate.fleet.models import TlsSettings
from fwupdate.idrac.tls import PinnedFingerprintAdapter

_Verify = bool | str


def _system_verify() -> _Verify:
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


class ForcedVerifyAdapter(HTTPAdapter):
    """Verifies with `verify` (True = system store, a path = CA bundle, False = insecure)."""

    def __init__(self, verify: _Verify, **kwargs: Any) -> None:
        self.forced_verify: _Verify = verify
        super().__init__(**kwargs)

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: _Verify = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        return super().send(
            request,
            stream=stream,
            timeout=timeout,
            verify=self.forced_verify,
            cert=cert,
            proxies=proxies,
        )


class PinnedAdapter(PinnedFingerprintAdapter):
    """Pinned SHA-256 fingerprint; chain verification is always off (the pin replaces it)."""

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: _Verify = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        return super().send(
            request, stream=stream, timeout=timeout, verify=False, cert=cert, proxies=proxies
        )


def adapter_for(tls: TlsSettings, *, pool_maxsize: int = 2) -> HTTPAdapter:
    """The adapter that enforces `tls` (one per iDRAC; pools stay small: one request at a time)."""
    kwargs: dict[str, Any] = {"pool_connections": 1, "pool_maxsize": pool_maxsize}
    if tls.fingerprint:
        return PinnedAdapter(tls.fingerprint, **kwargs)
    if tls.insecure:
        return ForcedVerifyAdapter(False, **kwargs)
    if tls.ca_bundle is not None:
        return ForcedVerifyAdapter(str(tls.ca_bundle), **kwargs)
    return ForcedVerifyAdapter(_system_verify(), **kwargs)


def describe(tls: TlsSettings) -> str:
    """How the certificate is checked, for logs and the inventory document."""
    if tls.fingerprint:
        return "pinned SHA-256 fingerprint"
    if tls.insecure:
        return "INSECURE (certificate not verified)"
    if tls.ca_bundle is not None:
        return f"CA bundle {tls.ca_bundle}"
    return "system trust store"
