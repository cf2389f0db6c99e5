"""Steps that talk to a node's iDRAC: precheck, iDRAC self-update (one stepping stone),
firmware applied now or staged for the reboot, the host reboot, verify.

Every step starts by asking the device what is true (resume): a version already installed,
a job we created (its JID is journaled the moment the iDRAC returns it) still running or
scheduled, a reboot already sent.  An install is sent again only when the device shows no
trace of the previous one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from fwupdate.catalog.versions import compare_versions
from fwupdate.errors import (
    DeviceBusyError,
    DeviceError,
    FwupdateError,
    JobFailedError,
    UnsupportedOperationError,
    WaitTimeoutError,
)
from fwupdate.idrac.capabilities import Operation
from fwupdate.idrac.facade import IdracFacade, JobHandle
from fwupdate.idrac.job_models import JobStatus
from fwupdate.idrac.models import FirmwareComponent, Transport
from fwupdate.idrac.redfish.inventory import member_id_at
from fwupdate.loadmaster.versions import version_matches
from fwupdate.plan.models import Expectation, Step, StepKind
from fwupdate.run.journal import DONE
from fwupdate.run.keys import base, lookup
from fwupdate.run.runtime import POWER_NOTE, GroupRuntime, versions_of, versions_of_components
from fwupdate.run.steps_lm import (
    may_finish_power_cycle,
    planned_failover_done,
    role_handed_to,
    take_down,
    wait_lm_back,
)

T = TypeVar("T")

Outcome = dict[str, Any]
_WAITING = ("Scheduled", "Downloaded")
LC_BUSY_WAIT = 600.0  # device seconds an install refused as busy (LC068, RAC0679) is retried


def _lc_ready(idrac: IdracFacade, step: str) -> str | None:
    try:
        idrac.transport_for(Operation.LC_STATUS)
    except UnsupportedOperationError:
        return None
    return idrac.wait_lc_ready(step=step).detail


def precheck(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    node = step.node or ""
    idrac = rt.idrac(node)
    version = idrac.firmware_version()
    lc = _lc_ready(idrac, f"{step.step_id}: LC ready")
    pending = idrac.unfinished_jobs()
    cleared = 0
    if pending:
        ids = ", ".join(f"{j.jid} ({j.state})" for j in pending[:5])
        if step.param("job_queue") == "require-empty":
            raise DeviceError(f"{len(pending)} unfinished job(s): {ids}", host=node,
                              step=step.step_id)
        if not rt.ctx.settings.dry_run:
            rt.say(step, f"clearing the job queue ({ids})")
            cleared = idrac.clear_job_queue()
    return {"idrac_version": version, "lc": lc, "jobs_cleared": cleared,
            "jobs_pending": [j.jid for j in pending]}


def _find_job(idrac: IdracFacade, jid: str) -> JobStatus | None:
    return next((j for j in idrac.list_jobs() if j.jid == jid), None)


def _known_jids(rt: GroupRuntime, node: str) -> set[str]:
    """Every job id journaled for the node's steps in this run."""
    known: set[str] = set()
    for s in rt.group.steps:
        if s.node == node:
            known.update(str(e.data.get("jid")) for e in
                         rt.ctx.journal.events(step_id=s.step_id, kind="job"))
    return known


def _names_step(job: JobStatus, step: Step) -> bool:
    """The job's name names the step's component or package ("Firmware Update: BIOS")."""
    name = (job.name or "").split(":", 1)[-1].strip().lower()
    wanted = [x.lower() for x in (step.component.name if step.component else None,
                                   step.package.file_name if step.package else None) if x]
    if step.kind is StepKind.IDRAC_UPDATE:
        wanted.append("idrac")  # "Firmware Update: iDRAC with Lifecycle Controller"
    return bool(name) and any(name in w or w in name for w in wanted)


