"""TLS for iDRAC connections: CA bundle, pinned SHA-256 fingerprint, or (asked for) insecure.

Shared by the WS-Man client and whoever else talks requests to an iDRAC.  iDRAC certificates are
usually self-signed, so the operator either gives the CA bundle that signed them or pins the
certificate's SHA-256 fingerprint (hex of the DER, colons allowed).  Pinning checks the exact
certificate and skips the CA chain and host name (the pin is stronger than both); `insecure`
skips all checks and is only used when the operator said so.
"""

from __future__ import annotations

import logging
import re
import ssl
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from fwupdate.errors import BadInputError, TLSVerificationError
from fwupdate.fleet.models import TlsSettings

log = logging.getLogger(__name__)

_FP_RE = re.compile(r"^[0-9a-f]{64}$")


def normalize_fingerprint(value: str) -> str:
    """`AB:CD:...` or `abcd...` -> 64 lower-case hex digits; BadInputError otherwise."""
    fp = value.replace(":", "").replace(" ", "").strip().lower()
    if not _FP_RE.match(fp):
        raise BadInputError(
            "a certificate fingerprint must be the SHA-256 of the DER certificate: "
            "64 hex digits (colons allowed)"
        )
    return fp


class PinnedFingerprintAdapter(HTTPAdapter):
    """Accepts exactly the certificate whose SHA-256 fingerprint is pinned (urllib3 checks it)."""

    def __init__(self, fingerprint: str, **kwargs: Any) -> None:
        self._fingerprint = normalize_fingerprint(fingerprint)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # The pin replaces CA verification: never let a CA bundle or True turn it back on.
        super().cert_verify(conn, url, False, cert)  # type: ignore[no-untyped-call]


class _ForcedVerifyAdapter(HTTPAdapter):
    """Verifies with exactly `verify`, whatever requests merged in (REQUESTS_CA_BUNDLE and
    CURL_CA_BUNDLE from the environment would otherwise replace a session's CA bundle)."""

    def __init__(self, verify: bool | str, **kwargs: Any) -> None:
        self._forced: bool | str = verify
        super().__init__(**kwargs)

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["verify"] = self._forced
        return super().send(request, *args, **kwargs)


def configure_session(session: requests.Session, tls: TlsSettings, *, host: str = "") -> None:
    """Apply the TLS settings to a requests session: an adapter on https:// enforces them."""
    adapter: HTTPAdapter
    if tls.fingerprint:
        session.verify = False
        adapter = PinnedFingerprintAdapter(tls.fingerprint)
    elif tls.ca_bundle is not None:
        if not tls.ca_bundle.is_file():
            raise BadInputError(f"CA bundle {tls.ca_bundle} does not exist", host=host or None)
        session.verify = str(tls.ca_bundle)
        adapter = _ForcedVerifyAdapter(str(tls.ca_bundle))
    elif tls.insecure:
        log.warning("%s: TLS verification is OFF (--insecure)", host or "iDRAC")
        session.verify = False
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        adapter = _ForcedVerifyAdapter(False)
    else:
        session.verify = True
        return  # the system trust store (REQUESTS_CA_BUNDLE honoured)
    session.mount("https://", adapter)


def tls_error(
    exc: BaseException, *, host: str, step: str, tls: TlsSettings
) -> TLSVerificationError:
    """A TLS failure as the error a person can act on (which check failed, what to give us)."""
    text = str(exc)
    if tls.fingerprint and "fingerprint" in text.lower():
        why = "the certificate does not match the pinned SHA-256 fingerprint"
    elif isinstance(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        why = (
            "the certificate did not verify"
            + (f" against {tls.ca_bundle}" if tls.ca_bundle else " against the system CAs")
            + " (give --ca-bundle or --fingerprint)"
        )
    else:
        why = f"TLS handshake failed: {text[:200]}"
    return TLSVerificationError(why, host=host, step=step)
