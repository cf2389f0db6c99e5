"""SHA-256 for the catalog engine, without `hashlib`'s start-up cost.

`import hashlib` loads OpenSSL through `_hashlib`, whose initialisation walks every digest
OpenSSL provides: 3.4-3.6 MB of resident memory before the first byte is hashed, an eighth of
a catalog parse's peak.  The digests a catalog needs (`Catalog.sha256` of its bytes, the cache
keys, the keys of remembered blocks) are plain SHA-256, so this module calls libcrypto's
`SHA256_Init/Update/Final` through ctypes (the same OpenSSL code, SHA-NI where the CPU has it:
38 MB in 0.034 s, as `hashlib`), which maps the library without that initialisation (+1.7 MB
with ctypes; not OpenSSL 3's one-shot `SHA256()`, which starts its providers: +1.8 MB more).
Where libcrypto cannot be loaded that way, or fails the known-answer check below,
`hashlib.sha256` is used: the digests are the same either way (tests/catalog/test_digest.py).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import Protocol

__all__ = ["Sha256", "sha256", "sha256_digest"]

_CTX_BYTES = 256  # sizeof(SHA256_CTX) is 112; room to spare
_ABC = bytes.fromhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
# Versioned sonames only: an unversioned libcrypto has no stable ABI (macOS aborts a process
# that loads /usr/lib/libcrypto.dylib); elsewhere `hashlib` is used.
_LIBCRYPTO_NAMES = ("libcrypto.so.3", "libcrypto.so.1.1")


class Sha256(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


class _CryptoSha256:
    """One running SHA-256 in libcrypto (the subset of `hashlib.sha256` the catalog uses)."""

    __slots__ = ("_ctx", "_done")

    def __init__(self) -> None:
        self._ctx = ctypes.create_string_buffer(_CTX_BYTES)
        self._done: bytes | None = None
        if _INIT(self._ctx) != 1:
            raise OSError("SHA256_Init failed")

    def update(self, data: bytes | memoryview, /) -> None:
        if self._done is not None:
            raise ValueError("update after digest")
        view = data if isinstance(data, bytes) else bytes(data)
        if view and _UPDATE(self._ctx, view, len(view)) != 1:
            raise OSError("SHA256_Update failed")

    def digest(self) -> bytes:
        if self._done is None:
            out = ctypes.create_string_buffer(32)
            if _FINAL(out, self._ctx) != 1:
                raise OSError("SHA256_Final failed")
            self._done = out.raw
        return self._done

    def hexdigest(self) -> str:
        return self.digest().hex()


_INIT: Callable[..., int]
_UPDATE: Callable[..., int]
_FINAL: Callable[..., int]


def _load_libcrypto() -> bool:
    """Bind libcrypto's SHA-256 functions; False when they are not there or give a wrong
    answer for "abc" (FIPS 180-2's known answer)."""
    global _INIT, _UPDATE, _FINAL
    for name in _LIBCRYPTO_NAMES:
        try:
            lib = ctypes.CDLL(name)
            init, update, final = lib.SHA256_Init, lib.SHA256_Update, lib.SHA256_Final
        except (OSError, AttributeError):
            continue
        init.argtypes = [ctypes.c_void_p]
        update.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        final.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        init.restype = update.restype = final.restype = ctypes.c_int
        _INIT, _UPDATE, _FINAL = init, update, final
        try:
            h = _CryptoSha256()
            h.update(b"ab")
            h.update(b"c")
            if h.digest() == _ABC and _crypto_digest(b"abc") == _ABC:
                return True
        except OSError:
            pass
    return False


_BUFFERS = threading.local()  # each thread's context and output buffers, made once


def _crypto_digest(data: bytes) -> bytes:
    """Through Init/Update/Final: OpenSSL 3's one-shot `SHA256()` goes through the EVP layer,
    whose provider start-up touches 1.8 MB more of the library."""
    buffers = getattr(_BUFFERS, "pair", None)
    if buffers is None:
        buffers = _BUFFERS.pair = (
            ctypes.create_string_buffer(_CTX_BYTES), ctypes.create_string_buffer(32)
        )
    ctx, out = buffers
    if _INIT(ctx) != 1 or _UPDATE(ctx, data, len(data)) != 1 or _FINAL(out, ctx) != 1:
        raise OSError("SHA-256 in libcrypto failed")
    return out.raw


def _hashlib_sha256() -> Sha256:
    import hashlib

    return hashlib.sha256()


def _hashlib_digest(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(data).digest()


_USE_LIBCRYPTO: bool | None = None  # decided on first use


def _libcrypto() -> bool:
    global _USE_LIBCRYPTO
    if _USE_LIBCRYPTO is None:
        _USE_LIBCRYPTO = _load_libcrypto()
    return _USE_LIBCRYPTO


def sha256() -> Sha256:
    """A new running SHA-256 (`update`, `digest`, `hexdigest`)."""
    return _CryptoSha256() if _libcrypto() else _hashlib_sha256()


def sha256_digest(data: bytes) -> bytes:
    """SHA-256 of `data` (32 bytes)."""
    return _crypto_digest(data) if _libcrypto() else _hashlib_digest(data)
