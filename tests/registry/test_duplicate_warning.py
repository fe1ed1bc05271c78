"""A likely duplicate asks before it is registered (issue 14; R-REG-4: one paper, one number):
the same applicant (IIN or name) and a similar summary within the office's window."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, update

from docflow.core.audit import AuditEntry
from docflow.core.settings import set_setting
from docflow.extensions import db
from docflow.registry import duplicates
from docflow.registry.models import IncomingItem
from docflow.registry.operations import RegistrationData
from tests.fixtures import page
from tests.registry.test_api import bearer

IIN = "920704404563"
SUMMARY = "Жертөледе кәріз құбыры ағып жатыр, үш күн бойы су тұр"


def body(**changes) -> dict:
    data = {
        "kind": "statement",
        "channel": "eotinish",
        "applicants": [
            {"full_name": "Жұмабаева Айнұр Серікқызы", "iin": IIN, "address": "Алматы қ., Абай 1"}
        ],
        "addressee": "Алматы қаласының әкімі",
        "summary": SUMMARY,
    }
    data.update(changes)
    return data


def count_items() -> int:
    return db.session.scalar(select(func.count()).select_from(IncomingItem))


def test_the_api_answers_409_with_the_earlier_number_unless_confirmed(app):
    c, headers = app.test_client(), bearer("clerk")
    first = c.post("/api/v1/items", json=body(), headers=headers)
    assert first.status_code == 201
    again = c.post("/api/v1/items", json=body(summary=SUMMARY + "."), headers=headers)
    assert again.status_code == 409, again.get_data(as_text=True)
    answer = again.get_json()
    assert answer["error"] == "likely_duplicate"
    assert (answer["reg_number"], answer["item"]) == (
        first.get_json()["reg_number"],
        first.get_json()["id"],
    )
    assert first.get_json()["reg_number"] in answer["message"]
    assert count_items() == 1
    confirmed = c.post("/api/v1/items", json=body(confirm_duplicate=True), headers=headers)
    assert confirmed.status_code == 201
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "register_despite_duplicate")
    ).one()
    assert entry.summary["earlier"] == first.get_json()["reg_number"]


def test_the_same_name_without_an_iin_is_the_same_applicant(app):
    c, headers = app.test_client(), bearer("clerk")
    named = [{"full_name": "Жұмабаева  Айнұр Серікқызы", "address": "Абай 1"}]
    assert c.post("/api/v1/items", json=body(), headers=headers).status_code == 201
    assert c.post("/api/v1/items", json=body(applicants=named), headers=headers).status_code == 409


def test_another_applicant_or_another_question_is_no_duplicate(app):
    c, headers = app.test_client(), bearer("clerk")
    assert c.post("/api/v1/items", json=body(), headers=headers).status_code == 201
    other = [{"full_name": "Серіков Ерлан", "iin": "900101300811", "address": "Абай 2"}]
    assert c.post("/api/v1/items", json=body(applicants=other), headers=headers).status_code == 201
    question = body(summary="Аулада көше жарығы бір айдан бері жанбайды")
    assert c.post("/api/v1/items", json=question, headers=headers).status_code == 201
    assert count_items() == 3


def test_the_window_is_an_office_setting(app):
    c, headers = app.test_client(), bearer("clerk")
    assert c.post("/api/v1/items", json=body(), headers=headers).status_code == 201
    # 31 minutes ago: outside the default window of 30 minutes.
    db.session.execute(
        update(IncomingItem).values(
            registered_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)
        )
    )
    db.session.commit()
    assert c.post("/api/v1/items", json=body(), headers=headers).status_code == 201
    set_setting("duplicate_window_minutes", 120)
    db.session.commit()
    assert c.post("/api/v1/items", json=body(), headers=headers).status_code == 409


def form(**changes) -> dict:
    data = {
        "token": uuid.uuid4().hex,
        "kind": "statement",
        "channel": "post",
        "language": "kk",
        "applicants-0-type": "individual",
        "applicants-0-full_name": "Жұмабаева Айнұр Серікқызы",
        "applicants-0-iin": IIN,
        "applicants-0-address": "Алматы қ., Абай даңғ. 1",
        "addressee": "Алматы қаласының әкімі",
        "summary": SUMMARY,
        "signed": "y",
    }
    data.update(changes)
    return data


def test_the_form_names_the_earlier_registration_and_registers_anyway_when_confirmed(app, web):
    clerk = web("clerk")
    assert clerk.post("/registry/new", data=form()).status_code == 302
    earlier = db.session.scalars(select(IncomingItem)).one()
    # Back + Register again: a fresh form (new token) with the same paper.
    r = clerk.post("/registry/new", data=form())
    assert r.status_code == 422
    text = page(r)
    assert earlier.reg_number in text and 'name="confirm_duplicate"' in text
    assert f'href="/registry/{earlier.public_id}"' in text
    assert count_items() == 1
    r = clerk.post("/registry/new", data=form(confirm_duplicate="y"))
    assert r.status_code == 302 and count_items() == 2


def test_a_nameless_registration_of_the_same_summary_by_the_same_clerk_asks(app, web, users):
    clerk = web("clerk")
    assert clerk.post("/registry/new", data=form()).status_code == 302
    nameless = form(
        **{"applicants-0-full_name": "", "applicants-0-iin": "", "applicants-0-address": ""},
        anonymous="y",
    )
    assert clerk.post("/registry/new", data=nameless).status_code == 422
    # Without a name, only the same clerk's registrations of the window are double entries.
    data = RegistrationData(kind="statement", channel="post", anonymous=True, summary=SUMMARY)
    assert duplicates.find(data, users["clerk"]) is not None
    assert duplicates.find(data, users["controller"]) is None
