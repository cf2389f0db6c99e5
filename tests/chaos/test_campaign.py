"""The randomized campaign: draws are reproducible from the seed, and a bounded slice of nights
(a few single-pair nights, well under 60 s) ends with zero checker violations and every fault
in its documented outcome."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from fwupdate.chaos.campaign import night_lines
from fwupdate.chaos.inputs import build_inputs
from fwupdate.chaos.night import draw_night, run_night

SLICE_NIGHTS = 2


def test_a_night_is_reproduced_from_its_seed_and_number() -> None:
    assert draw_night(11, 4) == draw_night(11, 4)
    nights = {draw_night(11, n) for n in range(30)}
    assert len(nights) == 30
    assert any(n.kills for n in nights) and any(n.faults for n in nights)
    assert any(n.mistakes() for n in nights)
    assert {p for n in nights for p in n.pairs} == {"pair-1", "pair-2", "pair-3", "pair-4",
                                                    "pair-5"}
    assert draw_night(11, 4).label == "seed 11 night 4"


def test_intensity_draws_more_faults_and_kills_reproducibly() -> None:
    assert draw_night(11, 4, intensity=3) == draw_night(11, 4, intensity=3)
    plain = [draw_night(11, n) for n in range(60)]
    harsh = [draw_night(11, n, intensity=3) for n in range(60)]
    assert sum(len(n.faults) for n in harsh) > 2 * sum(len(n.faults) for n in plain)
    assert sum(len(n.kills) for n in harsh) > 2 * sum(len(n.kills) for n in plain)


@pytest.mark.integration
def test_slice_of_chaos_nights_has_no_violation(tmp_path: Path) -> None:
    seed = int(os.environ.get("FWUPDATE_CHAOS_SEED") or random.SystemRandom().randrange(10**6))
    print(f"chaos slice seed {seed} (replay: python -m fwupdate.chaos --seed {seed} --night N)")
    inputs = build_inputs(tmp_path / "inputs")
    bad: list[str] = []
    for n in range(SLICE_NIGHTS):
        result = run_night(draw_night(seed, n, max_pairs=1), inputs, tmp_path / f"night-{n}")
        lines = night_lines(result)
        print("\n".join(lines))
        if result.violations or result.error:
            bad += [line for line in lines
                    if "VIOLATION" in line or "OUTCOME" in line or "could not run" in line]
    assert bad == [], "\n".join(bad)


def test_a_process_dead_of_a_signal_nobody_sent_is_a_finding() -> None:
    """Seed 505 --intensity 3 night 17: a resume died of SIGSEGV; the campaign says so."""
    from fwupdate.chaos.campaign import Figures
    from fwupdate.chaos.night import NightResult

    figures = Figures(505, 3)
    figures.add(NightResult(draw_night(505, 17, intensity=3), exits=[2, 130, -11], crashes=[-11]))
    assert figures.crashes == [(17, -11)]
    assert "processes dead of a signal not sent: 1 (night 17: signal 11)" in "\n".join(
        figures.lines())
