"""catalog/digest.py gives hashlib's SHA-256, through libcrypto or through the fallback."""

from __future__ import annotations

import hashlib

import pytest

from fwupdate.catalog import digest

SAMPLES = [b"", b"abc", b"x" * 63, b"y" * 64, b"z" * 65, bytes(range(256)) * 1000]


@pytest.fixture(params=["libcrypto", "hashlib"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "libcrypto":
        if not digest._load_libcrypto():
            pytest.skip("libcrypto cannot be loaded through ctypes here")
        monkeypatch.setattr(digest, "_USE_LIBCRYPTO", True)
    else:
        monkeypatch.setattr(digest, "_USE_LIBCRYPTO", False)
    return str(request.param)


@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: str(len(d)))
def test_one_shot_is_hashlib(backend: str, data: bytes) -> None:
    assert digest.sha256_digest(data) == hashlib.sha256(data).digest()


def test_running_digest_is_hashlib_whatever_the_pieces(backend: str) -> None:
    data = b"".join(SAMPLES) * 3
    for step in (1, 7, 64, 1000, 1 << 16):
        h = digest.sha256()
        for i in range(0, len(data), step):
            h.update(data[i : i + step])
        h.update(memoryview(b"tail"))
        want = hashlib.sha256(data + b"tail")
        assert h.digest() == want.digest()
        assert h.hexdigest() == want.hexdigest()  # twice: digest() does not consume


def test_libcrypto_is_what_the_catalog_uses_here() -> None:
    """On this platform (Linux with OpenSSL) the ctypes path is the one taken: that is what
    keeps OpenSSL's start-up out of a catalog parse (docs/performance.md)."""
    if not digest._load_libcrypto():
        pytest.skip("no libcrypto loadable through ctypes")
    assert digest._libcrypto() is True
