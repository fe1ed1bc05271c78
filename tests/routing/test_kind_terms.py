"""R-KIND-2: every kind and term of the profile can be registered; an internal assignment
without a term gets one calendar month, ending on a working day."""

from __future__ import annotations

import datetime as dt

import pytest

from docflow.core.settings import get_setting, set_setting
from docflow.extensions import db
from docflow.registry.operations import RegistrationError
from docflow.routing import kind_terms
from tests.fixtures import page
from tests.registry.conftest import almaty


def test_r_kind_2_every_profile_kind_is_offered_and_accepted(app, make_item, web):
    terms = get_setting("terms")
    offered = page(web("clerk").get("/registry/new"))
    for kind, term in terms.items():
        assert f'value="{kind}"' in offered, kind  # offered on the registration page
        item = make_item(kind=kind, arrived_at=almaty(2026, 10, 15, 10, 0))  # and accepted
        assert (item.term_days, item.term_unit) == (term["days"], term["unit"]), kind
        assert item.due_date == kind_terms.due_from(item.registration_date, term), kind


def test_r_kind_2_profile_kinds_and_their_terms(app, make_item):
    start = almaty(2026, 10, 15, 10, 0)  # Thursday
    bailiff = make_item(kind="bailiff_request", arrived_at=start)
    assert bailiff.due_date == dt.date(2026, 10, 19)  # 3 working days, arrival day is day 1
    info = make_item(kind="information_request", arrived_at=start)
    assert (info.term_unit, info.due_date) == ("calendar", dt.date(2026, 10, 30))  # 15 calendar
    # A profile kind is an appeal: it needs its applicant (R-REG-5) like a written one.
    with pytest.raises(RegistrationError) as exc:
        make_item(kind="media_request", applicants=[])
    assert "applicants" in exc.value.errors


def test_r_kind_2_a_kind_only_the_profile_names(app, make_item, web):
    terms = dict(get_setting("terms"))
    terms["deputy_request"] = {
        "days": 10,
        "unit": "working",
        "names": {"en": "Deputy's request", "ru": "Депутатский запрос", "kk": "Депутаттық сауал"},
    }
    set_setting("terms", terms)
    db.session.commit()
    assert "Deputy's request" in page(web("clerk").get("/registry/new"))
    item = make_item(kind="deputy_request", arrived_at=almaty(2026, 10, 15, 10, 0))
    assert (item.term_days, item.due_date) == (
        10,
        dt.date(2026, 10, 29),
    )  # 26 Oct: Republic Day moved
    with pytest.raises(RegistrationError) as exc:
        make_item(kind="no_such_kind")
    assert "kind" in exc.value.errors


@pytest.mark.parametrize(
    ("arrived", "due"),
    [
        (almaty(2026, 10, 15, 10, 0), dt.date(2026, 11, 16)),  # 15 Nov is a Sunday → Monday
        (almaty(2026, 11, 20, 10, 0), dt.date(2026, 12, 21)),  # 20 Dec is a Sunday → Monday
        (almaty(2026, 1, 30, 10, 0), dt.date(2026, 3, 2)),  # 28 Feb (Sat) → Mon 2 March
        (almaty(2026, 2, 9, 10, 0), dt.date(2026, 3, 10)),  # 8 March (Sun) observed Mon 9 → Tue
    ],
)
def test_r_kind_2_internal_assignment_without_a_term_gets_one_month(app, make_item, arrived, due):
    terms = get_setting("terms")
    assert "assignment" not in terms  # the demo profile gives it no term
    item = make_item(kind="assignment", applicants=[], arrived_at=arrived)
    assert item.due_date == due
    assert item.due_date == kind_terms.assignment_due(item.registration_date)
    assert item.term_unit == "calendar"  # shown and recounted as the month's calendar days


def test_r_kind_2_an_assignment_term_in_the_profile_wins(app, make_item):
    terms = dict(get_setting("terms"))
    terms["assignment"] = {"days": 10, "unit": "working"}
    set_setting("terms", terms)
    db.session.commit()
    item = make_item(kind="assignment", applicants=[], arrived_at=almaty(2026, 10, 15, 10, 0))
    assert item.due_date == dt.date(2026, 10, 29)


def test_r_kind_2_an_imported_assignment_counts_its_month_from_its_own_start(app, monkeypatch):
    """A case imported from another system: the month counts from the case's registration
    (April: 30 days), not from the day of the import (December: 31 days)."""
    import json

    from docflow.core.calendar import WorkingCalendar
    from docflow.exchange.importer import import_cases
    from docflow.registry.models import item_by_number

    monkeypatch.setattr(
        WorkingCalendar, "local_now", lambda self: dt.datetime(2026, 12, 2, 9, 0, tzinfo=self.tz)
    )
    at = "2026-04-15T10:00:00+05:00"
    line = json.dumps(
        {
            "reg_number": "ЖТ-IMP-00001",
            "kind": "assignment",
            "received_at": at,
            "registered_at": at,
            "applicants": [],
            "summary": "Ішкі тапсырма",
            "events": [],
        },
        ensure_ascii=False,
    )
    import_cases([line], "gen")
    db.session.commit()
    item = item_by_number("ЖТ-IMP-00001")
    assert item.registration_date == dt.date(2026, 4, 15)
    assert item.due_date == dt.date(2026, 5, 15)  # counted from December: 16 May (Sat) → 18 May
