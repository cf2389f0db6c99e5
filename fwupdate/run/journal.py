"""The run journal: a SQLite file per run that makes a night resumable and reportable.

Every step is journaled twice: its *intent* before anything is sent to a device, and its
*outcome* after.  A step whose intent is recorded but whose outcome is not was in flight when the
process died; on resume the executor asks the device what really happened (job created? version
changed? host rebooted?) instead of repeating the action.  Device answers that matter (job ids,
message ids, versions seen) are recorded as notes.

The file is created 0600 and holds no secrets: every text written passes through
`fwupdate.logsafe.redact`.  Writes commit immediately (WAL, synchronous=FULL), so a SIGKILL loses
at most the write in progress.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwupdate.errors import BadInputError
from fwupdate.logsafe import redact

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
    step_id     TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,
    node        TEXT,
    pair        TEXT,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    started_at  REAL,
    finished_at REAL,
    message_id  TEXT,
    error       TEXT,
    outcome     TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       REAL NOT NULL,
    node     TEXT,
    step_id  TEXT,
    kind     TEXT NOT NULL,
    data     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_step ON events(step_id);
CREATE INDEX IF NOT EXISTS steps_pair ON steps(pair);
"""

PENDING = "pending"
STARTED = "started"  # intent recorded, outcome not (yet): in flight or interrupted
DONE = "done"
FAILED = "failed"
SKIPPED = "skipped"
STEP_STATES = (PENDING, STARTED, DONE, FAILED, SKIPPED)

# Run-level event kinds.  Each process that works on the run records RUN_START or RESUME first
# (pid, host, command line with secrets masked: session.session_note); RUN_STATUS marks the
# statuses it sets (running, then finished or interrupted).  A session with no final status
# before the next one (or at the end of the journal, with no live process) crashed.
RUN_START = "run-start"
RESUME = "resume"
RUN_STATUS = "run-status"


@dataclass(frozen=True)
class StepRecord:
    step_id: str
    seq: int
    node: str | None
    pair: str | None
    kind: str
    state: str
    attempts: int
    started_at: float | None
    finished_at: float | None
    message_id: str | None
    error: str | None
    outcome: dict[str, Any] | None

    @property
    def in_flight(self) -> bool:
        return self.state == STARTED


@dataclass(frozen=True)
class JournalEvent:
    id: int
    at: float
    node: str | None
    step_id: str | None
    kind: str
    data: dict[str, Any]


def _dumps(obj: Any) -> str:
    return redact(json.dumps(obj, sort_keys=True, default=str))


