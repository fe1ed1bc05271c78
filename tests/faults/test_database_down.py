"""The database unavailable while the app serves: requests fail cleanly, service resumes by itself.

On PostgreSQL (the PostgreSQL leg of the suite) the test starts a cluster of its own, serves
the app from gunicorn on it, restarts and stops the cluster under it: a 503 with a readable
JSON body or page (never a 500 traceback, never a hang), and after the restart the same worker
(no restart of the app) answers again — pooled connections are checked before use
(``pool_pre_ping``, docflow/app_setup.py). On SQLite, an unreachable database file shows the
same 503.
"""

from __future__ import annotations

import html
import json
import time

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from docflow import create_app
from docflow.api import issue_token
from docflow.errors import MESSAGES
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.models import IncomingItem
from tests.conftest import PG_URL, _build, base_config, fake_iin
from tests.faults.conftest import Server
from tests.faults.pg_cluster import start_cluster

LANGS = ("kk", "ru", "en")
OUTAGE_ANSWER_SECONDS = 12  # connect_timeout is 10 s; a refused connection answers at once


def expected_503(app, lang: str) -> str:
    with app.test_request_context(), force_locale(lang):
        return str(MESSAGES[503])


def registration(n: int) -> dict:
    return {
        "kind": "statement",
        "channel": "post",
        "applicants": [{"full_name": f"Омарова Дана {n}", "iin": fake_iin(n), "address": "Абай 3"}],
        "addressee": "Алматы қаласының әкімі",
        "summary": f"Жарық жоқ {n}",
    }


def test_unreachable_sqlite_database_is_a_503_in_the_readers_language(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCFLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(base_config(f"sqlite:///{tmp_path / 'no-such-dir' / 'docflow.sqlite3'}"))
    client = app.test_client()
    for lang in LANGS:
        r = client.get(
            "/api/v1/items", headers={"Authorization": "Bearer dft_x", "Accept-Language": lang}
        )
        assert r.status_code == 503, r.get_data(as_text=True)
        body = r.get_json()
        assert body == {"error": "database_unavailable", "message": expected_503(app, lang)}
        assert r.headers["Retry-After"] == "30"
    page = client.get(
        "/v/abc/0123456789abcdef", headers={"Accept-Language": "ru", "Accept": "text/html"}
    )
    assert page.status_code == 503 and page.mimetype == "text/html"
    text = html.unescape(page.get_data(as_text=True))
    assert expected_503(app, "ru") in text and "Traceback" not in text


def test_a_bug_in_sql_on_sqlite_stays_a_500_not_a_503(app, client, monkeypatch):
    """Only unavailability is a 503: SQLite's OperationalError also names bugs (no such table)."""
    from sqlalchemy import text

    def broken(*_a, **_k):
        db.session.execute(text("select * from no_such_table"))

    monkeypatch.setattr("docflow.api._authenticate", broken)
    r = client.get("/api/v1/items", headers={"Authorization": "Bearer dft_x"})
    assert r.status_code == 500 and r.get_json()["error"] == "internal_error"


@pytest.fixture
def cluster():
    if not PG_URL:
        pytest.skip(
            "PostgreSQL leg only (DOCFLOW_TEST_DATABASE_URL set): it starts its own cluster"
        )
    c = start_cluster()
    if c is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) to start a cluster with")
    yield c
    c.destroy()


@pytest.mark.slow
def test_postgresql_restarted_while_serving(cluster, tmp_path, monkeypatch):
    url = cluster.create_database("docflow_fault")
    monkeypatch.setenv("DOCFLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(base_config(url))
    _build(app, demo=True)
    with app.app_context():
        auth = {"Authorization": f"Bearer {issue_token(user_by_username('clerk'))}"}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    srv = Server(url, tmp_path, {})
    try:
        assert srv.request("GET", "/api/v1/items", headers=auth).status == 200
        assert (
            srv.request("GET", "/v/abc/0123456789abcdef").status == 404
        )  # a public page that reads the DB
        workers = srv.worker_pids()

        # A restart between two requests: the pooled connection is dead, the ping replaces it,
        # so not even the first request after the restart fails.
        cluster.restart()
        r = srv.request("GET", "/api/v1/items", headers=auth)
        assert r.status == 200, r.text

        # An outage with traffic: every request answers quickly, 503, readable, in its language.
        cluster.stop()
        for lang in LANGS:
            started = time.monotonic()
            r = srv.request(
                "GET", "/api/v1/items", headers={**auth, "Accept-Language": lang}, timeout=30
            )
            assert time.monotonic() - started < OUTAGE_ANSWER_SECONDS
            assert r.status == 503, r.text
            assert r.json() == {"error": "database_unavailable", "message": expected_503(app, lang)}
            assert r.headers["retry-after"] == "30"
        body = json.dumps(registration(1)).encode()
        write = srv.request(
            "POST", "/api/v1/items", body, {**auth, "Content-Type": "application/json"}
        )
        assert write.status == 503 and write.json()["error"] == "database_unavailable"
        page = srv.request("GET", "/v/abc/0123456789abcdef", headers={"Accept-Language": "ru"})
        assert page.status == 503 and page.headers["content-type"].startswith("text/html")
        assert expected_503(app, "ru") in html.unescape(page.text) and "Traceback" not in page.text

        # Back: the same worker serves reads and writes again, nothing restarted.
        cluster.start()
        r = srv.request("GET", "/api/v1/items", headers=auth)
        assert r.status == 200, r.text
        write = srv.request(
            "POST", "/api/v1/items", body, {**auth, "Content-Type": "application/json"}
        )
        assert write.status == 201, write.text
        assert srv.worker_pids() == workers and srv.proc.poll() is None
        with app.app_context():
            # The write during the outage left nothing; the one after it is there, once.
            count = select(func.count()).where(IncomingItem.summary == "Жарық жоқ 1")
            assert db.session.scalar(count) == 1
            result = app.test_cli_runner().invoke(args=["audit", "verify"])
            assert result.exit_code == 0 and "audit trail intact" in result.output
            db.session.remove()
            db.engine.dispose()
    finally:
        srv.stop()
