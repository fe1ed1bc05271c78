"""Outgoing notices to applicants: each notice the law requires is registered once, with a gapless
number of the outgoing journal (R-REG-4), its kk/ru texts and its due date, where it arises:
R-REG-5, R-REG-6, R-ROUTE-2, R-DEADLINE-2, R-RECV-11, R-RECV-12, R-RECV-8."""

from __future__ import annotations

import datetime as dt

import pytest

from docflow.core.calendar import get_calendar
from docflow.core.security import AccessDenied
from docflow.core.settings import get_setting, set_setting
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.outgoing import hooks
from docflow.outgoing import operations as out
from docflow.protocols import operations as reception
from docflow.protocols import schedules
from docflow.registry.operations import ApplicantData
from docflow.routing import operations as routing_ops
from tests.outgoing.helpers import ddmmyyyy, notices, today

AKIM_NAME = "Ерғали Сапарұлы Төлегенов"
NAME = "Жұмабаева Айнұр Серікқызы"


def only(item, kind):
    found = notices(item)
    assert [n.kind for n in found] == [kind], found
    return found[0]


def assert_item_number_in_both(n, item):
    assert item.reg_number in n.text_kk and item.reg_number in n.text_ru
    assert ddmmyyyy(item.registration_date) in n.text_kk
    assert ddmmyyyy(item.registration_date) in n.text_ru


def no_address():
    return ApplicantData(full_name=NAME, iin="920704404563", address=None)


# --- R-REG-5 / R-REG-6: the registry -----------------------------------------------------------


def test_r_reg_5_correction_request_is_a_registered_notice(make_item, clerk):
    item = make_item(applicant=no_address())
    assert item.state == "awaiting_correction"
    n = only(item, "correction")
    cal = get_calendar()
    assert n.due_on == cal.add_working_days(item.registration_date, 3) == dt.date(2026, 11, 18)
    assert (n.journal, n.reg_year, n.reg_seq) == ("outgoing", today().year, 1)
    assert n.reg_number == f"ИХ-{today().year}-000001"
    assert_item_number_in_both(n, item)
    assert "пошталық мекенжайы" in n.text_kk and "почтовый адрес" in n.text_ru
    assert ddmmyyyy(item.correction_due) in n.text_kk and ddmmyyyy(item.correction_due) in n.text_ru
    assert clerk.display_name in n.text_kk and clerk.display_name in n.text_ru
    assert NAME in n.recipient and n.registered_by_id == clerk.id and n.sent_on is None
    assert n.language == "kk"  # unknown language of the appeal: the state language


def test_r_reg_5_complete_appeal_needs_no_notice(make_item):
    item = make_item()
    assert item.state == "registered" and notices(item) == []


def test_r_reg_6_left_without_consideration_is_a_registered_notice(make_request):
    item = make_request(summary="")
    assert item.state == "left_without_consideration"
    n = only(item, "left_without_consideration")
    assert n.due_on == get_calendar().add_working_days(item.registration_date, 3)
    assert n.reg_seq == 1
    assert_item_number_in_both(n, item)
    assert "қараусыз қалдырылды" in n.text_kk and "оставлена без рассмотрения" in n.text_ru


# --- R-ROUTE-2 / R-DEADLINE-2: routing ----------------------------------------------------------


def test_r_route_2_forwarding_notice_due_by_the_forwarding_deadline(make_item, users):
    item = make_item()
    fwd = routing_ops.forward(
        item, users["controller"], body="ҚР Энергетика министрлігі", partial=False
    )
    n = only(item, "forwarding")
    assert n.due_on == fwd.deadline == routing_ops.forwarding_deadline(item)
    assert (n.source_type, n.source_id) == ("forwarding", fwd.id)
    assert_item_number_in_both(n, item)
    assert "ҚР Энергетика министрлігі" in n.text_kk and "ҚР Энергетика министрлігі" in n.text_ru
    assert "65" in n.text_kk and "статьей 65" in n.text_ru

    out.mark_sent(n, users["clerk"], channel="post")
    db.session.commit()
    assert n.sent_on == today() and n.channel == "post" and n.sent_by_id == users["clerk"].id
    assert fwd.notice_sent_at == today()  # routing asks outgoing (one source)


def test_r_route_2_partial_forwarding_says_in_part(routed, users):
    item = routed("in_work")
    routing_ops.forward(item, users["controller"], body="Полиция департаменті", partial=True)
    n = only(item, "forwarding")
    assert "бөлігінде" in n.text_kk and "в части вопросов" in n.text_ru


def test_r_route_2_marked_in_the_routing_panel_is_sent_in_the_journal(make_item, users):
    item = make_item()
    fwd = routing_ops.forward(item, users["controller"], body="Министерство", partial=False)
    routing_ops.mark_notice_sent(fwd, users["controller"])
    n = only(item, "forwarding")
    assert n.sent_on == today() and n.channel is None
    assert n not in out.overdue(today() + dt.timedelta(days=30))


