"""The files a plan sends: found in the repository (or beside the plan), checked against the
plan's MD5/size and signature policy before anything is sent, and extracted
(`payload/firmimg.d7`) where the plan says so.  Extraction goes into a private temporary
folder that lives as long as the run.

Signatures are checked again right before a file is sent (`verified(..., recheck=True)`): the
bytes may change between the evening's plan and the night.  A member extracted from a DUP is
sent only after the DUP itself verified; it inherits that verdict (docs/signatures.md).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
from pathlib import Path

from fwupdate.dup.extract import extract_bare_image
from fwupdate.errors import BadInputError, HashMismatchError, SignatureError
from fwupdate.fileserver.sources import FileSource
from fwupdate.inputfile import file_sha256
from fwupdate.pathsafe import resolve_inside
from fwupdate.plan.models import PackageRef, Plan, SignatureRecord, Step
from fwupdate.trust import TrustStore, verify_file

log = logging.getLogger(__name__)


def _md5(path: Path) -> tuple[str, int]:
    h = hashlib.md5(usedforsecurity=False)
    size = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def signature_record(path: Path, trust: TrustStore) -> SignatureRecord:
    """The verdict on `path` as the plan records it (with the file's SHA-256 as identity)."""
    verdict = verify_file(path, trust)
    return SignatureRecord(
        kind=str(verdict.kind),
        status=str(verdict.status),
        signer=verdict.signer,
        reason=verdict.reason,
        sha256=file_sha256(path),
        file=path.name,
    )


def _copy_out(src: Path | FileSource, dest: Path) -> Path:
    with src.open("rb") if isinstance(src, Path) else src.open() as fin, dest.open("wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    return dest


class SignatureCheck:
    """The plan's signature policy, applied to each file right before it is sent."""

    def __init__(self, mode: str, allow_unsigned: bool, trust: TrustStore | None = None) -> None:
        self.mode = mode
        self.allow_unsigned = allow_unsigned
        self.trust = trust or TrustStore()

    @classmethod
    def for_plan(cls, plan: Plan) -> SignatureCheck:
        """From the plan's options; a plan that records no policy is checked as "require"."""
        opts = dict(plan.options)
        return cls(opts.get("signatures", "require"), opts.get("allow_unsigned") == "true")

    def check(self, path: Path, pkg: PackageRef) -> SignatureRecord | None:
        """Refuse (SignatureError) or warn about `path` per the policy; None when off."""
        if self.mode == "off":
            return None
        rec = signature_record(path, self.trust)
        planned = pkg.signature
        if planned is not None and planned.ok and not rec.ok:
            raise SignatureError(
                f"{path.name}: {rec.kind} signature {rec.status} now, valid when planned: "
                f"{rec.reason}"
            )
        if planned is not None and planned.ok and planned.signer != rec.signer:
            raise SignatureError(
                f"{path.name}: signed by {rec.signer!r} now, by {planned.signer!r} when planned"
            )
        if not rec.ok:
            line = f"{path.name}: {rec.kind} signature {rec.status}: {rec.reason}"
            if self.mode == "require" and not self.allow_unsigned:
                raise SignatureError(f"{line} (signatures = \"require\"; not sent)")
            log.warning("UNVERIFIED, sent anyway (%s): %s", self._why(), line)
        return rec

    def notice(self) -> str | None:
        """What a run must say on its confirmation when unverified packages may be sent."""
        if self.allow_unsigned:
            return "UNSIGNED PACKAGES ALLOWED: the plan was made with --allow-unsigned"
        if self.mode != "require":
            return f'signatures = "{self.mode}": packages that do not verify are sent anyway'
        return None

    def as_dict(self) -> dict[str, object]:
        return {"policy": self.mode, "allow_unsigned": self.allow_unsigned}

    def _why(self) -> str:
        return "--allow-unsigned" if self.allow_unsigned else f'signatures = "{self.mode}"'


class PackageStore:
    """Resolves `PackageRef`s to verified local files (thread-safe, each file checked once)."""

    def __init__(
        self,
        repo: Path | None,
        lm_image: Path | None,
        signatures: SignatureCheck | None = None,
    ) -> None:
        self.repo = repo
        self.lm_image = lm_image
        self.signatures = signatures
        self._verified: dict[Path, Path] = {}
        self._extracted: dict[tuple[Path, str], Path] = {}
        self._lock = threading.Lock()
        self._tmp: Path | None = None
        self._count = 0

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def locate(self, pkg: PackageRef) -> Path:
        if pkg.source == "lm-image":
            if self.lm_image is None:
                raise BadInputError(
                    f"the plan installs the LoadMaster image {pkg.file_name}: give --lm-image"
                )
            return self.lm_image
        if self.repo is None:
            raise BadInputError(
                f"the plan installs {pkg.file_name}: give the repository folder with --repo"
            )
        for rel in (pkg.path, pkg.file_name):
            cand = resolve_inside(self.repo, rel)
            if cand.is_file():
                return cand
        raise BadInputError(f"{pkg.path}: missing in the repository {self.repo}")

    def verified(self, pkg: PackageRef, *, recheck: bool = False) -> Path:
        """The package file, after its MD5 and size matched the plan (HashMismatchError) and
        its signature passed the plan's policy (SignatureError); `recheck` checks again even
        when this file was checked before (right before sending)."""
        path = self.locate(pkg)
        with self._lock:
            if path in self._verified and not recheck:
                return path
        self.check_file(path, pkg)
        with self._lock:
            self._verified[path] = path
        return path

    def check_file(self, path: Path, pkg: PackageRef) -> None:
        """`path` against the plan's size and MD5 (HashMismatchError) and its signature policy
        (SignatureError)."""
        md5, size = _md5(path)
        if pkg.size is not None and size != pkg.size:
            raise HashMismatchError(
                f"{path.name}: size {size}, the plan expects {pkg.size} (file changed since "
                "the plan was made)"
            )
        if pkg.hash_md5 and md5.lower() != pkg.hash_md5.lower():
            raise HashMismatchError(
                f"{path.name}: MD5 {md5}, the plan expects {pkg.hash_md5.lower()} (file changed "
                "since the plan was made)"
            )
        if self.signatures is not None:
            self.signatures.check(path, pkg)

    def check_served(
        self, src: Path | FileSource, pkg: PackageRef, sign: Path | FileSource | None = None
    ) -> None:
        """A file about to be served from a repository or ISO, checked like a pushed one; an
        ISO member is copied out first (with its `.sign` member `sign`, if any)."""
        if isinstance(src, Path):
            self.check_file(src, pkg)
            return
        with tempfile.TemporaryDirectory(prefix="fwupdate-served-") as tmp:
            path = _copy_out(src, Path(tmp) / Path(pkg.file_name).name)
            if sign is not None:
                _copy_out(sign, path.with_name(path.name + ".sign"))
            self.check_file(path, pkg)

    def image_for(self, step: Step) -> Path:
        """What is actually sent for `step`: the package, or its `payload` member extracted."""
        if step.package is None:
            raise BadInputError(f"{step.step_id}: the plan names no package")
        path = self.verified(step.package, recheck=True)
        if not step.payload:
            return path
        key = (path, step.payload)
        with self._lock:
            if key in self._extracted:
                return self._extracted[key]
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix="fwupdate-run-"))
            self._count += 1
            target = self._tmp / f"{self._count:03d}"
        out = extract_bare_image(path, target, step.payload)
        with self._lock:
            self._extracted[key] = out
        return out

    def check_all(self, steps: tuple[Step, ...]) -> None:
        """Verify every package of `steps` up front (bad input before the night starts)."""
        for s in steps:
            if s.package is not None:
                self.verified(s.package)
