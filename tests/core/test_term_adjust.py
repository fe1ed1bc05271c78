"""Terms on the working calendar (R-DEADLINE-3): a term on a non-working day moves to the next
working day, or back to the previous one where moving on would pass a legal cap (R-DEADLINE-2);
the user is told why, and the real length of a term is counted from its dates."""

from __future__ import annotations

import datetime as dt

import pytest

from docflow.core.calendar import WorkingCalendar, adjust_term
from docflow.core.workflow import history
from docflow.routing import operations as ops
from docflow.routing.handlers import RuleViolation
from docflow.routing.terms import extension_note

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def test_r_deadline_3_a_term_on_a_holiday_ends_on_the_next_working_day(cal):
    # 1 and 2 January are New Year, 3 January a Sunday, 4 January New Year observed.
    adjusted = cal.adjust_term(D("2027-01-01"))
    assert (adjusted.day, adjusted.why, adjusted.moved) == (D("2027-01-05"), "holiday", True)


def test_r_deadline_3_a_term_on_a_weekend_ends_on_monday(cal):
    adjusted = cal.adjust_term(D("2026-12-05"))  # a Saturday
    assert (adjusted.day, adjusted.why) == (D("2026-12-07"), "day_off")


def test_r_deadline_3_a_working_day_stays(cal):
    adjusted = cal.adjust_term(D("2026-12-30"))
    assert (adjusted.day, adjusted.why, adjusted.moved) == (D("2026-12-30"), None, False)


def test_r_deadline_2_where_the_next_working_day_passes_the_cap_the_term_moves_back(cal):
    adjusted = cal.adjust_term(D("2027-01-01"), cap=D("2027-01-03"))
    assert (adjusted.day, adjusted.backward) == (D("2026-12-31"), True)
    # A cap the next working day does not pass changes nothing.
    assert cal.adjust_term(D("2027-01-01"), cap=D("2027-01-05")).day == D("2027-01-05")


def test_r_deadline_3_profile_day_off_moves_a_term_too():
    office = WorkingCalendar(days_off={D("2026-12-30")}, notes={D("2026-12-30"): "Decree No. 1"})
    adjusted = office.adjust_term(D("2026-12-30"))
    assert (adjusted.day, adjusted.why) == (D("2026-12-31"), "holiday")


def test_r_deadline_1_the_real_length_of_a_term_is_counted_from_its_dates(cal):
    start = D("2026-11-16")
    due = cal.add_working_days(start, 20)
    assert cal.term_length(start, due) == 20
    # After an extension the length follows the due date, not the kind's standard 20 days.
    assert cal.term_length(start, D("2026-12-31")) == cal.working_days_between(
        start, D("2026-12-31")
    )
    assert cal.term_length(start, D("2026-12-16"), "calendar") == 30
    later = WorkingCalendar(arrival_day_counts=False)
    assert later.term_length(start, later.add_working_days(start, 15)) == 15


def test_r_deadline_3_the_user_is_told_why_the_term_moved(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        day, why = adjust_term(D("2027-01-01"))
        assert day == D("2027-01-05")
        assert "1 Jan 2027" in why and "5 Jan 2027" in why and "holiday" in why
        day, why = adjust_term(D("2027-01-01"), cap=D("2027-01-03"))
        assert day == D("2026-12-31") and "legal limit" in why and "3 Jan 2027" in why
        assert adjust_term(D("2026-12-30")) == (D("2026-12-30"), None)


def test_r_deadline_2_an_extension_to_a_holiday_ends_on_the_next_working_day(routed, users):
    item = routed("in_work")  # registered 16 November 2026: two months end 16 January 2027
    ext = ops.extend(
        item, users["head.energy"], basis="decision", new_due=D("2027-01-01"), reason="экспертиза"
    )
    assert (ext.new_due, item.due_date) == (D("2027-01-05"), D("2027-01-05"))
    assert history(item)[-1].params["new_due"] == "2027-01-05"


def test_r_deadline_2_an_extension_by_letter_to_its_cap_on_a_holiday_moves_back(app, routed, users):
    item = routed("in_work")
    cap = ops.extension_cap(item, "letter")  # 16 November + 30 days = 16 December: Independence Day
    assert cap == D("2026-12-16")
    ext = ops.extend(item, users["controller"], basis="letter", new_due=cap, reason="запрос в КСК")
    assert ext.new_due == D("2026-12-15") and ext.new_due <= cap
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "15 Dec 2026" in extension_note(item, "letter", cap)
        assert extension_note(item, "letter", D("2026-12-15")) is None


def test_r_deadline_2_a_term_moved_back_to_the_current_one_is_refused(routed, users):
    item = routed("in_work")
    ops.extend(item, users["controller"], basis="letter", new_due=D("2026-12-15"), reason="x")
    with pytest.raises(RuleViolation, match="later than"):
        # 16 December moves back to the 15th: no later than the term already set.
        ops.extend(item, users["controller"], basis="letter", new_due=D("2026-12-16"), reason="y")


def test_r_deadline_3_a_term_given_at_routing_is_not_left_on_a_day_off(make_item, users):
    item = make_item()  # the term of the minutes, given at routing (R-PROT-1)
    ops.distribute(item, users["controller"], ["ENERGY"], due=D("2027-01-02"))
    assert item.due_date == D("2027-01-05")


def test_item_page_shows_the_real_term_length(app, routed, users, web):
    from tests.fixtures import page

    item = routed("in_work")
    ops.extend(
        item, users["head.energy"], basis="decision", new_due=D("2027-01-01"), reason="экспертиза"
    )
    from docflow.extensions import db

    db.session.commit()
    cal = WorkingCalendar()
    length = cal.term_length(item.registration_date, D("2027-01-05"))
    body = page(web("controller").get(f"/registry/{item.public_id}"))
    assert f"({length} working days)" in body and length != item.term_days
