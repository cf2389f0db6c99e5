"""Steps that talk to the LoadMasters: pair pre/post-checks, HA safety before a node goes
down, the orderly handover of the Active role, staging and rebooting the LoadMaster image."""

from __future__ import annotations

from typing import Any

from fwupdate.errors import FwupdateError, HASafetyError
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.loadmaster.ha import wait_pair_healthy
from fwupdate.loadmaster.models import HaRole
from fwupdate.loadmaster.versions import version_matches
from fwupdate.plan.models import Step
from fwupdate.run.runtime import GroupRuntime

Outcome = dict[str, Any]
_UP_ROLES = (HaRole.ACTIVE, HaRole.STANDBY)


def pair_precheck(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    pc = rt.pair_client
    if pc is None:
        return {"note": "no LoadMaster pair"}
    st = pc.snapshot()
    if not st.healthy:
        raise HASafetyError("pair not healthy: " + "; ".join(st.problems), host=rt.group.name,
                            step=step.step_id)
    want = step.param("expect_active")
    if want and st.active != want and not resume:
        raise HASafetyError(f"{st.active} is Active, the plan expected {want}",
                            host=rt.group.name, step=step.step_id)
    changed = []
    if step.param("preferred_host") == "none" and not rt.ctx.settings.dry_run:
        for unit in pc.units:
            if unit.preferred_host() != "0":
                unit.set_preferred_host(0)
                changed.append(unit.name)
    return {"active": st.active, "standby": st.standby, "vs_up": st.vs_up,
            "preferred_before": st.preferred_host, "preferred_set_none": changed}


def check_partner(rt: GroupRuntime, step: Step) -> str | None:
    """Before a node goes down: its partner must be up, healthy and able to be Active.
    Waits (bounded) for a pair still settling; HASafetyError otherwise.  Returns the partner."""
    node = step.node or ""
    partner = rt.partner(node)
    pc = rt.pair_client
    if partner is None or pc is None:
        return partner
    timeout = rt.ctx.settings.step_timeout(step)
    try:
        st = wait_pair_healthy(
            pc, timeout=rt.ctx.settings.real(min(timeout, 600.0)),
            poll_interval=max(rt.ctx.settings.min_real_poll,
                              rt.ctx.settings.real(rt.ctx.settings.poll_interval)),
            step=f"{step.step_id}: partner check",
        )
    except FwupdateError as exc:
        raise HASafetyError(
            f"not taking {node} down: its partner {partner} is not ready to serve ({exc.message})",
            host=node, step=step.step_id,
        ) from None
    unit = next(u for u in st.units if u.name == partner)
    if not unit.reachable or unit.ha_role not in _UP_ROLES:
        raise HASafetyError(
            f"not taking {node} down: partner {partner} is {unit.ha_role}", host=node,
            step=step.step_id,
        )
    return partner


def _role(unit: LoadMasterClient) -> HaRole | None:
    try:
        return unit.ha_role()
    except FwupdateError:
        return None


def handover(rt: GroupRuntime, step: Step, boot_time: str | None = None) -> bool:
    """If `step.node`'s LoadMaster is Active, stop its OS in order (API `shutdown`) so the
    partner takes the shared address without a gap; True when a handover happened."""
    node = step.node or ""
    partner = rt.partner(node)
    unit = rt.lm(node)
    if unit is None or partner is None:
        return False
    if _role(unit) is not HaRole.ACTIVE:
        return False
    other = rt.lm(partner)
    assert other is not None
    rt.say(step, f"handing the Active role to {partner} (orderly LoadMaster shutdown)")
    rt.ctx.journal.record(node, step.step_id, "handover", {"to": partner,
                                                           "boot_time": boot_time})
    unit.call("shutdown", step=f"{step.step_id}: shutdown", retry=False)
    rt.ctx.wait_for(
        f"{partner} Active", lambda: True if _role(other) is HaRole.ACTIVE else None,
        timeout=600.0, host=node, step=step.step_id,
    )
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
    if resume and rt.ctx.journal.last_note(step.step_id, "lm-staged"):
        return {"staged": target, "resumed": True}
    image = rt.ctx.store.verified(step.package) if step.package else None
    if image is None:
        raise HASafetyError("the plan names no image", host=node, step=step.step_id)
    rt.say(step, f"installpatch {image.name}")
    answer = unit.install_patch(image, step=f"{step.step_id}: installpatch")
    rt.ctx.journal.record(node, step.step_id, "lm-staged", {"version": target, "answer": answer})
    return {"staged": target, "from": current}


def wait_lm_back(rt: GroupRuntime, step: Step, before_boot: str | None, target: str | None,
                 timeout: float) -> Outcome:
    """The unit restarted (boot time changed), answers with the target version, and the pair
    is healthy again."""
    node = step.node or ""
    unit = rt.lm(node)
    assert unit is not None

    def back() -> str | None:
        ok, boot = unit.probe()
        if not ok or boot is None or (before_boot is not None and boot == before_boot):
            return None
        return boot

    boot = rt.ctx.wait_for(f"{node} LoadMaster back", back, timeout=timeout, host=node,
                           step=step.step_id)
    version = unit.version()
    if target and not version_matches(version, target):
        raise HASafetyError(f"LoadMaster came back with {version}, expected {target}",
                            host=node, step=step.step_id)
    role = rt.ctx.wait_for(
        f"{node} HA role", lambda: r if (r := _role(unit)) in _UP_ROLES else None,
        timeout=timeout, host=node, step=step.step_id,
    )
    out: Outcome = {"lm_version": version, "role": str(role), "boot_time": boot}
    pc = rt.pair_client
    if pc is not None:
        st = wait_pair_healthy(
            pc, timeout=rt.ctx.settings.real(timeout),
            poll_interval=max(rt.ctx.settings.min_real_poll,
                              rt.ctx.settings.real(rt.ctx.settings.poll_interval)),
            step=f"{step.step_id}: pair health",
        )
        out["active"] = st.active
    return out


def lm_reboot(rt: GroupRuntime, step: Step, resume: bool) -> Outcome:
    node = step.node or ""
    unit = rt.lm(node)
    assert unit is not None
    target = lm_target(step)
    timeout = rt.ctx.settings.step_timeout(step)
    sent = rt.ctx.journal.last_note(step.step_id, "lm-reboot-sent")
    if resume and sent is not None:
        return wait_lm_back(rt, step, sent.get("boot_time"), target, timeout)
    handed_before = rt.ctx.journal.last_note(step.step_id, "handover") if resume else None
    if handed_before is not None:
        # we shut this unit down ourselves before the crash: the partner took over; boot it
        boot = handed_before.get("boot_time")
        handed = True
    else:
        if resume and target and version_matches(unit.version(), target):
            return {"already": target}
        check_partner(rt, step)
        _, boot = unit.probe()
        handed = handover(rt, step, boot)
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
    st = wait_pair_healthy(
        pc, timeout=rt.ctx.settings.real(rt.ctx.settings.step_timeout(step)),
        poll_interval=max(rt.ctx.settings.min_real_poll,
                          rt.ctx.settings.real(rt.ctx.settings.poll_interval)),
        step=step.step_id,
    )
    want = step.param("expect_active")
    if want and st.active != want:
        raise HASafetyError(f"{st.active} is Active, the plan expected {want}",
                            host=rt.group.name, step=step.step_id)
    restored = None
    if step.param("restore_preferred_host") == "true":
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