def test_r_deadline_2_extension_notice_due_by_notice_due(routed, users):
    # A profile where extension notices need no head's signature: registered at once, as the
    # other notices (the default — signed by the head — is in test_notice_letters.py).
    set_setting("letters", {"signature_required": ["final_answer", "refusal"]})
    item = routed("in_work")
    old = item.due_date
    new_due = item.registration_date + dt.timedelta(days=30)
    ext = routing_ops.extend(
        item, users["controller"], basis="letter", new_due=new_due, reason="КСК-ға сұрау салынды."
    )
    n = only(item, "extension")
    assert n.due_on == ext.notice_due
    assert (n.source_type, n.source_id) == ("extension", ext.id)
    assert_item_number_in_both(n, item)
    for text in (n.text_kk, n.text_ru):
        # the real new term (R-DEADLINE-3: 30 days from 16 November is a holiday, moved back)
        assert ddmmyyyy(old) in text and ddmmyyyy(ext.new_due) in text
        assert "КСК-ға сұрау салынды." in text and ".." not in text
    assert users["controller"].display_name in n.text_ru

    out.mark_sent(n, users["controller"], channel="email")
    db.session.commit()
    assert ext.notice_sent_at == today() and n.channel == "email"


# --- R-RECV-11 / -12 / -8: personal reception ---------------------------------------------------


@pytest.fixture
def listed(make_request, make_session, akim_official, controller):
    """A request signed up (Russian chosen), proposed for a session and put into the list."""
    session = make_session(days_ahead=10)
    item = make_request()
    signup = reception.create_signup(item, akim_official, controller, language="ru")
    reception.propose_date(signup, session, controller, "Күнді белгілеу ұсынылады")
    reception.distribute_list(session, controller)
    db.session.commit()
    return item, signup, session


def test_r_recv_11_inclusion_and_time_notices_when_the_list_is_made(listed, controller):
    item, signup, session = listed
    found = notices(item)
    assert [n.kind for n in found] == ["signup_inclusion", "signup_time"]
    inclusion, time_notice = found
    assert inclusion.due_on == signup.inclusion_notice_due
    assert inclusion.due_on == get_calendar().add_working_days(item.registration_date, 15)
    assert time_notice.due_on == signup.time_notice_due
    assert [n.reg_seq for n in found] == [1, 2]
    assert all(n.language == "ru" for n in found)  # R-RECV-10: the applicant's choice
    for n in found:
        assert_item_number_in_both(n, item)
        for text in (n.text_kk, n.text_ru):
            assert AKIM_NAME in text and ddmmyyyy(session.date) in text
    assert "10:00" in time_notice.text_kk and "10:00" in time_notice.text_ru
    assert time_notice.text == time_notice.text_ru

    # The list made again: no second notice.
    reception.distribute_list(session, controller)
    assert len(notices(item)) == 2

    out.mark_sent(inclusion, controller, channel="phone")
    out.mark_sent(time_notice, controller, channel="egov")
    db.session.commit()
    assert signup.inclusion_notice_sent_on == today() and signup.time_notice_sent_on == today()


def test_r_recv_12_draft_refusal_goes_out_the_day_it_is_proposed(
    make_request, akim_official, controller
):
    item = make_request()
    signup = reception.create_signup(item, akim_official, controller)
    reception.propose_refusal(
        signup, controller, ground="decision_exists", note="Осы мәселе бойынша шешім бар"
    )
    n = only(item, "hearing_draft")
    cal = get_calendar()
    assert n.due_on == signup.preliminary_sent_on == today()
    # At least 3 working days between the draft going out and the decision (АППК art. 73).
    assert cal.working_days_between(n.due_on, signup.decision_on - dt.timedelta(days=1)) >= 3
    assert_item_number_in_both(n, item)
    for text in (n.text_kk, n.text_ru):
        assert ddmmyyyy(signup.objection_due) in text and ddmmyyyy(signup.decision_on) in text
        assert AKIM_NAME in text and "Осы мәселе бойынша шешім бар." in text
    assert "шешім бұрын қабылданған" in n.text_kk and "уже имеется решение" in n.text_ru
    assert "73" in n.text_kk and "статьей 73" in n.text_ru


def test_r_recv_8_cancelled_reception_notice_due_on_the_day(listed, controller):
    item, signup, session = listed
    schedules.cancel_session(session, controller, "Іссапар")
    db.session.commit()
    assert signup.state == "pending"  # back to scheduling
    assert [x.kind for x in notices(item)] == [
        "signup_inclusion",
        "signup_time",
        "reception_cancelled",
    ]
    n = only_kind(item, "reception_cancelled")
    assert n.due_on == today() and n.language == "ru"
    assert (n.source_type, n.source_id) == ("reception_session", session.id)
    assert_item_number_cancel(n, item, session)


def only_kind(item, kind):
    found = notices(item, kind)
    assert len(found) == 1, found
    return found[0]


