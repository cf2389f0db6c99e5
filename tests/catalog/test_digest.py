"""catalog/digest.py gives hashlib's SHA-256, whole or in pieces."""

from __future__ import annotations

import hashlib

import pytest

from fwupdate.catalog import digest

SAMPLES = [b"", b"abc", b"x" * 63, b"y" * 64, b"z" * 65, bytes(range(256)) * 1000]


@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: str(len(d)))
def test_one_shot_is_sha256(data: bytes) -> None:
    assert digest.sha256_digest(data) == hashlib.sha256(data).digest()


def test_running_digest_is_sha256_whatever_the_pieces() -> None:
    data = b"".join(SAMPLES) * 3
    for step in (1, 7, 64, 1000, 1 << 16):
        h = digest.sha256()
        for i in range(0, len(data), step):
            h.update(data[i : i + step])
        h.update(memoryview(b"tail"))
        want = hashlib.sha256(data + b"tail")
        assert h.digest() == want.digest()
        assert h.hexdigest() == want.hexdigest()  # twice: digest() does not consume
