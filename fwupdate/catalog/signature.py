"""The detached signature of a catalog: `<catalog>.sign` beside the catalog file (or at the
catalog URL + `.sign`), checked with fwupdate.trust.  Dell's exact file names for catalog
signatures are UNVERIFIED; the verdict names the file used.

The verdict is tied to the bytes that were parsed: the signed file's SHA-256 must equal
`Catalog.sha256`, else the catalog changed between parsing and checking and is "invalid".
"""

from __future__ import annotations

from pathlib import Path

from fwupdate.catalog.models import Catalog
from fwupdate.catalog.sources import fetch_url
from fwupdate.errors import FwupdateError
from fwupdate.inputfile import file_sha256
from fwupdate.logsafe import redact_url
from fwupdate.trust import SigKind, SigStatus, TrustStore, Verdict, signature_path, verify_file


def _unchecked(catalog: Catalog, reason: str) -> Verdict:
    return Verdict(catalog.source, SigKind.GPG, SigStatus.MISSING, reason=reason)


def _url_files(source: str, cache_dir: Path, ca_bundle: str | None) -> tuple[Path, Path | None]:
    body = fetch_url(source, cache_dir, ca_bundle=ca_bundle)
    try:
        sign = fetch_url(source + ".sign", cache_dir, ca_bundle=ca_bundle)
    except FwupdateError:
        return body, None
    local = signature_path(body)
    local.write_bytes(sign.read_bytes())
    return body, local


def catalog_signature(
    catalog: Catalog,
    source: str,
    *,
    trust: TrustStore | None = None,
    cache_dir: Path | None = None,
    ca_bundle: str | None = None,
) -> Verdict:
    """The verdict on `catalog` (loaded from `source`); never raises for a bad signature."""
    if "!" in catalog.source and "://" not in source:
        return _unchecked(catalog, "catalog inside an ISO: its signature is not checked")
    if "://" in source:
        if cache_dir is None:
            return _unchecked(catalog, "catalog URL: no download cache to fetch its .sign into")
        body, sign = _url_files(source, cache_dir, ca_bundle)
        if sign is None:
            return _unchecked(catalog, f"no detached signature {redact_url(source)}.sign")
    else:
        body = Path(catalog.source)
    verdict = verify_file(body, trust or TrustStore(), signature=signature_path(body))
    if verdict.ok and catalog.sha256 and file_sha256(body) != catalog.sha256:
        return Verdict(
            catalog.source,
            SigKind.GPG,
            SigStatus.INVALID,
            reason="the catalog changed between reading and checking its signature",
            signature_file=verdict.signature_file,
        )
    return Verdict(
        catalog.source,
        verdict.kind,
        verdict.status,
        verdict.signer,
        verdict.reason,
        verdict.signature_file,
    )
