"""A document registered later than it arrived (R-REG-3, R-REG-4, R-DEADLINE-1): the reason is
required and audited, the number is of the day it is registered, the arrival stays as given and
the term counts from the arrival."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from docflow.core.audit import AuditEntry
from docflow.core.calendar import WorkingCalendar, get_calendar
from docflow.extensions import db
from docflow.registry.models import IncomingItem
from tests.fixtures import page
from tests.registry.conftest import almaty
from tests.registry.test_api import bearer

D = dt.date.fromisoformat
IIN = "920704404563"
TODAY = dt.datetime(2026, 1, 14, 10, 0)  # a Wednesday, in working hours


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(WorkingCalendar, "local_now", lambda self: TODAY.replace(tzinfo=self.tz))
    return TODAY.date()


def body(**changes) -> dict:
    data = {
        "kind": "statement",
        "channel": "post",
        "arrived_at": "2025-12-19T10:30:00+05:00",  # a Friday of the year before
        "applicants": [
            {"full_name": "Жұмабаева Айнұр Серікқызы", "iin": IIN, "address": "Алматы қ., Абай 1"}
        ],
        "addressee": "Алматы қаласының әкімі",
        "summary": "Жертөледе кәріз құбыры ағып жатыр",
    }
    data.update(changes)
    return data


def post(app, data):
    return app.test_client().post("/api/v1/items", json=data, headers=bearer("clerk"))


def count_items() -> int:
    return db.session.scalar(select(func.count()).select_from(IncomingItem))


def test_r_reg_3_a_past_arrival_without_a_reason_is_400_and_not_registered(app, today):
    r = post(app, body())
    assert r.status_code == 400, r.get_data(as_text=True)
    answer = r.get_json()
    assert answer["error"] == "arrival_reason_required"
    assert "arrival_reason" in answer["fields"]
    assert "19 Dec 2025" in answer["message"]
    assert count_items() == 0


def test_r_reg_4_a_late_registration_takes_the_number_of_the_day_it_is_registered(app, today):
    r = post(app, body(arrival_reason="Found in the post of the closed branch office"))
    assert r.status_code == 201, r.get_data(as_text=True)
    item = db.session.scalars(select(IncomingItem)).one()
    assert (item.reg_year, item.registration_date) == (2026, today)
    assert item.reg_number.startswith("ЖТ-2026-")
    assert item.arrived_at == almaty(2025, 12, 19, 10, 30)  # the arrival as given
    assert item.arrival_reason == "Found in the post of the closed branch office"
    # R-DEADLINE-1: the term counts from the arrival, not from the late registration.
    assert item.due_date == get_calendar().add_working_days(D("2025-12-19"), 15)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "register_late")).one()
    assert entry.summary["reason"] == item.arrival_reason
    assert (entry.summary["arrived"], entry.summary["registered"]) == ("2025-12-19", "2026-01-14")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from docflow.core.history_text import describe
        from docflow.main.history import load_texts

        load_texts()
        sentence = describe(entry).text  # the audit trail reads it as a sentence
    assert "later than it arrived" in sentence and "19 Dec 2025" in sentence
    assert item.arrival_reason in sentence


def test_r_reg_3_arrival_on_a_day_off_registered_on_the_next_working_day_needs_no_reason(
    app, monkeypatch
):
    monday = dt.datetime(2026, 11, 23, 10, 0)
    monkeypatch.setattr(WorkingCalendar, "local_now", lambda self: monday.replace(tzinfo=self.tz))
    r = post(app, body(arrived_at="2026-11-21T11:00:00+05:00"))  # a Saturday
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["registration_date"] == "2026-11-23"
    assert db.session.scalars(select(IncomingItem)).one().arrival_reason is None


def test_r_reg_3_registered_in_the_evening_of_its_arrival_day_needs_no_reason(app, monkeypatch):
    evening = dt.datetime(2026, 11, 18, 19, 0)  # Wednesday, after working hours
    monkeypatch.setattr(WorkingCalendar, "local_now", lambda self: evening.replace(tzinfo=self.tz))
    r = post(app, body(arrived_at="2026-11-18T10:00:00+05:00"))
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["registration_date"] == "2026-11-18"  # the day of arrival (R-REG-3)


def form(**changes) -> dict:
    data = {
        "token": uuid.uuid4().hex,
        "kind": "statement",
        "channel": "post",
        "language": "kk",
        "arrived_at": "2025-12-29T10:30",  # a Monday of the year before
        "applicants-0-type": "individual",
        "applicants-0-full_name": "Жұмабаева Айнұр Серікқызы",
        "applicants-0-iin": IIN,
        "applicants-0-address": "Алматы қ., Абай даңғ. 1",
        "addressee": "Алматы қаласының әкімі",
        "summary": "Жертөледе кәріз құбыры ағып жатыр",
        "signed": "y",
    }
    data.update(changes)
    return data


def test_r_reg_3_the_form_asks_for_the_reason_then_registers_today(app, web, today):
    clerk = web("clerk")
    r = clerk.post("/registry/new", data=form())
    assert r.status_code == 422
    text = page(r)
    assert 'name="arrival_reason"' in text and "give the reason" in text
    assert 'id="arrival-reason" data-today="2026-01-14" hidden' not in text  # shown
    assert count_items() == 0
    r = clerk.post("/registry/new", data=form(arrival_reason="Brought from the district akimat"))
    assert r.status_code == 302
    item = db.session.scalars(select(IncomingItem)).one()
    assert (item.registration_date, item.arrival_reason) == (
        today,
        "Brought from the district akimat",
    )
    shown = page(clerk.get(r.headers["Location"]))
    assert "Brought from the district akimat" in shown
    assert "its term counts from the arrival" in shown
    assert "already overdue" not in shown  # 15 working days from 29 December: 21 January

    far = clerk.post(
        "/registry/new",
        data=form(
            arrived_at="2025-10-01T10:00",
            summary="Көше жарығы жанбайды",
            arrival_reason="Found in an archive box",
        ),
    )
    assert "the item is already overdue" in page(clerk.get(far.headers["Location"]))


def test_the_reason_field_is_hidden_for_an_arrival_of_today(app, web, today):
    text = page(web("clerk").get("/registry/new"))
    assert 'id="arrival-reason" data-today="2026-01-14" hidden' in text
