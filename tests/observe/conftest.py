"""Observability tests: the receiver helper and the executor test helpers are importable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

for _dir in (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "run"):
    if str(_dir) not in sys.path:
        sys.path.insert(0, str(_dir))

from fwupdate.demo.scenario import DemoInputs, build_inputs  # noqa: E402


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> DemoInputs:
    return build_inputs(tmp_path_factory.mktemp("demo-inputs"))
