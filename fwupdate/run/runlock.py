"""Is a run's process alive?  A lock file beside the journal, held (flock) while a process runs
or resumes the run: the kernel drops it when that process dies, SIGKILL included, so the report
can tell a live run from a dead one, and a second `resume` of a live run is refused."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from fwupdate.errors import BadInputError

ACQUIRE_SECONDS = 2.0  # a report probing the lock holds it for microseconds


def lock_path(journal_path: Path) -> Path:
    return journal_path.with_name(journal_path.name + ".lock")


@contextlib.contextmanager
def hold(journal_path: Path) -> Iterator[None]:
    """Hold the run's lock while the block runs; BadInputError when a live process has it."""
    path = lock_path(journal_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _acquire(fd):
            raise BadInputError(
                f"run {journal_path.stem} is still running in another process (lock {path} "
                "held); wait for it or stop it first"
            )
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int) -> bool:
    deadline = time.monotonic() + ACQUIRE_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def is_held(journal_path: Path) -> bool | None:
    """True while a live process holds the run's lock, False when none does, None when the run
    has no lock file (a journal written before locks existed)."""
    try:
        fd = os.open(lock_path(journal_path), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock we may have taken
    return False


def process_alive(pid: object, host: object) -> bool:
    """For journals without a lock file: is `pid` alive here?  A pid of another host, or none,
    cannot be asked: False (the report then calls the run interrupted, with the resume hint)."""
    if not isinstance(pid, int) or pid <= 0 or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