def _adopt(rt: GroupRuntime, step: Step, idrac: IdracFacade, *, resume: bool = True
           ) -> JobHandle | None:
    """Resume of a step whose install may have reached the iDRAC before its JID was journaled
    (a crash in between): the device's unfinished update job for this component — one no
    other step journaled — is journaled now and followed, instead of a second upload that
    the iDRAC refuses (RED014) while the first job stays armed.  Steps run one at a time per
    node and precheck emptied the queue, so an unknown update job is this step's.  For a
    force-same step whose install was sent (`install` note), a job of the component that
    already completed counts too: the version cannot tell that it ran.

    Outside a resume (a fresh run, or a journal that lost its last writes with the WAL) only a
    job named for this step's component is adopted: the device's truth comes first there too,
    but an unnamed job may be someone else's."""
    node = step.node or ""
    known = _known_jids(rt, node)
    finished = force_same(step) and rt.ctx.journal.last_note(step.step_id, "install") is not None
    unknown = [j for j in idrac.list_jobs()
               if j.jid.startswith("JID_") and j.jid not in known
               and (not j.terminal or (finished and j.succeeded))]
    named = [j for j in unknown if _names_step(j, step)]
    found = named[-1] if named else (unknown[0] if resume and len(unknown) == 1 else None)
    if found is None:
        return None
    transport = idrac.transport_for(Operation.INSTALL)
    rt.say(step, f"resuming: adopting job {found.jid} ({found.state}), created before the "
                 "interruption")
    rt.ctx.journal.record(node, step.step_id, "job", {
        "jid": found.jid, "transport": transport.value, "task_uri": None, "adopted": True,
        "state": found.state,
    })
    return JobHandle(found.jid, transport, None)


def _handle(note: dict[str, Any]) -> JobHandle:
    return JobHandle(str(note["jid"]), Transport(str(note["transport"])), note.get("task_uri"))


def until_accepted(rt: GroupRuntime, step: Step, idrac: IdracFacade, what: str,
                   send: Callable[[], T]) -> T:
    """`send()` (an install, a repository update) again while the iDRAC refuses it as busy
    before any job exists (LC068 / RAC0679): LC ready, then again, bounded by LC_BUSY_WAIT
    device seconds; then the last refusal is raised."""
    refused: list[DeviceBusyError] = []

    def attempt() -> T:
        if refused:
            _lc_ready(idrac, f"{step.step_id}: LC ready before {what}")
        try:
            return send()
        except DeviceBusyError as exc:
            refused.append(exc)
            raise

    try:
        return rt.ctx.wait_for(f"the iDRAC accepting the {what}", attempt, timeout=LC_BUSY_WAIT,
                               host=step.node or "", step=step.step_id,
                               tolerate=(DeviceBusyError,))  # fmt: skip
    except WaitTimeoutError:
        raise refused[-1] from None


def _install(rt: GroupRuntime, step: Step, idrac: IdracFacade, component_id: str | None
             ) -> JobHandle:
    image = rt.ctx.store.image_for(step)
    _lc_ready(idrac, f"{step.step_id}: LC ready before install")
    rt.say(step, f"installing {image.name} ({step.from_version} -> {step.to_version})")
    # before the device sees it: a resume of a force-same step then knows the install may
    # have run although its JID never reached the journal
    rt.ctx.journal.record(step.node, step.step_id, "install", {"image": image.name})
    # the plan's transfer (docs/delivery.md, "iDRAC9 push transfers"); older plans: http-push
    transfer = step.param("transfer")
    now = step.kind in (StepKind.FIRMWARE_APPLY_NOW, StepKind.IDRAC_UPDATE)

    def send() -> JobHandle:
        if component_id:
            return idrac.install_image(image, fileserver=rt.ctx.files,
                                       component_id=component_id, transfer=transfer, now=now)
        return idrac.install_image(image, fileserver=rt.ctx.files, transfer=transfer, now=now)

    job = until_accepted(rt, step, idrac, "install", send)
    # journaled before anything waits: a resume finds this job instead of installing again
    rt.ctx.journal.record(step.node, step.step_id, "job", {
        "jid": job.jid, "transport": job.transport.value, "task_uri": job.task_uri,
        "image": image.name,
    })
    return job


def _read_version(rt: GroupRuntime, step: Step) -> str:
    node = step.node or ""
    return rt.ctx.wait_for(
        "iDRAC answering", lambda: rt.fresh_idrac(node).firmware_version(),
        timeout=rt.ctx.settings.step_timeout(step), host=node, step=step.step_id,
    )


def planned_downgrade(planned_from: str | None, target: str) -> bool:
    """The plan itself takes this component down (from > to, `--allow-downgrade`)."""
    return bool(planned_from) and compare_versions(planned_from or "", target) > 0