def assert_item_number_cancel(n, item, session):
    assert item.reg_number in n.text_kk and item.reg_number in n.text_ru
    assert ddmmyyyy(session.date) in n.text_kk and ddmmyyyy(session.date) in n.text_ru
    assert "өтпейді" in n.text_kk and "не состоится" in n.text_ru
    assert AKIM_NAME in n.text_kk and AKIM_NAME in n.text_ru


# --- numbers, idempotency, the journal's format -------------------------------------------------


def test_r_reg_4_numbers_are_gapless_across_hooks_and_rollbacks(make_item, make_request, users):
    first = make_item(applicant=no_address())
    db.session.commit()
    # A registration that rolls back takes its number back with it.
    with db.session.begin_nested() as savepoint:
        make_item(applicant=no_address())
        savepoint.rollback()
    second = make_request(summary="")
    third = make_item()
    routing_ops.forward(third, users["controller"], body="Министерство", partial=False)
    db.session.commit()
    found = notices()
    assert [n.reg_seq for n in found] == [1, 2, 3]
    assert [n.item_id for n in found] == [first.id, second.id, third.id]
    year = today().year
    assert [n.reg_number for n in found] == [f"ИХ-{year}-00000{i}" for i in (1, 2, 3)]


def test_hooks_are_idempotent_per_kind_item_and_due_date(make_item, clerk):
    item = make_item(applicant=no_address())
    first = only(item, "correction")
    assert hooks.correction_requested(item, clerk).id == first.id
    again = out.register_notice(
        "correction", item, clerk, text_kk="басқа", text_ru="другой", due_on=first.due_on
    )
    assert again.id == first.id and again.text_kk == first.text_kk  # never rewritten
    other_day = out.register_notice(
        "correction",
        item,
        clerk,
        text_kk="басқа",
        text_ru="другой",
        due_on=first.due_on + dt.timedelta(days=7),
    )
    assert other_day.id != first.id and other_day.reg_seq == first.reg_seq + 1


def test_register_notice_refuses_unknown_kind_and_missing_text(make_item, clerk):
    item = make_item()
    with pytest.raises(out.OutgoingError):
        out.register_notice("gossip", item, clerk, text_kk="a", text_ru="b", due_on=today())
    with pytest.raises(out.OutgoingError):
        out.register_notice("extension", item, clerk, text_kk=" ", text_ru="b", due_on=today())
    assert notices(item) == []


def test_r_reg_4_number_format_from_the_profile_journal(make_item, app):
    journals = list(get_setting("journals") or [])
    set_setting(
        "journals",
        [*journals, {"code": "outgoing", "prefix": "ШХ", "format": "{prefix}/{year}/{number:04d}"}],
    )
    item = make_item(applicant=no_address())
    assert only(item, "correction").reg_number == f"ШХ/{today().year}/0001"
    assert item.reg_number.startswith("ЖТ-")  # incoming items keep their own journal


# --- deadlines watched ---------------------------------------------------------------------------


def _notice(item, clerk, due_on, kind="extension"):
    return out.register_notice(kind, item, clerk, text_kk="мәтін", text_ru="текст", due_on=due_on)


def test_overdue_and_due_soon(make_item, clerk):
    cal = get_calendar()
    day = today()
    item = make_item()
    late = _notice(item, clerk, day - dt.timedelta(days=3))
    due_today = _notice(item, clerk, day)
    soon = _notice(item, clerk, cal.next_working_day(cal.next_working_day(day)))
    far = _notice(item, clerk, day + dt.timedelta(days=30))
    db.session.commit()
    assert out.overdue(day) == [late]
    assert out.due_soon(day) == [due_today, soon]
    assert far not in out.due_soon(day) and far in out.overdue(far.due_on + dt.timedelta(days=1))
    out.mark_sent(late, clerk, channel="handed", sent_on=day)
    assert out.overdue(day) == []
    assert late.sent_on > late.due_on  # sent late: still on record as late


def test_mark_sent_rules(make_item, clerk, users):
    item = make_item(applicant=no_address())
    n = only(item, "correction")
    for username in ("inspector", "head.energy", "exec.energy"):
        with pytest.raises(AccessDenied):
            out.mark_sent(n, user_by_username(username), channel="post")
    with pytest.raises(out.OutgoingError, match="how"):
        out.mark_sent(n, clerk, channel="pigeon")
    with pytest.raises(out.OutgoingError, match="future"):
        out.mark_sent(n, clerk, channel="post", sent_on=today() + dt.timedelta(days=1))
    with pytest.raises(out.OutgoingError, match="before it was registered"):
        out.mark_sent(n, clerk, channel="post", sent_on=today() - dt.timedelta(days=5))
    assert n.sent_on is None
    out.mark_sent(n, users["controller"], channel="post")
    with pytest.raises(out.OutgoingError, match="already"):
        out.mark_sent(n, clerk, channel="email")
    assert n.channel == "post"
