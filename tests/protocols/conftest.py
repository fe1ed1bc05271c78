from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.org.models import Official, user_by_username
from docflow.protocols.models import ReceptionSession
from docflow.protocols.workflow import SESSION
from docflow.registry.operations import ApplicantData, RegistrationData, register
from tests.registry.conftest import almaty


@pytest.fixture
def controller(app):
    return user_by_username("controller")


@pytest.fixture
def akim_official(app):
    return db.session.scalar(select(Official).where(Official.code == "AKIM"))


@pytest.fixture
def make_request(app, clerk):
    """A registered request for personal reception."""

    def make(
        name="Серикбаев Нурлан Аскарович",
        iin="850315301235",
        summary="Ыстық су жоқ, үш апта",
        arrived=None,
    ):
        data = RegistrationData(
            kind="reception_request",
            channel="by_hand",
            applicants=[ApplicantData(full_name=name, iin=iin, address="Алматы, Абай 10")],
            addressee="Алматы қаласының әкімі",
            summary=summary,
            arrived_at=arrived or almaty(2026, 11, 16, 10, 0),
        )
        return register(data, clerk)

    return make


@pytest.fixture
def make_session(app, akim_official, controller):
    def make(days_ahead: int = 10, start=dt.time(10, 0), end=dt.time(12, 0)):
        cal = get_calendar()
        day = cal.add_working_days(cal.local_now().date(), days_ahead)
        s = ReceptionSession(
            official_id=akim_official.id, date=day, start=start, end=end, slot_minutes=15
        )
        db.session.add(s)
        SESSION.initialize(s, controller)
        db.session.flush()
        return s

    return make
