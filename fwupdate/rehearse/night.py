"""The dress rehearsal: a simulated copy of the fleet from its saved inventory, the approved plan
run against it through the real executor (time-scaled), and the verdicts.

The plan is bound to node and pair names, never to addresses: the rehearsal writes a fleet file
with the same names pointing at the simulated devices (their own CA), and the executor takes
every URL, credential and TLS setting from that file.  Nothing in the plan file is rewritten (its
`content_sha256` still holds); packages come from the same repository and LoadMaster image.
Real files the simulator cannot read (a bare `firmimg.d7`, a Kemp patch) are vouched for by
their SHA-256 and the version the plan gives them (`stand_ins`).

Like fwupdate/demo, this package starts the simulator, so it sits beside the CLI and never under
it (tests/misc/test_layering.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fwupdate.check import check_night, evidence, read_journal
from fwupdate.errors import BadInputError
from fwupdate.idrac.inventory_io import load_inventory
from fwupdate.inputfile import file_sha256
from fwupdate.plan.drift import inventory_digest
from fwupdate.plan.models import Plan, StepKind
from fwupdate.report.run_report import build_run_report
from fwupdate.run import session
from fwupdate.run.context import RunSettings
from fwupdate.run.executor import G_DONE, RunResult
from fwupdate.run.journal import Journal
from fwupdate.run.packages import PackageStore
from fwupdate.sim.fleet import SimulatedFleet
from fwupdate.sim.from_inventory import InventoryCopyError, copy_fleet

Say = Callable[[str], None]


@dataclass(frozen=True)
class Verdict:
    pair: str
    check: str  # "outcome" (the executor's) or an invariant of the checker ("I1" ... "I8")
    ok: bool
    detail: str


@dataclass(frozen=True)
class RehearsalResult:
    ok: bool
    seconds: float  # wall time of the whole rehearsal (simulator up to simulator down)
    run: RunResult
    verdicts: tuple[Verdict, ...]
    notes: tuple[str, ...]  # what the copy could not reproduce, and input warnings
    paths: dict[str, Path]


def rehearsal_verdicts(
    plan: Plan, result: RunResult, sim: SimulatedFleet, journal: Path
) -> tuple[Verdict, ...]:
    """The night's verdicts: the executor's outcome per pair, then the independent checker's
    (fwupdate.check, invariants I1-I8) from the rehearsal's evidence -- the journal, the
    simulator's event log and final state, and the run report -- one verdict per invariant that
    holds and one per violation."""
    outcome = {g.name: g for g in result.groups}
    out: list[Verdict] = []
    for group in plan.groups:
        g = outcome.get(group.name)
        status = g.status if g else "not run"
        detail = status + (f" at {g.step}" if g and g.step and status != G_DONE else "")
        detail += f": {g.error}" if g and g.error else ""
        out.append(Verdict(group.name, "outcome", status == G_DONE, detail))
    with Journal.open(journal) as j:
        report = build_run_report(j, alive=False)
    checks = check_night(evidence(read_journal(journal), sim_events=sim.events.records(),
                                  sim_state=sim.state_dump(), report=report,
                                  label="rehearsal"))  # fmt: skip
    for v in checks:
        if v.ok:
            out.append(Verdict("night", v.invariant, True, f"{v.title} (checked {v.checked})"))
        out += [Verdict(x.subject, v.invariant, False,
                        x.message + (f" [{'; '.join(x.evidence)}]" if x.evidence else ""))
                for x in v.violations]
    return tuple(out)


def stand_ins(plan: Plan, store: PackageStore) -> tuple[dict[str, str], dict[str, str]]:
    """({sha256: version} of every bare iDRAC image the plan sends, {sha256: version} of its
    LoadMaster image): the simulated copy accepts these real files, which it cannot read
    itself, as what the plan says they are (device options `known_images`, `known_patches`)."""
    images: dict[str, str] = {}
    for step in plan.steps():
        if step.kind is StepKind.IDRAC_UPDATE and step.package and step.to_version:
            sent = store.image_for(step)
            if sent.suffix.lower() in (".d7", ".d9"):
                images[file_sha256(sent)] = step.to_version
    patches: dict[str, str] = {}
    if plan.inputs.lm_image_sha256 and plan.inputs.lm_image_version:
        patches[plan.inputs.lm_image_sha256.lower()] = plan.inputs.lm_image_version
    return images, patches


def _input_notes(plan: Plan, inventory: Path) -> list[str]:
    notes: list[str] = []
    digest = inventory_digest({n.name: n for n in load_inventory(inventory)})
    if digest != plan.inputs.inventory_sha256:
        notes.append(f"{inventory} is not the inventory the plan was made from; the drift check "
                     "refuses every node whose firmware differs")  # fmt: skip
    return notes


def rehearse(
    plan_path: Path,
    inventory: Path,
    *,
    out: Path,
    time_scale: float = 400.0,
    repo: Path | None = None,
    lm_image: Path | None = None,
    concurrency: int | None = None,
    say: Say = print,
) -> RehearsalResult:
    """Run the plan against a simulated copy of the inventory's fleet; everything lands in
    `out` (fleet file, simulator CA and uploads, event log, journal)."""
    t0 = time.monotonic()
    plan, _ = session.load_plan(plan_path)
    session.check_kinds(plan)
    notes = _input_notes(plan, inventory)
    store = PackageStore(repo or session.default_repo(plan, plan_path),
                         lm_image or session.default_lm_image(plan, plan_path))  # fmt: skip
    try:
        images, patches = stand_ins(plan, store)
    finally:
        store.close()
    out.mkdir(parents=True, exist_ok=True)
    paths = {"events": out / "events.jsonl", "fleet": out / "fleet.toml"}
    paths["events"].unlink(missing_ok=True)
    try:
        sim, copy = copy_fleet(
            inventory, workdir=out / "sim", time_scale=time_scale, event_log=paths["events"],
            idrac_options={"known_images": images} if images else None,
            lm_options={"known_patches": patches} if patches else None,
        )
    except InventoryCopyError as exc:
        raise BadInputError(str(exc)) from None
    notes += copy.notes
    with sim:
        sim.write_fleet_file(paths["fleet"])
        say(f"simulated copy up: {len(copy.spec.pairs)} pair(s), "
            f"{len(copy.spec.standalone)} standalone node(s), time-scale {time_scale:g}")
        settings = RunSettings(time_scale=time_scale,
                               concurrency=concurrency or plan.schedule.concurrency)
        journal, result = session.start(
            plan_path, paths["fleet"], runs_dir=out / "runs", settings=settings, repo=repo,
            lm_image=lm_image, progress=lambda g, m: say(f"  [{g}] {m}"),
        )  # fmt: skip
        paths["journal"] = journal
        verdicts = rehearsal_verdicts(plan, result, sim, journal)
    ok = not result.interrupted and all(v.ok for v in verdicts)
    return RehearsalResult(ok, time.monotonic() - t0, result, verdicts, tuple(notes), paths)
