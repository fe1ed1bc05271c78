"""Test fixtures: a fresh database per test, cloned from a migrated template.

The schema is always built by the Alembic migrations, as in production. Each test gets its own
copy (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so tests commit for
real and the append-only audit trail never has to be cleaned up.
Set ``DOCFLOW_TEST_DATABASE_URL`` to a PostgreSQL server URL (a role that may create databases)
to run the suite on PostgreSQL; ``scripts/with-postgres.sh`` starts a throwaway server.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from docflow import create_app
from docflow.extensions import db

# Fixtures every test module uses (web, users, page): one copy, in tests/fixtures.py.
pytest_plugins = ["tests.fixtures"]

PG_URL = os.environ.get("DOCFLOW_TEST_DATABASE_URL")
DEMO_PASSWORD = "docflow-demo"


def base_config(url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # fast in tests; production uses the default
        "SQLITE_BUSY_TIMEOUT_MS": 5000,
        "STORAGE_BACKEND": "memory",
        "EXTRACTION_MODE": "sync",
        "ANALYTICS_PROBLEMS_MAX_AGE": 0,  # every write shows at once
        # fpdf2 letters (fast); LibreOffice where a test asks (tests/outgoing/test_letter_render.py)
        # or the whole run does: DOCFLOW_PDF_RENDERER=libreoffice
        "PDF_RENDERER": os.environ.get("DOCFLOW_PDF_RENDERER", "builtin"),
        **extra,
    }


def _build(app: Flask, demo: bool) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        if demo:
            from docflow.org.profile import DEMO_PROFILE, load_profile, read_profile

            load_profile(read_profile(DEMO_PROFILE))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


class FreshGClient(FlaskClient):
    """Each request starts with an empty ``g``, as in production.

    Tests keep an app context open (to use ``db.session``), and Flask reuses it for test
    requests; without this, request-scoped caches on ``g`` (the logged-in user, the locale,
    settings) would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


