"""The iDRAC7 firmware inventory (the costliest read of a night) is walked at most twice per
node per night: at the node's drift check and at its verify step; the steps between reuse the
drift check's read while nothing was installed since, with the same results."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from runsim import LM_PACE, at_target, night

from fwupdate.run import session
from fwupdate.run.context import RunSettings
from fwupdate.run.executor import G_DONE
from fwupdate.run.journal import Journal
from fwupdate.sim.http import Request
from fwupdate.sim.idrac.device import IdracDevice

pytestmark = pytest.mark.integration

SCALE = 800.0
INVENTORY = "/redfish/v1/UpdateService/FirmwareInventory"


def _walk_key(request: Request) -> str | None:
    """What a full inventory walk reads once: each installed Redfish member (the collection
    alone is also read for its ETag before a push), or a WS-Man DCIM_SoftwareIdentity
    enumeration."""
    path = request.path.rstrip("/")
    if request.method == "GET" and path.startswith(INVENTORY + "/Installed-"):
        return path
    if path == "/wsman" and b"DCIM_SoftwareIdentity" in request.body() \
            and b"/Enumerate<" in request.body():  # fmt: skip
        return "wsman"
    return None


def test_inventory_read_at_most_twice_per_node(demo_inputs, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    seen: Counter[tuple[str, str]] = Counter()
    handle = IdracDevice.handle

    def counted(self: IdracDevice, request: Request):  # type: ignore[no-untyped-def]
        key = _walk_key(request)
        if key is not None:
            seen[(self.name, key)] += 1
        return handle(self, request)

    monkeypatch.setattr(IdracDevice, "handle", counted)
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        seen.clear()  # the evening's live inventory for the plan is not the night's
        _path, result = session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs",
                                      settings=settings, repo=n.inputs.repo,
                                      lm_image=n.inputs.lm_image)
        assert [g.status for g in result.groups] == [G_DONE]
        assert at_target(n) == []
    walks: dict[str, int] = {}
    for (device, _key), count in seen.items():
        walks[device] = max(walks.get(device, 0), count)
    nodes = [node.name for g in n.plan.groups for node in g.nodes]
    assert sorted(walks) == sorted(f"{x}-idrac" for x in nodes)
    assert all(count <= 2 for count in walks.values()), walks  # before and after


def test_inventory_collection_walked_at_most_twice_per_node(demo_inputs, tmp_path: Path
                                                            ) -> None:
    """Counted in the simulator's request tally: a walk reads every installed member, so the
    most GETs of any one member are the night's walks (a collection GET alone is not one: each
    HTTP push reads it for its ETag, and a firmware_apply_now looks there for its new member,
    again when the device is slow to list it -- under load the collection count alone varied
    by one); the steps between the drift check and verify ask the device with one member GET
    per component, and what the journal says they installed is what the device has."""
    settings = RunSettings(time_scale=SCALE, lm_min_interval=LM_PACE)
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        for dev in n.sim.devices.values():
            dev.request_kinds.clear()  # the evening's live inventory for the plan
        path, result = session.start(n.plan_path, n.fleet, runs_dir=tmp_path / "runs",
                                     settings=settings, repo=n.inputs.repo,
                                     lm_image=n.inputs.lm_image)
        assert [g.status for g in result.groups] == [G_DONE]
        assert at_target(n) == []
        walks = {name: max(v for k, v in dev.request_kinds.items()
                           if k.startswith(f"GET {INVENTORY}/Installed-"))
                 for name, dev in n.sim.devices.items() if name.endswith("-idrac")}
        assert walks and all(count <= 2 for count in walks.values()), walks
        pushes = {name: dev.request_kinds[f"POST {INVENTORY}"]
                  for name, dev in n.sim.devices.items() if name.endswith("-idrac")}
        assert all(pushes.values()), pushes  # each push read the collection for its ETag
        installed = {name: _installed(dev) for name, dev in n.sim.devices.items()
                     if isinstance(dev, IdracDevice)}
    with Journal.open(path) as j:
        applied = [s for s in j.steps() if s.kind == "firmware_apply_now"]
    assert applied
    for s in applied:
        if s.outcome and "to" in s.outcome:  # the same result as a full read now
            assert s.outcome["to"] in installed[f"{s.node}-idrac"], (s.step_id, s.outcome)


def _installed(dev: IdracDevice) -> set[str]:
    return {c.version for c in dev.state.inventory(include_available=False)
            if c.state == "Installed"}
