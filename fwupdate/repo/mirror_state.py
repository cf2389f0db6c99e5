"""What `repo mirror` keeps beside a mirror between runs: `DIR/.fwupdate-mirror/`.

- `state.json`: per package path, the server's validators (ETag, Last-Modified) and the size
  and MD5 of the copy in DIR, so a re-run asks the server conditionally (`If-None-Match`,
  `If-Modified-Since`) and downloads only what changed; and the validators of each partial
  download, so a resume (`Range` + `If-Range`) never splices two versions of a file.
- `partial/`: downloads that broke off, resumed by the next run; nothing in DIR itself is ever
  half-written (a package is moved into place only after it verified).

The folder is hidden, so neither `repo serve`, the ISO builder nor the iDRAC ever sees it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.atomicfile import write_text_atomic

STATE_DIR = ".fwupdate-mirror"
STATE_FILE = "state.json"


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Validators:
        return cls(headers.get("ETag"), headers.get("Last-Modified"))

    @classmethod
    def from_dict(cls, raw: Any) -> Validators:
        if not isinstance(raw, dict):
            return cls()
        etag, lm = raw.get("etag"), raw.get("last_modified")
        return cls(etag if isinstance(etag, str) else None, lm if isinstance(lm, str) else None)

    def as_dict(self) -> dict[str, str]:
        out = {"etag": self.etag, "last_modified": self.last_modified}
        return {k: v for k, v in out.items() if v}

    def conditional(self) -> dict[str, str]:
        """Headers for a conditional GET (304 when the server's file is the same)."""
        out: dict[str, str] = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out

    def if_range(self) -> str | None:
        """A strong ETag, else Last-Modified: the Range is honoured only for the same file."""
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified


class MirrorState:
    """The state file, read once and written atomically at the end of a run (thread-safe)."""

    def __init__(self, to: Path) -> None:
        self.folder = to / STATE_DIR
        self.partial = self.folder / "partial"
        self._lock = threading.Lock()
        self._packages: dict[str, dict[str, Any]] = {}
        self._partials: dict[str, dict[str, Any]] = {}
        self._load()

    def _load(self) -> None:
        try:
            doc = json.loads((self.folder / STATE_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return  # none yet, or damaged: the run then checks every file in full
        if isinstance(doc, dict):
            for key, target in (("packages", self._packages), ("partial", self._partials)):
                raw = doc.get(key)
                if isinstance(raw, dict):
                    target.update({k: v for k, v in raw.items() if isinstance(v, dict)})

    def kept(self, rel: str) -> tuple[Validators, str | None, int | None]:
        """(server validators, MD5, size) recorded for the copy of `rel` in DIR."""
        with self._lock:
            raw = self._packages.get(rel, {})
        md5, size = raw.get("md5"), raw.get("size")
        return (
            Validators.from_dict(raw),
            md5 if isinstance(md5, str) else None,
            size if isinstance(size, int) else None,
        )

    def partial_validators(self, rel: str) -> Validators:
        with self._lock:
            return Validators.from_dict(self._partials.get(rel))

    def started(self, rel: str, validators: Validators | None) -> None:
        with self._lock:
            if validators is None or not validators.if_range():
                self._partials.pop(rel, None)
            else:
                self._partials[rel] = validators.as_dict()

    def placed(self, rel: str, validators: Validators, md5: str, size: int) -> None:
        with self._lock:
            self._partials.pop(rel, None)
            self._packages[rel] = {**validators.as_dict(), "md5": md5, "size": size}

    def forget(self, rel: str) -> None:
        with self._lock:
            self._partials.pop(rel, None)

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            doc = {"packages": self._packages, "partial": self._partials}
        write_text_atomic(self.folder / STATE_FILE, json.dumps(doc, indent=1, sort_keys=True))
