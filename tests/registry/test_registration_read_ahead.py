"""The API's registration looks at other items before the write lock and catches up under it
(``registry.read_ahead``, issue 13): what was registered in between is seen as if read under the
lock — an earlier case of the applicant (R-ROUTE-4), a likely duplicate (R-REG-4)."""

from __future__ import annotations

import io
import json

import pytest

from docflow.extensions import db
from docflow.registry import read_ahead
from tests.conftest import fake_iin
from tests.registry import test_api as api_tests

pytestmark = pytest.mark.usefixtures("on_arrival_day")

QUESTION = "Не работает уличное освещение на улице Абая у дома {n}, прошу восстановить"


def body(n: int, summary: str, **changes) -> dict:
    return api_tests.registration(
        applicants=[
            {"full_name": f"Серикбаев Нурлан {n}", "iin": fake_iin(7000 + n), "address": "Абая 5"}
        ],
        summary=summary,
        **changes,
    )


@pytest.fixture
def meanwhile(app, monkeypatch):
    """``meanwhile(payload)``: the next registration's read-ahead is followed by this one,
    registered by another request (and committed) before the first takes the write lock."""
    pending: list[dict] = []
    answers: list = []
    read = read_ahead.read

    def read_then_another(data, actor):
        ahead = read(data, actor)
        while pending:
            r = app.test_client().post(
                "/api/v1/items", json=pending.pop(), headers=api_tests.bearer("clerk")
            )
            answers.append(r)
        return ahead

    monkeypatch.setattr(read_ahead, "read", read_then_another)

    def register_meanwhile(payload: dict) -> list:
        pending.append(payload)
        return answers

    return register_meanwhile


def repeat_of(n: int) -> str:
    return f"Повторно: {QUESTION.format(n=n).lower()}; первое обращение от 3.11.2026 не решено"


def test_r_route_4_an_earlier_case_registered_during_the_reads_is_a_candidate(app, meanwhile):
    c, headers = app.test_client(), api_tests.bearer("clerk")
    answers = meanwhile(body(1, QUESTION.format(n=12), arrived_at="2026-11-20T09:00:00+05:00"))
    r = c.post("/api/v1/items", json=body(1, repeat_of(12)), headers=headers)
    assert r.status_code == 201, r.get_data(as_text=True)
    [earlier] = answers
    assert earlier.status_code == 201
    found = {cand["reg_number"] for cand in r.get_json()["repeat_candidates"]}
    assert earlier.get_json()["reg_number"] in found


def test_a_likely_duplicate_registered_during_the_reads_asks_first(app, meanwhile):
    c, headers = app.test_client(), api_tests.bearer("clerk")
    answers = meanwhile(body(2, QUESTION.format(n=40)))
    r = c.post("/api/v1/items", json=body(2, QUESTION.format(n=40) + "."), headers=headers)
    [earlier] = answers
    assert earlier.status_code == 201
    assert r.status_code == 409, r.get_data(as_text=True)
    assert r.get_json()["reg_number"] == earlier.get_json()["reg_number"]


def test_the_reads_ahead_find_what_reads_under_the_lock_find(app, backend):
    from docflow.org.models import user_by_username
    from docflow.registry import operations, repeats
    from docflow.registry.operations import ApplicantData, RegistrationData

    c, headers = app.test_client(), api_tests.bearer("clerk")
    for n in range(6):  # earlier cases: three applicants, two questions each
        arrived = f"2026-11-20T0{n}:00:00+05:00"
        r = c.post(
            "/api/v1/items",
            json=body(n % 3, QUESTION.format(n=n), arrived_at=arrived),
            headers=headers,
        )
        assert r.status_code == 201, r.get_data(as_text=True)
    clerk = user_by_username("clerk")
    for n in range(3):
        [who] = body(n, "")["applicants"]
        data = RegistrationData(
            kind="statement",
            channel="eotinish",
            applicants=[ApplicantData(**who)],
            addressee="Акиму города",
            summary=repeat_of(n),
        )
        ahead = read_ahead.read(data, clerk)
        if backend != "sqlite":
            assert ahead is None  # ids do not follow commits there: read under the locks
            continue
        item = operations.register(data, clerk)  # read under the lock
        under_lock = [row.candidate_id for row in repeats.candidates_of(item)]
        assert under_lock  # the applicant's earlier case on the question
        assert sorted(under_lock) == sorted(c.item.id for c in ahead.candidates if c.similar)
        db.session.rollback()


def test_the_registration_answer_is_what_reading_the_item_back_gives(app):
    c, headers = app.test_client(), api_tests.bearer("clerk")
    first = c.post("/api/v1/items", json=body(3, QUESTION.format(n=77)), headers=headers)
    assert first.status_code == 201
    again = body(3, repeat_of(77), link_to=[{"item": first.get_json()["id"], "kind": "repeat"}])
    r = c.post(
        "/api/v1/items",
        data={
            "data": json.dumps(again),
            "files": [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "letter.pdf")],
        },
        headers=headers,
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    answer = r.get_json()
    back = c.get(f"/api/v1/items/{answer['id']}", headers=headers).get_json()
    for key in ("links", "repeat_candidates", "attachments", "applicants", "state"):
        assert answer[key] == back[key], key
    assert answer["links"] and answer["repeat_candidates"] and answer["attachments"]
