"""Fault injection for one simulated iDRAC, scriptable from tests and from `sim serve --fault`.

CLI form `NAME:KIND[=ARG]` (e.g. `idrac-1:busy=3`); Python form `state.set_fault(KIND, ARG)` or
`device.set_fault(...)`; over HTTPS `POST /sim/fault {"kind": ..., "arg": ...}` (docs/simulator.md).

Kinds:
  slow-return=S     every iDRAC restart (firmware update, Manager.Reset) keeps it down S sim-seconds
  never-return      after the next iDRAC restart it never comes back (connections dropped)
  busy=N            the next N Redfish/WS-Man requests answer 503 with an empty body
  job-fail=ID[,N]   jobs fail with message id ID (RED007...); N = only the next N jobs
  task-vanish       TaskService forgets new jobs at once (404); the Dell Jobs view keeps them
  stuck-scheduled   Scheduled jobs never start, whatever reboots happen
  lc-busy=ID[,N]    the next N (default 1) update/job actions answer 400 with ID (LC068, RAC0679)
  latency=S         every request waits S real (wall-clock) seconds first
  drop=N            the next N connections are closed without an answer
  drop-every=N      every N-th request is dropped
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = (
    "slow-return",
    "never-return",
    "busy",
    "job-fail",
    "task-vanish",
    "stuck-scheduled",
    "lc-busy",
    "latency",
    "drop",
    "drop-every",
)


class FaultSpecError(ValueError):
    pass


@dataclass
class Faults:
    slow_return: float | None = None
    never_return: bool = False
    busy: int = 0
    job_fail: str | None = None
    job_fail_count: int | None = None  # None: every job
    task_vanish: bool = False
    stuck_scheduled: bool = False
    lc_busy: str | None = None
    lc_busy_count: int = 0

    def active(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.slow_return is not None:
            out["slow-return"] = self.slow_return
        if self.never_return:
            out["never-return"] = True
        if self.busy:
            out["busy"] = self.busy
        if self.job_fail:
            out["job-fail"] = self.job_fail + (
                f",{self.job_fail_count}" if self.job_fail_count is not None else ""
            )
        if self.task_vanish:
            out["task-vanish"] = True
        if self.stuck_scheduled:
            out["stuck-scheduled"] = True
        if self.lc_busy and self.lc_busy_count:
            out["lc-busy"] = f"{self.lc_busy},{self.lc_busy_count}"
        return out


def split_spec(spec: str) -> tuple[str, str, str | None]:
    """`idrac-1:busy=3` -> ("idrac-1", "busy", "3")."""
    name, colon, rest = spec.partition(":")
    if not colon or not name or not rest:
        raise FaultSpecError(f"fault {spec!r}: expected NAME:KIND[=ARG]")
    kind, eq, arg = rest.partition("=")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise FaultSpecError(f"fault {spec!r}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
    return name.strip(), kind, (arg.strip() if eq else None)


def _number(kind: str, arg: str | None, *, integer: bool) -> float:
    if arg is None or arg == "":
        raise FaultSpecError(f"fault {kind} needs a value ({kind}=N)")
    try:
        value = int(arg) if integer else float(arg)
    except ValueError:
        raise FaultSpecError(f"fault {kind}: {arg!r} is not a number") from None
    if value < 0:
        raise FaultSpecError(f"fault {kind}: {arg!r} must not be negative")
    return value


def _id_and_count(kind: str, arg: str | None, default: int | None) -> tuple[str, int | None]:
    if not arg:
        raise FaultSpecError(f"fault {kind} needs a message id ({kind}=RED007)")
    mid, _, count = arg.partition(",")
    mid = mid.strip()
    if not mid.replace(".", "").isalnum():
        raise FaultSpecError(f"fault {kind}: {mid!r} is not a message id")
    if count.strip():
        return mid, int(_number(kind, count.strip(), integer=True))
    return mid, default


def check(kind: str, arg: str | None) -> None:
    """Validate without applying (CLI argument checking)."""
    apply(Faults(), kind, arg)


def apply(faults: Faults, kind: str, arg: str | None) -> tuple[str, float | int] | None:
    """Set a device-state fault; returns ("latency"|"drop"|"drop-every", value) for transport
    faults, which the device applies to its server-side TransportFaults."""
    if kind == "slow-return":
        faults.slow_return = _number(kind, arg, integer=False)
    elif kind == "never-return":
        faults.never_return = True
    elif kind == "busy":
        faults.busy = int(_number(kind, arg, integer=True))
    elif kind == "job-fail":
        faults.job_fail, faults.job_fail_count = _id_and_count(kind, arg, None)
    elif kind == "task-vanish":
        faults.task_vanish = True
    elif kind == "stuck-scheduled":
        faults.stuck_scheduled = True
    elif kind == "lc-busy":
        mid, count = _id_and_count(kind, arg, 1)
        faults.lc_busy, faults.lc_busy_count = mid, count or 1
    elif kind == "latency":
        return kind, _number(kind, arg, integer=False)
    elif kind in ("drop", "drop-every"):
        return kind, int(_number(kind, arg, integer=True))
    else:
        raise FaultSpecError(f"unknown fault kind {kind!r}")
    return None
