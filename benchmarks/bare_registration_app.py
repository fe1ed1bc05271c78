"""The bare stack for ``registration_concurrency.py``: Flask + the database driver, nothing else.

One endpoint, ``POST /items``, does what a registration must at the least, in one transaction:
take the next number of the journal's counter row, insert the item row, and append a
hash-chained audit row (SHA-256 over the previous hash and the row) — on SQLite in
``BEGIN IMMEDIATE`` (WAL, ``synchronous=FULL``, busy timeout, as docflow sets it), on PostgreSQL
with ``SELECT … FOR UPDATE`` on the counter row and on the chain head. Served by the same gunicorn
settings as docflow, it is the ceiling the benchmark measures docflow against.

    BARE_DATABASE=/tmp/bare.sqlite3 gunicorn -w 4 benchmarks.bare_registration_app:app
    BARE_DATABASE=postgresql://user@host/db gunicorn -w 4 benchmarks.bare_registration_app:app
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from typing import Any

from flask import Flask, jsonify, request

GENESIS = "0" * 64
SCHEMA = [
    "CREATE TABLE IF NOT EXISTS counter (journal VARCHAR(64), year INTEGER, value INTEGER NOT NULL,"
    " PRIMARY KEY (journal, year))",
    "CREATE TABLE IF NOT EXISTS item (id {serial}, reg_seq INTEGER NOT NULL,"
    " reg_number VARCHAR(64) NOT NULL UNIQUE, registered_at VARCHAR(40) NOT NULL, body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit (seq BIGINT PRIMARY KEY, at VARCHAR(40) NOT NULL,"
    " object_id VARCHAR(64), summary TEXT, prev_hash VARCHAR(64) NOT NULL, hash VARCHAR(64) NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL,"
    " last_hash VARCHAR(64) NOT NULL)",
]
_local = threading.local()


def _url() -> str:
    return os.environ["BARE_DATABASE"]


def _is_pg(url: str) -> bool:
    return url.startswith("postgresql")


def connect(url: str | None = None) -> Any:
    url = url or _url()
    if _is_pg(url):
        import psycopg

        return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    import sqlite3

    conn = sqlite3.connect(url, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def create_schema(url: str) -> None:
    """The four tables, the chain head row and the journal's counter row (run once, before serving)."""
    conn = connect(url)
    serial = "SERIAL PRIMARY KEY" if _is_pg(url) else "INTEGER PRIMARY KEY"
    for statement in SCHEMA:
        conn.execute(statement.format(serial=serial))
    ph = "%s" if _is_pg(url) else "?"
    conn.execute(f"INSERT INTO audit_head VALUES (1, 0, {ph})", (GENESIS,))
    conn.execute("INSERT INTO counter VALUES ('individuals', 2026, 0)")
    conn.commit()
    conn.close()


def _conn() -> Any:
    if getattr(_local, "conn", None) is None:
        _local.conn = connect()
    return _local.conn


app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return "ok"


@app.post("/items")
def register():
    body = request.get_json()
    conn = _conn()
    pg = _is_pg(_url())
    ph = "%s" if pg else "?"
    now = dt.datetime.now(dt.UTC).isoformat()
    try:
        if pg:
            seq = conn.execute(
                "SELECT value FROM counter WHERE journal = 'individuals' AND year = 2026 FOR UPDATE"
            ).fetchone()[0]
            seq += 1
            conn.execute(
                "UPDATE counter SET value = %s WHERE journal = 'individuals' AND year = 2026",
                (seq,),
            )
        else:
            conn.execute("BEGIN IMMEDIATE")
            seq = conn.execute(
                "UPDATE counter SET value = value + 1 WHERE journal = 'individuals' AND year = 2026"
                " RETURNING value"
            ).fetchone()[0]
        number = f"ЖТ-2026-{seq:08d}"
        conn.execute(
            f"INSERT INTO item (reg_seq, reg_number, registered_at, body) VALUES ({ph}, {ph}, {ph}, {ph})",
            (seq, number, now, json.dumps(body, ensure_ascii=False)),
        )
        head_seq, prev = conn.execute(
            "SELECT seq, last_hash FROM audit_head WHERE id = 1" + (" FOR UPDATE" if pg else "")
        ).fetchone()
        summary = json.dumps({"reg_number": number, "kind": body.get("kind")}, ensure_ascii=False)
        canonical = json.dumps(
            {"seq": head_seq + 1, "at": now, "object_id": number, "summary": summary, "prev": prev},
            sort_keys=True,
            ensure_ascii=False,
        )
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        conn.execute(
            f"INSERT INTO audit VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph})",
            (head_seq + 1, now, number, summary, prev, digest),
        )
        conn.execute(
            f"UPDATE audit_head SET seq = {ph}, last_hash = {ph} WHERE id = 1",
            (head_seq + 1, digest),
        )
        conn.commit() if pg else conn.execute("COMMIT")
    except Exception:
        conn.rollback() if pg else conn.execute("ROLLBACK")
        raise
    return jsonify({"reg_number": number, "reg_seq": seq}), 201
