"""The verdict on one signed file: what kind of signature, whether it holds, who signed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fwupdate.errors import SignatureError


class SigKind(StrEnum):
    AUTHENTICODE = "authenticode"
    GPG = "gpg"


class SigStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"  # the signature does not match the bytes, or is damaged
    MISSING = "missing"  # no signature at all
    UNTRUSTED = "untrusted"  # intact, but not from a trusted key/root or not the expected signer


@dataclass(frozen=True)
class Verdict:
    file: str
    kind: SigKind
    status: SigStatus
    signer: str = ""
    reason: str = ""
    signature_file: str | None = None  # the detached signature used (gpg)
    signed_at: str | None = None  # timestamp time, when one was honoured (authenticode)

    @property
    def ok(self) -> bool:
        return self.status is SigStatus.VALID

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": str(self.kind),
            "status": str(self.status),
            "signer": self.signer,
            "reason": self.reason,
            "signature_file": self.signature_file,
            "signed_at": self.signed_at,
        }

    def line(self) -> str:
        """One line naming the file and the reason, for errors and warnings."""
        if self.ok:
            return f"{self.file}: {self.kind} signature valid, signed by {self.signer}"
        return f"{self.file}: {self.kind} signature {self.status}: {self.reason}"

    def require(self) -> Verdict:
        """Return self when valid; raise SignatureError (exit 2) with `line()` otherwise."""
        if not self.ok:
            raise SignatureError(self.line())
        return self
