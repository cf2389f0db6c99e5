"""Executor handlers for the delivery steps `repo_update` and `vmedia_update`
(docs/planning.md step table, docs/delivery.md).  Same signature as the handlers of
steps_idrac.py: `(runtime, step, resume) -> outcome dict`; register them in
`fwupdate.run.executor.HANDLERS`:

    StepKind.REPO_UPDATE: delivery_steps.repo_update,
    StepKind.VMEDIA_UPDATE: delivery_steps.vmedia_update,

Both take the node down like `host_reboot`: the partner is checked first and an active
LoadMaster hands over in order; afterwards the host must be up, LC ready and (with a
LoadMaster) the unit back at its version in a healthy pair.  Resume asks the device first: every
expected version already installed -> nothing is sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from fwupdate.errors import BadInputError, FwupdateError
from fwupdate.idrac.share import ShareParameters, share_from_url
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.plan.models import Step
from fwupdate.repo import RepositoryContent, open_repository, serve_repository
from fwupdate.run.delivery import run_repository_update, run_virtual_media_update
from fwupdate.run.keys import lookup
from fwupdate.run.runtime import GroupRuntime
from fwupdate.run.steps_idrac import component_versions, lm_target, reached, until_accepted
from fwupdate.run.steps_lm import take_down, wait_lm_back

Outcome = dict[str, Any]
_URL_SCHEMES = ("http://", "https://", "nfs://", "cifs://", "ftp://")


def _satisfied(rt: GroupRuntime, versions: dict[str, str], step: Step) -> bool:
    """Every expected version installed or passed (a component the plan saw newer than its
    target is a planned downgrade: only its exact version counts)."""
    seen = {e.key: e.version for e in rt.ctx.plan.node(step.node or "").inventory}
    for x in step.expect:
        if x.key == "loadmaster":
            continue
        if not reached(lookup(versions, x.key), x.version, lookup(seen, x.key)):
            return False
    return True


def _local(rt: GroupRuntime, source: str) -> Path:
    """A relative source is looked up in the working folder, then beside the run's --repo."""
    p = Path(source).expanduser()
    if p.is_absolute() or p.exists():
        return p
    repo = rt.ctx.store.repo
    if repo is not None:
        for cand in (repo / source, repo.parent / source):
            if cand.exists():
                return cand
    raise BadInputError(f"delivery source {source!r} not found (cwd or beside --repo)")


def _verifier(rt: GroupRuntime, step: Step) -> Callable[[RepositoryContent, Collection[str]], None]:
    """Checks each planned package in a repository or ISO (size, MD5, signature per the plan's
    policy, like a pushed file) right before it is served; the first that fails refuses the
    step with one line and nothing is served."""

    def verify(content: RepositoryContent, _served: Collection[str]) -> None:
        if not step.packages and step.param("packages"):
            raise BadInputError(
                f"{step.step_id}: the plan records no size, MD5 or signature for the packages "
                "it serves (made by an older fwupdate); plan again"
            )
        for pkg in step.packages:
            src = content.find(pkg.path)
            if src is None:
                raise BadInputError(f"{content.origin}: {pkg.path} is missing; nothing served")
            sign = content.find(pkg.path + ".sign")
            try:
                rt.ctx.store.check_served(src, pkg, sign)
            except FwupdateError as exc:
                raise type(exc)(f"{content.origin}: {exc.message}; nothing served") from None

    return verify


def _expected(step: Step) -> dict[str, str]:
    """{component id: version} from the step's expectations (keys `id:<cid>[@FQDD]`)."""
    out: dict[str, str] = {}
    for x in step.expect:
        if x.key.startswith("id:"):
            out[x.key[3:].split("@", 1)[0]] = x.version
    return out


def _requested(rt: GroupRuntime, step: Step, kind: str, resume: bool) -> dict[str, Any] | None:
    """On resume: the note of our earlier attempt's request (its boot time is the one from
    before the node went down, whatever the device did since)."""
    return rt.ctx.journal.last_note(step.step_id, kind) if resume else None


def _before(rt: GroupRuntime, step: Step, resume: bool,
            requested: dict[str, Any] | None) -> tuple[str | None, str | None, bool]:
    """Partner check and orderly handover; (boot time before, LoadMaster target, handed).  On
    resume the LoadMaster's real role decides (take_down): a handover our killed run had sent
    is finished, not refused because the pair is still settling from it; and the boot time is
    the one noted before the first attempt (that attempt may have rebooted the node already,
    and this one then has nothing left to reboot)."""
    handed, boot_before = take_down(rt, step, resume)
    if requested is not None:
        boot_before = requested.get("boot_time")
    return boot_before, lm_target(rt, step), handed


def _already(rt: GroupRuntime, step: Step, requested: dict[str, Any] | None) -> Outcome:
    """The device is at the step's versions.  After our own interrupted attempt the node may
    still be coming back: wait for it as the attempt would have."""
    if requested is None:
        return {"already": True}
    rt.say(step, "resuming: the update was applied; waiting for the node to be back")
    return _after(rt, step, requested.get("boot_time"), lm_target(rt, step),
                  {"already": True, "resumed": True})


