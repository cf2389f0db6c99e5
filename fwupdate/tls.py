"""TLS for device connections: CA bundle, pinned SHA-256 fingerprint, or (asked for) insecure.

Shared by the iDRAC Redfish and WS-Man clients and the LoadMaster client.  iDRAC certificates are
usually self-signed, so the operator either gives the CA bundle that signed them or pins the
certificate's SHA-256 fingerprint (hex of the DER, colons allowed).  Pinning checks the exact
certificate and skips the CA chain and host name (the pin is stronger than both); `insecure`
skips all checks and is only used when the operator said so.
"""

from __future__ import annotations

import logging
import os
import re
import ssl
import threading
from typing import Any

import requests
from requests.adapters import DEFAULT_CA_BUNDLE_PATH, HTTPAdapter

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


_Verify = bool | str


def _system_verify() -> _Verify:
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


_CONTEXTS: dict[tuple[object, ...], ssl.SSLContext] = {}
_CONTEXTS_LOCK = threading.Lock()


def _context_key(verify: _Verify) -> tuple[object, ...]:
    if verify is False:
        return ("insecure",)
    where = str(DEFAULT_CA_BUNDLE_PATH) if verify is True else str(verify)
    try:
        st = os.stat(where)
    except OSError:  # requests reports a missing bundle when it connects
        return ("ca", where)
    return ("ca", where, st.st_ino, st.st_mtime_ns, st.st_size)


def shared_context(verify: _Verify) -> ssl.SSLContext:
    """One SSL context per CA bundle (or system store, or no verification) for the process.

    urllib3 otherwise builds a context and loads the CA bundle for every connection: with a
    connection per device, memory and CPU grew with the fleet and the concurrency.  The
    context is the one urllib3 would build (`create_urllib3_context`); urllib3 sets its
    verify mode on every connection, always to the value it already has for this key."""
    key = _context_key(verify)
    with _CONTEXTS_LOCK:
        ctx = _CONTEXTS.get(key)
        if ctx is None:
            ctx = _new_context(verify)
            _CONTEXTS[key] = ctx
        return ctx


def shared_context_count() -> int:
    """How many SSL contexts the process built (one per CA bundle / policy): benches check it."""
    with _CONTEXTS_LOCK:
        return len(_CONTEXTS)


def _new_context(verify: _Verify) -> ssl.SSLContext:
    from urllib3.util.ssl_ import create_urllib3_context

    if verify is False:
        return create_urllib3_context(cert_reqs=ssl.CERT_NONE)
    ctx = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    where = str(DEFAULT_CA_BUNDLE_PATH) if verify is True else str(verify)
    if os.path.isdir(where):
        ctx.load_verify_locations(capath=where)
    elif os.path.exists(where):
        ctx.load_verify_locations(cafile=where)
    return ctx


class ForcedVerifyAdapter(HTTPAdapter):
    """Verifies with exactly `verify` (True = system store, a path = CA bundle, False = insecure),
    whatever the caller or requests merged in: the DMTF redfish library passes verify=False on
    every call, and REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE would otherwise replace a CA bundle.
    Its connections share one SSL context per CA bundle (`shared_context`)."""

    def __init__(self, verify: _Verify, **kwargs: Any) -> None:
        self.forced_verify: _Verify = verify
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = shared_context(self.forced_verify)
        super().init_poolmanager(*args, **kwargs)

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["verify"] = self.forced_verify
        return super().send(request, *args, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)  # type: ignore[no-untyped-call]
        # the CA bundle is in the shared context already: not loaded again per connection
        conn.ca_certs = None
        conn.ca_cert_dir = None


class PinnedFingerprintAdapter(ForcedVerifyAdapter):
    """Accepts exactly the certificate whose SHA-256 fingerprint is pinned (urllib3 checks it);
    the pin replaces CA chain and host name verification, which stay off whatever is passed."""

    def __init__(self, fingerprint: str, **kwargs: Any) -> None:
        self._fingerprint = normalize_fingerprint(fingerprint)
        super().__init__(False, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, False, cert)  # type: ignore[no-untyped-call]


def adapter_for(tls: TlsSettings, **kwargs: Any) -> HTTPAdapter:
    """The adapter that enforces `tls` on every https:// request of a session."""
    if tls.fingerprint:
        return PinnedFingerprintAdapter(tls.fingerprint, **kwargs)
    if tls.insecure:
        return ForcedVerifyAdapter(False, **kwargs)
    if tls.ca_bundle is not None:
        return ForcedVerifyAdapter(str(tls.ca_bundle), **kwargs)
    return ForcedVerifyAdapter(_system_verify(), **kwargs)


def configure_session(
    session: requests.Session, tls: TlsSettings, *, host: str = "",
    adapter: HTTPAdapter | None = None,
) -> None:
    """Apply the TLS settings to a requests session: an adapter on https:// enforces them
    (`adapter`: one made by `adapter_for(tls)` that another client of the same device shares, so
    both use one connection pool)."""
    if tls.ca_bundle is not None and not tls.fingerprint and not tls.ca_bundle.is_file():
        raise BadInputError(f"CA bundle {tls.ca_bundle} does not exist", host=host or None)
    if tls.insecure and not tls.fingerprint:
        log.warning("%s: TLS verification is OFF (--insecure)", host or "iDRAC")
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    adapter = adapter or adapter_for(tls)
    assert isinstance(adapter, ForcedVerifyAdapter)
    session.verify = adapter.forced_verify
    # Device traffic (iDRAC, LoadMaster) takes no HTTPS_PROXY and no ~/.netrc from the
    # environment, like the Redfish sessions: a netrc entry must not inject credentials; it also
    # spares each request a walk of the environment (~0.1 ms).
    session.trust_env = False
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
