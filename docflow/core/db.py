"""Database plumbing shared by every model: UTC timestamps, JSON, SQLite tuning."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import JSON, DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

# SQLite transactions begin IMMEDIATE (take the write lock up front, so two writers queue on the
# busy timeout instead of failing on lock upgrade); safe requests (GET/HEAD) begin DEFERRED.
_sqlite_begin: ContextVar[str] = ContextVar("docflow_sqlite_begin", default="IMMEDIATE")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


JSONType = JSON()


@contextlib.contextmanager
def sqlite_begin_mode(mode: str) -> Iterator[None]:
    token = _sqlite_begin.set(mode)
    try:
        yield
    finally:
        _sqlite_begin.reset(token)


def set_sqlite_begin_mode(mode: str) -> None:
    _sqlite_begin.set(mode)


def begin_writes() -> None:
    """End a read-only start of a write request, so its writes begin IMMEDIATE (SQLite).

    A request that reads first (authentication, permissions, office settings: cached for the
    request) in a DEFERRED transaction calls this before its first write: the write lock is held
    only for the writing part, and the writes never upgrade a stale read snapshot. Nothing is
    written before, so the commit only ends the reads; what they loaded (the authenticated user
    and its roles) stays loaded rather than read again under the lock.
    """
    commit_keeping_loaded()
    _sqlite_begin.set("IMMEDIATE")


def commit_keeping_loaded() -> None:
    """Commit, keeping what the session has loaded: a write request that answers with what it
    just wrote (the registration) need not read it all back (issue 13)."""
    from docflow.extensions import db

    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def within(transaction: Any, ancestor: Any) -> bool:
    """Whether a session transaction is ``ancestor`` or a savepoint inside it (what a
    rollback of ``ancestor`` undoes)."""
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Make SQLite fit a multi-user server: WAL, busy timeout, FULL sync, FKs, BEGIN IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is switched off: we emit BEGIN ourselves below.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    from docflow.core import sqlite_writers

    begin = sqlite_writers.install(engine, busy_timeout_ms)  # writers take turns, no sleeping

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        begin(conn, _sqlite_begin.get())


def atomic(func):
    """Run a domain operation in a savepoint: if it raises, none of its writes stay pending."""
    import functools

    from docflow.extensions import db

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with db.session.begin_nested():
            return func(*args, **kwargs)

    return wrapper
