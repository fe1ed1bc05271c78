from __future__ import annotations

import datetime as dt

import pytest

from docflow.org.models import user_by_username
from docflow.registry.operations import ApplicantData, RegistrationData, register

ALMATY = dt.timezone(dt.timedelta(hours=5))


def almaty(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ALMATY)


@pytest.fixture
def clerk(app):
    return user_by_username("clerk")


@pytest.fixture
def make_item(app, clerk):
    """Register an item with sensible defaults; keyword arguments override RegistrationData."""

    def make(**kw):
        actor = kw.pop("actor", None) or clerk
        applicant = kw.pop("applicant", None)
        data = RegistrationData(
            kind=kw.pop("kind", "statement"),
            channel=kw.pop("channel", "post"),
            applicants=kw.pop(
                "applicants",
                [
                    applicant
                    or ApplicantData(
                        full_name="Жұмабаева Айнұр Серікқызы",
                        iin="920704404563",
                        address="Алматы қ., Абай даңғ. 1",
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
