"""Registration through the API holds the SQLite write lock only while it writes (issue 13).

The token's look-up, the actor's roles and the office settings are read before the write lock
is taken, and the answer is read after the commit without it; the number, the item, its audit
rows, its repeat candidates and its search row are written under it (R-REG-4: gapless).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from docflow.extensions import db
from docflow.registry import api as registry_api
from docflow.registry import operations
from docflow.registry.models import IncomingItem
from tests.conftest import fake_iin
from tests.core.test_db import _other_writer_blocked
from tests.registry import test_api as api_tests

pytestmark = pytest.mark.usefixtures("on_arrival_day")


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("the SQLite write lock")


def payload(n: int) -> dict:
    return api_tests.registration(
        applicants=[
            {"full_name": f"Заявитель Номер {n}", "iin": fake_iin(n), "address": f"Абая {n}"}
        ],
        summary=f"Не работает освещение у дома {n}",
    )


def test_r_reg_4_api_registration_takes_the_write_lock_only_to_write(app, monkeypatch, sqlite_only):
    headers = api_tests.bearer("clerk")
    seen: dict[str, bool] = {}
    prepare, register = registry_api._prepare, operations.register

    def probe_prepare(data):
        prepare(data)
        seen["reads"] = _other_writer_blocked(app)

    def probe_register(data, actor, ahead=None):
        item = register(data, actor, ahead)
        seen["writes"] = _other_writer_blocked(app)
        return item

    monkeypatch.setattr(registry_api, "_prepare", probe_prepare)
    monkeypatch.setattr(operations, "register", probe_register)

    @app.after_request
    def probe_answer(response):
        seen["answer"] = _other_writer_blocked(app)
        return response

    r = app.test_client().post("/api/v1/items", json=payload(1), headers=headers)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["repeat_candidates"] == []
    assert seen == {"reads": False, "writes": True, "answer": False}


def test_r_reg_4_concurrent_api_registrations_get_gapless_numbers(app):
    headers = api_tests.bearer("clerk")
    before = db.session.scalar(select(db.func.count()).select_from(IncomingItem))
    db.session.commit()
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def clerk(worker: int) -> None:
        try:
            c = app.test_client()
            for i in range(5):
                r = c.post("/api/v1/items", json=payload(100 * worker + i), headers=headers)
                answers.append((r.status_code, r.get_json().get("reg_number")))
        except BaseException as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [status for status, _ in answers] == [201] * 20
    numbers = {number for _, number in answers}
    assert len(numbers) == 20
    db.session.rollback()
    rows = db.session.scalars(select(IncomingItem).order_by(IncomingItem.id)).all()
    assert len(rows) == before + 20
    by_journal: dict[tuple[str, int], list[int]] = {}
    for row in rows:
        by_journal.setdefault((row.journal, row.reg_year), []).append(row.reg_seq)
    for seqs in by_journal.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
