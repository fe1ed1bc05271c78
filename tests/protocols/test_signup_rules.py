"""Reception rules beside the sign-up flow: R-REG-7, R-RECV-6, R-RECV-9, R-RECV-11."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from docflow.core.audit import AuditEntry
from docflow.core.calendar import WorkingCalendar, add_months, get_calendar
from docflow.core.settings import get_setting, set_setting
from docflow.core.workflow import GuardRefused, history
from docflow.extensions import db
from docflow.outgoing.letter_models import Letter
from docflow.protocols import operations as ops
from docflow.protocols import signup_rules as rules
from docflow.protocols.models import ReceptionSession
from docflow.protocols.workflow import SESSION
from docflow.routing.models import Notification
from tests.fixtures import page
from tests.registry.conftest import almaty


def _reception(**values) -> None:
    set_setting("reception", {**(get_setting("reception") or {}), **values})
    db.session.commit()


def _registered_on(item, day: dt.date):
    # The moment of registration is the database's clock; the test puts it on ``day``.
    item.registered_at = dt.datetime.combine(day, dt.time(11, 0), tzinfo=get_calendar().tz)
    db.session.flush()
    return item


def _freeze(monkeypatch, day: dt.date) -> None:
    monkeypatch.setattr(
        WorkingCalendar,
        "local_now",
        lambda self: dt.datetime.combine(day, dt.time(10, 0), tzinfo=self.tz),
    )


# --- R-REG-7 ----------------------------------------------------------------------------------


def test_r_reg_7_signup_registration_term_is_a_profile_setting(make_request, monkeypatch):
    # Arrived Monday 16 November 2026, registered on Wednesday 18 November.
    _freeze(monkeypatch, dt.date(2026, 11, 18))
    item = _registered_on(make_request(arrived=almaty(2026, 11, 16, 10, 0)), dt.date(2026, 11, 18))
    assert rules.registration_due(item) == dt.date(2026, 11, 16)  # default: the day of arrival
    assert rules.registered_late(item)
    _reception(signup_registration_days=3)  # Karaganda: within 3 working days (seed 004 p.27)
    assert rules.registration_due(item) == dt.date(2026, 11, 18)
    assert not rules.registered_late(item)
    _reception(signup_registration_days=1)
    assert rules.registered_late(item)


def test_r_reg_7_a_late_registration_is_watched(
    make_request, akim_official, controller, monkeypatch
):
    _freeze(monkeypatch, dt.date(2026, 11, 18))
    late = ops.create_signup(
        _registered_on(make_request(arrived=almaty(2026, 11, 16, 10, 0)), dt.date(2026, 11, 18)),
        akim_official,
        controller,
    )
    on_time = ops.create_signup(
        _registered_on(
            make_request(
                name="Ким Ольга Викторовна", iin="780911420014", arrived=almaty(2026, 11, 18, 9, 0)
            ),
            dt.date(2026, 11, 18),
        ),
        akim_official,
        controller,
    )
    flagged = {w.signup.id for w in rules.watch() if w.kind == "registered_late"}
    assert flagged == {late.id}
    assert on_time.id not in flagged


# --- R-RECV-11 --------------------------------------------------------------------------------


def test_r_recv_11_inclusion_term_in_calendar_days(make_request, akim_official, controller):
    item = make_request(arrived=almaty(2026, 11, 16, 10, 0))  # Monday
    _reception(inclusion_notice_unit="calendar")  # Karaganda: 15 calendar days (seed 004 p.31)
    s = ops.create_signup(item, akim_official, controller)
    assert s.inclusion_notice_due == dt.date(2026, 12, 1)  # 16 Nov + 15 days, a Tuesday
    other = make_request(name="Ким Ольга Викторовна", iin="780911420014")
    _reception(inclusion_notice_unit="working")
    s2 = ops.create_signup(other, akim_official, controller)
    assert s2.inclusion_notice_due == get_calendar().add_working_days(other.registration_date, 15)
    assert s2.inclusion_notice_due != s.inclusion_notice_due


def _notes(watched, signup):
    return [w for w in watched if w.signup is signup and w.kind.startswith("note")]


def test_r_recv_11_reference_note_reminded_then_overdue(
    make_request, make_session, akim_official, controller, monkeypatch
):
    session = make_session(days_ahead=10)
    signup = ops.create_signup(make_request(), akim_official, controller)
    due = ops.note_due(session)
    assert rules.reference_note_due(signup) == due
    cal = get_calendar()
    # Two working days before the due date: a reminder to the reception staff.
    day = due
    for _ in range(2):
        day -= dt.timedelta(days=1)
        while not cal.is_working_day(day):
            day -= dt.timedelta(days=1)
    _freeze(monkeypatch, day)
    assert [(w.kind, w.days) for w in _notes(rules.watch(), signup)] == [("note_due", 2)]
    created = rules.remind()
    assert created and {n.kind for n in created} == {"reference_note"}
    assert all(n.item_id == signup.item_id for n in created)
    assert controller.id in {n.user_id for n in created}
    assert rules.remind() == []  # once only
    # The day after the due date, nothing written: overdue.
    _freeze(monkeypatch, due + dt.timedelta(days=1))
    assert [w.kind for w in _notes(rules.watch(), signup)] == ["note_overdue"]
    assert {n.kind for n in rules.remind()} == {"reference_note_overdue"}
    # Once the note proposes a date, nothing is watched any more.
    ops.propose_date(signup, session, controller, "Күнді белгілеу ұсынылады")
    assert _notes(rules.watch(), signup) == []
    rows = db.session.scalars(select(Notification).where(Notification.item_id == signup.item_id))
    assert len(list(rows)) == 2 * len({n.user_id for n in created})


def test_r_recv_11_extension_for_a_complex_signup(make_request, akim_official, controller):
    item = make_request()
    signup = ops.create_signup(item, akim_official, controller)
    old = signup.inclusion_notice_due
    with pytest.raises(rules.ReceptionRuleError, match="reason"):
        rules.extend_inclusion(signup, controller, basis="letter", new_due=old, reason=" ")
    cap = item.registration_date + dt.timedelta(days=30)
    with pytest.raises(rules.ReceptionRuleError, match="at the latest"):
        rules.extend_inclusion(
            signup, controller, basis="letter", new_due=cap + dt.timedelta(days=3), reason="x"
        )
    cal = get_calendar()
    new_due = cal.next_working_day(old + dt.timedelta(days=5))
    ext = rules.extend_inclusion(
        signup, controller, basis="letter", new_due=new_due, reason="Сұрау салу жіберілді"
    )
    db.session.commit()
    assert signup.inclusion_notice_due == new_due
    assert (ext.old_due, ext.new_due, ext.extended_by_id) == (old, new_due, controller.id)
    assert [h.transition for h in history(signup)][-1] == "extend_inclusion"
    # The applicant is told (R-DEADLINE-2), in the outgoing journal.
    notice = db.session.scalar(
        select(Letter).where(Letter.item_id == item.id, Letter.kind == "extension")
    )
    assert notice is not None and new_due.strftime("%d.%m.%Y") in notice.text_ru
    # By the head's decision: up to two months in total.
    far = cal.next_working_day(add_months(item.registration_date, 2) - dt.timedelta(days=7))
    rules.extend_inclusion(signup, controller, basis="decision", new_due=far, reason="Күрделі")
    assert signup.inclusion_notice_due == far
    with pytest.raises(rules.ReceptionRuleError):
        rules.extend_inclusion(
            signup,
            controller,
            basis="decision",
            new_due=add_months(item.registration_date, 2) + dt.timedelta(days=5),
            reason="x",
        )
    assert len(rules.extensions(signup)) == 2


# --- R-RECV-6 ---------------------------------------------------------------------------------


def _video_session(make_session):
    s = make_session(days_ahead=10)
    s.video_link = "https://video.example.kz/room/5"
    db.session.flush()
    return s


def test_r_recv_6_video_reception_only_with_recorded_consent(
    make_request, make_session, akim_official, controller
):
    session = _video_session(make_session)
    signup = ops.create_signup(make_request(), akim_official, controller, video=True)
    with pytest.raises(GuardRefused, match="consent"):
        ops.propose_date(signup, session, controller, "Бейнебайланыс арқылы")
    assert signup.state == "pending"
    consent = rules.record_video_consent(signup, controller, source="phone", note="12.11 қоңырау")
    assert consent.recorded_by_id == controller.id and signup.video
    ops.propose_date(signup, session, controller, "Бейнебайланыс арқылы")
    assert signup.state == "proposed"
    with pytest.raises(rules.ReceptionRuleError):
        rules.record_video_consent(signup, controller, source="phone")  # once


def test_r_recv_6_restrictions_mode_video_is_the_only_way(
    make_request, make_session, akim_official, controller
):
    in_person = make_session(days_ahead=10)
    video = _video_session(lambda days_ahead: make_session(days_ahead=12))
    rules.set_restrictions_mode(controller, True, "Бас мемлекеттік санитарлық дәрігердің қаулысы")
    db.session.commit()
    assert rules.restrictions_mode()
    signup = ops.create_signup(make_request(), akim_official, controller)
    rules.record_video_consent(signup, controller, source="written")
    with pytest.raises(GuardRefused, match="only by video"):
        ops.propose_date(signup, in_person, controller, "Қабылдау")
    ops.propose_date(signup, video, controller, "Бейнебайланыс")
    assert signup.state == "proposed"
    # A sign-up proposed before the restrictions cannot be put into an in-person list under them.
    rules.set_restrictions_mode(controller, False)
    other = ops.create_signup(
        make_request(name="Ким Ольга Викторовна", iin="780911420014"), akim_official, controller
    )
    ops.propose_date(other, in_person, controller, "Қабылдау")
    rules.set_restrictions_mode(controller, True, "Қаулы")
    with pytest.raises(GuardRefused, match="only by video"):
        ops.distribute_list(in_person, controller)
    with pytest.raises(rules.ReceptionRuleError):
        rules.set_restrictions_mode(controller, True, "")  # the ground is required


# --- R-RECV-9 ---------------------------------------------------------------------------------


def _today_session(akim_official, controller, start=dt.time(10, 0)) -> ReceptionSession:
    s = ReceptionSession(
        official_id=akim_official.id,
        date=get_calendar().local_now().date(),
        start=start,
        end=dt.time(start.hour + 2, 0),
        slot_minutes=15,
    )
    db.session.add(s)
    SESSION.initialize(s, controller)
    db.session.flush()
    return s


def test_r_recv_9_the_akims_reception_requires_four_bodies(akim_official, controller):
    session = _today_session(akim_official, controller)
    assert rules.required_bodies(session) == ["prosecutor", "police", "anti_corruption", "court"]
    rules.record_participant(
        session, controller, body="prosecutor", name="Ахметов Б.", position="Прокурор"
    )
    # Written on the session page's lines, in Russian: recognised too.
    ops.set_participants(session, controller, [*session.participants, "ДП г. Алматы — Иванов И.И."])
    assert rules.missing_participants(session) == ["anti_corruption", "court"]
    with pytest.raises(rules.ReceptionRuleError, match="why"):
        rules.record_participant(session, controller, body="court", present=False)
    rules.record_participant(
        session, controller, body="court", present=False, note="Хат бойынша бас тартты"
    )
    assert [p.body for p in rules.declined(session)] == ["court"]
    assert rules.missing_participants(session) == ["anti_corruption"]


def test_r_recv_9_held_without_them_is_on_record_or_refused(akim_official, controller):
    session = _today_session(akim_official, controller)
    SESSION.fire(session, "hold", controller)
    db.session.commit()
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "reception_participants_missing")
    )
    assert entry is not None and "court" in str(entry.summary)
    assert [s.id for s, _m in rules.held_without_participants()] == [session.id]
    # With the profile's participants_block_hold the reception is not marked held without them.
    _reception(participants_block_hold=True)
    other = _today_session(akim_official, controller, start=dt.time(14, 0))
    with pytest.raises(GuardRefused, match="R-RECV-9"):
        SESSION.fire(other, "hold", controller)
    for body in rules.AKIM_BODIES:
        rules.record_participant(other, controller, body=body, name="Өкіл")
    SESSION.fire(other, "hold", controller)
    assert other.state == "held"


def test_r_recv_9_another_officials_reception_requires_none(app, controller):
    from docflow.org.models import Official

    deputy = db.session.scalar(select(Official).where(Official.code == "DEP1"))
    session = _today_session(deputy, controller)
    assert rules.required_bodies(session) == [] and rules.missing_participants(session) == []


# --- the pages --------------------------------------------------------------------------------


def test_r_recv_6_and_r_recv_11_on_the_signup_page(
    make_request, make_session, akim_official, controller, web
):
    session = _video_session(make_session)
    signup = ops.create_signup(make_request(), akim_official, controller)
    db.session.commit()
    c = web("controller")
    body = page(c.get(f"/reception/signups/{signup.id}"))
    assert "no consent recorded" in body and 'id="video-consent-form"' in body
    r = c.post(f"/reception/signups/{signup.id}/video-consent", data={"source": "phone"})
    assert r.status_code == 303 and rules.video_consent(signup) is not None
    r = c.post(
        f"/reception/signups/{signup.id}/propose_date",
        data={"session": session.id, "note": "Бейнебайланыс"},
    )
    assert signup.state == "proposed"
    new_due = get_calendar().next_working_day(signup.inclusion_notice_due)
    r = c.post(
        f"/reception/signups/{signup.id}/extend",
        data={"basis": "letter", "new_due": new_due.isoformat(), "reason": "Күрделі мәселе"},
    )
    assert r.status_code == 303 and signup.inclusion_notice_due == new_due
    body = page(c.get(f"/reception/signups/{signup.id}"))
    assert "the applicant agreed: By phone" in body and "Күрделі мәселе" in body


def test_r_recv_9_and_r_recv_6_on_the_session_and_rules_pages(akim_official, controller, web):
    session = _today_session(akim_official, controller)
    db.session.commit()
    c = web("controller")
    body = page(c.get(f"/reception/sessions/{session.id}"))
    assert "Representatives this reception requires" in body and "not recorded" in body
    r = c.post(
        f"/reception/sessions/{session.id}/participant",
        data={"body": "court", "present": "no", "note": "Бас тартты"},
    )
    assert r.status_code == 303 and [p.body for p in rules.declined(session)] == ["court"]
    r = c.post("/reception/rules/restrictions", data={"on": "1", "reason": "Қаулы №5"})
    assert r.status_code == 303 and rules.restrictions_mode()
    body = page(c.get("/reception/rules"))
    assert "Restrictions are in force" in body and "Қаулы №5" in body
    assert web("clerk").get("/reception/rules").status_code == 403


def test_r_recv_11_reminders_from_the_daily_command(
    app, make_request, make_session, akim_official, controller
):
    session = make_session(days_ahead=10)
    signup = ops.create_signup(make_request(), akim_official, controller)
    db.session.commit()
    day = ops.note_due(session) + dt.timedelta(days=1)
    result = app.test_cli_runner().invoke(args=["routing", "remind", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    assert "reference_note_overdue" in result.output
    assert db.session.scalar(
        select(Notification).where(
            Notification.item_id == signup.item_id, Notification.kind == "reference_note_overdue"
        )
    )


def test_r_recv_6_and_r_recv_11_steps_read_as_sentences(make_request, akim_official, controller):
    from docflow.core.history_text import describe, describe_history
    from docflow.main.history import load_texts

    load_texts()
    signup = ops.create_signup(make_request(), akim_official, controller)
    rules.record_video_consent(signup, controller, source="written")
    new_due = get_calendar().next_working_day(signup.inclusion_notice_due)
    rules.extend_inclusion(signup, controller, basis="letter", new_due=new_due, reason="Күрделі")
    rules.set_restrictions_mode(controller, True, "Қаулы")
    db.session.commit()
    texts = [s.text for s in describe_history(history(signup))]
    assert any("consent to a video reception" in t for t in texts), texts
    assert any("extended the term of the sign-up" in t for t in texts), texts
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "restrictions_mode"))
    assert "changed the restrictions mode" in describe(entry).text
