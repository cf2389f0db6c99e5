"""The demo signs its synthetic DUPs, catalogs and LoadMaster patch with its own key and
certificate, and trusts exactly those (a private trust store in the demo's folder), so
`make demo` shows real verdicts.  None of this is Dell's: the demo says so.

Without Debian's osslsigncode and gpg the demo runs with `signatures = "off"` and says why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from fwupdate.errors import FwupdateError
from fwupdate.trust import TrustStore, verify_file
from fwupdate.trust.kit import SigningKit, missing_tools

Say = Callable[[str], None]
ENV = "FWUPDATE_TRUST_DIR"


def demo_kit(out: Path, say: Say) -> SigningKit | None:
    """A signing kit and a trust store that trusts only it; None when the tools are missing."""
    missing = missing_tools()
    if missing:
        say(f"signatures: {', '.join(missing)} not installed: the demo runs with "
            'signatures = "off" (make demo installs them as root)')
        return None
    kit = SigningKit(
        out / "signing",
        uid="fwupdate demo signing key (NOT Dell) <demo@fwupdate.invalid>",
        signer_name="fwupdate-demo-code-signing-NOT-Dell",
    )
    store = TrustStore(out / "trust")
    store.import_file(kit.ca.cert_pem)
    store.import_file(kit.pgp_public)
    say(f"signatures: the demo's own CA and OpenPGP key (not Dell's) are the only entries of "
        f"its trust store {store.folder}")
    return kit


def signer(kit: SigningKit) -> Callable[[Path], None]:
    """Authenticode for Windows executables, a detached `.sign` for everything else."""

    def sign(path: Path) -> None:
        with path.open("rb") as f:
            is_pe = f.read(2) == b"MZ"
        if is_pe:
            kit.sign_exe(path)
        else:
            kit.sign_detached(path)

    return sign


@contextlib.contextmanager
def trusting(out: Path, kit: SigningKit | None) -> Iterator[None]:
    """Point FWUPDATE_TRUST_DIR at the demo's trust store for the demo night, then restore."""
    if kit is None:
        yield
        return
    old = os.environ.get(ENV)
    os.environ[ENV] = str(out / "trust")
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old


def show_verdicts(repo: Path, catalog: Path, lm_image: Path, say: Say) -> None:
    """One verdict line for a Windows DUP, a Linux DUP, the catalog and the LoadMaster patch."""
    exe = next(iter(sorted(repo.rglob("*.EXE"))), None)
    bin_ = next(iter(sorted(repo.rglob("*.BIN"))), None)
    for f in (exe, bin_, catalog, lm_image):
        if f is not None:
            say(f"  {verify_file(f).line()}")


def tampered_refusal(repo: Path, out: Path) -> str:
    """Copy one signed DUP, change one byte, and let the verification (`fwupdate dup verify`'s)
    refuse it: its error line as the command prints it, and its exit code."""
    src = sorted(repo.rglob("*.EXE"))[0]
    dest = out / "tampered" / src.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)
    data = bytearray(dest.read_bytes())
    data[len(data) // 2] ^= 0x01
    dest.write_bytes(bytes(data))
    try:
        verify_file(dest).require()
    except FwupdateError as exc:
        return f"fwupdate: error: {' '.join(str(exc).split())} (exit {int(exc.exit_code)})"
    return "not refused (exit 0)"
