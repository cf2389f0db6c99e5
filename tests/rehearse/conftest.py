"""Rehearsal tests: make the helpers importable and build the demo repository once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from fwupdate.demo.scenario import DemoInputs, build_inputs  # noqa: E402


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> DemoInputs:
    return build_inputs(tmp_path_factory.mktemp("rehearse-inputs"))
