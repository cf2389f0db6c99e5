"""The executor runs repo_update / vmedia_update steps of a plan against the simulator
(handlers in fwupdate/run/delivery_steps.py, listed in fwupdate.run.executor.HANDLERS)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from delivery_support import TIME_SCALE, build_iso, build_repo, r640_components

from fwupdate.plan.models import StepKind
from fwupdate.run import delivery_steps, executor
from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, SimulatedFleet

BUNDLE = """schema_version = 1
signatures = "off"
[bundle]
name = "r640-delivery"
[prechecks]
standalone = "allow"
[delivery]
default = "push"
[[delivery.nodes]]
select = "node:node-1"
mode = "repository"
source = "{repo}"
[[delivery.nodes]]
select = "node:node-2"
mode = "virtual-media"
source = "{iso}"
"""


def test_the_executor_runs_the_delivery_kinds() -> None:
    assert executor.HANDLERS[StepKind.REPO_UPDATE] is delivery_steps.repo_update
    assert executor.HANDLERS[StepKind.VMEDIA_UPDATE] is delivery_steps.vmedia_update


@pytest.mark.parametrize(("lc_busy", "busy_dev"),
                         [(None, "idrac-1"), ("LC068,1", "idrac-1"), ("LC068,1", "idrac-2")])
def test_a_night_with_one_repository_node_and_one_virtual_media_node(
    cli, tmp_path: Path, lc_busy: str | None, busy_dev: str
) -> None:
    """With `lc_busy` on idrac-1 (campaign seed 91 night 35): the first InstallFromRepository
    is refused 400 LC068 before any job exists; it is sent again once LC is ready, as a pushed
    install is (steps_idrac.until_accepted), and the night completes.  On idrac-2 (campaign
    seed 505 night 5, intensity 3): the booted ISO could not install the BIOS (LC068); once the
    host is back with LC ready the ISO is booted again (bounded) and the night completes."""
    repo = build_repo(tmp_path / "repo", r640_components(bios="2.13.0"))
    iso = build_iso(tmp_path / "repo", tmp_path / "update.iso")
    bundle = tmp_path / "bundle.toml"
    bundle.write_text(BUNDLE.format(repo=tmp_path / "repo", iso=iso))
    spec = FleetSpec(standalone=(
        NodeSpec("node-1", DeviceSpec("idrac-1", "idrac", "r640-idrac9-4.40", {})),
        NodeSpec("node-2", DeviceSpec("idrac-2", "idrac", "r640-idrac9-4.40", {})),
    ))
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=TIME_SCALE) as sim:
        if lc_busy:
            sim.device(busy_dev).set_fault("lc-busy", lc_busy)
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        plan_path = tmp_path / "plan.json"
        r = cli("plan", str(fleet), "--catalog", repo.catalog, "--bundle", str(bundle),
                "--allow-standalone", "--format", "json", "--out", str(plan_path))
        assert r.code == 0, r
        kinds = [s["kind"] for g in json.loads(plan_path.read_text())["groups"]
                 for s in g["steps"]]
        assert "repo_update" in kinds and "vmedia_update" in kinds, kinds
        assert "firmware_stage" not in kinds and "host_reboot" not in kinds
        r = cli("run", str(plan_path), str(fleet), "--repo", str(tmp_path / "repo"),
                "--runs-dir", str(tmp_path / "runs"), "--time-scale", str(TIME_SCALE), "--yes")
        assert r.code == 0, r
        for dev in ("idrac-1", "idrac-2"):
            st = sim.device(dev).state  # type: ignore[attr-defined]
            assert st.component_version("bios") == "2.13.0"
            assert st.component_version("diagnostics") == "4301A40"
        ev = sim.events
        assert [e["event"] for e in ev.records(device="idrac-1")].count("repository_catalog") == 1
        boots = 2 if lc_busy and busy_dev == "idrac-2" else 1
        assert [e["event"] for e in ev.records(device="idrac-2")].count("vmedia_boot") == boots
        assert bool(list(ev.records(event="lc_busy_answer", device=busy_dev))) == bool(lc_busy)


def test_an_ha_pair_with_a_repository_node_and_a_virtual_media_node(
    cli, tmp_path: Path
) -> None:
    """The shape `make demo` needs: R640 LoadMaster pair, one node per delivery mode, partner
    checks and one failover."""
    from fwupdate.sim.fleet import PairSpec

    repo = build_repo(tmp_path / "repo", r640_components(bios="2.13.0"))
    iso = build_iso(tmp_path / "repo", tmp_path / "update.iso")
    bundle = tmp_path / "bundle.toml"
    bundle.write_text(
        BUNDLE.format(repo=tmp_path / "repo", iso=iso)
        .replace("node:node-1", "node:lb9a").replace("node:node-2", "node:lb9b")
        .replace('standalone = "allow"\n', "")
    )

    def node(name: str) -> NodeSpec:
        return NodeSpec(
            name,
            DeviceSpec(f"{name}-idrac", "idrac", "r640-idrac9-4.40", {}),
            DeviceSpec(f"{name}-lm", "loadmaster", "lm-7.2.48.3", {"rate_limit": 0}),
        )

    a, b = node("lb9a"), node("lb9b")
    spec = FleetSpec(pairs=(PairSpec("pair-9", (a, b), {"active": "lb9a"}),))
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=TIME_SCALE) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        plan_path = tmp_path / "plan.json"
        r = cli("plan", str(fleet), "--catalog", repo.catalog, "--bundle", str(bundle),
                "--format", "json", "--out", str(plan_path))
        assert r.code == 0, r
        plan = json.loads(plan_path.read_text())
        steps = [s for g in plan["groups"] for s in g["steps"]]
        by_kind = {s["kind"]: s for s in steps}
        assert by_kind["repo_update"]["node"] == "lb9a"
        assert by_kind["vmedia_update"]["node"] == "lb9b"
        assert all(by_kind[k]["requires_partner_healthy"] for k in ("repo_update",
                                                                     "vmedia_update"))
        r = cli("run", str(plan_path), str(fleet), "--repo", str(tmp_path / "repo"),
                "--runs-dir", str(tmp_path / "runs"), "--time-scale", str(TIME_SCALE), "--yes")
        assert r.code == 0, r
        for dev in ("lb9a-idrac", "lb9b-idrac"):
            st = sim.device(dev).state  # type: ignore[attr-defined]
            assert st.component_version("bios") == "2.13.0"
        (journal,) = (tmp_path / "runs").glob("*.db")  # beside it: lock file, LM backups
        run = str(journal)
        html = tmp_path / "report.html"
        r = cli("report", run, "--runs-dir", str(tmp_path / "runs"), "--format", "html",
                "--out", str(html))
        assert r.code == 0, r
        page = html.read_text()
        assert "repo_update" in page and "vmedia_update" in page


def test_a_package_changed_since_the_plan_is_not_served(cli, tmp_path: Path) -> None:
    """Repository and ISO: each planned package is checked (size, MD5, signature policy) right
    before it is served; a tampered one refuses the step with one line and nothing is served."""
    from delivery_support import corrupt_package

    repo = build_repo(tmp_path / "repo", r640_components(bios="2.13.0"))
    iso = build_iso(tmp_path / "repo", tmp_path / "update.iso")
    bundle = tmp_path / "bundle.toml"
    bundle.write_text(BUNDLE.format(repo=tmp_path / "repo", iso=iso))
    spec = FleetSpec(standalone=(
        NodeSpec("node-1", DeviceSpec("idrac-1", "idrac", "r640-idrac9-4.40", {})),
        NodeSpec("node-2", DeviceSpec("idrac-2", "idrac", "r640-idrac9-4.40", {})),
    ))
    with SimulatedFleet(spec, workdir=tmp_path / "sim", time_scale=TIME_SCALE) as sim:
        fleet = sim.write_fleet_file(tmp_path / "fleet.toml")
        plan_path = tmp_path / "plan.json"
        r = cli("plan", str(fleet), "--catalog", repo.catalog, "--bundle", str(bundle),
                "--allow-standalone", "--format", "json", "--out", str(plan_path))
        assert r.code == 0, r
        original = (tmp_path / "repo" / repo.paths[0]).read_bytes()
        corrupt_package(repo)  # after the plan: the bytes change before the night ...
        image = bytearray(iso.read_bytes())
        start = image.find(original)
        assert start >= 0
        image[start + len(original) // 2] ^= 0x01  # ... in the folder and in the ISO
        iso.write_bytes(bytes(image))
        r = cli("run", str(plan_path), str(fleet), "--repo", str(tmp_path / "repo"),
                "--runs-dir", str(tmp_path / "runs"), "--time-scale", str(TIME_SCALE), "--yes")
        assert r.code != 0, r
        assert "the plan expects" in r.err and "nothing served" in r.err, r.err
        ev = sim.events
        assert not [e for e in ev.records(device="idrac-1") if e["event"] == "repository_catalog"]
        assert not [e for e in ev.records(device="idrac-2") if e["event"] == "vmedia_boot"]
        for dev in ("idrac-1", "idrac-2"):
            assert sim.device(dev).state.component_version("bios") != "2.13.0"  # type: ignore[attr-defined]


class _Unit:
    def __init__(self, answers: tuple[bool, str | None]) -> None:
        self.answers = answers

    def probe(self) -> tuple[bool, str | None]:
        return self.answers


class _Lc:
    ready, detail = True, "ready"


class _Idrac:
    def lc_status(self) -> _Lc:
        return _Lc()


class _Ctx:
    class settings:
        @staticmethod
        def step_timeout(step: object) -> float:
            return 10.0

    @staticmethod
    def wait_for(what: str, check, **kw):  # type: ignore[no-untyped-def]
        return check()


class _Rt:
    ctx = _Ctx()

    def __init__(self, unit: _Unit) -> None:
        self.unit, self.said = unit, []

    def idrac(self, node: str) -> _Idrac:
        return _Idrac()

    def lm(self, node: str) -> _Unit:
        return self.unit

    def say(self, step: object, text: str) -> None:
        self.said.append(text)


@pytest.mark.parametrize(("answers", "waits_for"), [
    ((True, "B1"), None),     # still up on the boot noted before: no restart of ours to wait for
    ((True, "B2"), "B1"),     # restarted already: the usual wait (it returns at once)
    ((False, None), "B1"),    # down: the usual wait for it to come back
])
def test_a_delivery_waits_for_a_loadmaster_restart_only_when_its_attempt_caused_one(
        monkeypatch: pytest.MonkeyPatch, answers, waits_for) -> None:
    """Chaos seed 2026 night 8: a killed attempt's repository update had restarted the host;
    the journal lost it (WAL removed); the next attempt applied a no-reboot package and then
    waited 2790 device s for a LoadMaster restart that could not come (pair failed)."""
    from types import SimpleNamespace

    seen: list[str | None] = []
    monkeypatch.setattr(delivery_steps, "wait_lm_back",
                        lambda rt, step, before, target, timeout: seen.append(before) or {})
    rt = _Rt(_Unit(answers))
    step = SimpleNamespace(node="lb4a", step_id="pair-4/004-repo_update")
    delivery_steps._after(rt, step, "B1", "7.2.48.4", {})  # type: ignore[arg-type]
    assert seen == [waits_for]
    assert bool(rt.said) is (waits_for is None)
