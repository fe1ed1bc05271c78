"""SQLite set up for a multi-user server; concurrent writers keep the audit chain whole."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import func, make_url, select, text

from docflow.core import audit
from docflow.core.db import sqlite_begin_mode
from docflow.extensions import db


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("SQLite settings")


def test_sqlite_pragmas(app, sqlite_only):
    conn = db.session.connection()
    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (
        conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )


def _other_writer_blocked(app) -> bool:
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    else:
        other.execute("ROLLBACK")
        return False
    finally:
        other.close()


def test_writes_begin_immediate(app, sqlite_only):
    """A write transaction holds the write lock from its first statement (no lock upgrade later)."""
    db.session.execute(select(1))  # a read, but in a write-mode transaction
    assert _other_writer_blocked(app)
    db.session.rollback()
    assert not _other_writer_blocked(app)


def test_reads_begin_deferred(app, sqlite_only):
    with sqlite_begin_mode("DEFERRED"):
        db.session.execute(select(1))
        assert not _other_writer_blocked(app)
        db.session.rollback()


def test_get_requests_do_not_take_the_write_lock(app, client, login, sqlite_only):
    seen = {}

    @app.after_request
    def probe(response):
        seen[response.status_code] = _other_writer_blocked(app)
        return response

    login("clerk")
    client.get("/")  # loads the user and settings: reads inside the request's transaction
    assert seen[200] is False


def test_foreign_keys_enforced(app):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.execute(
            text(
                "INSERT INTO role_grant (user_id, role, subdivision_id) VALUES (99999, 'admin', NULL)"
            )
        )
        db.session.flush()
    db.session.rollback()


def test_concurrent_writers_keep_the_audit_chain(app):
    """Eight threads append at once; the chain stays gapless and verifiable (SQLite and PostgreSQL)."""
    before = db.session.scalar(select(func.count()).select_from(audit.AuditEntry))
    db.session.commit()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with app.app_context():
                for i in range(10):
                    audit.record("probe", object_type="test", object_id=f"{n}-{i}")
                    db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(audit.AuditEntry)) == before + 80
    result = audit.verify()
    assert result.ok, result