def reached(have: str | None, target: str, planned_from: str | None) -> bool:
    """The device is at the target, or past it and the plan did not plan a downgrade: a
    device already at or past a step's target is never flashed back to that older target
    (a fresh run of a partly applied plan, an iDRAC updated by hand)."""
    if have is None:
        return False
    c = compare_versions(have, target)
    return c == 0 or (c > 0 and not planned_downgrade(planned_from, target))


def idrac_update(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    node = step.node or ""
    target = step.to_version or ""
    before = _read_version(rt, step) if resume else rt.idrac(node).firmware_version()
    forced = force_same(step)
    if compare_versions(before, target) == 0 and not forced:
        return {"already": before}
    if compare_versions(before, target) > 0 and reached(before, target, step.from_version):
        # past this stone (at or past the plan's final iDRAC target: every remaining stone
        # is skipped this way): never flashed back down unless the plan planned a downgrade
        return {"already": before, "past": target}
    idrac = rt.idrac(node)
    job: JobHandle | None = None
    note = rt.ctx.journal.last_note(step.step_id, "job")
    if note is not None:
        jid = str(note["jid"])
        found = rt.ctx.wait_for(  # the iDRAC may be restarting after our job: ask again
            "the iDRAC's job list", lambda: (_find_job(rt.idrac(node), jid),),
            timeout=rt.ctx.settings.step_timeout(step), host=node, step=step.step_id)[0]
        if (found is not None and not found.failed) or (forced and found is None):
            # ours, running or done (force-same: flashed once this run, the job may be gone
            # with the iDRAC's restart): follow it through the restart, never install again
            rt.say(step, f"resuming: job {jid} is {found.state if found else 'gone'}")
            job = _handle(note)
    if job is None:
        job = _adopt(rt, step, idrac, resume=resume)
    if job is None:
        job = _install(rt, step, idrac, None)
    idrac.wait_job(job, idrac_update=True, timeout=rt.ctx.settings.step_timeout(step),
                   step=f"{step.step_id}: job")
    rt.say(step, "waiting for the iDRAC to restart with the new firmware")
    version = idrac.wait_idrac_back_and_verify(
        previous_version=before, expected_version=target, transport=job.transport
    )
    lc = _lc_ready(idrac, f"{step.step_id}: LC ready after update")
    return {"from": before, "to": version, "jid": job.jid, "transport": job.transport.value,
            "lc": lc}


def force_same(step: Step) -> bool:
    """The plan re-flashes this component at the version it has (policy force_same_version):
    the device's version cannot tell whether it was done, the journal does (once per run)."""
    return bool(step.from_version and step.to_version) and compare_versions(
        step.from_version or "", step.to_version or "") == 0


def component_versions(idrac: IdracFacade, *, reuse_members: bool = False) -> dict[str, str]:
    """Installed versions read from the device now (`reuse_members`: the inventory collection
    and only its members not read before, IdracFacade.inventory)."""
    return versions_of(idrac.inventory(reuse_members=reuse_members))


def _versions_after_job(rt: GroupRuntime, step: Step, idrac: IdracFacade) -> dict[str, str]:
    """Installed versions after the step's job, read from the device: a targeted read (a GET
    of the member id each expected component has at its new version; while that is absent,
    of its id before the job: not installed yet) on top of the read before the job; the
    inventory (its collection and new members only) when that cannot tell (no earlier read,
    an id without the version, the component gone to a version spelled otherwise)."""
    node = step.node or ""
    known = rt.known_components(node)
    moves = _expected_members(known, step) if known is not None else None
    if known is None or not moves or \
            idrac.transport_for(Operation.INVENTORY) is not Transport.REDFISH:
        return component_versions(idrac, reuse_members=True)
    versions = {key: c.version for key, c in known.items()}
    for before, member_id in moves:
        now = idrac.inventory_member(member_id)
        if now is not None:
            versions.update(versions_of_components((now,)))
        elif idrac.inventory_member(before.id) is None:
            return component_versions(idrac, reuse_members=True)
    return versions


def _expected_members(known: dict[str, FirmwareComponent], step: Step
                      ) -> list[tuple[FirmwareComponent, str]] | None:
    """Each component the step installs (as read before) with the member id it has once the
    step is done, or None when one cannot be told from the earlier read."""
    moves: list[tuple[FirmwareComponent, str]] = []
    for x in step.expect:
        if x.key == "loadmaster":
            continue
        same = [known[x.key]] if x.key in known else \
            [c for k, c in known.items() if base(k) == base(x.key)]
        if not same:
            return None
        for c in same:
            member_id = member_id_at(c, x.version)
            if member_id is None:
                return None
            moves.append((c, member_id))
    return moves


def _satisfied(versions: dict[str, str], expect: tuple[Expectation, ...],
               planned_from: str | None = None) -> bool:
    """Every expected version installed, or passed (unless the plan planned a downgrade)."""
    for x in expect:
        if x.key == "loadmaster":
            continue
        if not reached(lookup(versions, x.key), x.version, planned_from):
            return False
    return True


def _past(versions: dict[str, str], step: Step) -> bool:
    """A force-same component the device has strictly past the plan's version: not flashed
    back down."""
    return any(x.key != "loadmaster" and (have := lookup(versions, x.key)) is not None
               and compare_versions(have, x.version) > 0 for x in step.expect)


def firmware_step(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    """firmware_apply_now (wait for the job) and firmware_stage (job left for the reboot)."""
    node = step.node or ""
    idrac = rt.idrac(node)
    stage = step.kind.value == "firmware_stage"
    cid = step.component.component_id if step.component else None
    forced = force_same(step)
    installed = rt.installed_versions(node)
    at_target = _satisfied(installed, step.expect, step.from_version)
    if at_target and (not forced or rt.ctx.settings.dry_run or _past(installed, step)):
        return {"already": step.to_version}  # run or resume: the device says it is done
    job: JobHandle | None = None
    note = rt.ctx.journal.last_note(step.step_id, "job")
    if note is not None:
        found = _find_job(idrac, str(note["jid"]))
        if forced and at_target and (found is None or found.succeeded):
            return {"already": step.to_version, "forced_once": note["jid"]}
        if found is not None and not found.failed:
            rt.say(step, f"resuming: job {found.jid} is {found.state}")
            if stage and (found.scheduled or found.state in _WAITING or found.succeeded):
                return {"jid": found.jid, "state": found.state, "resumed": True}
            job = _handle(note)
    if job is None:
        job = _adopt(rt, step, idrac, resume=resume)
        if job is None and resume and not forced and _satisfied(
                component_versions(idrac), step.expect, step.from_version):
            # the interrupted job finished between the version read and the job list
            return {"already": step.to_version}
    if job is None:
        job = _install(rt, step, idrac, cid)
    timeout = rt.ctx.settings.step_timeout(step)
    if stage:
        final = idrac.wait_job(job, stop_on=_WAITING, timeout=timeout,
                               step=f"{step.step_id}: job")
        return {"jid": job.jid, "state": final.state if final else None,
                "transport": job.transport.value}
    final = idrac.wait_job(job, timeout=timeout, step=f"{step.step_id}: job")
    versions = rt.ctx.wait_for(
        "new version in the inventory",
        lambda: v if _satisfied(v := _versions_after_job(rt, step, idrac),
                                step.expect, step.from_version) else None,
        timeout=timeout, host=node, step=step.step_id,
    )
    rt.remember_versions(node, versions)  # device truth after the job, for the next steps
    return {"jid": job.jid, "state": final.state if final else None,
            "transport": job.transport.value, "to": step.to_version}


def _covered_jobs(rt: GroupRuntime, step: Step) -> list[str]:
    jids = []
    for sid in step.covers:
        note = rt.ctx.journal.last_note(sid, "job")
        if note is not None:
            jids.append(str(note["jid"]))
    return jids


def _send_reboot(rt: GroupRuntime, step: Step, idrac: IdracFacade, jids: list[str]) -> None:
    if idrac.transport_for(Operation.JOBS) is Transport.WSMAN and \
            idrac.transport_for(Operation.HOST_REBOOT) is Transport.WSMAN:
        waiting = [j.jid for j in idrac.list_jobs() if j.jid in jids and j.state == "Downloaded"]
        rid = idrac.wsman.create_reboot_job(3)
        idrac.wsman.setup_job_queue((*waiting, rid))
        return
    if idrac.transport_for(Operation.JOBS) is Transport.WSMAN:
        waiting = [j.jid for j in idrac.list_jobs() if j.jid in jids and j.state == "Downloaded"]
        if waiting:
            idrac.wsman.setup_job_queue(tuple(waiting))
    idrac.reboot_host()


def lm_target(rt: GroupRuntime, step: Step) -> str | None:
    """The LoadMaster version a reboot step must find after it: the version an `lm_stage` step
    it covers journaled as staged, else the one its plan expects (None: no LoadMaster check)."""
    version = next((x.version for x in step.expect if x.key == "loadmaster"), None)
    for sid in step.covers:
        if sid.endswith("-lm_stage"):
            note = rt.ctx.journal.last_note(sid, "lm-staged")
            if note is not None:
                version = str(note.get("version") or version or "") or None
    return version


def host_reboot(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    node = step.node or ""
    idrac = rt.idrac(node)
    jids = _covered_jobs(rt, step)
    unit = rt.lm(node)
    lm_version = lm_target(rt, step)
    timeout = rt.ctx.settings.step_timeout(step)
    sent = rt.ctx.journal.last_note(step.step_id, "reboot-sent")
    if sent is None and _nothing_to_apply(rt, step):
        rt.say(step, "nothing staged for this reboot: every covered step found its component "
                     "at the target; not rebooting")
        return {"already": True, "jobs": {}}
    boot_before: str | None = None
    handed = False
    if resume and sent is not None:
        boot_before = sent.get("boot_time")
        rt.say(step, "resuming: the reboot was already sent; waiting")
    else:
        requested = rt.ctx.journal.last_note(step.step_id, "reboot-requested")
        powered = bool(rt.ctx.journal.events(step_id=step.step_id, kind=POWER_NOTE))
        if resume and requested is not None and (powered or _host_went_down(rt, idrac, jids)):
            # the reboot reached the device (resume_power finished a cut power cycle)
            boot_before = requested.get("boot_time")
        else:
            # partner check and orderly handover; on resume the LoadMaster's real role decides
            handed, boot_before = take_down(rt, step, resume)
            rt.ctx.journal.record(node, step.step_id, "reboot-requested",
                                  {"boot_time": boot_before, "jobs": jids})
            rt.say(step, f"rebooting the host ({len(jids)} staged job(s))")
            _send_reboot(rt, step, idrac, jids)
            rt.ctx.journal.record(node, step.step_id, "reboot-sent",
                                  {"boot_time": boot_before, "jobs": jids})
    states: dict[str, str] = {}
    for jid in jids:

        def finished(jid: str = jid) -> JobStatus | None:
            j = _find_job(rt.idrac(node), jid)
            return j if j is not None and j.terminal else None

        st = rt.ctx.wait_for(f"job {jid} finished", finished, timeout=timeout, host=node,
                             step=step.step_id)
        states[jid] = st.state
        if st.failed:
            raise JobFailedError(f"job {jid} ended {st.state}: {st.message or ''}".strip(),
                                 host=node, step=step.step_id,
                                 message_id=st.message_ids[0] if st.message_ids else None)
    rt.ctx.wait_for("host up and LC ready",
                    lambda: _lc_ready(rt.idrac(node), f"{step.step_id}: LC") or "n/a",
                    timeout=timeout, host=node, step=step.step_id)
    out: Outcome = {"jobs": states, "handover": handed}
    if unit is not None:
        out.update(wait_lm_back(rt, step, boot_before, lm_version, timeout))
    return out


def cpld_apply(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    """CPLD alone (rule N7, after the node's other staged components and their reboot): stage
    the package like `firmware_stage`, then its own host reboot like `host_reboot` (partner
    check, orderly LoadMaster handover, the job followed), through the virtual AC cycle that
    ends a CPLD update (idrac-redfish.md §4.5: the host loses power, the iDRAC restarts and
    does not answer, then the host boots again); then the new version in the inventory."""
    node = step.node or ""
    requested = rt.ctx.journal.last_note(step.step_id, "reboot-requested")
    staged = firmware_step(rt, replace(step, kind=StepKind.FIRMWARE_STAGE), resume)
    if "already" in staged and requested is None:
        return {"already": step.to_version}
    rebooted = host_reboot(rt, replace(step, covers=(step.step_id,)), resume)
    timeout = rt.ctx.settings.step_timeout(step)
    rt.say(step, "waiting through the virtual AC cycle for the new CPLD version")
    rt.ctx.wait_for(
        "the new CPLD version after the virtual AC cycle",
        lambda: v if _satisfied(v := component_versions(rt.fresh_idrac(node)), step.expect)
        else None,
        timeout=timeout, host=node, step=step.step_id,
    )
    return {**rebooted, "jid": staged.get("jid"), "to": step.to_version}


def resume_power(rt: GroupRuntime, step: Step) -> None:
    """Resume of a step that had sent host power changes (journaled before each): finish a
    power cycle cut between GracefulShutdown/ForceOff and On, and power on a host left off,
    so that no host stays off.  Nothing to do for a step that never touched host power."""
    notes = rt.ctx.journal.events(step_id=step.step_id, kind=POWER_NOTE)
    if not notes or step.node is None:
        return
    node = step.node
    last = str(notes[-1].data.get("reset"))
    state = rt.ctx.wait_for(
        "host power state", lambda: rt.fresh_idrac(node).host_power(),
        timeout=min(rt.ctx.settings.step_timeout(step), 600.0), host=node, step=step.step_id,
    )
    idrac = rt.idrac(node)
    if last in ("GracefulShutdown", "ForceOff"):
        if state == "On" and not may_finish_power_cycle(rt, step):
            rt.say(step, f"resuming: the host power cycle cut after {last} already completed "
                         "(the LoadMaster booted since); not cycling the host again")
            rt.ctx.journal.record(node, step.step_id, "power-restored",
                                  {"after": last, "was": state, "completed": True})
            return
        rt.say(step, f"resuming: the host power cycle stopped after {last} (host {state}); "
                     "finishing it")
        idrac.reboot_host()  # off: On; still on (shutting down): shutdown, Off, On
    elif state != "On":
        rt.say(step, f"resuming: the host is {state} after {last}; powering it on")
        idrac.power_on_host()
    else:
        return
    rt.ctx.journal.record(node, step.step_id, "power-restored", {"after": last, "was": state})


def _nothing_to_apply(rt: GroupRuntime, step: Step) -> bool:
    """Every step this reboot applies found its component already at the target (a re-run of
    a partly applied plan) and no reboot or handover of this step was started."""
    if not step.covers:
        return False
    j = rt.ctx.journal
    if any(j.last_note(step.step_id, k) is not None for k in ("reboot-requested", "handover")):
        return False
    for sid in step.covers:
        rec = j.step(sid)
        if rec.state != DONE or not rec.outcome or "already" not in rec.outcome \
                or "forced_once" in rec.outcome:
            return False
    return True


def _host_went_down(rt: GroupRuntime, idrac: IdracFacade, jids: list[str]) -> bool:
    """Resume between 'reboot requested' and 'sent': did the reboot reach the device?"""
    try:
        jobs = {j.jid: j for j in idrac.list_jobs()}
        if any(j in jobs and not jobs[j].scheduled and jobs[j].state not in _WAITING
               for j in jids):
            return True
        return idrac.redfish.power_state() != "On"
    except FwupdateError:
        return True  # unreachable now: it is rebooting


def verify(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    node = step.node or ""
    timeout = rt.ctx.settings.step_timeout(step)
    missing: list[str] = []

    def check() -> dict[str, str] | None:
        versions = component_versions(rt.idrac(node))
        missing.clear()
        for x in step.expect:
            if x.key == "loadmaster":
                continue
            have = lookup(versions, x.key)
            if have is None or compare_versions(have, x.version) != 0:
                missing.append(f"{x.name} {have or 'absent'} (expected {x.version})")
        return versions if not missing else None

    try:
        versions = rt.ctx.wait_for("expected versions", check, timeout=min(timeout, 600.0),
                                   host=node, step=step.step_id)
    except FwupdateError:
        raise DeviceError("not at the planned versions: " + "; ".join(missing), host=node,
                          step=step.step_id) from None
    out: Outcome = {"checked": len(step.expect)}
    unit = rt.lm(node)
    lm_x = next((x for x in step.expect if x.key == "loadmaster"), None)
    if unit is not None and lm_x is not None:
        v = unit.version()
        if not version_matches(v, lm_x.version):
            raise DeviceError(f"LoadMaster at {v}, expected {lm_x.version}", host=node,
                              step=step.step_id)
        out["lm_version"] = v
    role = step.param("role")
    if unit is not None and role:
        got = unit.ha_role()
        if got.value != role and not (got.value == "active" and (
                planned_failover_done(rt, step) or role_handed_to(rt, node))):
            raise DeviceError(f"HA role {got.value}, expected {role}", host=node,
                              step=step.step_id)
        out["role"] = got.value
    del versions
    return out
