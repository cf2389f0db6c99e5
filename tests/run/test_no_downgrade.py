"""A device already at or past a step's target is never flashed back to that older target
(campaign seed 12 nights 3, 6, 9: a fresh `fwupdate run` took an iDRAC at 2.65.65.65 back down
through the stepping stones 1.66.65 and 2.10.10.10), unless the plan itself planned the
downgrade (from > to).  Fakes stand for the devices: a step that decides to install fails."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from fwupdate.plan.models import (
    ComponentKind,
    ComponentRef,
    Expectation,
    InventoryEntry,
    Step,
    StepKind,
)
from fwupdate.run import delivery_steps, steps_idrac


class Installed(Exception):
    """The step went on to send an image."""


class FakeIdrac:
    def __init__(self, version: str) -> None:
        self.version = version

    def firmware_version(self) -> str:
        return self.version

    def __getattr__(self, name: str) -> Any:  # any other device call means "it went on"
        raise Installed(name)


class Ns(SimpleNamespace):
    def __getattr__(self, name: str) -> Any:  # the step reached for the store, the file server
        raise Installed(name)


def _rt(idrac: FakeIdrac, steps: tuple[Step, ...] = (), inventory: tuple[InventoryEntry, ...] = ()
        ) -> Any:
    journal = SimpleNamespace(last_note=lambda *a: None, events=lambda **k: [],
                              record=lambda *a, **k: None)
    plan = SimpleNamespace(node=lambda name: SimpleNamespace(inventory=inventory))
    ctx = Ns(journal=journal, plan=plan, wait_for=lambda what, fn, **k: fn(),
             settings=SimpleNamespace(dry_run=False, step_timeout=lambda s: 60.0))
    return SimpleNamespace(ctx=ctx, idrac=lambda node: idrac, fresh_idrac=lambda node: idrac,
                           installed_versions=lambda node: steps_idrac.component_versions(idrac),
                           group=SimpleNamespace(steps=steps), say=lambda *a: None)


def _stone(seq: int, frm: str, to: str) -> Step:
    return Step(f"pair-1/{seq:03d}-idrac_update", seq, StepKind.IDRAC_UPDATE, "pair-1", "lb1b",
                "S1", "stone", 600, from_version=frm, to_version=to)


STONES = (_stone(3, "1.57.57", "1.66.65"), _stone(4, "1.66.65", "2.10.10.10"),
          _stone(5, "2.10.10.10", "2.65.65.65"))


@pytest.mark.parametrize("resume", [False, True])
@pytest.mark.parametrize("step", STONES, ids=lambda s: s.to_version)
def test_idrac_at_final_target_skips_every_stone(step: Step, resume: bool) -> None:
    rt = _rt(FakeIdrac("2.65.65.65"), STONES)
    out = steps_idrac.idrac_update(rt, step, resume)
    assert out["already"] == "2.65.65.65"


def test_idrac_between_stones_skips_the_passed_one_only() -> None:
    rt = _rt(FakeIdrac("2.10.10.10"), STONES)
    assert steps_idrac.idrac_update(rt, STONES[0], False)["already"] == "2.10.10.10"
    assert steps_idrac.idrac_update(rt, STONES[1], False)["already"] == "2.10.10.10"
    with pytest.raises(Installed):
        steps_idrac.idrac_update(rt, STONES[2], False)


def test_planned_idrac_downgrade_is_still_sent() -> None:
    down = _stone(3, "2.65.65.65", "2.63.60.62")
    with pytest.raises(Installed):
        steps_idrac.idrac_update(_rt(FakeIdrac("2.65.65.65"), (down,)), down, False)


def _bios_step(frm: str, to: str) -> Step:
    return Step("pair-1/006-firmware_stage", 6, StepKind.FIRMWARE_STAGE, "pair-1", "lb1b", "F1",
                "bios", 300, component=ComponentRef("BIOS", ComponentKind.BIOS, "159"),
                from_version=frm, to_version=to, expect=(Expectation("id:159", "BIOS", to),))


@pytest.mark.parametrize("frm", ["2.5.4", "2.9.0"])  # an upgrade; force-same at the newer one
def test_firmware_past_target_is_not_flashed_down(monkeypatch: pytest.MonkeyPatch,
                                                  frm: str) -> None:
    monkeypatch.setattr(steps_idrac, "component_versions", lambda idrac: {"id:159": "2.9.0"})
    step = _bios_step(frm, "2.9.0" if frm == "2.9.0" else "2.8.0")
    if frm == "2.9.0":  # force-same at 2.9.0, the device already newer
        monkeypatch.setattr(steps_idrac, "component_versions",
                            lambda idrac: {"id:159": "2.10.0"})
    out = steps_idrac.firmware_step(_rt(FakeIdrac("2.65.65.65")), step, False)
    assert out["already"] == step.to_version


def test_planned_firmware_downgrade_is_still_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(steps_idrac, "component_versions", lambda idrac: {"id:159": "2.9.0"})
    with pytest.raises(Installed):
        steps_idrac.firmware_step(_rt(FakeIdrac("x")), _bios_step("2.9.0", "2.8.0"), False)


def _repo_step() -> Step:
    return Step("pair-4/003-repo_update", 3, StepKind.REPO_UPDATE, "pair-4", "lb4b", "D1", "repo",
                900, expect=(Expectation("id:159", "BIOS", "2.8.0"),),
                params=(("source", "repo"), ("packages", "x")))


@pytest.mark.parametrize("seen", ["2.5.4", "2.9.0"])
def test_delivery_asks_the_device_in_a_fresh_run(monkeypatch: pytest.MonkeyPatch,
                                                 seen: str) -> None:
    """Fresh run (not resume): BIOS at 2.9.0 past the 2.8.0 target.  Planned from 2.5.4: done
    already; planned from 2.9.0 (a downgrade): the update goes on."""
    monkeypatch.setattr(delivery_steps, "component_versions", lambda idrac: {"id:159": "2.9.0"})
    rt = _rt(FakeIdrac("x"), inventory=(InventoryEntry("id:159", "BIOS", seen),))
    if seen == "2.5.4":
        assert delivery_steps.repo_update(rt, _repo_step(), False) == {"already": True}
        assert delivery_steps.vmedia_update(rt, _repo_step(), False) == {"already": True}
    else:
        with pytest.raises(Installed):
            delivery_steps.repo_update(rt, _repo_step(), False)
