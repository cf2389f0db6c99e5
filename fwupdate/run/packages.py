"""The files a plan sends: found in the repository (or beside the plan), checked against the
plan's MD5/size before anything is sent, and extracted (`payload/firmimg.d7`) where the plan
says so.  Extraction goes into a private temporary folder that lives as long as the run."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from pathlib import Path

from fwupdate.dup.extract import extract_dup
from fwupdate.errors import BadInputError, HashMismatchError
from fwupdate.pathsafe import resolve_inside
from fwupdate.plan.models import PackageRef, Step


def _md5(path: Path) -> tuple[str, int]:
    h = hashlib.md5(usedforsecurity=False)
    size = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


class PackageStore:
    """Resolves `PackageRef`s to verified local files (thread-safe, each file checked once)."""

    def __init__(self, repo: Path | None, lm_image: Path | None) -> None:
        self.repo = repo
        self.lm_image = lm_image
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

    def verified(self, pkg: PackageRef) -> Path:
        """The package file, after its MD5 and size matched the plan (HashMismatchError)."""
        path = self.locate(pkg)
        with self._lock:
            if path in self._verified:
                return path
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
        with self._lock:
            self._verified[path] = path
        return path

    def image_for(self, step: Step) -> Path:
        """What is actually sent for `step`: the package, or its `payload` member extracted."""
        if step.package is None:
            raise BadInputError(f"{step.step_id}: the plan names no package")
        path = self.verified(step.package)
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
        extract_dup(path, target, members=[step.payload])
        out = target / step.payload
        if not out.is_file():
            raise BadInputError(f"{path.name}: has no member {step.payload}")
        with self._lock:
            self._extracted[key] = out
        return out

    def check_all(self, steps: tuple[Step, ...]) -> None:
        """Verify every package of `steps` up front (bad input before the night starts)."""
        for s in steps:
            if s.package is not None:
                self.verified(s.package)
