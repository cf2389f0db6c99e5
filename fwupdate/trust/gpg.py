"""Detached OpenPGP signatures (`FILE.sign` beside a `.BIN` or a catalog), checked by `gpgv`.

Why gpgv and not a Python OpenPGP library: gpgv is GnuPG's own minimal verifier (Debian package
`gpgv`, installed on every Debian/Ubuntu system because apt uses it), it streams the file in
constant memory, and it trusts exactly the keyring it is given, nothing else.  The Python
candidates were PGPy (last release 2022, unmaintained, reads whole files into memory) and
pysequoia (a young binding whose wheels need a Rust toolchain where none is prebuilt).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from fwupdate.trust.store import TrustStore
from fwupdate.trust.verdict import SigKind, SigStatus, Verdict

SIGN_SUFFIX = ".sign"
GPGV_TIMEOUT_S = 600.0
_Make = Callable[..., Verdict]


def signature_path(path: Path) -> Path:
    return path.with_name(path.name + SIGN_SUFFIX)


def verify_detached(path: Path, store: TrustStore, signature: Path | None = None) -> Verdict:
    """Check `signature` (default `path` + `.sign`) over `path` against the store's keys."""
    sig = signature or signature_path(path)

    def verdict(status: SigStatus, reason: str, signer: str = "") -> Verdict:
        return Verdict(str(path), SigKind.GPG, status, signer, reason, str(sig))

    if not sig.is_file():
        return verdict(SigStatus.MISSING, f"no detached signature {sig.name} beside it")
    keyring = store.keyring()
    if not keyring:
        return verdict(SigStatus.UNTRUSTED, f"no OpenPGP key in trust store {store.folder}")
    gpgv = shutil.which("gpgv")
    if gpgv is None:
        return verdict(SigStatus.UNTRUSTED, "cannot check: gpgv is not installed")
    status_lines = _run_gpgv(gpgv, keyring, sig, path)
    return _interpret(status_lines, store, verdict)


def _run_gpgv(gpgv: str, keyring: bytes, sig: Path, path: Path) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="fwupdate-gpgv-") as home:
        ring = Path(home) / "trusted.gpg"
        ring.write_bytes(keyring)
        cmd = [gpgv, "--homedir", home, "--status-fd", "1", "--keyring", str(ring)]
        proc = subprocess.run(
            [*cmd, "--", str(sig), str(path)],
            capture_output=True,
            timeout=GPGV_TIMEOUT_S,
            check=False,
        )
    out = proc.stdout.decode("utf-8", "replace")
    return [ln[len("[GNUPG:] ") :] for ln in out.splitlines() if ln.startswith("[GNUPG:] ")]


def _interpret(lines: list[str], store: TrustStore, verdict: _Make) -> Verdict:
    words = {ln.split(" ", 1)[0]: ln.split(" ")[1:] for ln in lines}
    if "VALIDSIG" in words and "GOODSIG" in words:
        fpr = words["VALIDSIG"][0].upper()
        name = next((e.name for e in store.entries() if e.id == fpr), "")
        return verdict(SigStatus.VALID, "", f"{name} ({fpr})" if name else fpr)
    if "BADSIG" in words:
        return verdict(
            SigStatus.INVALID,
            "signature does not match the file (changed bytes, or the signature of another file)",
        )
    for word in ("EXPKEYSIG", "REVKEYSIG", "EXPSIG"):
        if word in words:
            return verdict(SigStatus.UNTRUSTED, f"gpgv says {word} for key {words[word][0]}")
    if "NO_PUBKEY" in words or "ERRSIG" in words:
        key = (words.get("NO_PUBKEY") or words.get("ERRSIG") or ["?"])[0]
        return verdict(SigStatus.UNTRUSTED, f"signed by unknown key {key} (not in the trust store)")
    return verdict(SigStatus.INVALID, "not a valid OpenPGP signature")
