"""Use case: the evening's dress rehearsal — the plan run against a simulated copy of the
fleet saved in an inventory, judged by the independent checker (fwupdate.rehearse;
docs/rehearsal.md).  The simulator is imported only when a rehearsal runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fwupdate.rehearse.night import RehearsalResult


def _silent(_message: str) -> None:
    """Progress nobody listens to."""


@dataclass(frozen=True)
class RehearseRequest:
    plan_file: Path
    inventory: Path  # saved by `fwupdate inventory --out`
    out: Path = Path("rehearsal-out")
    time_scale: float = 400.0
    repo: Path | None = None
    lm_image: Path | None = None
    concurrency: int | None = None


def rehearse(req: RehearseRequest, *, say: Callable[[str], None] = _silent) -> RehearsalResult:
    from fwupdate.rehearse.night import rehearse as run_rehearsal

    return run_rehearsal(req.plan_file, req.inventory, out=req.out, time_scale=req.time_scale,
                         repo=req.repo, lm_image=req.lm_image, concurrency=req.concurrency,
                         say=say)  # fmt: skip
