"""`fwupdate run --dry-run`: walk the plan against the live fleet without changing anything:
packages present with their planned MD5/size, each pair healthy with the planned roles, each
node reachable, the planned machine (service tag) and still at the inventory the plan saw
(drift), LC ready."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fwupdate.errors import FwupdateError
from fwupdate.plan.drift import check_node
from fwupdate.plan.identity import check_identity, service_tag_of
from fwupdate.run.context import RunContext, RunSettings
from fwupdate.run.executor import ordered_groups
from fwupdate.run.keys import align_inventory
from fwupdate.run.runtime import GroupRuntime
from fwupdate.run.session import prepare


def dry_run(plan_path: Path, fleet_path: Path, settings: RunSettings, *,
            repo: Path | None = None, lm_image: Path | None = None) -> list[dict[str, Any]]:
    plan, _doc, fleet, store, _repo, _img = prepare(plan_path, fleet_path, repo=repo,
                                                    lm_image=lm_image)
    rows: list[dict[str, Any]] = [{"group": "", "node": "", "check": "packages", "ok": True,
                                   "detail": "every package present, MD5/size as planned"}]
    ctx = RunContext(plan, fleet, None, store, settings)  # type: ignore[arg-type]
    for group in ordered_groups(plan):
        rt = GroupRuntime(ctx, group)
        try:
            pc = rt.pair_client
            if pc is not None:
                st = pc.snapshot()
                first = group.steps[0] if group.steps else None
                want = first.param("expect_active") if first is not None else None
                ok = st.healthy and (not want or st.active == want)
                detail = "; ".join(st.problems) or f"active {st.active}, standby {st.standby}"
                if want and st.active != want:
                    detail += f" (plan expects {want} active)"
                rows.append({"group": group.name, "node": "", "check": "pair", "ok": ok,
                             "detail": detail})
            for n in group.nodes:
                try:
                    idrac = rt.idrac(n.name)
                    live = idrac.inventory()
                    ident = check_identity(plan, n.name, service_tag_of(live))
                    rows.append({"group": group.name, "node": n.name, "check": "identity",
                                 "ok": ident.ok, "detail": ident.line})
                    planned = {e.key for e in n.inventory}
                    reasons = check_node(plan, n.name, align_inventory(live, planned))
                    rows.append({"group": group.name, "node": n.name, "check": "inventory",
                                 "ok": not reasons,
                                 "detail": "; ".join(reasons) or "matches the plan"})
                except FwupdateError as exc:
                    rows.append({"group": group.name, "node": n.name, "check": "inventory",
                                 "ok": False, "detail": str(exc)})
        finally:
            rt.close()
    store.close()
    return rows
