"""Starting a group reads the journal in proportion to that group, not to the whole run
(issue 12: `Journal.steps()` read every step of the run twice per group start, under the
journal's lock: quadratic in the number of pairs)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

_PLAN_TESTS = str(Path(__file__).resolve().parents[1] / "plan")
if _PLAN_TESTS not in sys.path:
    sys.path.insert(0, _PLAN_TESTS)

import plan_factories as pf  # noqa: E402

from fwupdate.run.context import RunContext, RunSettings  # noqa: E402
from fwupdate.run.executor import G_DONE, Executor, journal_steps  # noqa: E402
from fwupdate.run.journal import Journal  # noqa: E402


class _Rows:
    """A cursor that counts the rows handed out."""

    def __init__(self, cur: sqlite3.Cursor, counter: list[int]) -> None:
        self._cur, self._counter = cur, counter

    def fetchone(self) -> Any:
        row = self._cur.fetchone()
        self._counter[0] += row is not None
        return row

    def fetchall(self) -> list[Any]:
        rows = self._cur.fetchall()
        self._counter[0] += len(rows)
        return rows


class _CountingConn:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn, self.rows = conn, [0]

    def execute(self, sql: str, args: Any = ()) -> _Rows:
        return _Rows(self._conn.execute(sql, args), self.rows)

    def close(self) -> None:
        self._conn.close()


def test_group_start_reads_only_its_group(tmp_path: Path) -> None:
    pairs = tuple(f"p{i:03d}" for i in range(40))
    fleet = pf.fleet(pairs)
    plan = pf.make_plan(fleet)
    steps = journal_steps(plan)
    per_group = max(len(g.steps) for g in plan.groups)
    assert len(steps) >= 40 * per_group > 0
    j = Journal.create(tmp_path / "r.db", run_id="r", plan={}, steps=steps)
    for sid, *_ in steps:
        j.intent(sid)
        j.outcome(sid, ok=True)
    counting = _CountingConn(j._conn)
    j._conn = counting  # type: ignore[assignment]
    ctx = RunContext(plan, fleet, j, None, RunSettings())  # type: ignore[arg-type]
    ex = Executor(ctx)
    for group in plan.groups:
        before = counting.rows[0]
        assert ex._run_group(group).status == G_DONE
        read = counting.rows[0] - before
        assert read <= 2 * per_group, (group.name, read, len(steps))
