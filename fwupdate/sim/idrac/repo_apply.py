"""Choosing and staging a repository's packages on a simulated iDRAC.

Shared by the repository update (repository.py: packages fetched over HTTP(S) from the share)
and the virtual-media boot of a Dell update ISO (virtual_media.py: packages read from the ISO).
Rules (idrac-redfish.md §4.4): a package applies when it supports this system id (or names no
system), targets an updateable component by ComponentID and is newer than the installed version;
only Windows DUPs (.EXE) and bare iDRAC images are taken (an iDRAC never accepts Linux .BIN);
the newest package per component wins; the iDRAC's own package is staged last, once every other
job of the run has finished ("iDRAC last", the Dell script's text).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fwupdate.sim.idrac.model import Rejected
from fwupdate.sim.idrac.profiles import IDRAC_KEY
from fwupdate.sim.idrac.sim_catalog import CatalogProblem, Package, SimCatalog
from fwupdate.sim.idrac.state import IdracState
from fwupdate.sim.idrac.versions import newer

IDRAC_ACCEPTS = (".exe", ".d7", ".d9")
POLL_REAL_SECONDS = 0.02
MAX_REAL_WAIT = 300.0


@dataclass
class Selected:
    package: Package
    key: str
    component_name: str
    installed: str
    reboot: str  # HOST | NONE | IDRAC
    fqdd: str
    job_id: str = ""
    error: tuple[str, str] | None = None  # (message id, detail)


@dataclass
class StageResult:
    selected: list[Selected]
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (path, msg id, detail)


def applicable(st: IdracState, catalog: SimCatalog) -> list[Selected]:
    sid = st.hardware.system_id.upper()
    best: dict[str, Selected] = {}
    for p in catalog.packages:
        if not p.path.lower().endswith(IDRAC_ACCEPTS):
            continue
        if p.system_ids and sid not in p.system_ids:
            continue
        for c in st.hardware.components:
            if c.component_id == "0" or not c.updateable or c.component_id not in p.component_ids:
                continue
            installed = st.component_version(c.key)
            if not newer(p.version, installed):
                break
            have = best.get(c.key)
            if have is None or newer(p.version, have.package.version):
                best[c.key] = Selected(p, c.key, c.name, installed, c.reboot.value, c.fqdd)
            break
    order = [c.key for c in st.hardware.components if c.key != IDRAC_KEY] + [IDRAC_KEY]
    return sorted(best.values(), key=lambda s: order.index(s.key))


def _wait(pred: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + MAX_REAL_WAIT
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(POLL_REAL_SECONDS)
    return False


def _stage_one(
    st: IdracState, sel: Selected, fetch: Callable[[Package], Path], source: str
) -> None:
    path: Path | None = None
    try:
        path = fetch(sel.package)
        job = st.install_image(
            path,
            os.path.basename(sel.package.path),
            source=source,
            install_upon="NextReboot",
            auto_schedule=True,
        )
        sel.job_id = job.id
    except CatalogProblem as exc:
        sel.error = (exc.message_id, exc.detail)
    except Rejected as exc:
        sel.error = (exc.message_id, exc.detail or exc.message_id)
    finally:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()


def stage(
    st: IdracState,
    selected: list[Selected],
    fetch: Callable[[Package], Path],
    *,
    source: str,
    reboot: bool,
) -> StageResult:
    """Create the update jobs; reboot the host once (in a background thread) when `reboot` and
    HOST jobs were staged; stage the iDRAC's package last, once the other jobs have finished.
    `fetch(package)` returns a temporary local file (removed afterwards) or raises
    CatalogProblem.  Returns when the non-iDRAC packages are staged; their failures are in the
    result (the iDRAC's job id appears in its Selected entry later)."""
    idrac = [s for s in selected if s.key == IDRAC_KEY]
    others = [s for s in selected if s.key != IDRAC_KEY]
    for sel in others:
        _stage_one(st, sel, fetch, source)
    result = StageResult(selected)
    for sel in others:
        if sel.error is not None:
            result.failures.append((sel.package.path, *sel.error))
    host_jobs = [s.job_id for s in others if s.job_id and s.reboot == "HOST"]

    def settled(jids: list[str], states: tuple[str, ...]) -> Callable[[], bool]:
        def check() -> bool:
            for jid in jids:
                j = st.job(jid)
                if j is not None and j.state not in states and not j.terminal:
                    return False
            return True

        return check

    def background() -> None:
        if reboot and host_jobs and _wait(settled(host_jobs, ("Scheduled",))):
            st.emit("repository_reboot", jobs=host_jobs, source=source)
            st.host_reset("ForceRestart")
        if idrac:
            _wait(settled([s.job_id for s in others if s.job_id], ()))
            for sel in idrac:
                _stage_one(st, sel, fetch, source)

    if idrac or (reboot and host_jobs):
        threading.Thread(target=background, name=f"sim-{st.name}-stage", daemon=True).start()
    return result
