"""Verification against a catalog entry: MD5 any case, size, and clear mismatch messages."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fwupdate.dup import build_exe_dup, catalog_entry_for, file_digests, verify_against_component
from fwupdate.errors import DupError, HashMismatchError


@pytest.fixture
def built(tmp_path: Path, kit, component):  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / kit.IDRAC_EXE, component, {"firmimg.d7": kit.IMAGE})
    return p, catalog_entry_for(p, component)


def test_catalog_entry_carries_real_hash_and_size(built) -> None:  # type: ignore[no-untyped-def]
    p, entry = built
    d = file_digests(p)
    assert entry.hash_md5 == d.md5 and entry.size == p.stat().st_size
    v = verify_against_component(p, entry)
    assert v.md5 == d.md5 and v.sha256 == d.sha256 and v.size == entry.size


def test_uppercase_md5_is_accepted(built) -> None:  # type: ignore[no-untyped-def]
    p, entry = built
    upper = dataclasses.replace(entry, hash_md5=entry.hash_md5.upper(), size=None)
    assert verify_against_component(p, upper).expected_md5 == entry.hash_md5


def test_md5_mismatch_names_file_and_both_values(built) -> None:  # type: ignore[no-untyped-def]
    p, entry = built
    wrong = dataclasses.replace(entry, hash_md5="0" * 32)
    with pytest.raises(HashMismatchError) as ei:
        verify_against_component(p, wrong)
    msg = str(ei.value)
    assert p.name in msg and "0" * 32 in msg and entry.hash_md5 in msg
    assert ei.value.exit_code == 2


def test_size_mismatch(built) -> None:  # type: ignore[no-untyped-def]
    p, entry = built
    wrong = dataclasses.replace(entry, size=entry.size + 1)
    pattern = rf"expects {entry.size + 1} bytes.*has {entry.size}"
    with pytest.raises(HashMismatchError, match=pattern):
        verify_against_component(p, wrong)


def test_entry_without_hash_or_size_cannot_verify(built) -> None:  # type: ignore[no-untyped-def]
    p, entry = built
    with pytest.raises(DupError, match="neither hashMD5 nor size"):
        verify_against_component(p, dataclasses.replace(entry, hash_md5=None, size=None))
