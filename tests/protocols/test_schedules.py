"""Reception schedules, sessions, one-offs, cancellation and the published schedule
(R-RECV-1, -2, -3, -6, -8; holidays per R-DEADLINE-3)."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pdfplumber
import pytest
from sqlalchemy import func, select

from docflow.core.calendar import get_calendar
from docflow.core.security import AccessDenied
from docflow.core.workflow import WorkflowError, history
from docflow.extensions import db
from docflow.org.models import Official
from docflow.protocols import schedule_coverage, schedule_public, schedules
from docflow.protocols.models import ReceptionSchedule, ReceptionSession, SignUp
from docflow.protocols.schedule_print import schedule_docx, schedule_pdf
from docflow.protocols.schedules import ScheduleError
from docflow.protocols.workflow import SIGNUP
from docflow.registry.models import IncomingItem
from docflow.registry.operations import ApplicantData, RegistrationData, register
from tests.fixtures import page

D = dt.date
T = dt.time
PLACE = {"kk": "Әкімдік ғимараты, 1-қабат, 105-бөлме", "ru": "Здание акимата, 1 этаж, каб. 105"}
AKIM_NAME = "Ерғали Сапарұлы Төлегенов"
DEP1_NAME = "Айдос Болатұлы Сейітов"


def official(code: str) -> Official:
    return db.session.scalar(select(Official).where(Official.code == code))


def make_schedule(users, code="AKIM", approve=True, **kw) -> ReceptionSchedule:
    values = {
        "weekday": 2,  # Wednesday
        "week_of_month": None,
        "start": T(10, 0),
        "end": T(13, 0),
        "place": PLACE,
        "valid_from": D(2026, 1, 1),
    } | kw
    s = schedules.create_schedule(official(code), users["controller"], **values)
    if approve:
        schedules.approve_schedule(s, users["akim"])
    db.session.commit()
    return s


def make_signup(users, off: Official, name: str = "Сәрсенбаев Нұрлан Асқарұлы") -> SignUp:
    item = register(
        RegistrationData(
            kind="reception_request",
            channel="by_hand",
            applicants=[
                ApplicantData(full_name=name, iin="900101300811", address="Алматы қ., Абай 10")
            ],
            addressee="Алматы қаласының әкімі",
            summary="Аулаға балалар алаңын салу туралы",
        ),
        users["clerk"],
    )
    signup = SignUp(item_id=item.id, official_id=off.id, language="ru")
    db.session.add(signup)
    SIGNUP.initialize(signup, users["controller"])
    db.session.flush()
    return signup


def put_into(signup: SignUp, session: ReceptionSession, actor, include: bool) -> None:
    signup.session_id = session.id
    SIGNUP.fire(signup, "propose_date", actor, comment="note", params={"session": session.id})
    if include:
        signup.queue_position = 1
        signup.slot_time = session.start
        SIGNUP.fire(signup, "include", actor)


def future_working_day(days_ahead: int = 14) -> dt.date:
    cal = get_calendar()
    return cal.next_working_day(cal.local_now().date() + dt.timedelta(days=days_ahead))


# --- R-RECV-1: create and approve ----------------------------------------------------------


def test_r_recv_1_controller_creates_and_akim_approves(app, users):
    s = make_schedule(users, approve=False)
    assert s.approved_at is None
    with pytest.raises(AccessDenied):
        schedules.approve_schedule(s, users["controller"])
    with pytest.raises(AccessDenied):
        schedules.approve_schedule(s, users["inspector"])
    schedules.approve_schedule(s, users["akim"])
    db.session.commit()
    assert s.approved_at is not None and s.approved_by_id == users["akim"].id
    with pytest.raises(ScheduleError):
        schedules.approve_schedule(s, users["akim"])  # approved once


@pytest.mark.parametrize("username", ["clerk", "inspector", "akim", "head.energy"])
def test_r_recv_1_only_the_controller_creates(app, users, username):
    with pytest.raises(AccessDenied):
        schedules.create_schedule(
            official("DEP1"),
            users[username],
            weekday=1,
            start=T(10, 0),
            end=T(12, 0),
            place=PLACE,
            valid_from=D(2026, 1, 1),
        )


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"start": T(13, 0), "end": T(10, 0)}, "end after it starts"),
        ({"start": T(10, 0), "end": T(10, 10), "slot_minutes": 15}, "one slot"),
        ({"slot_minutes": 1}, "slot lasts"),
        ({"weekday": 5}, "Monday to Friday"),
        ({"week_of_month": 6}, "week of the month"),
        ({"place": {"kk": "105-бөлме", "ru": " "}}, "Kazakh and in Russian"),
        ({"valid_to": D(2025, 12, 31)}, "on or after"),
        ({"week_of_month": 5}, "R-RECV-1"),  # the akim: a 5th Wednesday is missing most months
    ],
)
def test_r_recv_1_schedule_is_validated(app, users, changes, fragment):
    values = {
        "weekday": 2,
        "start": T(10, 0),
        "end": T(13, 0),
        "place": PLACE,
        "valid_from": D(2026, 1, 1),
    } | changes
    with pytest.raises(ScheduleError, match=fragment):
        schedules.create_schedule(official("AKIM"), users["controller"], **values)


def test_r_recv_1_fifth_week_is_allowed_for_other_officials_and_overlaps_refused(app, users):
    # The head of the office is not bound by the monthly rule; the akim is.
    assert not schedules.must_receive_monthly(official("HEAD-APP"))
    assert schedules.must_receive_monthly(official("AKIM"))
    assert schedules.must_receive_monthly(official("DEP3"))
    make_schedule(users, code="HEAD-APP", week_of_month=5, approve=False)
    make_schedule(users, code="AKIM", approve=False)
    with pytest.raises(ScheduleError, match="already has reception hours"):
        make_schedule(users, code="AKIM", start=T(12, 0), end=T(15, 0), week_of_month=2)
    # Another weekday is fine.
    make_schedule(users, code="AKIM", weekday=4, approve=False)


def test_r_recv_1_schedule_pages_permissions(app, users, web):
    form = {
        "official": official("DEP2").id,
        "weekday": 1,
        "week_of_month": "",
        "start": "15:00",
        "end": "17:00",
        "place_kk": PLACE["kk"],
        "place_ru": PLACE["ru"],
        "slot_minutes": 20,
        "valid_from": "2026-01-01",
    }
    for username in ("clerk", "inspector", "akim"):
        assert web(username).post("/reception/schedules", data=form).status_code == 403
    controller = web("controller")
    r = controller.post("/reception/schedules", data=form)
    assert r.status_code == 303
    s = db.session.scalar(select(ReceptionSchedule))
    assert s.official.code == "DEP2" and s.slot_minutes == 20 and s.approved_at is None
    # A refused form is shown again with the reason (422), nothing saved.
    r = controller.post("/reception/schedules", data=form | {"start": "18:00"})
    assert r.status_code == 422 and "must end after it starts" in page(r)
    assert db.session.scalar(select(func.count()).select_from(ReceptionSchedule)) == 1

    for username in ("clerk", "inspector", "controller"):
        assert web(username).post(f"/reception/schedules/{s.id}/approve").status_code == 403
    akim = web("akim")
    body = page(akim.get("/reception/schedules"))
    table = body[body.index('id="schedules"') : body.index('id="sessions"')]
    assert DEP1_NAME not in table and "Гүлнар Ержанқызы Әбенова" in table
    assert f"/reception/schedules/{s.id}/approve" in body
    r = akim.post(f"/reception/schedules/{s.id}/approve")
    assert r.status_code == 303
    db.session.expire_all()
    assert s.approved_by_id == users["akim"].id
    assert "approved and published" in page(akim.get("/reception/schedules"))
    # The page itself is read-only for the others.
    assert web("inspector").get("/reception/schedules").status_code == 200
    assert web().get("/reception/schedules").status_code == 302  # login first


# --- sessions: working days only, idempotent -----------------------------------------------


def test_r_recv_1_sessions_only_on_working_days(app, users):
    s = make_schedule(users)  # every Wednesday
    cal = get_calendar()
    assert not cal.is_working_day(D(2026, 12, 16))  # Independence Day (R-DEADLINE-3)
    created = schedules.sessions_for(s, D(2026, 12, 1), D(2026, 12, 31), actor=users["controller"])
    db.session.commit()
    assert [x.date for x in created] == [
        D(2026, 12, 2),
        D(2026, 12, 9),
        D(2026, 12, 23),
        D(2026, 12, 30),
    ]
    for x in created:
        assert cal.is_working_day(x.date)
        assert (x.state, x.kind, x.start, x.end, x.schedule_id) == (
            "planned",
            "scheduled",
            T(10),
            T(13),
            s.id,
        )
        assert x.place == PLACE
        assert [h.transition for h in history(x)] == ["create"]


def test_r_recv_1_generation_is_idempotent(app, users):
    s = make_schedule(users, week_of_month=None)
    one_off = schedules.create_one_off(
        official("AKIM"), users["controller"], D(2026, 12, 9), T(15), T(17), today=D(2026, 12, 1)
    )
    first = schedules.sessions_for(s, D(2026, 12, 1), D(2026, 12, 31))
    assert D(2026, 12, 9) not in [x.date for x in first]  # the official already receives that day
    again = schedules.sessions_for(s, D(2026, 12, 1), D(2026, 12, 31))
    both = schedules.generate_sessions(users["controller"], D(2026, 11, 25), D(2026, 12, 31))
    db.session.commit()
    assert again == [] and [x.date for x in both] == [D(2026, 11, 25)]
    dates = db.session.scalars(
        select(ReceptionSession.date).where(ReceptionSession.official_id == one_off.official_id)
    ).all()
    assert len(dates) == len(set(dates)) == 5
    # A cancelled date is not planned again.
    schedules.cancel_session(first[0], users["controller"], "командировка", today=D(2026, 11, 20))
    assert schedules.sessions_for(s, D(2026, 12, 1), D(2026, 12, 31)) == []


def test_r_recv_1_only_approved_schedules_produce_sessions(app, users):
    draft = make_schedule(users, approve=False)
    with pytest.raises(ScheduleError, match="approved"):
        schedules.sessions_for(draft, D(2026, 12, 1), D(2026, 12, 31))
    assert schedules.generate_sessions(users["controller"], D(2026, 12, 1), D(2026, 12, 31)) == []
    with pytest.raises(AccessDenied):
        schedules.generate_sessions(users["clerk"], D(2026, 12, 1), D(2026, 12, 31))


def test_r_recv_1_nth_weekday_and_monthly_coverage(app, users):
    # The 3rd Wednesday of December 2026 is Independence Day: the akim would not receive then.
    s = make_schedule(users, week_of_month=3)
    assert schedules.occurrence_dates(s, D(2026, 12, 1), D(2026, 12, 31)) == [D(2026, 12, 16)]
    assert schedules.sessions_for(s, D(2026, 12, 1), D(2026, 12, 31)) == []
    problems = schedule_coverage.monthly_coverage_problems(D(2026, 11, 5), months=2)
    by_month = {(p.official.code, p.month) for p in problems}
    assert ("AKIM", D(2026, 12, 1)) in by_month
    assert ("AKIM", D(2026, 11, 1)) not in by_month  # 18.11.2026 is a working Wednesday
    assert {"DEP1", "DEP2", "DEP3", "DEP4"} <= {c for c, _m in by_month}
    assert "HEAD-APP" not in {c for c, _m in by_month}
    assert "R-RECV-1" in problems[0].message()
    # A one-off reception in December covers the month.
    schedules.create_one_off(
        official("AKIM"), users["controller"], D(2026, 12, 10), T(10), T(12), today=D(2026, 11, 5)
    )
    problems = schedule_coverage.monthly_coverage_problems(D(2026, 12, 1))
    assert "AKIM" not in {p.official.code for p in problems}


def test_r_recv_1_generate_page(app, users, web):
    make_schedule(users)
    assert web("clerk").post("/reception/schedules/generate", data={"weeks": 4}).status_code == 403
    controller = web("controller")
    r = controller.post("/reception/schedules/generate", data={"weeks": 4})
    assert r.status_code == 303
    sessions = db.session.scalars(select(ReceptionSession)).all()
    cal = get_calendar()
    assert sessions and all(cal.is_working_day(x.date) and x.date.weekday() == 2 for x in sessions)
    body = page(controller.get("/reception/schedules"))
    assert "planned on working days" in body
    assert sessions[0].date.strftime("%d.%m.%Y") in body


# --- R-RECV-3, R-RECV-6: one-offs ----------------------------------------------------------


def test_r_recv_3_off_schedule_needs_the_akims_instruction(app, users):
    dep = official("DEP2")
    with pytest.raises(ScheduleError, match="R-RECV-3"):
        schedules.create_one_off(
            dep, users["controller"], D(2026, 12, 10), T(15), T(17), kind="off_schedule",
            today=D(2026, 12, 1),
        )  # fmt: skip
    session = schedules.create_one_off(
        dep,
        users["controller"],
        D(2026, 12, 10),
        T(15),
        T(17),
        kind="off_schedule",
        instruction="Әкімнің 2026.12.01 № 12 тапсырмасы",
        video_link="https://video.example.kz/room/5",  # R-RECV-6
        today=D(2026, 12, 1),
    )
    db.session.commit()
    assert (session.kind, session.state) == ("off_schedule", "planned")
    assert session.instruction.startswith("Әкімнің") and session.video_link.endswith("/5")
    with pytest.raises(ScheduleError, match="already has a reception"):
        schedules.create_one_off(
            dep, users["controller"], D(2026, 12, 10), T(16), T(18), today=D(2026, 12, 1)
        )
    with pytest.raises(ScheduleError, match="not a working day"):
        schedules.create_one_off(
            dep, users["controller"], D(2026, 12, 16), T(10), T(12), today=D(2026, 12, 1)
        )
    with pytest.raises(ScheduleError, match="passed"):
        schedules.create_one_off(
            dep, users["controller"], D(2026, 12, 11), T(10), T(12), today=D(2026, 12, 14)
        )
    with pytest.raises(AccessDenied):
        schedules.create_one_off(
            dep, users["akim"], D(2026, 12, 11), T(10), T(12), today=D(2026, 12, 1)
        )


def test_r_recv_3_off_schedule_page(app, users, web):
    day = future_working_day()
    form = {
        "official": official("DEP1").id,
        "date": day.isoformat(),
        "start": "15:00",
        "end": "16:00",
        "kind": "off_schedule",
    }
    controller = web("controller")
    r = controller.post("/reception/sessions/new", data=form)
    # the rule in words (the reception rules' paragraph), its id in the tooltip
    assert r.status_code == 422 and "akim's instruction (" in page(r)
    assert '<abbr title="R-RECV-3">Rules of personal reception, para. 9</abbr>' in page(r)
    assert db.session.scalar(select(func.count()).select_from(ReceptionSession)) == 0
    r = controller.post("/reception/sessions/new", data=form | {"instruction": "Тапсырма № 7"})
    assert r.status_code == 303
    session = db.session.scalar(select(ReceptionSession))
    assert (session.kind, session.instruction, session.date) == (
        "off_schedule",
        "Тапсырма № 7",
        day,
    )
    assert web("clerk").post("/reception/sessions/new", data=form).status_code == 403


# --- R-RECV-8: cancellation ----------------------------------------------------------------


def test_r_recv_8_notice_timing(app):
    # Session on Friday 18.12.2026; Wednesday 16.12 is Independence Day.
    timing = schedules.notice_timing
    assert timing(D(2026, 12, 18), D(2026, 12, 18)) == (0, True, False)  # on the day
    assert timing(D(2026, 12, 18), D(2026, 12, 17)) == (1, False, True)  # late
    assert timing(D(2026, 12, 18), D(2026, 12, 15)) == (2, False, False)  # 15 and 17
    assert timing(D(2026, 12, 18), D(2026, 12, 14)) == (3, False, False)


def test_r_recv_8_cancellation_moves_signups_back(app, users):
    akim = official("AKIM")
    session = schedules.create_one_off(
        akim, users["controller"], D(2026, 12, 18), T(10), T(13), today=D(2026, 12, 1)
    )
    included = make_signup(users, akim, "Сәрсенбаев Нұрлан Асқарұлы")
    proposed = make_signup(users, akim, "Ахметова Гүлжан Маратқызы")
    pending = make_signup(users, akim, "Қасымов Бауыржан Ерланұлы")
    put_into(included, session, users["controller"], include=True)
    put_into(proposed, session, users["controller"], include=False)
    db.session.commit()

    with pytest.raises(AccessDenied):
        schedules.cancel_session(session, users["clerk"], "ауырып қалды", today=D(2026, 12, 14))
    with pytest.raises(ScheduleError, match="reason"):
        schedules.cancel_session(session, users["controller"], "  ", today=D(2026, 12, 14))
    result = schedules.cancel_session(
        session, users["controller"], "Іссапар / командировка", today=D(2026, 12, 14)
    )
    db.session.commit()
    assert (result.late, result.on_the_day, result.working_days_before) == (False, False, 3)
    assert session.state == "cancelled" and session.cancel_reason == "Іссапар / командировка"
    assert [h.transition for h in history(session)][-1] == "cancel"
    for s in (included, proposed):
        assert (s.state, s.session_id, s.queue_position, s.slot_time) == (
            "pending",
            None,
            None,
            None,
        )
        last = history(s)[-1]
        assert last.transition == "reschedule" and "R-RECV-8" in last.comment
    assert pending.state == "pending" and [h.transition for h in history(pending)] == ["create"]

    notices = {n.signup_id: n for n in result.notices}
    assert set(notices) == {included.id, proposed.id}
    n = notices[included.id]
    item_number = db.session.get(IncomingItem, included.item_id).reg_number
    assert n.reg_number == item_number and n.applicants == "Сәрсенбаев Нұрлан Асқарұлы"
    assert n.language == "ru" and n.preferred_text == n.text["ru"]
    for lang, words in (("kk", "өтпейді"), ("ru", "не состоится")):
        assert words in n.text[lang] and AKIM_NAME in n.text[lang]
        assert "18.12.2026" in n.text[lang] and item_number in n.text[lang]
    assert "Аким города Алматы" in n.text["ru"] and "Алматы қаласының әкімі" in n.text["kk"]

    # The cancellation is on record: rebuilt for the notices page.
    again = schedules.cancellation_of(session)
    assert again.notified_on == D(2026, 12, 14) and not again.late
    assert {x.signup_id for x in again.notices} == {included.id, proposed.id}
    with pytest.raises(WorkflowError, match="not possible"):
        schedules.cancel_session(session, users["controller"], "again", today=D(2026, 12, 14))


@pytest.mark.parametrize(
    ("today", "late", "on_the_day"),
    [
        (D(2026, 12, 17), True, False),
        (D(2026, 12, 18), False, True),
        (D(2026, 12, 15), False, False),
    ],
)
def test_r_recv_8_late_notice_is_flagged(app, users, today, late, on_the_day):
    session = schedules.create_one_off(
        official("DEP1"), users["controller"], D(2026, 12, 18), T(10), T(13), today=D(2026, 12, 1)
    )
    result = schedules.cancel_session(session, users["controller"], "ауру", today=today)
    db.session.commit()
    assert (result.late, result.on_the_day) == (late, on_the_day)
    assert session.state == "cancelled"  # a late notice is accepted, only flagged


def test_r_recv_8_a_past_reception_cannot_be_cancelled(app, users):
    session = schedules.create_one_off(
        official("DEP1"), users["controller"], D(2026, 12, 18), T(10), T(13), today=D(2026, 12, 1)
    )
    with pytest.raises(ScheduleError, match="passed"):
        schedules.cancel_session(session, users["controller"], "ауру", today=D(2026, 12, 21))
    assert session.state == "planned"


def test_r_recv_8_cancel_page(app, users, web):
    akim = official("AKIM")
    day = future_working_day()
    session = schedules.create_one_off(akim, users["controller"], day, T(10), T(13))
    signup = make_signup(users, akim)
    put_into(signup, session, users["controller"], include=True)
    db.session.commit()
    url = f"/reception/sessions/{session.id}/cancel"
    assert web("clerk").post(url, data={"reason": "ауру"}).status_code == 403
    assert web("akim").post(url, data={"reason": "ауру"}).status_code == 403
    controller = web("controller")
    r = controller.post(url, data={"reason": ""})
    assert r.status_code == 303
    assert session.state == "planned"
    r = controller.post(url, data={"reason": "Іссапар"})
    assert r.status_code == 303 and r.headers["Location"].endswith(
        f"/reception/sessions/{session.id}/notices"
    )
    db.session.expire_all()
    assert session.state == "cancelled" and signup.state == "pending"
    body = page(controller.get(r.headers["Location"]))
    assert "1 applicant(s) to notify" in body
    assert "Сәрсенбаев Нұрлан Асқарұлы" in body and "не состоится" in body and "өтпейді" in body
    assert web("clerk").get(r.headers["Location"]).status_code == 403
    r = controller.post(url, data={"reason": "Іссапар"})  # twice: refused with a message
    assert r.status_code == 303
    assert "not possible" in page(controller.get("/reception/schedules"))


# --- R-RECV-2: the published schedule ------------------------------------------------------


@pytest.fixture
def published(app, users):
    make_schedule(users, code="AKIM", week_of_month=2)
    make_schedule(users, code="DEP3", weekday=3, start=T(15), end=T(18), video=True)
    make_schedule(users, code="DEP1", weekday=1, approve=False)  # a draft: never published
    return schedule_public.published_schedule(D(2026, 11, 22))


def test_r_recv_2_published_schedule_has_names_and_positions(published):
    assert [o.code for o in published] == ["AKIM", "DEP3"]
    akim = published[0]
    assert akim.full_name == AKIM_NAME
    assert akim.position("kk") == "Алматы қаласының әкімі"
    assert akim.position("ru") == "Аким города Алматы"
    assert akim.entries[0].days("ru") == "вторая среда месяца, 10:00–13:00"
    assert akim.entries[0].days("kk") == "айдың екінші сәрсенбісі, 10:00–13:00"
    assert published[1].entries[0].days("ru") == "по четвергам, 15:00–18:00 (по видеосвязи)"
    assert published[1].entries[0].days("kk").startswith("әр бейсенбі, 15:00–18:00")


@pytest.mark.parametrize(
    ("lang", "position", "title"),
    [
        ("kk", "Алматы қаласының әкімі", "Азаматтарды жеке қабылдау кестесі"),
        ("ru", "Аким города Алматы", "График личного приема граждан"),
    ],
)
def test_r_recv_2_public_page_without_login(published, web, lang, position, title):
    c = web()  # nobody logged in
    r = c.get(f"/public/reception?lang={lang}")
    assert r.status_code == 200 and r.headers["Content-Language"] == lang
    body = page(r)
    assert f'<html lang="{lang}">' in body
    assert title in body and position in body and AKIM_NAME in body
    assert "Марат Қайратұлы Жұмабеков" in body  # DEP3
    assert DEP1_NAME not in body  # the draft is not published
    assert f"/public/reception.docx?lang={lang}" in body
    assert f"/public/reception.pdf?lang={lang}" in body


def test_r_recv_2_public_page_language_from_accept_language(published, web):
    body = page(web(lang="ru-RU,ru;q=0.9").get("/public/reception"))
    assert "График личного приема граждан" in body
    body = page(web(lang="kk").get("/public/reception"))
    assert "Азаматтарды жеке қабылдау кестесі" in body
    body = page(web(lang="en").get("/public/reception?lang=xx"))
    assert "Азаматтарды жеке қабылдау кестесі" in body  # Kazakh by default


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    """The PDF's text, with each table cell's wrapped lines joined back."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        parts = []
        for p in pdf.pages:
            parts.append(p.extract_text() or "")
            for table in p.extract_tables():
                parts += [" ".join((cell or "").split()) for row in table for cell in row]
        return "\n".join(parts)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ["Азаматтарды жеке қабылдау кестесі", "Алматы қаласының әкімі", "Лауазымы"]),
        ("ru", ["График личного приема граждан", "Аким города Алматы", "Место приема"]),
    ],
)
def test_r_recv_2_docx_and_pdf(published, web, lang, words):
    c = web()
    r = c.get(f"/public/reception.docx?lang={lang}")
    assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
    text = docx_text(r.data)
    assert AKIM_NAME in text and DEP1_NAME not in text
    for w in words:
        assert w in text
    assert PLACE[lang] in text

    r = c.get(f"/public/reception.pdf?lang={lang}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = " ".join(pdf_text(r.data).split())
    assert AKIM_NAME in text and "Сейітов" not in text
    assert words[0] in text


def test_r_recv_2_empty_schedule_prints(app):
    assert "Утвержденных графиков приема пока нет" in docx_text(schedule_docx("ru"))
    assert "Бекітілген қабылдау кестесі" in pdf_text(schedule_pdf("kk"))
