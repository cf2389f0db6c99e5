"""Dell version comparison: known cases and order properties on arbitrary strings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fwupdate.catalog.versions import compare_versions, is_newer, newest, same_version


@pytest.mark.parametrize(
    ("newer", "older"),
    [
        ("2.65.65.65", "2.10.10.10"),  # numeric per field, not text
        ("2.10.10.10", "2.9.9.9"),
        ("2.10.10.10", "1.66.65"),
        ("2.20.20.20", "2.10.10.10"),
        ("2.60.60.60", "2.41.40.40"),
        ("1.66.65.1", "1.66.65"),
        ("A08", "A00"),
        ("A10", "A9"),
        ("a01", "A00"),
        ("MA8G", "MA8F"),
        ("MA9F", "MA8F"),
        ("21.3.4-0001", "21.3.4"),
        ("21.3.4-0002", "21.3.4-0001"),
        ("21.3.5", "21.3.4-0001"),
        ("4247A2", "4247A1"),
        ("4248A1", "4247A1"),
        ("2.9.0", "2.4.2"),
        ("06.00.2C", "06.00.2B"),
        ("1.5a", "1.5"),
        ("1.a", "1.5"),  # a number sorts before text at the same position
    ],
)
def test_order(newer: str, older: str) -> None:
    assert is_newer(newer, older)
    assert not is_newer(older, newer)
    assert compare_versions(newer, older) == 1
    assert compare_versions(older, newer) == -1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.66.65", "1.66.65.0"),
        ("2.65.65.65", "2.65.65.65"),
        ("A00", "a00"),
        ("A00", "A00-00"),
        ("1-2", "1.2"),
        ("", "..."),
    ],
)
def test_same(a: str, b: str) -> None:
    assert same_version(a, b)
    assert not is_newer(a, b) and not is_newer(b, a)


def test_newest() -> None:
    assert newest(["2.10.10.10", "2.65.65.65", "1.66.65", "2.20.20.20"]) == "2.65.65.65"
    assert newest([]) is None


VERSIONS = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789.-_Aa BbxZ", max_size=14),
    st.lists(st.integers(0, 300), min_size=1, max_size=5).map(lambda p: ".".join(map(str, p))),
)


@settings(max_examples=300, deadline=None)
@given(a=VERSIONS, b=VERSIONS)
def test_antisymmetric_and_total(a: str, b: str) -> None:
    ab, ba = compare_versions(a, b), compare_versions(b, a)
    assert ab in (-1, 0, 1)
    assert ab == -ba
    assert compare_versions(a, a) == 0


@settings(max_examples=300, deadline=None)
@given(a=VERSIONS, b=VERSIONS, c=VERSIONS)
def test_transitive(a: str, b: str, c: str) -> None:
    if compare_versions(a, b) <= 0 and compare_versions(b, c) <= 0:
        assert compare_versions(a, c) <= 0
    if compare_versions(a, b) == 0 and compare_versions(b, c) == 0:
        assert compare_versions(a, c) == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(VERSIONS, max_size=8))
def test_sorting_is_consistent(values: list[str]) -> None:
    import functools
    import itertools

    ordered = sorted(values, key=functools.cmp_to_key(compare_versions))
    for lo, hi in itertools.pairwise(ordered):
        assert compare_versions(lo, hi) <= 0
