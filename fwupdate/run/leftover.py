"""What a pair that did not finish leaves behind on its nodes: a host powered off, a staged
firmware job still armed for the next reboot.  Read from the devices when the group stops
(failed or stopped) and journaled as a `left-behind` note per node, so that the run
report says so (docs/guarantees.md, I7) instead of leaving it to be found in the morning."""

from __future__ import annotations

from typing import Any

from fwupdate.errors import FwupdateError
from fwupdate.plan.models import PairPlan
from fwupdate.run.runtime import GroupRuntime

LEFT_NOTE = "left-behind"


def _node_state(rt: GroupRuntime, node: str) -> dict[str, Any] | None:
    """{power, armed jobs} of one node when something is left behind, else None."""
    try:
        idrac = rt.fresh_idrac(node)
        power = idrac.host_power()
        jobs = idrac.unfinished_jobs()
    except FwupdateError as exc:
        return {"power": "unknown", "armed": [], "error": exc.message}
    armed = [{"jid": j.jid, "state": j.state, "name": j.name} for j in jobs
             if j.jid.startswith("JID_") and "reboot" not in (j.name or "").lower()]
    if power == "On" and not armed:
        return None
    return {"power": power, "armed": armed}


def record_left_behind(rt: GroupRuntime, group: PairPlan) -> list[str]:
    """Survey the group's nodes and journal what each one is left with; the nodes named."""
    if rt.ctx.settings.dry_run:
        return []
    named: list[str] = []
    for node in group.order:
        state = _node_state(rt, node)
        if state is None:
            continue
        rt.ctx.journal.record(node, None, LEFT_NOTE, state)
        named.append(node)
        jids = ", ".join(f"{a['jid']} ({a['state']})" for a in state["armed"])
        rt.ctx.progress(group.name, f"{node}: left with the host powered {state['power']}"
                        + (f"; staged job(s) armed for its next reboot: {jids}" if jids else ""))
    return named
