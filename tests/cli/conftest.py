"""CLI renderer tests: the executor test helpers (tests/run/runsim.py) are importable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_RUN = str(Path(__file__).resolve().parent.parent / "run")
if _RUN not in sys.path:
    sys.path.insert(0, _RUN)

from fwupdate.demo.scenario import DemoInputs, build_inputs  # noqa: E402


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> DemoInputs:
    return build_inputs(tmp_path_factory.mktemp("demo-inputs"))
