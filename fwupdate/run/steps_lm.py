"""Steps that talk to the LoadMasters, each a piece of Kemp's HA procedure as it lives in
fwupdate/loadmaster/procedure.py: pair pre/post-checks (VS baseline, config backups, No
Preferred Host, no silent downgrade), HA safety before a node goes down, the orderly handover of
the Active role (journaled only once the partner confirmed it), staging and rebooting the
LoadMaster image, and the safety net that restores the previous image of a unit that came back
on the new one but failed its checks."""

from __future__ import annotations

from typing import Any

from fwupdate.catalog.versions import compare_versions
from fwupdate.errors import FwupdateError, HASafetyError, WaitTimeoutError
from fwupdate.loadmaster import procedure as proc
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.loadmaster.ha import PairClient
from fwupdate.loadmaster.ha import vs_baseline as ha_baseline
from fwupdate.loadmaster.models import HaRole, PairStatus
from fwupdate.loadmaster.versions import version_matches
from fwupdate.plan.models import Step, StepKind
from fwupdate.run import window
from fwupdate.run.journal import PENDING
from fwupdate.run.keys import lookup
from fwupdate.run.runtime import GroupRuntime, versions_of

Outcome = dict[str, Any]
HANDOVER_TIMEOUT = 600.0  # device seconds for the partner to report Active after `shutdown`
HANDOVER_GRACE = 60.0  # device seconds a unit may still report Active after its `shutdown`
ASK_DOWNGRADE = "plan it with [loadmaster] allow_downgrade = true"
ROLES_AT_START = "roles-at-start"  # the pair's roles at this run's first look, before any change


def _precheck_id(rt: GroupRuntime) -> str | None:
    return next((s.step_id for s in rt.group.steps if s.kind is StepKind.PAIR_PRECHECK), None)


def vs_baseline(rt: GroupRuntime) -> list[str] | None:
    """The names of the Virtual Services Up at pair_precheck (journaled; None: no baseline)."""
    sid = _precheck_id(rt)
    note = rt.ctx.journal.last_note(sid, "vs-baseline") if sid else None
    return None if note is None else [str(x) for x in note.get("up") or []]


def _planned_downgrade(step: Step) -> bool:
    """The plan itself asked for this downgrade (the planner plans one only when allowed)."""
    return bool(step.from_version and step.to_version) and \
        proc.is_downgrade(step.from_version, step.to_version or "")  # fmt: skip


def _refuse_downgrades(rt: GroupRuntime, pc: PairClient) -> None:
    for s in rt.group.steps:
        if s.kind is StepKind.LM_STAGE and s.node and s.to_version:
            proc.refuse_downgrade(pc.unit(s.node).version(), s.to_version,
                                  allowed=_planned_downgrade(s), host=s.node, step=s.step_id,
                                  how=ASK_DOWNGRADE)  # fmt: skip


def _backups(rt: GroupRuntime, step: Step, pc: PairClient) -> list[str]:
    """Both units' configuration, once per run, before the first change (path journaled)."""
    done = rt.ctx.journal.last_note(step.step_id, "lm-backup")
    if done is not None:
        return [str(p) for p in done.get("paths") or []]
    folder = rt.ctx.journal.path.parent / f"{rt.ctx.journal.path.stem}-lm-backups"
    paths = [str(p) for p in proc.backup_units(pc, folder, say=lambda m: rt.say(step, m))]
    rt.ctx.journal.record(None, step.step_id, "lm-backup", {"paths": paths})
    return paths


PRECHECK_WAIT = 600.0  # device seconds for a pair still settling (a unit booting after a
# killed run) and a VS Up in the plan to be Up again, before the pair is refused


