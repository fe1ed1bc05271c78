"""SQLite writers take turns through a file lock next to the database (issue 13: speed).

SQLite's own wait for the write lock (the busy timeout) sleeps and polls, with sleeps growing
to 100 ms: when one registration commits, the next waiting writer often sleeps on while the
lock is free, and with four server processes most of a busy minute is spent so. Every write
transaction (``BEGIN IMMEDIATE``) therefore first takes an exclusive ``flock`` on
``<database>-writers`` (every connection its own, so threads and processes alike take turns),
polled every millisecond, and gives it back when the transaction ends (commit, rollback, or
the connection going back to the pool or away). It only orders the writers: SQLite's lock stays
the rule — a writer that waited out the busy timeout here goes on to SQLite, which decides as
before; a read (``DEFERRED``) never takes it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

POLL_SECONDS = 0.001
FD, HELD = "docflow_writers_fd", "docflow_writers_held"


def lock_path(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + "-writers"


def install(engine: Engine, busy_timeout_ms: int) -> Callable[[Any, str], None]:
    """Take turns on ``engine``'s file lock around every write transaction; returns the
    ``begin(conn, mode)`` that emits ``BEGIN <mode>`` (in turn for a write)."""
    path = lock_path(engine)
    timeout = busy_timeout_ms / 1000

    def plain(conn: Any, mode: str) -> None:
        conn.exec_driver_sql(f"BEGIN {mode}")

    if path is None:
        return plain

    def acquire(info: dict[str, Any]) -> None:
        fd = info.get(FD)
        if fd is None:
            fd = info[FD] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # SQLite's busy timeout decides, as without this lock
                time.sleep(POLL_SECONDS)
            else:
                info[HELD] = True
                return

    def release(info: dict[str, Any]) -> None:
        if info.pop(HELD, False):
            fcntl.flock(info[FD], fcntl.LOCK_UN)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Any) -> None:
        release(conn.info)

    @event.listens_for(engine, "reset")
    def _reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        release(connection_record.info)

    @event.listens_for(engine, "close")
    @event.listens_for(engine, "invalidate")
    def _close(_dbapi_conn: Any, record: Any, *_args: Any) -> None:
        release(record.info)
        fd = record.info.pop(FD, None)
        if fd is not None:
            os.close(fd)

    def begin(conn: Any, mode: str) -> None:
        if mode == "DEFERRED":
            return plain(conn, mode)
        acquire(conn.info)
        try:
            plain(conn, mode)
        except BaseException:
            release(conn.info)
            raise

    return begin
