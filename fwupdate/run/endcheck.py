"""The end of a run (and of a resume): every pair about to be reported `done` has the Virtual
Services of its baseline read again (docs/guarantees.md, I2).  A pair finishes hours before the
night ends; a Virtual Service of its baseline that went Down since (or is gone) makes it
`degraded`, not `done`: "VS api (10.0.0.1:443) was Up, now Down after the pair finished at
03:12".  A resume reads again, and a pair degraded by an earlier process whose services are Up
again is `done` once more.  One read per pair through the pair's own health procedure
(`PairClient.snapshot`, `loadmaster.ha.vs_regressions`): no wait, no second copy."""

from __future__ import annotations

import time

from fwupdate.errors import FwupdateError
from fwupdate.loadmaster.ha import vs_regressions
from fwupdate.run.journal import Journal
from fwupdate.run.runtime import GroupRuntime
from fwupdate.run.steps_lm import vs_baseline

DEGRADED = "degraded"  # a group status: every step done, a baseline VS no longer Up
END_CHECK = "end-check"  # journal note: the run's last look at its pairs' services begins


def note_start(journal: Journal, pairs: list[str]) -> None:
    """Journaled before the first read again: the process's last look at the devices begins,
    so a change after it is one this process cannot report (the campaign fires no fault after
    this note: fwupdate/chaos/night.py)."""
    journal.record(None, None, END_CHECK, {"pairs": pairs})


def baseline_names(rt: GroupRuntime) -> list[str]:
    """The names that must be Up: the journaled precheck baseline and the plan's, together."""
    return sorted(set(vs_baseline(rt) or ()) | set(rt.group.vs_baseline or ()))


def services_lost(rt: GroupRuntime) -> list[str]:
    """The pair's baseline Virtual Services not Up now, one text each (empty: all Up, or the
    group has no LoadMaster pair or no baseline)."""
    pc = rt.pair_client
    names = baseline_names(rt)
    if pc is None or not names:
        return []
    try:
        st = pc.snapshot(baseline=names)
    except FwupdateError as exc:
        return [f"the Virtual Services could not be read again ({exc.message})"]
    if st.active is None:
        return ["no Active unit answers for the Virtual Services ("
                + "; ".join(st.problems) + ")"]
    return vs_regressions(names, st.virtual_services)


def finished_at(journal: Journal, group: str) -> float | None:
    """When the pair's last step finished (the journal's clock)."""
    times = [r.finished_at for r in journal.steps(group=group) if r.finished_at]
    return max(times) if times else None


def degraded_reason(lost: list[str], finished: float | None) -> str:
    when = time.strftime("%H:%M", time.localtime(finished)) if finished else "?"
    return f"{'; '.join(lost)} after the pair finished at {when}"


def last_status(journal: Journal, group: str) -> str | None:
    """The group's verdict as last journaled (None: none yet)."""
    found = [e for e in journal.events(kind="group") if e.data.get("group") == group]
    return str(found[-1].data.get("status")) if found else None