def _snapshot(rt: GroupRuntime, step: Step, pc: PairClient) -> PairStatus:
    """The pair healthy (a bounded wait for one still settling); with a VS baseline in the
    plan, every VS Up at planning time Up again, else the pair is refused before anything
    changes."""
    planned = rt.group.vs_baseline
    problems: list[str] = []

    def healthy() -> PairStatus | None:
        now = pc.snapshot(baseline=planned)
        problems[:] = now.problems
        return now if now.healthy else None

    try:
        return rt.ctx.wait_for("the pair healthy as planned", healthy,
                               timeout=_timeout(rt, step, PRECHECK_WAIT), host=rt.group.name,
                               step=step.step_id)  # fmt: skip
    except WaitTimeoutError:
        if planned is None:
            raise HASafetyError("pair not healthy: " + "; ".join(problems),
                                host=rt.group.name, step=step.step_id) from None  # fmt: skip
        raise HASafetyError(
            f"not as planned, refusing the pair before any change: {'; '.join(problems)} "
            f"(the plan's baseline: {len(planned)} VS Up when it was made)",
            host=rt.group.name, step=step.step_id) from None  # fmt: skip


def _at_targets(rt: GroupRuntime, node: str) -> bool:
    """The device says `node` is at every version its `verify` step expects (LoadMaster
    included)."""
    verify = next((s for s in rt.group.steps if s.node == node and s.kind is StepKind.VERIFY),
                  None)  # fmt: skip
    unit = rt.lm(node)
    if verify is None or not verify.expect:
        return False
    installed = versions_of(rt.idrac(node).inventory())
    for x in verify.expect:
        if x.key == "loadmaster":
            if unit is None or not version_matches(unit.version(), x.version):
                return False
        elif (have := lookup(installed, x.key)) is None or compare_versions(have, x.version):
            return False
    return True


def _plans_failover(rt: GroupRuntime, step: Step, active: str | None) -> bool:
    """A fresh run of a plan an earlier run already carried past its handover: the unit now
    Active is the plan's first node (the standby), already at its targets -- the plan's own
    failover, not a change behind its back.  The device decides, not a journal."""
    first = rt.group.order[0] if rt.group.order else None
    if active is None or active != first:
        return False
    try:
        done = _at_targets(rt, active)
    except FwupdateError:
        return False
    if done:
        rt.say(step, f"{active} is Active and already at its targets: an earlier run of this "
                     "plan handed over; going on from the devices' truth")
    return done


def failed_over_before_run(rt: GroupRuntime, node: str) -> bool:
    """This run found `node`, the plan's first node, Active at `pair_precheck` (an earlier run
    of the plan had handed over): its `verify` accepts it Active instead of Standby."""
    sid = _precheck_id(rt)
    out = rt.ctx.journal.step(sid).outcome if sid else None
    return bool(rt.group.order) and node == rt.group.order[0] and \
        bool(out) and (out or {}).get("active") == node  # fmt: skip


def planned_failover_done(rt: GroupRuntime, step: Step) -> bool:
    """`verify` of the plan's first node finds it Active, not Standby: the plan's own failover
    (its partner's handover) already happened -- before this run (`failed_over_before_run`),
    journaled in this run, or, the journal having lost it (a damaged WAL), shown by the devices:
    the partner at its targets.  Then the handover is journaled again so the report counts it."""
    node = step.node or ""
    partner = rt.partner(node)
    if partner is None or not rt.group.order or node != rt.group.order[0]:
        return False
    if failed_over_before_run(rt, node):
        return True
    partner_steps = [s for s in rt.group.steps if s.node == partner and s.takes_node_down]
    if any(_handover_note(rt, s) for s in partner_steps) or _handed_to(rt) == node:
        return True
    try:
        if not partner_steps or not _at_targets(rt, partner):
            return False
    except FwupdateError:
        return False
    # noted on this step (not the partner's, whose resume would take it for its own shutdown)
    rt.ctx.journal.record(partner, step.step_id, "handover",
                          {"to": node, "found": "on the devices (the journal had lost it)"})
    rt.say(step, f"{node} is Active: {partner} already handed over and is at its targets "
                 "(found on the devices; the journal had lost it)")
    return True


def role_handed_to(rt: GroupRuntime, node: str) -> bool:
    """The journal's last handover in this group gave `node` the Active role: a step of its
    partner that ran again (its writes lost with the WAL) handed the role back to it, so
    Active is where the night left it, not a failure of its own update (chaos seed 9091
    --intensity 4 night 37: `verify` failed "HA role active, expected standby")."""
    return _handed_to(rt) == node


