"""A signing kit for the demo and the tests: a private CA, code-signing and time-stamping
certificates (cryptography), an OpenPGP key (GnuPG), and signing with Debian's `osslsigncode`
(Authenticode) and `gpg` (detached `FILE.sign`).  Never used for real packages: real ones are
signed by Dell, and fwupdate only verifies.

Everything lives in one folder; `close()` stops the gpg-agent the kit's GnuPG home started.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fwupdate.errors import FwupdateError

TOOLS = ("osslsigncode", "gpg", "gpgv", "gpgconf")
TOOL_TIMEOUT_S = 120.0
# gpg-agent puts its sockets in the GnuPG home when /run/user/UID does not exist; a Unix socket
# path holds at most 107 bytes, and the longest socket name is S.gpg-agent.browser
_SOCKET_PATH_MAX = 107
_LONGEST_SOCKET = "S.gpg-agent.browser"
_Key = ec.EllipticCurvePrivateKey


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: _Key
    cert_pem: Path
    key_pem: Path


def issue(
    folder: Path,
    name: str,
    *,
    organisation: str,
    issuer: Issued | None = None,
    ca: bool = False,
    usage: x509.ObjectIdentifier | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> Issued:
    """A P-256 certificate `name` (self-signed when `issuer` is None), written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    start = not_before or _now() - dt.timedelta(days=365)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(not_after or _now() + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=True)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    folder.mkdir(parents=True, exist_ok=True)
    cert_pem, key_pem = folder / f"{name}.pem", folder / f"{name}.key"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_pem.chmod(0o600)
    return Issued(cert, key, cert_pem, key_pem)


def _run(cmd: list[str], *, env: dict[str, str] | None = None) -> bytes:
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=TOOL_TIMEOUT_S, check=False, env=env
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FwupdateError(f"{cmd[0]}: cannot run: {exc}") from None
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise FwupdateError(f"{cmd[0]} failed (exit {proc.returncode}): {' '.join(tail)}")
    return proc.stdout


@dataclass
class SigningKit:
    """A CA with a code-signing and a time-stamping certificate, and an OpenPGP key."""

    folder: Path
    organisation: str = "Dell Inc"
    uid: str = "fwupdate demo signing key <demo@fwupdate.invalid>"
    signer_name: str = "code-signing"  # CN of the code-signing certificate (also its file name)
    ca: Issued = field(init=False)
    signer: Issued = field(init=False)
    tsa: Issued = field(init=False)
    pgp_fingerprint: str = field(init=False, default="")
    gnupg_home: Path = field(init=False)
    _own_gnupg_home: bool = field(init=False, default=False)  # a short temporary home

    def __post_init__(self) -> None:
        self.gnupg_home = self.folder / "gnupg"
        if len(os.fsencode(self.gnupg_home.resolve() / _LONGEST_SOCKET)) > _SOCKET_PATH_MAX:
            # too deep for the agent's sockets ("No agent running"): a short home, removed
            # by close()
            self.gnupg_home = Path(tempfile.mkdtemp(prefix="fwupdate-gpg-"))
            self._own_gnupg_home = True
        certs = self.folder / "x509"
        self.ca = issue(certs, "root-ca", organisation=self.organisation, ca=True)
        self.signer = self.issue_signer(self.signer_name, self.organisation)
        self.tsa = issue(
            certs,
            "tsa",
            organisation=self.organisation,
            issuer=self.ca,
            usage=ExtendedKeyUsageOID.TIME_STAMPING,
        )
        self._make_pgp_key()

    def issue_signer(self, name: str, organisation: str, **validity: dt.datetime) -> Issued:
        """Another code-signing certificate from this kit's CA (other organisation, dates...)."""
        return issue(
            self.folder / "x509",
            name,
            organisation=organisation,
            issuer=self.ca,
            usage=ExtendedKeyUsageOID.CODE_SIGNING,
            **validity,  # type: ignore[arg-type]
        )

    @property
    def pgp_public(self) -> Path:
        return self.folder / "openpgp-public.asc"

    def _gpg(self, *args: str) -> bytes:
        env = {**os.environ, "GNUPGHOME": str(self.gnupg_home)}
        return _run(["gpg", "--batch", "--yes", "--no-tty", *args], env=env)

    def _make_pgp_key(self) -> None:
        self.gnupg_home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._gpg("--passphrase", "", "--quick-gen-key", self.uid, "ed25519", "sign", "never")
        listing = self._gpg("--with-colons", "--list-keys", self.uid).decode()
        fprs = [ln.split(":")[9] for ln in listing.splitlines() if ln.startswith("fpr:")]
        self.pgp_fingerprint = fprs[0]
        self.pgp_public.write_bytes(self._gpg("--armor", "--export", self.pgp_fingerprint))

    def sign_detached(self, path: Path, signature: Path | None = None) -> Path:
        """Write `path`.sign (or `signature`): an armoured detached OpenPGP signature."""
        out = signature or path.with_name(path.name + ".sign")
        self._gpg(
            "--local-user",
            self.pgp_fingerprint,
            "--digest-algo",
            "SHA256",
            "--armor",
            "--detach-sign",
            "-o",
            str(out),
            str(path),
        )
        return out

    def sign_exe(
        self,
        path: Path,
        *,
        signer: Issued | None = None,
        timestamp_at: dt.datetime | None = None,
    ) -> Path:
        """Authenticode-sign the PE at `path` in place (SHA-256, chain included, optional
        RFC 3161 timestamp from the kit's own TSA at `timestamp_at`)."""
        who = signer or self.signer
        chain = self.folder / f"{who.cert_pem.stem}-chain.pem"
        chain.write_bytes(who.cert_pem.read_bytes() + self.ca.cert_pem.read_bytes())
        tmp = path.with_name(f".{path.name}.signing")
        cmd = [
            "osslsigncode",
            "sign",
            "-certs",
            str(chain),
            "-key",
            str(who.key_pem),
            "-h",
            "sha256",
        ]
        if timestamp_at is not None:
            cmd += ["-TSA-certs", str(self.tsa.cert_pem), "-TSA-key", str(self.tsa.key_pem)]
            cmd += ["-TSA-time", str(int(timestamp_at.timestamp()))]
        try:
            _run([*cmd, "-in", str(path), "-out", str(tmp)])
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    def close(self) -> None:
        """Stop the gpg-agent this kit's GnuPG home started (if any); remove a temporary
        home."""
        if shutil.which("gpgconf") and self.gnupg_home.is_dir():
            env = {**os.environ, "GNUPGHOME": str(self.gnupg_home)}
            subprocess.run(
                ["gpgconf", "--kill", "gpg-agent"],
                capture_output=True,
                timeout=TOOL_TIMEOUT_S,
                check=False,
                env=env,
            )
        if self._own_gnupg_home:
            shutil.rmtree(self.gnupg_home, ignore_errors=True)