class Journal:
    """Thread-safe access to one run's journal file."""

    def __init__(self, path: Path, conn: sqlite3.Connection, now: Callable[[], float]) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()
        self._now = now

    # --- opening --------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        run_id: str,
        plan: dict[str, Any],
        steps: list[tuple[str, str | None, str | None, str]],
        options: dict[str, Any] | None = None,
        now: Callable[[], float] = time.time,
    ) -> Journal:
        """Create a new journal (0600) holding the plan and its steps (id, node, pair, kind)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise BadInputError(f"{path}: a run journal already exists") from None
        os.close(fd)
        journal = cls(path, cls._connect(path), now)
        journal._conn.executescript(_SCHEMA)  # executescript manages its own transaction
        with journal._tx() as c:
            meta = {
                "schema_version": str(SCHEMA_VERSION),
                "run_id": run_id,
                "created_at": repr(now()),
                "status": "created",
                "plan": _dumps(plan),
                "options": _dumps(options or {}),
            }
            c.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", meta.items())
            c.executemany(
                "INSERT INTO steps(step_id, seq, node, pair, kind) VALUES (?, ?, ?, ?, ?)",
                [(sid, i, node, pair, kind) for i, (sid, node, pair, kind) in enumerate(steps)],
            )
        return journal

    @classmethod
    def open(cls, path: Path, *, now: Callable[[], float] = time.time) -> Journal:
        path = Path(path)
        if not path.is_file():
            raise BadInputError(f"{path}: no such run journal")
        try:
            conn = cls._connect(path)
            row = _first(conn, "SELECT value FROM meta WHERE key='schema_version'")
        except sqlite3.DatabaseError as exc:
            raise BadInputError(f"{path}: not a fwupdate run journal ({exc})") from None
        if row is None or int(row[0]) != SCHEMA_VERSION:
            raise BadInputError(f"{path}: unsupported journal schema {row[0] if row else '?'}")
        return cls(path, conn, now)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL").fetchall()
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction.  A failed COMMIT is rolled back too: a transaction left open
        would refuse every later write of the run ("cannot start a transaction within a
        transaction"), in every group."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    # --- run metadata -------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = _first(self._conn, "SELECT value FROM meta WHERE key=?", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as c:
            c.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, redact(value)),
            )

    @property
    def run_id(self) -> str:
        return self.meta("run_id") or ""

    @property
    def plan(self) -> dict[str, Any]:
        raw = self.meta("plan")
        return json.loads(raw) if raw else {}

    @property
    def options(self) -> dict[str, Any]:
        raw = self.meta("options")
        return json.loads(raw) if raw else {}

    def set_options(self, options: dict[str, Any]) -> None:
        """Replace the run's options (a resume given a new window keeps it for the next)."""
        self.set_meta("options", _dumps(options))

    @property
    def status(self) -> str:
        return self.meta("status") or "created"

    def set_status(self, status: str) -> None:
        self.set_meta("status", status)
        self.record(None, None, RUN_STATUS, {"status": status})

    # --- steps ----------------------------------------------------------------------------------

    def intent(self, step_id: str, data: dict[str, Any] | None = None) -> None:
        """Record that we are about to act on a step (before any request is sent)."""
        now = self._now()
        with self._tx() as c:
            row = _first(c, "SELECT node FROM steps WHERE step_id=?", (step_id,))
            if row is None:
                raise KeyError(step_id)
            c.execute(
                "UPDATE steps SET state=?, attempts=attempts+1, started_at=COALESCE(started_at, ?),"
                " finished_at=NULL, error=NULL, message_id=NULL WHERE step_id=?",
                (STARTED, now, step_id),
            )
            c.execute(
                "INSERT INTO events(at, node, step_id, kind, data) VALUES (?, ?, ?, 'intent', ?)",
                (now, row[0], step_id, _dumps(data or {})),
            )

    def release(self, step_id: str, reason: str) -> None:
        """A started step that no device acted on goes back to pending (the window stopped the
        group before it): the report must not show it in flight once the executor is gone."""
        now = self._now()
        with self._tx() as c:
            row = _first(c, "SELECT node FROM steps WHERE step_id=? AND state=?",
                         (step_id, STARTED))  # fmt: skip
            if row is None:
                return
            c.execute("UPDATE steps SET state=?, finished_at=NULL WHERE step_id=?",
                      (PENDING, step_id))  # fmt: skip
            c.execute(
                "INSERT INTO events(at, node, step_id, kind, data) VALUES (?, ?, ?, 'released', ?)",
                (now, row[0], step_id, _dumps({"reason": reason})),
            )

    def outcome(
        self,
        step_id: str,
        *,
        ok: bool,
        data: dict[str, Any] | None = None,
        message_id: str | None = None,
        error: str | None = None,
        skipped: bool = False,
    ) -> None:
        """Record how a step ended: done, failed (with message id / error) or skipped."""
        now = self._now()
        state = SKIPPED if skipped else (DONE if ok else FAILED)
        payload = dict(data or {})
        with self._tx() as c:
            row = _first(c, "SELECT node FROM steps WHERE step_id=?", (step_id,))
            if row is None:
                raise KeyError(step_id)
            c.execute(
                "UPDATE steps SET state=?, finished_at=?, message_id=?, error=?, outcome=? "
                "WHERE step_id=?",
                (
                    state,
                    now,
                    message_id,
                    redact(error) if error else None,
                    _dumps(payload),
                    step_id,
                ),
            )
            payload.update({"state": state, "message_id": message_id, "error": error})
            c.execute(
                "INSERT INTO events(at, node, step_id, kind, data) VALUES (?, ?, ?, 'outcome', ?)",
                (now, row[0], step_id, _dumps(payload)),
            )

    def record(
        self, node: str | None, step_id: str | None, kind: str, data: dict[str, Any]
    ) -> None:
        """A note worth keeping: a job id created, a device answer, a wait that ended."""
        with self._tx() as c:
            c.execute(
                "INSERT INTO events(at, node, step_id, kind, data) VALUES (?, ?, ?, ?, ?)",
                (self._now(), node, step_id, kind, _dumps(data)),
            )

    def checkpoint(self) -> None:
        """Copy the WAL into the database file now: what is committed so far survives even a
        lost or removed WAL (kept for evidence a resume cannot find again on the devices)."""
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()  # run to its end

    def step(self, step_id: str) -> StepRecord:
        with self._lock:
            row = _first(self._conn, _SELECT_STEP, (step_id,))
        if row is None:
            raise KeyError(step_id)
        return _step(row)

    def steps(self, *, node: str | None = None, group: str | None = None) -> list[StepRecord]:
        """Steps in plan order: all of them, one node's, or one group's (pair or standalone
        node; the executor reads only the group it starts)."""
        with self._lock:
            if node is not None:
                rows = self._conn.execute(_SELECT_NODE_STEPS, (node,)).fetchall()
            elif group is not None:
                rows = self._conn.execute(_SELECT_GROUP_STEPS, (group,)).fetchall()
            else:
                rows = self._conn.execute(_SELECT_STEPS).fetchall()
        return [_step(r) for r in rows]

    def events(self, *, step_id: str | None = None, kind: str | None = None) -> list[JournalEvent]:
        sql = "SELECT id, at, node, step_id, kind, data FROM events"
        cond: list[str] = []
        args: list[Any] = []
        if step_id is not None:
            cond.append("step_id=?")
            args.append(step_id)
        if kind is not None:
            cond.append("kind=?")
            args.append(kind)
        if cond:
            sql += " WHERE " + " AND ".join(cond)
        sql += " ORDER BY id"
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [JournalEvent(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    def last_note(self, step_id: str, kind: str) -> dict[str, Any] | None:
        """The newest note of `kind` for a step (e.g. the job id recorded before a crash)."""
        found = self.events(step_id=step_id, kind=kind)
        return found[-1].data if found else None


_SELECT_STEPS = (
    "SELECT step_id, seq, node, pair, kind, state, attempts, started_at, finished_at, "
    "message_id, error, outcome FROM steps ORDER BY seq"
)
_SELECT_STEP = (
    "SELECT step_id, seq, node, pair, kind, state, attempts, started_at, finished_at, "
    "message_id, error, outcome FROM steps WHERE step_id=?"
)
_SELECT_GROUP_STEPS = (
    "SELECT step_id, seq, node, pair, kind, state, attempts, started_at, finished_at, "
    "message_id, error, outcome FROM steps WHERE pair=? ORDER BY seq"
)
_SELECT_NODE_STEPS = (
    "SELECT step_id, seq, node, pair, kind, state, attempts, started_at, finished_at, "
    "message_id, error, outcome FROM steps WHERE node=? ORDER BY seq"
)


def _step(row: tuple[Any, ...]) -> StepRecord:
    return StepRecord(
        step_id=row[0],
        seq=row[1],
        node=row[2],
        pair=row[3],
        kind=row[4],
        state=row[5],
        attempts=row[6],
        started_at=row[7],
        finished_at=row[8],
        message_id=row[9],
        error=row[10],
        outcome=json.loads(row[11]) if row[11] else None,
    )


def _first(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> Any:
    """The first row of a query run to its end (None: no row).  A statement left part-read
    stays "in progress" for as long as anything holds its cursor (a profiler, the collector's
    object list), and a COMMIT on the shared connection then fails."""
    rows = conn.execute(sql, args).fetchall()
    return rows[0] if rows else None