def _handed_to(rt: GroupRuntime) -> str | None:
    """The unit the journal last saw take the Active role in this group: its last handover
    note, else the Active unit at pair_precheck (its outcome, else its first look, noted before
    anything changed: a resume whose journal lost the outcome); None: not known."""
    ids = {s.step_id for s in rt.group.steps}
    notes = [e for e in rt.ctx.journal.events(kind="handover") if e.step_id in ids]
    if notes:
        return str(notes[-1].data.get("to") or "") or None
    sid = _precheck_id(rt)
    out = rt.ctx.journal.step(sid).outcome if sid else None
    if not out and sid:
        out = rt.ctx.journal.last_note(sid, ROLES_AT_START)
    return str((out or {}).get("active") or "") or None


def _requested_handovers(rt: GroupRuntime) -> list[tuple[Step, dict[str, Any]]]:
    """The steps that noted a handover request but not its confirmation, with the request."""
    j = rt.ctx.journal
    out: list[tuple[Step, dict[str, Any]]] = []
    for s in rt.group.steps:
        asked = j.last_note(s.step_id, "handover-requested")
        if asked is not None and j.last_note(s.step_id, "handover") is None:
            out.append((s, asked))
    return out


def _confirm_requested(rt: GroupRuntime, st: PairStatus) -> bool:
    """A handover requested but never confirmed in the journal, whose unit is Active now: it
    happened (the process that saw it was killed, its writes maybe lost with the WAL) --
    confirm it on its step, as that step's resume would (`take_down` does not note it twice).
    Needed because a step that resumes finding its device already at its targets never goes
    through `take_down` again (chaos seed 9091 --intensity 4 night 51: the report counted 0
    failovers for 1 change of the Active unit).  True while a request is left unconfirmed: its
    step finishes the handover itself when it resumes."""
    pending = False
    for s, asked in _requested_handovers(rt):
        to = str(asked.get("to") or "")
        if to and st.active == to:
            rt.ctx.journal.record(s.node, s.step_id, "handover",
                                  {**asked, "found": "on the devices (after a restart)"})
            rt.say(s, f"{to} is Active: the handover {s.node} asked for happened; counted")
        else:
            pending = True
    return pending


def reconcile_failover(rt: GroupRuntime, step: Step) -> None:
    """A group continued from an earlier process (resume, a journal that lost its last writes):
    if the Active unit is not the one the journal last saw take the role, a handover happened
    that the journal lost (a damaged WAL) -- journal it, found on the devices, so the report
    counts every failover of the night."""
    pc = rt.pair_client
    if pc is None or all(r.state == PENDING for r in rt.ctx.journal.steps(group=rt.group.name)):
        return
    try:
        st = pc.snapshot()
    except FwupdateError:
        return
    if _confirm_requested(rt, st):
        return
    known = _handed_to(rt)
    if known is None:
        return
    active = _took_over(st, known)
    if active is None or active == known or active not in rt.group.order:
        return
    sid = _precheck_id(rt) or step.step_id
    rt.ctx.journal.record(known, sid, "handover",
                          {"to": active, "found": "on the devices (the journal had lost it)"})
    rt.say(step, f"{active} is Active, not {known}: a handover the journal had lost; counted")


def _took_over(st: PairStatus, known: str) -> str | None:
    """The unit Active now.  In an HA split (both claim Active) the unit that held the role
    first (the older `activetime`): the other only joined the claim; when the times do not tell,
    the one that was not `known` -- a standby claims the role only by taking it over (chaos
    seed 3030 --intensity 3 night 122: a handover lost with the WAL, then
    `split-after-reboot`; the report counted 0 failovers)."""
    if st.active is not None:
        return st.active
    claim = [u for u in st.units if u.ha_role is HaRole.ACTIVE]
    if len(claim) != 2:
        return None
    a, b = (u.active_since for u in claim)
    if a is not None and b is not None and a != b:
        return claim[0].name if a < b else claim[1].name
    others = [u.name for u in claim if u.name != known]
    return others[0] if len(others) == 1 else None


