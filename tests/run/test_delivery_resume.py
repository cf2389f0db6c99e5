"""Resume of a repository / virtual-media step killed after its update was requested (campaign
seed 52 night 25): the first attempt may already have rebooted the node, so the second has
nothing left to reboot; the wait for the node to be back must use the boot time noted before
the first attempt, not one read now (else it waits for a restart that never comes and fails
"LoadMaster back: not reached")."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from fwupdate.plan.models import Expectation, Step, StepKind
from fwupdate.run import delivery_steps

NOTED = "boot-before-the-first-attempt"


def _step(kind: StepKind) -> Step:
    return Step(f"pair-4/004-{kind.value}", 4, kind, "pair-4", "lb4a", "D1", "delivery", 900,
                expect=(Expectation("id:159", "BIOS", "2.8.0"),),
                params=(("source", "https://repo.example/r640"), ("packages", "x")))


def _rt(note_kind: str) -> Any:
    notes = {note_kind: {"boot_time": NOTED}}
    journal = SimpleNamespace(last_note=lambda sid, kind: notes.get(kind),
                              record=lambda *a, **k: None)
    plan = SimpleNamespace(node=lambda name: SimpleNamespace(inventory=()))
    ctx = SimpleNamespace(journal=journal, plan=plan, files=None,
                          settings=SimpleNamespace(dry_run=False, step_timeout=lambda s: 60.0))
    idrac = SimpleNamespace(eject_virtual_media=lambda: None)
    return SimpleNamespace(ctx=ctx, idrac=lambda node: idrac, say=lambda *a: None)


@pytest.fixture
def waited(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    monkeypatch.setattr(delivery_steps, "take_down", lambda rt, step, resume: (False, "now"))
    monkeypatch.setattr(delivery_steps, "_after",
                        lambda rt, step, boot, lm, out: seen.append(boot) or out)
    monkeypatch.setattr(delivery_steps, "run_repository_update", lambda *a, **k: SimpleNamespace(
        repository_job="JID_R", jobs=[], nothing_to_do=True))
    monkeypatch.setattr(delivery_steps, "run_virtual_media_update", lambda *a, **k: SimpleNamespace(
        changes=[], nothing_to_do=True))
    return seen


@pytest.mark.parametrize("kind,note", [(StepKind.REPO_UPDATE, "repo-requested"),
                                       (StepKind.VMEDIA_UPDATE, "vmedia-requested")])
@pytest.mark.parametrize("applied", [False, True])
def test_resumed_delivery_waits_from_the_noted_boot_time(
        monkeypatch: pytest.MonkeyPatch, waited: list[Any], kind: StepKind, note: str,
        applied: bool) -> None:
    monkeypatch.setattr(delivery_steps, "component_versions",
                        lambda idrac: {"id:159": "2.8.0" if applied else "2.5.4"})
    handler = delivery_steps.repo_update if kind is StepKind.REPO_UPDATE else \
        delivery_steps.vmedia_update
    handler(_rt(note), _step(kind), True)
    assert waited == [NOTED]
