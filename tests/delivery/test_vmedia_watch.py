"""The virtual-media watch against a scripted iDRAC (no simulator): which jobs are the ISO's."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from fwupdate.errors import JobFailedError
from fwupdate.idrac.job_models import JobStatus
from fwupdate.idrac.models import FirmwareComponent, NodeInventory
from fwupdate.idrac.timing import Timing
from fwupdate.run.delivery import run_virtual_media_update


@dataclass
class _Clock:
    now: float = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@dataclass
class _FastIsoIdrac:
    """An iDRAC whose update ISO makes its BIOS job the moment the host reboots into it (a fast
    host, or a slow answer to whatever fwupdate asks next): the first boot's job fails RED007;
    a second boot would install the BIOS."""

    clock: _Clock = field(default_factory=_Clock)
    name: str = "node-1"
    host: str = "127.0.0.1"
    bios: str = "1.0.0"
    boots: int = 0
    lc_not_ready: int = 0  # LC answers not ready this many more times
    jobs: list[JobStatus] = field(default_factory=lambda: [
        JobStatus("JID_1", "Completed", job_state="Completed")])  # an old job

    @property
    def timing(self) -> Timing:
        return Timing(sleep=self.clock.sleep, monotonic=self.clock.monotonic)

    def inventory(self) -> NodeInventory:
        return NodeInventory(self.name, components=(
            FirmwareComponent(f"Installed-159-{self.bios}", "BIOS", "159", self.bios),))

    def reboot_host(self) -> None:
        self.boots += 1
        self.lc_not_ready = 2
        if self.boots == 1:
            self.jobs.append(JobStatus("JID_2", "Failed", job_state="Failed",
                                       message="checksum mismatch", message_ids=("RED007",)))
        else:
            self.bios = "2.0.0"

    def lc_status(self) -> SimpleNamespace:
        self.lc_not_ready = max(0, self.lc_not_ready - 1)
        return SimpleNamespace(ready=self.lc_not_ready == 0)

    def list_jobs(self) -> tuple[JobStatus, ...]:
        return tuple(self.jobs)

    def unfinished_jobs(self) -> tuple[JobStatus, ...]:
        return tuple(j for j in self.jobs if not j.terminal)

    def uses_network_iso(self) -> bool:
        return False

    def host_power(self) -> str:
        return "On"

    def insert_virtual_media(self, _url: str) -> None: ...
    def boot_once_virtual_cd(self) -> None: ...
    def eject_virtual_media(self) -> None: ...
    def progress(self, _text: str) -> None: ...


def test_a_job_the_iso_made_before_fwupdate_looked_again_is_still_the_isos() -> None:
    """The queue is read before the boot is requested: a job that exists by the first answer
    after the boot is the ISO's, and its failure fails the step (read after the boot, it was
    taken for an old job and the ISO was booted again)."""
    idrac = _FastIsoIdrac()
    with pytest.raises(JobFailedError) as caught:
        run_virtual_media_update(idrac, "https://127.0.0.1:1/t/update.iso",  # type: ignore[arg-type]
                                 expected={"159": "2.0.0"}, timeout=3600)
    assert caught.value.message_id == "RED007" and "JID_2" in caught.value.message
    assert idrac.boots == 1 and idrac.bios == "1.0.0"
