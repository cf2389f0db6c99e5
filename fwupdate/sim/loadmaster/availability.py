"""Availability of an HA pair's shared address, rebuilt from the event log.

The pair writes one `lm.availability` record whenever a unit's power or role changes.  Each
record opens an interval that lasts until the next one; `availability()` returns them in order,
`outages()` only those where the shared address could not serve (no Active unit), which is what
"the pair was never fully down" has to be proven against.

Interval states: "ok" (one Active unit), "split" (two Active units, both claim the address),
"failover" (no Active unit yet, a Standby is about to take over after hatimeout), "outage" (no
unit able to serve).
"""

from __future__ import annotations

from dataclasses import dataclass

from fwupdate.sim.events import EventLog

AVAILABILITY_EVENT = "lm.availability"


@dataclass(frozen=True)
class Interval:
    start: float  # simulated seconds
    end: float | None  # None: still the current state
    state: str
    serving: bool
    active: tuple[str, ...]
    up: tuple[str, ...]
    units: tuple[tuple[str, str], ...]  # (unit, "power/role")

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start


def availability(events: EventLog, pair: str) -> tuple[Interval, ...]:
    recs = [r for r in events.records(event=AVAILABILITY_EVENT) if r.get("pair") == pair]
    out: list[Interval] = []
    for i, r in enumerate(recs):
        end = recs[i + 1]["t"] if i + 1 < len(recs) else None
        out.append(
            Interval(
                start=float(r["t"]),
                end=None if end is None else float(end),
                state=str(r["state"]),
                serving=bool(r["serving"]),
                active=tuple(r["active"]),
                up=tuple(r["up"]),
                units=tuple(sorted(r["units"].items())),
            )
        )
    return tuple(out)


def outages(events: EventLog, pair: str) -> tuple[Interval, ...]:
    """Intervals in which the shared address had no Active unit (connections dropped)."""
    return tuple(i for i in availability(events, pair) if not i.serving)
