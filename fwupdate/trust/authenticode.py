"""Authenticode signatures of Windows DUPs (`.EXE`), verified in Python (cryptography + asn1crypto).

What is checked, in order (any failure gives a verdict, never an exception):
1. the PE's certificate table holds a PKCS#7 SignedData of SPC_INDIRECT_DATA (else "missing");
2. the image digest it names equals the digest of the file, streamed, excluding only the PE
   checksum, the certificate-table directory entry and the table itself (SHA-256 or stronger);
3. the signer's signed attributes carry that content's digest and their signature verifies with
   the signing certificate's key;
4. an RFC 3161 timestamp (Microsoft's countersignature attribute), when present, imprints the
   signature, is signed by a time-stamping certificate that chains to the trust store, and
   gives the time at which the chain is judged; without one the chain is judged now;
5. the signing certificate chains to a certificate in the trust store, every certificate being
   valid at that time, the signer allows code signing, and its subject organisation is the
   expected one ("Dell Inc" by default).

Why not `signify` (the issue's suggestion): it imports oscrypto, whose OpenSSL version probe
fails on OpenSSL 3.0.10 and later (Debian 12 ships 3.0.1x), so it does not even import here.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from asn1crypto import algos, cms, core, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fwupdate.trust.store import cert_id
from fwupdate.trust.verdict import SigKind, SigStatus, Verdict

DEFAULT_ORGANISATION = "Dell Inc"  # the same as fwupdate.trust.DEFAULT_ORGANISATION
SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
ACCEPTED_DIGESTS = ("sha256", "sha384", "sha512")
CHUNK = 1 << 20
MAX_CHAIN = 8
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class _Fail(Exception):
    def __init__(self, status: SigStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _SpcAttribute(core.Sequence):  # type: ignore[misc]
    _fields = [("type", core.ObjectIdentifier), ("value", core.Any, {"optional": True})]


class _DigestInfo(core.Sequence):  # type: ignore[misc]
    _fields = [("digest_algorithm", algos.DigestAlgorithm), ("digest", core.OctetString)]


class _SpcIndirectData(core.Sequence):  # type: ignore[misc]
    _fields = [("data", _SpcAttribute), ("message_digest", _DigestInfo)]


@dataclass(frozen=True)
class PeLayout:
    size: int
    checksum_off: int
    dir_entry_off: int
    cert_off: int
    cert_size: int


def pe_layout(f: BinaryIO, size: int) -> PeLayout | None:
    """Offsets the Authenticode digest skips; None when the PE has no certificate table."""
    f.seek(0)
    head = f.read(4096)
    if head[:2] != b"MZ" or len(head) < 0x40:
        raise _Fail(SigStatus.INVALID, "not a Windows executable")
    e = struct.unpack_from("<I", head, 0x3C)[0]
    if head[e : e + 4] != b"PE\x00\x00" or e + 24 + 2 > len(head):
        raise _Fail(SigStatus.INVALID, "not a PE file (no PE header)")
    opt = e + 24
    magic = struct.unpack_from("<H", head, opt)[0]
    dirs = {0x10B: opt + 96, 0x20B: opt + 112}.get(magic)
    if dirs is None or dirs + 5 * 8 > len(head):
        return None  # no optional header with data directories: nothing can be signed
    if struct.unpack_from("<I", head, dirs - 4)[0] < 5:
        return None
    entry = dirs + 4 * 8
    off, length = struct.unpack_from("<II", head, entry)
    if off == 0 or length == 0:
        return None
    if off + length > size or length < 8:
        raise _Fail(SigStatus.INVALID, "certificate table runs past the end of the file")
    return PeLayout(size, opt + 64, entry, off, length)


def image_digest(f: BinaryIO, layout: PeLayout, algorithm: str) -> bytes:
    h = hashlib.new(algorithm)
    ranges = [
        (0, layout.checksum_off),
        (layout.checksum_off + 4, layout.dir_entry_off),
        (layout.dir_entry_off + 8, layout.cert_off),
        (layout.cert_off + layout.cert_size, layout.size),
    ]
    for start, end in ranges:
        f.seek(start)
        left = end - start
        while left > 0:
            block = f.read(min(CHUNK, left))
            if not block:
                break
            h.update(block)
            left -= len(block)
    return h.digest()


def _signed_data(f: BinaryIO, layout: PeLayout) -> cms.SignedData:
    f.seek(layout.cert_off)
    table = f.read(layout.cert_size)
    length, _rev, ctype = struct.unpack_from("<IHH", table, 0)
    if ctype != 2 or length > len(table):
        raise _Fail(SigStatus.INVALID, "certificate table holds no PKCS#7 signature")
    try:
        info = cms.ContentInfo.load(table[8:length])
        if info["content_type"].native != "signed_data":
            raise _Fail(SigStatus.INVALID, "certificate table holds no PKCS#7 SignedData")
        sd = info["content"]
        if sd["encap_content_info"]["content_type"].dotted != SPC_INDIRECT_DATA:
            raise _Fail(SigStatus.INVALID, "PKCS#7 content is not an Authenticode SpcIndirectData")
        return sd  # type: ignore[no-any-return]
    except (ValueError, TypeError, KeyError):
        raise _Fail(SigStatus.INVALID, "damaged PKCS#7 signature") from None


def _spc(sd: cms.SignedData) -> tuple[_SpcIndirectData, bytes]:
    """The SpcIndirectDataContent and the bytes its messageDigest attribute is computed over."""
    content = sd["encap_content_info"]["content"].contents  # the SEQUENCE's value octets
    n = len(content)
    length = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)])
        + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    try:
        spc = _SpcIndirectData.load(b"\x30" + length + content)
        spc["message_digest"]["digest"].native  # noqa: B018  (parse now, fail here)
    except (ValueError, TypeError, KeyError):
        raise _Fail(SigStatus.INVALID, "damaged Authenticode SpcIndirectData") from None
    return spc, content


def _x509(cert: cms.CertificateChoices) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(cert.chosen.dump())
    except x509.InvalidVersion as exc:  # a damaged version field: bad input like any other
        raise ValueError(f"certificate with an invalid version: {exc}") from exc


def _signer_cert(sd: cms.SignedData, si: cms.SignerInfo) -> x509.Certificate:
    sid = si["sid"]
    if sid.name != "issuer_and_serial_number":
        raise _Fail(SigStatus.INVALID, "signer identified by key id, not issuer and serial")
    want = sid.chosen
    for c in sd["certificates"] or []:
        tbs = c.chosen["tbs_certificate"]
        if tbs["serial_number"] == want["serial_number"] and tbs["issuer"] == want["issuer"]:
            return _x509(c)
    raise _Fail(SigStatus.INVALID, "the signing certificate is not in the signature")


def _attr(si: cms.SignerInfo, name: str) -> object:
    for a in si["signed_attrs"] or []:
        if a["type"].native == name:
            return a["values"][0].native
    raise _Fail(SigStatus.INVALID, f"signed attribute {name} is missing")


def _check_signer_info(si: cms.SignerInfo, cert: x509.Certificate, content: bytes) -> str:
    """Verify messageDigest over `content` and the signature over the signed attributes."""
    algorithm = si["digest_algorithm"]["algorithm"].native
    if algorithm not in _HASHES:
        raise _Fail(SigStatus.INVALID, f"unsupported digest {algorithm}")
    if _attr(si, "message_digest") != hashlib.new(algorithm, content).digest():
        raise _Fail(SigStatus.INVALID, "signed digest does not match the signed content")
    attrs = si["signed_attrs"].dump()
    _verify_key(cert, si["signature"].native, b"\x31" + attrs[1:], algorithm)
    return str(algorithm)


def _verify_key(cert: x509.Certificate, signature: bytes, data: bytes, algorithm: str) -> None:
    key = cert.public_key()
    digest = _HASHES[algorithm]()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        else:
            raise _Fail(SigStatus.INVALID, "unsupported signing key type")
    except InvalidSignature:
        raise _Fail(SigStatus.INVALID, "signature does not verify with the signer's key") from None


def _chain(
    leaf: x509.Certificate,
    pool: list[x509.Certificate],
    anchors: list[x509.Certificate],
    at: datetime,
) -> None:
    """Walk issuer links from `leaf` to a trust-store certificate; each valid at `at`."""
    trusted = {cert_id(a) for a in anchors}
    cur = leaf
    for _ in range(MAX_CHAIN):
        if not cur.not_valid_before_utc <= at <= cur.not_valid_after_utc:
            when = cur.not_valid_after_utc.date().isoformat()
            raise _Fail(
                SigStatus.UNTRUSTED,
                f"certificate {_name(cur)} is not valid at {at.isoformat(timespec='seconds')} "
                f"(valid until {when}) and no timestamp proves it was signed in time",
            )
        if cert_id(cur) in trusted:
            return
        issuer = _issuer(cur, anchors + pool)
        if issuer is None or issuer == cur:
            raise _Fail(
                SigStatus.UNTRUSTED,
                f"certificate chain of {_name(leaf)} does not reach the trust store "
                f"(last: issued by {cur.issuer.rfc4514_string()})",
            )
        cur = issuer
    raise _Fail(SigStatus.UNTRUSTED, "certificate chain too long")


def _issuer(cert: x509.Certificate, pool: list[x509.Certificate]) -> x509.Certificate | None:
    for cand in pool:
        if cand.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(cand)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        return cand
    return None


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _organisation(cert: x509.Certificate) -> str:
    orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(orgs[0].value) if orgs else ""


def _require_eku(cert: x509.Certificate, usage: x509.ObjectIdentifier, what: str) -> None:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    if usage not in eku:
        raise _Fail(SigStatus.UNTRUSTED, f"certificate {_name(cert)} is not for {what}")


def _timestamp(si: cms.SignerInfo, anchors: list[x509.Certificate]) -> datetime | None:
    """The verified RFC 3161 time of the signature, or None when there is no timestamp."""
    for attr in si["unsigned_attrs"] or []:
        if attr["type"].native != "microsoft_time_stamp_token":
            continue
        try:
            tsd = attr["values"][0]["content"]
            encap = tsd["encap_content_info"]
            tst_bytes = encap["content"].contents
            tst = tsp.TSTInfo.load(tst_bytes)
            imprint = tst["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            tsa_si = tsd["signer_infos"][0]
            tsa = _signer_cert(tsd, tsa_si)
            gen_time: datetime = tst["gen_time"].native
        except (ValueError, TypeError, KeyError, IndexError):
            raise _Fail(SigStatus.INVALID, "damaged timestamp") from None
        if (
            algorithm not in _HASHES
            or imprint["hashed_message"].native
            != hashlib.new(algorithm, si["signature"].native).digest()
        ):
            raise _Fail(SigStatus.INVALID, "timestamp does not cover this signature")
        try:
            _check_signer_info(tsa_si, tsa, tst_bytes)
            _require_eku(tsa, ExtendedKeyUsageOID.TIME_STAMPING, "time stamping")
            _chain(tsa, [_x509(c) for c in tsd["certificates"] or []], anchors, gen_time)
        except _Fail as fail:
            raise _Fail(fail.status, f"timestamp: {fail.reason}") from None
        return gen_time
    return None


def verify_authenticode(
    path: Path,
    anchors: list[x509.Certificate],
    *,
    organisation: str = DEFAULT_ORGANISATION,
    now: datetime | None = None,
) -> Verdict:
    """The Authenticode verdict on the PE file at `path` (see the module docstring)."""
    try:
        with path.open("rb") as f:
            signer, signed_at = _verify(f, path.stat().st_size, anchors, organisation, now)
    except _Fail as fail:
        return Verdict(str(path), SigKind.AUTHENTICODE, fail.status, reason=fail.reason)
    except (ValueError, TypeError, KeyError, IndexError, struct.error, UnsupportedAlgorithm) as exc:
        # asn1crypto parses lazily: a damaged structure surfaces wherever it is first read
        reason = f"damaged signature ({type(exc).__name__})"
        return Verdict(str(path), SigKind.AUTHENTICODE, SigStatus.INVALID, reason=reason)
    at = signed_at.isoformat() if signed_at else None
    return Verdict(str(path), SigKind.AUTHENTICODE, SigStatus.VALID, signer, signed_at=at)


def _verify(
    f: BinaryIO,
    size: int,
    anchors: list[x509.Certificate],
    organisation: str,
    now: datetime | None,
) -> tuple[str, datetime | None]:
    layout = pe_layout(f, size)
    if layout is None:
        raise _Fail(SigStatus.MISSING, "no Authenticode signature (empty certificate table)")
    sd = _signed_data(f, layout)
    spc, content = _spc(sd)
    algorithm = spc["message_digest"]["digest_algorithm"]["algorithm"].native
    if algorithm not in ACCEPTED_DIGESTS:
        raise _Fail(SigStatus.INVALID, f"image digest {algorithm} is not SHA-256 or stronger")
    if spc["message_digest"]["digest"].native != image_digest(f, layout, algorithm):
        raise _Fail(SigStatus.INVALID, "file digest does not match the signature (changed bytes)")
    si = sd["signer_infos"][0]
    cert = _signer_cert(sd, si)
    _check_signer_info(si, cert, content)
    signed_at = _timestamp(si, anchors)
    pool = [_x509(c) for c in sd["certificates"] or []]
    _chain(cert, pool, anchors, signed_at or now or datetime.now(UTC))
    _require_eku(cert, ExtendedKeyUsageOID.CODE_SIGNING, "code signing")
    org = _organisation(cert)
    if _norm(org) != _norm(organisation):
        raise _Fail(
            SigStatus.UNTRUSTED,
            f"signed by {org or _name(cert)!r}, not by the expected organisation {organisation!r}",
        )
    return _name(cert), signed_at


def _norm(org: str) -> str:
    return org.strip().rstrip(".").casefold()
