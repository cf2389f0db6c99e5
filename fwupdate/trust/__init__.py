"""Trust: the store of trusted certificates and OpenPGP keys, and signature verdicts on files.

`verify_file` is the one entry point: a Windows executable (`MZ`) gets Authenticode, anything
else (a Linux DUP, a bare image, a catalog, a LoadMaster patch) a detached `FILE.sign` checked
by gpgv.  See docs/signatures.md.
"""

from __future__ import annotations

from pathlib import Path

from fwupdate.errors import BadInputError
from fwupdate.trust.gpg import signature_path, verify_detached
from fwupdate.trust.store import TrustEntry, TrustStore, default_trust_dir
from fwupdate.trust.verdict import SigKind, SigStatus, Verdict

# The signer organisation an Authenticode signature must carry unless told otherwise.
DEFAULT_ORGANISATION = "Dell Inc"

__all__ = [
    "DEFAULT_ORGANISATION",
    "SigKind",
    "SigStatus",
    "TrustEntry",
    "TrustStore",
    "Verdict",
    "default_trust_dir",
    "signature_path",
    "verify_file",
]


def verify_file(
    path: Path,
    store: TrustStore | None = None,
    *,
    organisation: str = DEFAULT_ORGANISATION,
    signature: Path | None = None,
) -> Verdict:
    """The signature verdict on `path`; never raises for a bad signature (see Verdict.require)."""
    store = store or TrustStore()
    try:
        with path.open("rb") as f:
            magic = f.read(2)
    except FileNotFoundError:
        raise BadInputError(f"{path}: no such file") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if magic == b"MZ" and signature is None:
        # imported here: cryptography/asn1crypto cost start-up that gpg-only paths never need
        from fwupdate.trust.authenticode import verify_authenticode

        return verify_authenticode(path, store.certificates(), organisation=organisation)
    return verify_detached(path, store, signature)