class SQLiteDatabases:
    backend = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.templates: dict[str, Path] = {}

    def template(self, name: str, build: Callable[[str], None]) -> None:
        path = self.root / f"template-{name}.sqlite3"
        build(f"sqlite:///{path}")
        con = sqlite3.connect(path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        self.templates[name] = path

    def clone(self, name: str) -> str:
        path = self.root / f"test-{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(self.templates[name], path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        pass


class PostgresDatabases:
    """A database per test, cloned from a template (CREATE DATABASE … TEMPLATE).

    A clone and a drop cost a PostgreSQL server some 50–200 ms each, a few minutes over the
    suite: a helper thread keeps the next clone of each template ready and drops the used ones
    while the tests run."""

    backend = "postgresql"

    def __init__(self, server_url: str) -> None:
        import queue
        import threading

        self.server = make_url(server_url)
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.prefix = f"docflow_{os.getpid()}_"
        self.templates: dict[str, str] = {}
        self.ready: dict[str, queue.Queue] = {}
        self.jobs: queue.Queue = queue.Queue()
        self.helper = threading.Thread(target=self._work, daemon=True)
        self.helper.start()

    def _url(self, dbname: str) -> str:
        return self.server.set(database=dbname).render_as_string(hide_password=False)

    def _exec(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                kind, name = job
                if kind == "drop":
                    self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                else:
                    self.ready[name].put(self._create(name))
            except Exception as exc:  # a failed clone: the test makes its own
                if job is not None and job[0] == "clone":
                    self.ready[job[1]].put(exc)
            finally:
                self.jobs.task_done()

    def _create(self, name: str) -> str:
        dbname = f"{self.prefix}{uuid.uuid4().hex[:12]}"
        self._exec(f'CREATE DATABASE "{dbname}" TEMPLATE "{self.templates[name]}"')
        return dbname

    def template(self, name: str, build: Callable[[str], None]) -> None:
        import queue

        dbname = f"{self.prefix}tpl_{name}"
        self._exec(f'DROP DATABASE IF EXISTS "{dbname}"')
        self._exec(f'CREATE DATABASE "{dbname}"')
        build(self._url(dbname))
        self.templates[name] = dbname
        self.ready[name] = queue.Queue()
        self.jobs.put(("clone", name))

    def clone(self, name: str) -> str:
        found = self.ready[name].get()  # the helper always has one on the way
        self.jobs.put(("clone", name))
        dbname = found if isinstance(found, str) else self._create(name)
        return self._url(dbname)

    def drop(self, url: str) -> None:
        dbname = make_url(url).database
        assert re.fullmatch(r"docflow_\w+", dbname)
        self.jobs.put(("drop", dbname))

    def close(self) -> None:
        self.jobs.put(None)
        self.helper.join()
        for pending in self.ready.values():
            while not pending.empty():
                found = pending.get()
                if isinstance(found, str):
                    self._exec(f'DROP DATABASE IF EXISTS "{found}" WITH (FORCE)')
        for dbname in self.templates.values():
            self._exec(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[SQLiteDatabases | PostgresDatabases]:
    root = tmp_path_factory.mktemp("db")
    dbs = PostgresDatabases(PG_URL) if PG_URL else SQLiteDatabases(root)
    instance = tmp_path_factory.mktemp("template-instance")

    def builder(demo: bool) -> Callable[[str], None]:
        def build(url: str) -> None:
            os.environ["DOCFLOW_INSTANCE_PATH"] = str(instance)
            try:
                _build(create_app(base_config(url)), demo)
            finally:
                os.environ.pop("DOCFLOW_INSTANCE_PATH", None)

        return build

    dbs.template("empty", builder(False))
    dbs.template("demo", builder(True))
    yield dbs
    dbs.close()


@pytest.fixture
def make_app(databases, tmp_path, monkeypatch) -> Iterator[Callable[..., Flask]]:
    """Factory: ``make_app(template="demo", **config)`` → an app on a fresh database."""
    made: list[tuple[Flask, str]] = []
    monkeypatch.setenv("DOCFLOW_INSTANCE_PATH", str(tmp_path / "instance"))

    def factory(template: str = "demo", **config) -> Flask:
        url = databases.clone(template)
        app = create_app(base_config(url, **config))
        app.test_client_class = FreshGClient
        made.append((app, url))
        return app

    yield factory
    for app, url in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        databases.drop(url)


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    """An app on a fresh database with the demo profile loaded, in an app context."""
    app = make_app("demo")
    with app.app_context():
        yield app


@pytest.fixture
def empty_app(make_app) -> Iterator[Flask]:
    """An app on a fresh, migrated but empty database, in an app context."""
    app = make_app("empty")
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """``login("clerk")`` logs the test client in as a demo user; returns the response."""

    def do(username: str, password: str = DEMO_PASSWORD, c=None):
        c = c or client
        return c.post("/login", data={"username": username, "password": password})

    return do


@pytest.fixture
def backend(databases) -> str:
    return databases.backend


# --- domain fixtures shared by the registry, routing and protocols tests -----------------------


@pytest.fixture
def clerk(app):
    from docflow.org.models import user_by_username

    return user_by_username("clerk")


def fake_iin(n: int) -> str:
    """A valid IIN (R-REG-9) for test applicant ``n``: born 1990-01-01 + n days, woman."""
    import datetime as _dt

    from docflow.core.identifiers import check_digit

    for serial in range(n % 9000, 10000):
        born = _dt.date(1990, 1, 1) + _dt.timedelta(days=n % 10000)
        first11 = born.strftime("%y%m%d") + "4" + f"{serial:04d}"
        digit = check_digit(first11)
        if digit is not None:
            return first11 + str(digit)
    raise AssertionError("no IIN")


@pytest.fixture
def make_item(app, clerk):
    """Register an item with sensible defaults; keyword arguments override RegistrationData."""

    from docflow.registry.operations import ApplicantData, RegistrationData, register
    from tests.registry.conftest import almaty

    counter = iter(range(1, 10**6))

    def make(**kw):
        actor = kw.pop("actor", None) or clerk
        applicant = kw.pop("applicant", None)
        n = next(counter)
        data = RegistrationData(
            kind=kw.pop("kind", "statement"),
            channel=kw.pop("channel", "post"),
            applicants=kw.pop(
                "applicants",
                [
                    applicant
                    # A different applicant per item unless the test says otherwise, so that
                    # items are not each other's repeat candidates (R-ROUTE-4) by accident.
                    or ApplicantData(
                        full_name=f"Жұмабаева Айнұр Серікқызы {n}",
                        iin=fake_iin(n),
                        address=f"Алматы қ., Абай даңғ. {n}",
                    )
                ],
            ),
            addressee=kw.pop("addressee", "Алматы қаласының әкімі"),
            summary=kw.pop("summary", "Жертөледе кәріз құбыры ағып жатыр"),
            arrived_at=kw.pop("arrived_at", almaty(2026, 11, 16, 10, 0)),
            **kw,
        )
        return register(data, actor)

    return make


# --- tests that need one backend's pass only ----------------------------------------------------

EVERY_BACKEND = "1" in (
    os.environ.get("DOCFLOW_TEST_EVERY_BACKEND"),
    os.environ.get("DOCFLOW_TEST_BROWSER_EVERY_BACKEND"),
)


def _postgres_pass_follows() -> bool:
    """``make test`` on CI runs the PostgreSQL pass after this one (scripts/test.sh)."""
    backends = os.environ.get("DOCFLOW_TEST_BACKENDS", "sqlite postgresql")
    return bool(os.environ.get("CI")) and any(b in backends for b in ("postgres", "pg"))


def _one_pass_only(item) -> str | None:
    """Why ``item`` runs in the other backend's pass only, or None.

    SQLite pass only: the tests that drive Chromium (pages and scripts, not SQL) and the slow
    OCR and LibreOffice conversions (files, not SQL). PostgreSQL pass only: the Celery workers on
    a real Redis (the distributed path is the PostgreSQL deployment). The fault tests, which
    kill processes around database writes, run in both."""
    path = str(getattr(item, "path", ""))
    if PG_URL:
        if item.get_closest_marker("browser") or "browser" in getattr(item, "fixturenames", ()):
            return "browser test: runs in the SQLite pass"
        if item.get_closest_marker("slow") and "/tests/faults/" not in path:
            return "OCR/conversion test: runs in the SQLite pass"
    elif item.get_closest_marker("redis") and _postgres_pass_follows():
        return "Celery/Redis test: runs in the PostgreSQL pass"
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Each test that does not depend on the database runs in one backend's pass of ``make
    test`` (see ``_one_pass_only``); DOCFLOW_TEST_EVERY_BACKEND=1 runs everything in both."""
    if EVERY_BACKEND:
        return
    for item in items:
        reason = _one_pass_only(item)
        if reason:
            item.add_marker(
                pytest.mark.skip(reason=reason + " (DOCFLOW_TEST_EVERY_BACKEND=1 here)")
            )
