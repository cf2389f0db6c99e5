"""Jobs of the simulated Lifecycle Controller: one record, several views (Dell Jobs, Task, WS-Man).

JobState values are Dell's Redfish enum (idrac-redfish.md §5.2); WS-Man shows the same job with
`wsman_status()` ("Ready for Execution", "Reboot Completed"...; idrac-wsman.md §2.9).  Ids are
`JID_` + 12 digits for update jobs and `RID_` + 12 digits for reboot jobs (§5.1).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    NEW = "New"
    DOWNLOADING = "Downloading"
    DOWNLOADED = "Downloaded"
    SCHEDULED = "Scheduled"
    READY = "ReadyForExecution"
    RUNNING = "Running"
    COMPLETED = "Completed"
    COMPLETED_WITH_ERRORS = "CompletedWithErrors"
    FAILED = "Failed"
    REBOOT_PENDING = "RebootPending"
    REBOOT_COMPLETED = "RebootCompleted"
    REBOOT_FAILED = "RebootFailed"


TERMINAL = frozenset(
    {
        JobState.COMPLETED,
        JobState.COMPLETED_WITH_ERRORS,
        JobState.FAILED,
        JobState.REBOOT_COMPLETED,
        JobState.REBOOT_FAILED,
    }
)

_WSMAN_STATUS = {
    JobState.READY: "Ready for Execution",
    JobState.COMPLETED_WITH_ERRORS: "Completed with Errors",
    JobState.REBOOT_PENDING: "Reboot Pending",
    JobState.REBOOT_COMPLETED: "Reboot Completed",
    JobState.REBOOT_FAILED: "Reboot Failed",
}

# DMTF TaskState / JobService JobState for each Dell JobState.  A Scheduled job's TaskState is
# "Starting" in Dell's sample (sushy task.json) but older firmware said "Pending": configurable
# per device (option "scheduled_task_state").
_TASK_STATE = {
    JobState.NEW: "New",
    JobState.DOWNLOADING: "Running",
    JobState.DOWNLOADED: "Running",
    JobState.SCHEDULED: "Starting",
    JobState.READY: "Starting",
    JobState.RUNNING: "Running",
    JobState.COMPLETED: "Completed",
    JobState.COMPLETED_WITH_ERRORS: "Exception",
    JobState.FAILED: "Exception",
    JobState.REBOOT_PENDING: "Pending",
    JobState.REBOOT_COMPLETED: "Completed",
    JobState.REBOOT_FAILED: "Exception",
}


def wsman_status(state: str) -> str:
    try:
        return _WSMAN_STATUS.get(JobState(state), state)
    except ValueError:
        return state


def task_state(state: str, scheduled_as: str = "Starting") -> str:
    st = JobState(state)
    if st == JobState.SCHEDULED:
        return scheduled_as
    return _TASK_STATE.get(st, "Running")


@dataclass
class Job:
    id: str
    name: str
    job_type: str  # FirmwareUpdate, FirmwareRollback, RebootForce, RebootNoForce, RebootPowerCycle
    state: str
    message: str
    message_id: str
    percent: int = 0
    created: float = 0.0  # simulated seconds
    created_wall: str = ""
    completed_wall: str | None = None
    component_key: str | None = None
    component_id: str | None = None
    from_version: str | None = None
    to_version: str | None = None
    available_id: str | None = None
    filename: str | None = None
    source: str = ""  # redfish-push, redfish-multipart, redfish-pull, wsman, rollback
    reboot: str = "NONE"  # RebootKind of the target
    install_upon: str = "NextReboot"
    task_visible: bool = True
    fail_with: str | None = None  # decided at creation: RED007 (stepping stone) or a fault id
    fail_detail: str | None = None
    reboot_type: int | None = None  # reboot jobs: 1 power cycle, 2 graceful, 3 graceful+forced
    start_time: str = "TIME_NOW"
    epoch: int = 0  # bumps on every state change; stale timers compare it

    @property
    def terminal(self) -> bool:
        return JobState(self.state) in TERMINAL

    @property
    def is_reboot_job(self) -> bool:
        return self.id.startswith("RID_")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def new_job_id(rng: random.Random, prefix: str, taken: set[str]) -> str:
    for _ in range(1000):
        jid = f"{prefix}_{rng.randrange(10**11, 10**12):012d}"
        if jid not in taken:
            return jid
    raise RuntimeError("could not allocate a job id")
