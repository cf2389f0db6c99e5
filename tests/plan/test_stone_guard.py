"""The stepping-stone guard of `fwupdate idrac update-self` (issue 11 defect 10), pure part."""

from __future__ import annotations

import pytest

from fwupdate.plan.policy import R320_STEPPING_STONES
from fwupdate.plan.steppingstones import stone_guard

STONES = R320_STEPPING_STONES


@pytest.mark.parametrize(
    ("current", "target", "next_stone"),
    [
        ("1.57.57", "2.65.65.65", "1.66.65"),
        ("1.57.57", "2.10.10.10", "1.66.65"),
        ("1.57.57", "2.20.20.20", "1.66.65"),
        ("1.66.65", "2.65.65.65", "2.10.10.10"),
    ],
)
def test_a_skipped_stone_is_named(current: str, target: str, next_stone: str) -> None:
    line = stone_guard(STONES, "iDRAC7", current, target)
    assert line is not None
    assert f"{current} -> {target} skips stepping stone {next_stone}" in line
    assert f"install {next_stone} first" in line


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("1.57.57", "1.66.65"),
        ("1.66.65", "2.10.10.10"),
        ("1.66.65", "2.20.20.20"),  # an accepted alternative of the stone
        ("2.10.10.10", "2.65.65.65"),
        ("2.20.20.20", "2.65.65.65"),
        ("2.65.65.65", "2.65.65.65"),
        ("2.50.50.50", "2.65.65.65"),
    ],
)
def test_a_path_through_the_stones_passes(current: str, target: str) -> None:
    assert stone_guard(STONES, "iDRAC7", current, target) is None


def test_a_downgrade_across_a_stone_is_refused() -> None:
    line = stone_guard(STONES, "iDRAC7", "2.65.65.65", "1.57.57")
    assert line is not None and "downgrade" in line and "stepping stone 2.10.10.10" in line


def test_other_generations_have_no_stones_here() -> None:
    assert stone_guard(STONES, "iDRAC9", "3.00.00.00", "7.00.00.00") is None


def test_unknown_image_version_below_a_stone_is_refused() -> None:
    line = stone_guard(STONES, "iDRAC7", "1.57.57", None)
    assert line is not None and "--expect-version" in line and "1.66.65" in line
    assert stone_guard(STONES, "iDRAC7", "2.65.65.65", None) is None
