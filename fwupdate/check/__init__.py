"""The independent night checker (docs/guarantees.md): decides invariants I1-I8 from raw
evidence (plan, journal rows, the simulator's event log and state dump, the run report) and
shares no logic with the executor."""

from fwupdate.check.collect import collect, evidence, read_events, read_journal
from fwupdate.check.invariants import check_night
from fwupdate.check.models import INVARIANTS, Evidence, JournalRows, Verdict, Violation, all_ok
from fwupdate.check.render import render_text, to_doc

__all__ = [
    "INVARIANTS", "Evidence", "JournalRows", "Verdict", "Violation", "all_ok", "check_night",
    "collect", "evidence", "read_events", "read_journal", "render_text", "to_doc",
]  # fmt: skip
