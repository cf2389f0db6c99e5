"""The trust store: the certificates (Authenticode roots and intermediates) and OpenPGP public
keys that fwupdate accepts signatures from.  Nothing is ever fetched: the user imports each file.

Folder: `$FWUPDATE_TRUST_DIR`, else `$XDG_CONFIG_HOME/fwupdate/trust`, else
`~/.config/fwupdate/trust`.  Inside: `x509/<SHA-256 fingerprint>.pem` and
`openpgp/<v4 fingerprint>.asc`, exactly the bytes imported (one certificate or key per file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fwupdate.atomicfile import write_text_atomic
from fwupdate.errors import BadInputError
from fwupdate.trust.openpgp import ARMOR_BEGIN, parse_public_key

if TYPE_CHECKING:  # cryptography is imported only where certificates are handled (start-up)
    from cryptography import x509

# Dell's Linux DUP signing key (published as 0x1285491434D8786F.asc) and the short ids of the
# other keys DSU imports (their full fingerprints are UNVERIFIED here).
DELL_PGP_FINGERPRINTS = frozenset({"42550ABD1E80D7C1BC0BAD851285491434D8786F"})
DELL_PGP_SHORT_IDS = frozenset({"1285491434D8786F", "34D8786F", "1019CED6", "23B66A9D", "46770C59"})
PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
MIN_PREFIX = 8


@dataclass(frozen=True)
class TrustEntry:
    id: str
    kind: str  # "x509" | "openpgp"
    name: str  # certificate subject or key user id
    dell_known: bool
    path: Path
    not_after: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "dell_known": self.dell_known,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "path": str(self.path),
        }


def default_trust_dir() -> Path:
    explicit = os.environ.get("FWUPDATE_TRUST_DIR")
    if explicit:
        return Path(explicit)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "fwupdate" / "trust"


def is_dell_pgp(fingerprint: str) -> bool:
    fpr = fingerprint.upper()
    return fpr in DELL_PGP_FINGERPRINTS or any(fpr.endswith(s) for s in DELL_PGP_SHORT_IDS)


def cert_id(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex().upper()


def _load_pem_certs(text: str, name: str) -> list[x509.Certificate]:
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificates(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise BadInputError(f"{name}: damaged PEM certificate") from None


def _require_ca(cert: x509.Certificate, name: str) -> None:
    from cryptography import x509

    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        bc = None
    if bc is None or not bc.ca:
        raise BadInputError(
            f"{name}: certificate {cert.subject.rfc4514_string()} is not a CA "
            "(import the root or intermediate that issues the signing certificate)"
        )


class TrustStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else default_trust_dir()

    @property
    def x509_dir(self) -> Path:
        return self.folder / "x509"

    @property
    def pgp_dir(self) -> Path:
        return self.folder / "openpgp"

    def import_file(self, path: Path) -> list[TrustEntry]:
        """Add the PEM certificate(s) or the armoured OpenPGP public key in `path`."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BadInputError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInputError(f"{path}: cannot read: {exc}") from None
        if PEM_BEGIN in text:
            return [self._add_cert(c, path) for c in _load_pem_certs(text, str(path))]
        if ARMOR_BEGIN in text:
            key = parse_public_key(text, name=str(path))
            return [self._write(self.pgp_dir / f"{key.fingerprint}.asc", text)]
        raise BadInputError(
            f"{path}: neither a PEM certificate nor an ASCII-armoured OpenPGP public key"
        )

    def _add_cert(self, cert: x509.Certificate, source: Path) -> TrustEntry:
        _require_ca(cert, str(source))
        from cryptography.hazmat.primitives.serialization import Encoding

        pem = cert.public_bytes(Encoding.PEM).decode("ascii")
        return self._write(self.x509_dir / f"{cert_id(cert)}.pem", pem)

    def _write(self, path: Path, text: str) -> TrustEntry:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInputError(f"{path.parent}: cannot create: {exc.strerror}") from None
        write_text_atomic(path, text)
        return self._entry(path)

    def _entry(self, path: Path) -> TrustEntry:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".asc":
            key = parse_public_key(text, name=str(path))
            fpr = key.fingerprint
            return TrustEntry(fpr, "openpgp", key.user_id, is_dell_pgp(fpr), path)
        cert = _load_pem_certs(text, str(path))[0]
        return TrustEntry(
            cert_id(cert),
            "x509",
            cert.subject.rfc4514_string(),
            False,
            path,
            cert.not_valid_after_utc,
        )

    def entries(self) -> list[TrustEntry]:
        files = sorted(self.x509_dir.glob("*.pem")) + sorted(self.pgp_dir.glob("*.asc"))
        return [self._entry(f) for f in files]

    def remove(self, ident: str) -> TrustEntry:
        """Remove the entry whose id is `ident` or starts with it (at least 8 hex digits)."""
        wanted = ident.strip().upper().replace(" ", "")
        if len(wanted) < MIN_PREFIX:
            raise BadInputError(f"{ident}: give at least {MIN_PREFIX} digits of the id")
        found = [e for e in self.entries() if e.id.startswith(wanted) or e.id.endswith(wanted)]
        if not found:
            raise BadInputError(f"{ident}: no such entry in trust store {self.folder}")
        if len(found) > 1:
            raise BadInputError(f"{ident}: matches {len(found)} entries; give more digits")
        found[0].path.unlink()
        return found[0]

    def certificates(self) -> list[x509.Certificate]:
        """Every trusted certificate (the anchors an Authenticode chain must reach)."""
        certs: list[x509.Certificate] = []
        for f in sorted(self.x509_dir.glob("*.pem")):
            certs += _load_pem_certs(f.read_text(encoding="utf-8"), str(f))
        return certs

    def keyring(self) -> bytes:
        """Every trusted OpenPGP key as one binary keyring (the format gpgv reads)."""
        return b"".join(
            parse_public_key(f.read_text(encoding="utf-8"), name=str(f)).packets
            for f in sorted(self.pgp_dir.glob("*.asc"))
        )