def _note_roles_at_start(rt: GroupRuntime, step: Step, st: PairStatus) -> None:
    """The Active unit at this run's first look, noted once (kept across resumes) and written
    through to the database file: a resume whose journal lost its later writes (a removed WAL)
    still knows who was Active before the run changed anything, so a lost handover is counted."""
    j = rt.ctx.journal
    if j.last_note(step.step_id, ROLES_AT_START) is None:
        j.record(None, step.step_id, ROLES_AT_START, {"active": st.active, "standby": st.standby})
        j.checkpoint()


def pair_precheck(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    pc = rt.pair_client
    if pc is None:
        return {"note": "no LoadMaster pair"}
    st = _snapshot(rt, step, pc)
    _note_roles_at_start(rt, step, st)
    want = step.param("expect_active")
    if want and st.active != want and not resume and not _plans_failover(rt, step, st.active):
        raise HASafetyError(f"{st.active} is Active, the plan expected {want}",
                            host=rt.group.name, step=step.step_id)
    baseline = vs_baseline(rt)
    if baseline is None:  # kept across a resume: the baseline is the evening's, not a later one
        baseline = list(ha_baseline(st.virtual_services))
        rt.ctx.journal.record(None, step.step_id, "vs-baseline", {"up": baseline})
    _refuse_downgrades(rt, pc)
    if rt.ctx.settings.dry_run:
        return {"active": st.active, "standby": st.standby, "vs_up": st.vs_up}
    backups = _backups(rt, step, pc)
    changed = proc.set_no_preferred(pc) if step.param("preferred_host") == "none" else []
    return {"active": st.active, "standby": st.standby, "vs_up": st.vs_up,
            "vs_baseline": baseline, "backups": backups,
            "preferred_before": st.preferred_host, "preferred_set_none": changed}


def _timeout(rt: GroupRuntime, step: Step, cap: float | None = None) -> float:
    t = rt.ctx.settings.step_timeout(step)
    return t if cap is None else min(t, cap)


def check_partner(rt: GroupRuntime, step: Step) -> str | None:
    """Before a node goes down: the pair healthy with every VS of the baseline Up (a pair still
    settling or a VS recovering is waited for, bounded) and the partner able to be Active;
    HASafetyError otherwise.  Returns the partner."""
    node = step.node or ""
    partner = rt.partner(node)
    pc = rt.pair_client
    if partner is None or pc is None:
        return partner
    try:
        st = proc.wait_healthy(pc, vs_baseline(rt), rt.ctx.wait_for,
                               timeout=_timeout(rt, step, 600.0),
                               step=f"{step.step_id}: partner check")  # fmt: skip
    except FwupdateError as exc:
        raise HASafetyError(
            f"not taking {node} down: its partner {partner} is not ready to serve ({exc.message})",
            host=node, step=step.step_id,
        ) from None
    unit = next(u for u in st.units if u.name == partner)
    if not unit.reachable or unit.ha_role not in proc.UP_ROLES:
        raise HASafetyError(
            f"not taking {node} down: partner {partner} is {unit.ha_role}", host=node,
            step=step.step_id,
        )
    return partner


def _handover_note(rt: GroupRuntime, step: Step) -> dict[str, Any] | None:
    j = rt.ctx.journal
    return j.last_note(step.step_id, "handover") or j.last_note(step.step_id,
                                                                "handover-requested")


def _still_active(rt: GroupRuntime, step: Step, unit: LoadMasterClient) -> bool:
    """After a noted `shutdown`: does the unit stay Active (the command never reached it)?
    A unit shutting down still reports Active for a few seconds, so give it HANDOVER_GRACE."""
    try:
        rt.ctx.wait_for("the shutdown taking effect",
                        lambda: True if proc.role(unit) is not HaRole.ACTIVE else None,
                        timeout=HANDOVER_GRACE, host=unit.name, step=step.step_id)  # fmt: skip
    except WaitTimeoutError:
        return True
    return False


def take_down(rt: GroupRuntime, step: Step, resume: bool) -> tuple[bool, str | None]:
    """Everything before a step takes `step.node` down: (handed over?, boot time before).

    On resume the LoadMaster's real role decides, not the journal alone: a unit whose
    `shutdown` we sent (noted) and that is no longer Active has handed over -- its partner
    must be Active before anything goes on; a unit still Active goes through the partner check
    and the orderly handover again.  So an Active unit is never power-cycled while its partner
    is not Active."""
    node = step.node or ""
    unit, partner, pc = rt.lm(node), rt.partner(node), rt.pair_client
    if unit is None or partner is None or pc is None:
        check_partner(rt, step)
        return False, (unit.probe()[1] if unit is not None else None)
    j = rt.ctx.journal
    noted = _handover_note(rt, step) if resume else None
    if noted is not None and not _still_active(rt, step, unit):
        rt.say(step, f"resuming after our shutdown: waiting for {partner} to be Active")
        proc.wait_partner_active(pc, partner, rt.ctx.wait_for, timeout=HANDOVER_TIMEOUT,
                                 step=step.step_id)  # fmt: skip
        if j.last_note(step.step_id, "handover") is None:
            j.record(node, step.step_id, "handover", {"to": partner, **noted})
        return True, noted.get("boot_time")
    check_partner(rt, step)
    _, boot = unit.probe()

    def intent() -> None:
        rt.say(step, f"handing the Active role to {partner} (orderly LoadMaster shutdown)")
        j.record(node, step.step_id, "handover-requested", {"to": partner, "boot_time": boot})

    handed = proc.handover(pc, node, rt.ctx.wait_for, timeout=HANDOVER_TIMEOUT,
                           step=step.step_id, before_send=intent)  # fmt: skip
    if handed:
        j.record(node, step.step_id, "handover", {"to": partner, "boot_time": boot})
    return handed, boot


def may_finish_power_cycle(rt: GroupRuntime, step: Step) -> bool:
    """Resume of a host power cycle cut after its shutdown, the host On: may it be finished?
    False when the node's LoadMaster booted since the reboot was requested (its boot time
    changed): the cycle completed in a process whose journal writes were lost (a damaged WAL),
    and the unit may be Active again by now (its partner handed over since).  A unit that
    answers as Active hands over in order first, so an Active unit is never powered off while
    its partner is not Active (I1)."""
    unit = rt.lm(step.node or "")
    if unit is None:
        return True
    requested = rt.ctx.journal.last_note(step.step_id, "reboot-requested") or {}
    up, boot = unit.probe()
    before = requested.get("boot_time")
    if boot is not None and before is not None and boot != before:
        return False
    if up and proc.role(unit) is HaRole.ACTIVE:
        take_down(rt, step, resume=True)
    return True


def lm_target(step: Step) -> str | None:
    for x in step.expect:
        if x.key == "loadmaster":
            return x.version
    return step.to_version


def lm_stage(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    node = step.node or ""
    unit = rt.lm(node)
    if unit is None:
        raise HASafetyError("no LoadMaster address for this node", host=node, step=step.step_id)
    target = step.to_version or ""
    current = unit.version()
    if version_matches(current, target):
        return {"already": current}
    proc.refuse_downgrade(current, target, allowed=_planned_downgrade(step), host=node,
                          step=step.step_id, how=ASK_DOWNGRADE)  # fmt: skip
    if resume and rt.ctx.journal.last_note(step.step_id, "lm-staged"):
        return {"staged": target, "resumed": True}
    image = rt.ctx.store.verified(step.package, recheck=True) if step.package else None
    if image is None:
        raise HASafetyError("the plan names no image", host=node, step=step.step_id)
    rt.say(step, f"installpatch {image.name}")
    answer = unit.install_patch(image, step=f"{step.step_id}: installpatch")
    rt.ctx.journal.record(node, step.step_id, "lm-staged", {"version": target, "answer": answer})
    return {"staged": target, "from": current}


def wait_lm_back(rt: GroupRuntime, step: Step, before_boot: str | None, target: str | None,
                 timeout: float) -> Outcome:
    """The unit restarted (boot time changed), answers with the target version, settles in an
    HA role, and the pair is healthy with every VS of the baseline Up.  A unit on the new image
    that fails these checks goes through the safety net (`_safety_net`)."""
    node = step.node or ""
    unit = rt.lm(node)
    assert unit is not None
    boot = proc.wait_rebooted(unit, before_boot, rt.ctx.wait_for, timeout=timeout,
                              step=step.step_id)  # fmt: skip
    pc = rt.pair_client
    if pc is None:
        version = unit.version()
        if target and not version_matches(version, target):
            raise HASafetyError(f"LoadMaster came back with {version}, expected {target}",
                                host=node, step=step.step_id)  # fmt: skip
        return {"lm_version": version, "boot_time": boot}
    try:
        st = proc.check_back(pc, node, target, vs_baseline(rt), rt.ctx.wait_for,
                             timeout=timeout, step=step.step_id)  # fmt: skip
    except FwupdateError as exc:
        raise _safety_net(rt, step, target, exc) from None
    mine = next(u for u in st.units if u.name == node)
    return {"lm_version": mine.version, "role": str(mine.ha_role), "boot_time": boot,
            "active": st.active}


def _touched(rt: GroupRuntime, node: str) -> bool:
    return any(r.state != PENDING for r in rt.ctx.journal.steps(node=node))


def _safety_net(rt: GroupRuntime, step: Step, target: str | None,
                exc: FwupdateError) -> FwupdateError:  # fmt: skip
    """`step.node` came back but failed a check.  If it is the pair's first node (its partner,
    the Active unit, untouched) and runs the new image, and the policy is on (the default;
    `--no-lm-rollback` turns it off), its previous image is restored and verified; the
    returned error stops the pair and says what the safety net did."""
    node = step.node or ""
    pc, unit = rt.pair_client, rt.lm(node)
    assert pc is not None and unit is not None
    partner = rt.partner(node) or ""
    first = not _touched(rt, partner)
    stop = f"pair stopped before {partner} was touched" if first else "pair stopped"
    try:
        current = unit.version()
    except FwupdateError:
        current = None
    if not first or not target or not version_matches(current, target):
        return HASafetyError(f"{exc.message}; {stop}", host=node, step=step.step_id)
    if not rt.ctx.settings.lm_rollback:
        return HASafetyError(f"{exc.message}; left on {current} (rollback off); {stop}",
                             host=node, step=step.step_id)  # fmt: skip
    return _restore(rt, step, current, exc.message, stop)


ROLLBACK_PENDING = "lm-rollback-pending"  # the safety net's restore is owed (window ended)


def _restore(rt: GroupRuntime, step: Step, current: str | None, reason: str,
             stop: str) -> FwupdateError:  # fmt: skip
    """The safety net's restore (`restorepatch`, reboot, verify) of `step.node` -- only when it
    fits the window (it takes the unit down, as the step would); else journaled as owed, the
    pair stops, and `resume` with a new window restores it first.  The error stops the pair."""
    node = step.node or ""
    pc = rt.pair_client
    assert pc is not None
    j = rt.ctx.journal
    if not window.fits(rt.ctx.settings, step.estimated_seconds):
        j.record(node, step.step_id, ROLLBACK_PENDING, {"from": current, "reason": reason})
        return HASafetyError(
            f"{reason}; {node} on the new image {current} failed its checks; restore not done: "
            f"the window ended; {stop}; to restore it, "
            + window.resume_hint(j.run_id, rt.ctx.settings.window_spec),
            host=node, step=step.step_id)  # fmt: skip
    reconcile_failover(rt, step)  # a takeover the journal has not seen is counted first
    held = _handed_to(rt) == node

    def gave_up_active(partner: str) -> None:
        """Chaos seed 2027 night 157: in an HA split, the reboot of the unit that held the
        Active role leaves its partner the only Active unit -- a failover the report counts."""
        if held:
            j.record(node, _precheck_id(rt) or step.step_id, "handover",
                     {"to": partner, "detail": "safety-net reboot of the unit that held the "
                      "Active role in an HA split"})  # fmt: skip

    try:
        previous = proc.restore_previous(pc, node, vs_baseline(rt), rt.ctx.wait_for,
                                         timeout=rt.ctx.settings.step_timeout(step),
                                         step=f"{step.step_id}: safety net",
                                         say=lambda m: rt.say(step, m),
                                         gave_up_active=gave_up_active)  # fmt: skip
    except FwupdateError as rexc:
        j.record(node, step.step_id, "lm-rollback", {"ok": False, "from": current,
                                                      "reason": reason,
                                                      "error": rexc.message})  # fmt: skip
        return HASafetyError(f"{reason}; safety net failed: {rexc.message}; {stop}",
                             host=node, step=step.step_id)  # fmt: skip
    j.record(node, step.step_id, "lm-rollback", {"ok": True, "from": current, "to": previous,
                                                  "reason": reason})  # fmt: skip
    return HASafetyError(f"{reason}; safety net: restored {node} to {previous} "
                         f"(restorepatch), healthy as Standby; {stop}",
                         host=node, step=step.step_id)  # fmt: skip


def resume_rollback(rt: GroupRuntime, step: Step) -> None:
    """Resume of a step whose safety-net restore the window did not allow: restore first
    (window-checked again) and stop the pair as the safety net does; nothing else is retried."""
    notes = [e for e in rt.ctx.journal.events(step_id=step.step_id)
             if e.kind in (ROLLBACK_PENDING, "lm-rollback")]
    if not notes or notes[-1].kind != ROLLBACK_PENDING or rt.pair_client is None:
        return
    node = step.node or ""
    rt.say(step, f"resuming: {node} still owes the safety net's restore; restoring it first")
    raise _restore(rt, step, notes[-1].data.get("from"), str(notes[-1].data.get("reason")),
                   f"pair stopped before {rt.partner(node)} was touched")


def lm_reboot(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    node = step.node or ""
    unit = rt.lm(node)
    assert unit is not None
    target = lm_target(step)
    timeout = rt.ctx.settings.step_timeout(step)
    sent = rt.ctx.journal.last_note(step.step_id, "lm-reboot-sent")
    if resume and sent is not None:
        return wait_lm_back(rt, step, sent.get("boot_time"), target, timeout)
    # run or resume alike, the device first: a unit already on its target boots nothing new
    # (a fresh run of a partly applied plan must not reboot it again).  Not after our own
    # handover: that unit is down and must be brought back whatever it runs.
    if _handover_note(rt, step) is None and target and version_matches(unit.version(), target):
        return {"already": target}
    handed, boot = take_down(rt, step, resume)
    rt.ctx.journal.record(node, step.step_id, "lm-reboot-sent", {"boot_time": boot})
    if handed:
        # the OS is down after the orderly shutdown: power the host on through the iDRAC
        _power_on(rt, node)
    else:
        unit.reboot(step=f"{step.step_id}: reboot")
    out = wait_lm_back(rt, step, boot, target, timeout)
    out["handover"] = handed
    return out


def _power_on(rt: GroupRuntime, node: str) -> None:
    """After an orderly LoadMaster shutdown the host is (or is going) off: a host reboot
    through the iDRAC brings it back (GracefulShutdown if still on, then On)."""
    rt.idrac(node).reboot_host()


def pair_postcheck(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    pc = rt.pair_client
    if pc is None:
        return {"note": "no LoadMaster pair"}
    st = proc.wait_healthy(pc, vs_baseline(rt), rt.ctx.wait_for, timeout=_timeout(rt, step),
                           step=step.step_id)  # fmt: skip
    want = step.param("expect_active")
    # a unit our own journaled handover made Active (a step run again after a lost journal
    # handed the role back) is where the night left the role, not an unplanned failover
    if want and st.active != want and not (st.active and role_handed_to(rt, st.active)):
        raise HASafetyError(f"{st.active} is Active, the plan expected {want}",
                            host=rt.group.name, step=step.step_id)
    restored = None
    if step.flag("restore_preferred_host"):
        pre = rt.ctx.journal.events(kind="outcome")
        before = next((e.data.get("preferred_before") for e in pre
                       if e.data.get("preferred_before") is not None
                       and (e.step_id or "").startswith(rt.group.name + "/")), None)
        if before is not None and st.active:
            active_unit = pc.unit(st.active)
            active_unit.set_preferred_host(str(before))
            restored = before
    return {"active": st.active, "standby": st.standby, "vs_up": st.vs_up,
            "restored_preferred": restored}