def _after(rt: GroupRuntime, step: Step, boot_before: str | None, lm_target: str | None,
           out: Outcome) -> Outcome:
    node = step.node or ""
    timeout = rt.ctx.settings.step_timeout(step)
    rt.ctx.wait_for(
        "host up and LC ready",
        lambda: rt.idrac(node).lc_status().detail if rt.idrac(node).lc_status().ready else None,
        timeout=timeout, host=node, step=step.step_id,
    )
    unit = rt.lm(node)
    if unit is not None:
        if boot_before is not None and _answers_unrestarted(unit, boot_before):
            # every job is over and LC ready, yet the unit never went down: nothing this
            # attempt sent restarted it (an earlier, killed attempt had; chaos seed 2026 night
            # 8 waited 2790 device s for a restart that could not come)
            rt.say(step, "the LoadMaster did not restart in this attempt; checking it as it is")
            boot_before = None
        out.update(wait_lm_back(rt, step, boot_before, lm_target, timeout))
    return out


def _answers_unrestarted(unit: LoadMasterClient, boot_before: str) -> bool:
    """The unit answers with the boot time noted before this attempt.  Called once the jobs
    are over and LC is ready: a host restart of this attempt took the unit down before its
    jobs could finish, so it cannot still answer with the old boot time."""
    try:
        ok, boot = unit.probe()
    except FwupdateError:
        return False
    return bool(ok) and boot == boot_before


def repo_update(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    node = step.node or ""
    idrac = rt.idrac(node)
    requested = _requested(rt, step, "repo-requested", resume)
    if _satisfied(rt, component_versions(idrac), step):  # run or resume: ask the device
        return _already(rt, step, requested)
    source = step.param("source") or ""
    packages = [p for p in (step.param("packages") or "").split(",") if p]
    if rt.ctx.settings.dry_run:
        return {"dry_run": True, "source": source, "packages": packages}
    share: ShareParameters
    served_from = source
    if source.startswith(_URL_SCHEMES):
        share = share_from_url(source)
    else:
        if rt.ctx.files is None:
            raise BadInputError("repository delivery needs the run's file server")
        served = serve_repository(
            rt.ctx.files, _local(rt, source), only=packages, verify=_verifier(rt, step)
        )
        share = served.share
        served_from = f"{served.kind} {source} ({len(served.packages)} package(s))"
        for change in served.rewrites:
            rt.say(step, f"catalog rewritten: {change}")
    boot_before, lm_target, handed = _before(rt, step, resume, requested)
    rt.ctx.journal.record(node, step.step_id, "repo-requested",
                          {"boot_time": boot_before, "share": share.display})
    rt.say(step, f"repository update from {served_from}")
    result = run_repository_update(
        idrac, share, reboot=True, job_timeout=rt.ctx.settings.step_timeout(step),
        until_accepted=lambda what, send: until_accepted(rt, step, idrac, what, send),
    )
    rt.ctx.journal.record(node, step.step_id, "repo-done", {
        "repository_job": result.repository_job,
        "jobs": [j.jid for j in result.jobs],
        "nothing_to_do": result.nothing_to_do,
    })
    out: Outcome = {"handover": handed, "repository_job": result.repository_job,
                    "jobs": {j.jid: j.state for j in result.jobs},
                    "nothing_to_do": result.nothing_to_do}
    return _after(rt, step, boot_before, lm_target, out)


def vmedia_update(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    node = step.node or ""
    idrac = rt.idrac(node)
    requested = _requested(rt, step, "vmedia-requested", resume)
    if _satisfied(rt, component_versions(idrac), step):  # run or resume: ask the device
        return _already(rt, step, requested)
    source = step.param("source") or ""
    if rt.ctx.settings.dry_run:
        return {"dry_run": True, "source": source}
    if source.startswith(("http://", "https://", "nfs://", "cifs://", "smb://")):
        url = shown = source
    else:
        if rt.ctx.files is None:
            raise BadInputError("virtual-media delivery needs the run's file server")
        local = _local(rt, source)
        if step.packages or step.param("packages"):
            _verifier(rt, step)(open_repository(local), ())
        url = rt.ctx.files.register(local)
        shown = f"{rt.ctx.files.base_url}/…/{local.name}"
    if resume:  # a previous attempt may have left the image attached
        try:
            idrac.eject_virtual_media()
        except FwupdateError as exc:
            rt.say(step, f"could not check the virtual CD: {exc.message}")
    boot_before, lm_target, handed = _before(rt, step, resume, requested)
    rt.ctx.journal.record(node, step.step_id, "vmedia-requested",
                          {"boot_time": boot_before, "image": url.rsplit("/", 1)[-1]})
    rt.say(step, f"booting {url.rsplit('/', 1)[-1]} once by virtual media")
    result = run_virtual_media_update(
        idrac, url, expected=_expected(step), timeout=rt.ctx.settings.step_timeout(step),
        display=shown,
    )
    out: Outcome = {
        "handover": handed,
        "components": {c.component_id: c.after for c in result.changes},
        "nothing_to_do": result.nothing_to_do,
    }
    return _after(rt, step, boot_before, lm_target, out)
