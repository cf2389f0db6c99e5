"""SHA-256 for the catalog engine (`Catalog.sha256` of its bytes, cache keys, the keys of
remembered blocks), from `hashlib`.

One place for it, imported by the modules that hash.  A ctypes binding of libcrypto's
`SHA256_Init/Update/Final` was measured (issue 12): it spared `hashlib`'s OpenSSL start-up
(3.4 MB resident, 1.5 MB net of ctypes) in a catalog parse, yet left the dense 10x parse above
1/20 of omsdk's peak; a hand-bound crypto library is not worth 1.5 MB, so it was not kept
(docs/performance.md).
"""

from __future__ import annotations

import hashlib
from typing import Protocol

__all__ = ["Sha256", "sha256", "sha256_digest"]


class Sha256(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


def sha256() -> Sha256:
    """A new running SHA-256 (`update`, `digest`, `hexdigest`)."""
    return hashlib.sha256()


def sha256_digest(data: bytes) -> bytes:
    """SHA-256 of `data` (32 bytes)."""
    return hashlib.sha256(data).digest()
