"""Frozen models of iDRAC jobs: a reference to a created job and its observed status.

A job's state is decided by Dell's `Oem.Dell.JobState` (or a Dell job's `JobState`) when the
iDRAC gives it, and by the DMTF `TaskState` otherwise: Dell task states are unreliable
(`is_processing` stuck, "Starting" for a scheduled job, tasks purged after completion).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fwupdate.dell import SCHEDULED_MESSAGE_IDS

JID_RE = re.compile(r"\b((?:JID|RID)_\d+)\b")

# Dell JobState values (sushy's constants) grouped by what fwupdate does with them.
DELL_SUCCESS = frozenset({"Completed", "RebootCompleted"})
DELL_FAILURE = frozenset({"Failed", "CompletedWithErrors", "RebootFailed"})
DELL_SCHEDULED = frozenset({"Scheduled"})
DELL_REBOOT_PENDING = frozenset({"RebootPending", "PendingActivation"})
# DMTF TaskState values.
TASK_SUCCESS = frozenset({"Completed"})
TASK_FAILURE = frozenset({"Exception", "Killed", "Cancelled"})



def find_jid(text: str | None) -> str | None:
    """The first `JID_<digits>` / `RID_<digits>` in a URI or text."""
    if not text:
        return None
    m = JID_RE.search(text)
    return m.group(1) if m else None


@dataclass(frozen=True)
class JobRef:
    """A job the iDRAC created: its id and the Task URI from `Location` (when given)."""

    jid: str
    task_uri: str | None = None


@dataclass(frozen=True)
class JobStatus:
    jid: str
    state: str  # Dell JobState when present, else TaskState, else "Unknown"
    job_state: str | None = None
    task_state: str | None = None
    percent: int | None = None
    message: str | None = None
    message_ids: tuple[str, ...] = ()
    name: str | None = None
    job_type: str | None = None
    source: str = "task"  # "task", "dell-jobs", "dmtf-jobs" or "wsman" (Transport): where read

    @property
    def succeeded(self) -> bool:
        if self.job_state is not None:
            return self.job_state in DELL_SUCCESS
        return self.task_state in TASK_SUCCESS

    @property
    def failed(self) -> bool:
        if self.job_state is not None:
            return self.job_state in DELL_FAILURE
        return self.task_state in TASK_FAILURE

    @property
    def terminal(self) -> bool:
        return self.succeeded or self.failed

    @property
    def scheduled(self) -> bool:
        """Waiting for a host reboot to run (12G: after SimpleUpdate of a reboot component)."""
        if self.job_state is not None:
            return self.job_state in DELL_SCHEDULED
        return bool(SCHEDULED_MESSAGE_IDS.intersection(self.message_ids))

    @property
    def reboot_pending(self) -> bool:
        """Applied, but the device asks for a (host) reboot to finish."""
        if self.job_state in DELL_REBOOT_PENDING or self.task_state == "UserIntervention":
            return True
        return bool(self.message and "reboot pending" in self.message.lower())

    def describe(self) -> str:
        text = f"{self.jid} {self.state}"
        if self.percent is not None:
            text += f" {self.percent}%"
        if self.message:
            text += f": {self.message}"
        if self.message_ids:
            text += f" [{', '.join(self.message_ids)}]"
        return text
