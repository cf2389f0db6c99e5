from __future__ import annotations

import os
from pathlib import Path

import pytest

from fwupdate.atomicfile import write_text_atomic
from fwupdate.errors import BadInputError


def test_writes_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    p = write_text_atomic(tmp_path / "out.json", "{}\n")
    assert p.read_text() == "{}\n"
    assert os.listdir(tmp_path) == ["out.json"]


def test_missing_folder_is_one_line_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="cannot write"):
        write_text_atomic(tmp_path / "nope" / "out.json", "x")


def test_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old")


    with pytest.raises(TypeError):
        write_text_atomic(target, 123)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["plan.json"]


def test_pieces_are_written_whole(tmp_path: Path) -> None:
    from fwupdate.atomicfile import write_pieces_atomic

    p = write_pieces_atomic(tmp_path / "out.json", iter(["{", '"a": "é"', "}\n"]))
    assert p.read_text(encoding="utf-8") == '{"a": "é"}\n'
    assert os.listdir(tmp_path) == ["out.json"]
