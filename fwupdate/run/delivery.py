"""Repository-mode and virtual-media delivery of firmware to one node (docs/delivery.md).

`run_repository_update` and `run_virtual_media_update` are whole steps for the CLI and the
executor (`run/delivery_steps.py`): they take an `IdracFacade`, do the work, follow the device's
jobs / versions with bounded waits and return a `DeliveryResult`, or raise a FwupdateError naming
host, step and message id.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fwupdate.catalog.models import Catalog
from fwupdate.catalog.versions import is_newer
from fwupdate.dell import IDRAC_IMAGE_SUFFIXES, LC_BUSY_IDS
from fwupdate.errors import (
    DeviceError,
    FwupdateError,
    JobFailedError,
    UnsupportedOperationError,
    WaitTimeoutError,
)
from fwupdate.idrac.facade import IdracFacade, RepositoryRun
from fwupdate.idrac.job_models import JobStatus
from fwupdate.idrac.models import NodeInventory
from fwupdate.idrac.repo_packages import RepoPackage
from fwupdate.idrac.share import ShareParameters
from fwupdate.waits import poll_until

log = logging.getLogger(__name__)
# a request sent again while the iDRAC refuses it as busy: (what, send) -> send's answer
UntilAccepted = Callable[[str, Callable[[], RepositoryRun]], RepositoryRun]



@dataclass(frozen=True)
class ComponentChange:
    component_id: str
    name: str
    before: str | None
    after: str | None
    expected: str | None

    @property
    def reached(self) -> bool:
        return self.expected is None or self.after == self.expected


@dataclass(frozen=True)
class DeliveryResult:
    node: str
    host: str
    mode: str  # repository | virtual-media
    source: str  # share URL / ISO URL
    nothing_to_do: bool
    packages: tuple[RepoPackage, ...] = ()
    jobs: tuple[JobStatus, ...] = ()
    changes: tuple[ComponentChange, ...] = ()
    repository_job: str | None = None
    seconds: float = 0.0

    def rows(self) -> list[dict[str, object]]:
        return [
            {
                "node": self.node,
                "mode": self.mode,
                "component_id": c.component_id,
                "name": c.name,
                "before": c.before,
                "after": c.after,
                "expected": c.expected,
                "reached": c.reached,
            }
            for c in self.changes
        ]

    def document(self) -> dict[str, object]:
        return {
            "node": self.node,
            "host": self.host,
            "mode": self.mode,
            "source": self.source,
            "nothing_to_do": self.nothing_to_do,
            "repository_job": self.repository_job,
            "packages": [
                {
                    "name": p.display_name,
                    "package": p.package_name,
                    "version": p.version,
                    "component_id": p.component_id,
                    "reboot_type": p.reboot_type,
                    "job_id": p.job_id,
                }
                for p in self.packages
            ],
            "jobs": [
                {"jid": j.jid, "state": j.state, "message_ids": list(j.message_ids)}
                for j in self.jobs
            ],
            "components": self.rows(),
            "seconds": round(self.seconds, 1),
        }


def _versions(inv: NodeInventory) -> dict[str, tuple[str, str]]:
    """{component id: (name, installed version)} of the Installed entries."""
    out: dict[str, tuple[str, str]] = {}
    for c in inv.components:
        if c.component_id and c.component_id != "0" and c.state in ("Installed", "Current"):
            out.setdefault(c.component_id, (c.name, c.version))
    return out


def _changes(
    before: Mapping[str, tuple[str, str]],
    after: Mapping[str, tuple[str, str]],
    expected: Mapping[str, str],
) -> tuple[ComponentChange, ...]:
    ids = sorted(set(expected) | {k for k in after if before.get(k, ("", ""))[1] != after[k][1]})
    return tuple(
        ComponentChange(
            cid,
            (after.get(cid) or before.get(cid) or ("?", ""))[0],
            before[cid][1] if cid in before else None,
            after[cid][1] if cid in after else None,
            expected.get(cid),
        )
        for cid in ids
    )


def expected_from_catalog(inv: NodeInventory, catalog: Catalog) -> dict[str, str]:
    """{component id: newest catalog version newer than installed}: what an SUU/repository run
    should reach on this node (Windows DUPs only; the catalog filtered to the node's system)."""
    installed = _versions(inv)
    out: dict[str, str] = {}
    for comp in catalog.components:
        if not comp.file_name.lower().endswith(IDRAC_IMAGE_SUFFIXES):
            continue
        for cid in comp.component_ids:
            if cid not in installed:
                continue
            have = out.get(cid, installed[cid][1])
            if is_newer(comp.vendor_version, have):
                out[cid] = comp.vendor_version
    return out


REPOSITORY_RUNS = 3  # sends of one repository update whose only failures are LC-busy refusals


def run_repository_update(
    idrac: IdracFacade,
    share: ShareParameters,
    *,
    reboot: bool = True,
    job_timeout: float | None = None,
    until_accepted: UntilAccepted | None = None,
) -> DeliveryResult:
    """InstallFromRepository with apply + reboot, follow every job it created, verify versions.

    Nothing to do (SUP029) is a success with `nothing_to_do`.  A failed repository job (e.g. a
    package with the wrong hash: RED007) or update job raises JobFailedError after the other
    jobs were followed, so the error names everything that failed.  A run whose only failures
    are LC-busy refusals (LC068 / RAC0679: no job was made for those packages) is sent again
    once LC is ready, REPOSITORY_RUNS sends in all: the iDRAC then applies only what is still
    below the catalog.  `until_accepted(what, send)`: the caller's retry of a request the iDRAC
    refuses as busy before any job exists (the night's `steps_idrac.until_accepted`); without
    it a refusal raises."""
    started = time.monotonic()
    before = _versions(idrac.inventory())
    runs: list[tuple[RepositoryRun, tuple[JobStatus, ...]]] = []
    failures: list[FwupdateError] = []
    for sent in range(1, REPOSITORY_RUNS + 1):
        run = _send_repository_update(idrac, share, reboot, until_accepted)
        if not run.packages and run.error is None:
            failures = []  # (again:) what LC refused before is at its version now
            break
        idrac.progress(
            f"{len(run.packages)} package(s): " + ", ".join(
                f"{p.display_name} {p.version} ({p.job_id or 'no job'})" for p in run.packages))
        statuses, failures = _follow_jobs(idrac, run, job_timeout)
        runs.append((run, statuses))
        if sent == REPOSITORY_RUNS or not failures or \
                any(f.message_id not in LC_BUSY_IDS for f in failures):  # fmt: skip
            break
        idrac.progress(f"LC was busy ({failures[0].message_id}): the repository update again "
                       f"once LC is ready ({sent}/{REPOSITORY_RUNS - 1})")
    if not runs:
        idrac.progress("nothing to do: the server matches the catalog (SUP029)")
        return DeliveryResult(
            idrac.name, idrac.host, "repository", share.display, True,
            repository_job=run.repository_job, seconds=time.monotonic() - started,
        )
    packages = tuple(p for r, _ in runs for p in r.packages)
    expected = {p.component_id: p.version for p in packages
                if p.component_id and p.job_id and p.reboot_type != "IDRAC"}  # fmt: skip
    changes = _changes(before, _versions(idrac.inventory()), expected)
    _raise_first_failure(idrac, failures)
    _verify_reached(idrac, changes)
    return DeliveryResult(
        idrac.name, idrac.host, "repository", share.display, False, packages,
        tuple(s for _, st in runs for s in st), changes, runs[0][0].repository_job,
        time.monotonic() - started,
    )


def _send_repository_update(idrac: IdracFacade, share: ShareParameters, reboot: bool,
                            until_accepted: UntilAccepted | None) -> RepositoryRun:  # fmt: skip
    with contextlib.suppress(UnsupportedOperationError):  # no LC status on this iDRAC
        idrac.wait_lc_ready(step="LC ready before repository update")

    def send() -> RepositoryRun:
        return idrac.update_from_repository(share, reboot=reboot)

    return send() if until_accepted is None else until_accepted("repository update", send)


_REPOSITORY = "repository update"  # the step named in a repository update's errors


def _follow_jobs(idrac: IdracFacade, run: RepositoryRun, job_timeout: float | None
                 ) -> tuple[tuple[JobStatus, ...], list[FwupdateError]]:  # fmt: skip
    """Wait for every job of `run`: their final statuses, and the failures (the repository's
    own error first) -- a failed job does not stop following the others."""
    failures: list[FwupdateError] = [run.error] if run.error is not None else []
    statuses: list[JobStatus] = []
    reboot_by_jid = {p.job_id: p.reboot_type for p in run.packages if p.job_id}
    for job in run.jobs:
        try:
            st = idrac.wait_job(
                job,
                timeout=job_timeout,
                idrac_update=reboot_by_jid.get(job.jid) == "IDRAC",
                on_progress=lambda s: idrac.progress(f"job {s.describe()}"),
                step=f"{_REPOSITORY} job {job.jid}",
            )
            if st is not None:
                statuses.append(st)
        except JobFailedError as exc:
            failures.append(exc)
    return tuple(statuses), failures


def _raise_first_failure(idrac: IdracFacade, failures: list[FwupdateError]) -> None:
    """One JobFailedError naming the first failure and how many more there were."""
    if not failures:
        return
    first = failures[0]
    more = f" (and {len(failures) - 1} more failure(s))" if len(failures) > 1 else ""
    raise JobFailedError(
        f"{first.message}{more}", host=idrac.host, step=_REPOSITORY, message_id=first.message_id
    )


def _verify_reached(idrac: IdracFacade, changes: tuple[ComponentChange, ...]) -> None:
    missed = [c for c in changes if not c.reached]
    if missed:
        raise DeviceError(
            "jobs completed but versions did not change: "
            + ", ".join(f"{c.name} {c.after} (expected {c.expected})" for c in missed),
            host=idrac.host,
            step=f"{_REPOSITORY}: verify versions",
        )


_VMEDIA = "virtual-media update"  # the step named in a virtual-media update's errors


def run_virtual_media_update(
    idrac: IdracFacade,
    iso_url: str,
    *,
    expected: Mapping[str, str],
    timeout: float = 7200.0,
    display: str | None = None,
) -> DeliveryResult:
    """Attach the ISO, boot once from the virtual CD, follow versions and power state until
    every `expected` component version is installed and the host is up with no unfinished job,
    detach (always), verify.  `timeout` is in device seconds (scaled by the facade's Timing);
    `display` is how the URL is shown (fwupdate's own per-run tokens masked)."""
    shown = display or iso_url
    started = time.monotonic()
    before = _versions(idrac.inventory())
    pending = {k: v for k, v in expected.items() if before.get(k, ("", ""))[1] != v}
    if not pending:
        idrac.progress("nothing to do: every component already has the ISO's version")
        return DeliveryResult(
            idrac.name, idrac.host, "virtual-media", shown, True,
            changes=_changes(before, before, expected), seconds=time.monotonic() - started,
        )
    network_iso = idrac.uses_network_iso()
    osd_job = _attach_iso(idrac, iso_url, shown, network_iso=network_iso)
    try:
        earlier_jobs = frozenset[str]()
        if not network_iso:
            earlier_jobs = _job_ids(idrac)  # before the boot: the ISO's jobs are the others
            _boot_virtual_cd(idrac)
        watch = _IsoWatch(idrac, iso_url.rsplit("/", 1)[-1], osd_job, expected, pending, before,
                          earlier_jobs=earlier_jobs)
        after = _wait_for_iso_versions(watch, timeout)
    finally:
        _detach_iso(idrac, network_iso=network_iso)
    changes = _changes(before, after, expected)
    return DeliveryResult(
        idrac.name, idrac.host, "virtual-media", shown, False, changes=changes,
        jobs=tuple(j for j in idrac.list_jobs() if j.terminal)[-20:],
        seconds=time.monotonic() - started,
    )


def _attach_iso(idrac: IdracFacade, iso_url: str, shown: str, *, network_iso: bool
                ) -> str | None:  # fmt: skip
    """Hand the ISO to the iDRAC: 12G/13G WS-Man BootToNetworkISO (NFS/CIFS; the host reboots
    at once; its job id returned), else Redfish virtual media (None)."""
    if not network_iso:
        idrac.insert_virtual_media(iso_url)
        idrac.progress(f"attached {shown} as the virtual CD")
        return None
    try:
        osd_job = idrac.boot_network_iso(iso_url)
    except FwupdateError as exc:  # never the file server's tokens in an error
        exc.message = exc.message.replace(iso_url, shown)
        exc.args = (exc.message,)
        raise
    idrac.progress(f"BootToNetworkISO {iso_url.rsplit('/', 1)[-1]} (job {osd_job})")
    return osd_job


def _boot_virtual_cd(idrac: IdracFacade) -> None:
    idrac.boot_once_virtual_cd()
    idrac.progress("boot once to the virtual CD; rebooting the host")
    idrac.reboot_host()


def _detach_iso(idrac: IdracFacade, *, network_iso: bool) -> None:
    """Detach the ISO however it was attached; a failure is logged, never raised."""
    try:
        if network_iso:
            idrac.detach_network_iso()
        else:
            idrac.eject_virtual_media()
        idrac.progress("detached the virtual CD")
    except FwupdateError as exc:
        log.warning("%s: could not detach the virtual CD: %s", idrac.name, exc)


def _job_ids(idrac: IdracFacade) -> frozenset[str]:
    return frozenset(j.jid for j in idrac.list_jobs())


Versions = dict[str, tuple[str, str]]
# boots of the ISO at most: a package the booted ISO could not install (LC busy: LC068, before
# any job existed) is installed by booting it again once the host is back with LC ready, no job
# unfinished and the versions unchanged for ISO_SETTLE device seconds (an ISO may still be at
# work in its own OS); a job the ISO made that failed fails the step instead
ISO_BOOTS = 3
ISO_SETTLE = 300.0


@dataclass
class _IsoWatch:
    """Looks at a node booting an update ISO; keeps what it read last (the timeout names it)."""

    idrac: IdracFacade
    iso: str  # the ISO's file name
    osd_job: str | None  # BootToNetworkISO's job (12G/13G), else None
    expected: Mapping[str, str]
    pending: Mapping[str, str]  # expected versions not installed before the boot
    after: Versions  # the versions read last
    left: Mapping[str, str] = field(default_factory=dict)  # expected, not yet installed
    boots: int = 1  # the ISO's boots requested so far (Redfish virtual media)
    booting: bool = False  # LC seen not ready since the last boot request: the ISO ran
    back: tuple[float, Versions] | None = None  # since when (monotonic) back at these versions
    earlier_jobs: frozenset[str] = frozenset()  # job ids in the queue before the boot

    def look(self) -> Versions | None:
        """After a poll interval: the versions once every expected one is installed, the host
        is On and no job is unfinished, else None.  A failed OSD job raises; other device
        errors are waited out (the host is rebooting)."""
        idrac = self.idrac
        idrac.timing.pause(idrac.timing.poll_interval)
        try:
            self._check_osd_job()
            self.after = _versions(idrac.inventory())
            self.left = {k: v for k, v in self.expected.items()
                         if self.after.get(k, ("", ""))[1] != v}  # fmt: skip
            if not self.left and idrac.host_power() == "On" and not idrac.unfinished_jobs():
                return self.after
            if self.left:
                self._boot_again_if_over()
        except JobFailedError:
            raise
        except FwupdateError as exc:
            log.info("%s: %s: %s (still waiting)", idrac.name, _VMEDIA, exc)
            self.left = self.pending
        return None

    def _boot_again_if_over(self) -> None:
        """The ISO's run is over (LC went through not ready and is ready again, no unfinished
        job) with versions missing: a job the ISO made that failed fails the step with its
        message id; otherwise (the ISO's install was refused as LC-busy before any job existed)
        boot it again, at most ISO_BOOTS times in all.  Only for Redfish virtual media; an
        iDRAC without LC status is waited out as before."""
        if self.osd_job is not None:
            return
        try:
            ready = self.idrac.lc_status().ready
        except UnsupportedOperationError:
            return
        jobs = self.idrac.list_jobs() if ready else ()
        if not ready or any(not j.terminal for j in jobs):
            self.booting, self.back = self.booting or not ready, None
            return
        if not self.booting or not self._settled():
            return
        self._raise_a_failed_job(jobs)
        if self.boots >= ISO_BOOTS:
            return
        self.boots += 1
        self.booting, self.back = False, None
        missing = ", ".join(f"{self.after.get(k, ('?', ''))[0]} {v}"
                            for k, v in sorted(self.left.items()))  # fmt: skip
        self.idrac.progress(f"the host is back from {self.iso} without {missing}; "
                            f"booting it again ({self.boots}/{ISO_BOOTS})")  # fmt: skip
        _boot_virtual_cd(self.idrac)

    def _raise_a_failed_job(self, jobs: tuple[JobStatus, ...]) -> None:
        """JobFailedError for the first job made since the boot that failed for another reason
        than LC being busy (LC068 / RAC0679 refuse before a job exists: booting again is safe)."""
        failed = [j for j in jobs if j.jid not in self.earlier_jobs and j.failed
                  and not LC_BUSY_IDS.intersection(j.message_ids)]  # fmt: skip
        if not failed:
            return
        first = failed[0]
        raise JobFailedError(
            f"after booting {self.iso}, job {first.jid} ended {first.state}: "
            f"{first.message or ''}".strip(),
            host=self.idrac.host, step=_VMEDIA,
            message_id=first.message_ids[0] if first.message_ids else None,
        )

    def _settled(self) -> bool:
        """The host has been back at the same versions for ISO_SETTLE device seconds."""
        timing = self.idrac.timing
        if self.back is None or self.back[1] != self.after:
            self.back = (timing.monotonic(), dict(self.after))
        return timing.monotonic() - self.back[0] >= timing.real(ISO_SETTLE)

    def _check_osd_job(self) -> None:
        if self.osd_job is None:
            return
        job = self.idrac.network_iso_job(self.osd_job)
        if job.failed:
            raise JobFailedError(
                f"booting {self.iso} failed: {job.status}"
                + (f": {job.message}" if job.message else ""),
                host=self.idrac.host, step=_VMEDIA, message_id=job.message_id,
            )

    def timeout_message(self, timeout: float) -> str:
        return (
            f"after booting {self.iso} the versions did not reach the ISO's within "
            f"{timeout:g} s: "
            + ", ".join(
                f"{self.after.get(k, ('?', '?'))[0]} at {self.after.get(k, ('', '?'))[1]} "
                f"(expected {v})"
                for k, v in sorted(self.left.items())
            )
        )


def _wait_for_iso_versions(watch: _IsoWatch, timeout: float) -> Versions:
    """`watch.look()` until it has the versions, within `timeout` device seconds (the one
    bounded wait, waits.poll_until; each look pauses first); WaitTimeoutError names each
    component not at its version."""
    idrac, timing = watch.idrac, watch.idrac.timing
    try:
        return poll_until(_VMEDIA, watch.look, timeout=timing.real(timeout), host=idrac.host,
                          step=_VMEDIA, clock=timing.monotonic, pause=lambda _left: None,
                          label=timeout, tolerate=())  # fmt: skip
    except WaitTimeoutError:
        raise WaitTimeoutError(watch.timeout_message(timeout), host=idrac.host,
                               step=_VMEDIA) from None
