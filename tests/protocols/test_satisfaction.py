"""Applicants' satisfaction survey, quarterly statistics and the quarterly report (R-RECV-13)."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from sqlalchemy import func, select

from docflow.core.calendar import get_calendar
from docflow.core.security import AccessDenied
from docflow.extensions import db
from docflow.org.models import Official
from docflow.protocols import satisfaction
from docflow.protocols.models import SatisfactionCall, SignUp
from docflow.protocols.satisfaction import SatisfactionError
from docflow.protocols.workflow import SIGNUP
from docflow.registry.models import IncomingItem
from docflow.registry.operations import ApplicantData, RegistrationData, register
from tests.fixtures import page

D = dt.date


def make_signup(users) -> SignUp:
    item = register(
        RegistrationData(
            kind="reception_request",
            channel="by_hand",
            applicants=[
                ApplicantData(
                    full_name="Ахметова Гүлжан Маратқызы",
                    iin="900101300811",
                    address="Алматы қ., Сәтбаев 5",
                )
            ],
            addressee="Алматы қаласының әкімі",
            summary="Жер учаскесін ресімдеу туралы кеңес",
        ),
        users["clerk"],
    )
    akim = db.session.scalar(select(Official).where(Official.code == "AKIM"))
    signup = SignUp(item_id=item.id, official_id=akim.id)
    db.session.add(signup)
    SIGNUP.initialize(signup, users["controller"])
    db.session.flush()
    return signup


# Q4 2026: consultation 3 satisfied, 1 partly, 1 unreachable; declined 1 satisfied, 1 not.
Q4_CALLS = [
    ("consultation", "satisfied", D(2026, 10, 5)),
    ("consultation", "satisfied", D(2026, 10, 20)),
    ("consultation", "satisfied", D(2026, 11, 2)),
    ("consultation", "partly", D(2026, 11, 3)),
    ("consultation", "unreachable", D(2026, 11, 4)),
    ("declined", "satisfied", D(2026, 11, 10)),
    ("declined", "not_satisfied", D(2026, 11, 11)),
]


@pytest.fixture
def calls(users):
    for reason, result, day in Q4_CALLS:
        satisfaction.record_call(users["controller"], reason=reason, result=result, called_on=day)
    # Outside the quarter: not counted.
    satisfaction.record_call(
        users["controller"], reason="declined", result="not_satisfied", called_on=D(2026, 9, 30)
    )
    db.session.commit()


def test_r_recv_13_record_a_call_of_a_signup(app, users):
    signup = make_signup(users)
    call = satisfaction.record_call(
        users["controller"],
        reason="declined",
        result="partly",
        signup=signup,
        comment="  Жазылудан бас тартты, жауаппен ішінара келіседі  ",
        called_on=D(2026, 11, 2),
    )
    db.session.commit()
    assert (call.signup_id, call.item_id) == (
        signup.id,
        signup.item_id,
    )  # the item from the sign-up
    assert call.comment.startswith("Жазылудан") and not call.comment.endswith(" ")
    assert call.called_by_id == users["controller"].id
    today = satisfaction.record_call(users["controller"], reason="consultation", result="satisfied")
    assert today.called_on == get_calendar().local_now().date()


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"reason": "other"}, "why the applicant is called"),
        ({"result": "happy"}, "result of the call"),
        ({"called_on": dt.date.today() + dt.timedelta(days=3)}, "future"),
    ],
)
def test_r_recv_13_call_is_validated(app, users, changes, fragment):
    values = {"reason": "consultation", "result": "satisfied"} | changes
    with pytest.raises(SatisfactionError, match=fragment):
        satisfaction.record_call(users["controller"], **values)


@pytest.mark.parametrize("username", ["clerk", "inspector", "akim"])
def test_r_recv_13_only_the_front_office_records(app, users, username):
    with pytest.raises(AccessDenied):
        satisfaction.record_call(users[username], reason="consultation", result="satisfied")
    assert db.session.scalar(select(func.count()).select_from(SatisfactionCall)) == 0


def test_r_recv_13_quarter_stats(app, calls):
    stats = satisfaction.quarter_stats(2026, 4)
    assert (stats.date_from, stats.date_to) == (D(2026, 10, 1), D(2026, 12, 31))
    assert stats.total == 7
    assert stats.by_reason == {"consultation": 5, "declined": 2}
    assert stats.by_result == {"satisfied": 4, "partly": 1, "not_satisfied": 1, "unreachable": 1}
    assert stats.matrix["consultation"]["satisfied"] == 3
    assert stats.matrix["declined"]["not_satisfied"] == 1
    assert stats.reached == 6 and stats.reached_for("consultation") == 4
    assert stats.satisfaction_rate == pytest.approx(4 / 6)  # among those reached
    q3 = satisfaction.quarter_stats(2026, 3)
    assert q3.total == 1 and q3.by_result["not_satisfied"] == 1
    empty = satisfaction.quarter_stats(2025, 1)
    assert empty.total == 0 and empty.satisfaction_rate is None
    with pytest.raises(SatisfactionError):
        satisfaction.quarter_stats(2026, 5)


def report_text(data: bytes) -> tuple[str, list[list[str]]]:
    d = docx.Document(io.BytesIO(data))
    rows = [[c.text for c in row.cells] for t in d.tables for row in t.rows]
    return "\n".join(p.text for p in d.paragraphs), rows


def test_r_recv_13_quarterly_report_ru(app, calls):
    text, rows = report_text(satisfaction.quarterly_report_docx(2026, 4, "ru", today=D(2027, 1, 5)))
    assert "В отдел по контролю за рассмотрением обращений" in text
    assert "Информация о мониторинге удовлетворенности заявителей за 4 квартал 2026 года" in text
    assert "с 01.10.2026 по 31.12.2026" in text
    assert "Всего звонков: 7. Дозвонились: 6. Удовлетворены: 4 (66,7 % от опрошенных)." in text
    assert "Дата составления: 05.01.2027" in text
    assert rows[0][:3] == ["Заявители", "Количество звонков", "Удовлетворены"]
    assert rows[1] == ["Получили консультацию", "5", "3", "1", "0", "1"]
    assert rows[2] == ["Отказались от записи", "2", "1", "0", "1", "0"]
    assert rows[3] == ["Всего", "7", "4", "1", "1", "1"]


def test_r_recv_13_quarterly_report_kk_and_empty(app, calls):
    text, rows = report_text(satisfaction.quarterly_report_docx(2026, 4, "kk"))
    assert "2026 жылғы 4-тоқсандағы" in text and "Өтініштерді қарауды бақылау бөліміне" in text
    assert "Барлық қоңыраулар: 7. Хабарласқандар: 6. Қанағаттанғандар: 4" in text
    assert rows[1] == ["Кеңес алғандар", "5", "3", "1", "0", "1"]
    text, rows = report_text(satisfaction.quarterly_report_docx(2025, 2, "ru"))
    assert "В квартале звонков не было." in text and rows[3][1] == "0"


def test_r_recv_13_satisfaction_pages(app, users, web, calls):
    signup = make_signup(users)
    db.session.commit()
    number = db.session.get(IncomingItem, signup.item_id).reg_number
    controller = web("controller")
    assert controller.get("/reception/satisfaction").status_code == 200
    form = {"reason": "declined", "result": "satisfied", "reg_number": number, "comment": "Рахмет"}
    r = controller.post("/reception/satisfaction", data=form)
    assert r.status_code == 303
    call = db.session.scalar(select(SatisfactionCall).order_by(SatisfactionCall.id.desc()))
    assert (call.signup_id, call.item_id, call.reason, call.result) == (
        signup.id,
        signup.item_id,
        "declined",
        "satisfied",
    )
    body = page(controller.get("/reception/satisfaction"))
    assert "The call is recorded." in body and number in body and "Рахмет" in body
    r = controller.post("/reception/satisfaction", data=form | {"reg_number": "ЖТ-1900-1"})
    assert r.status_code == 422 and "No registered item with that number." in page(r)
    r = controller.post("/reception/satisfaction", data=form | {"result": "happy"})
    assert r.status_code == 422

    assert web("clerk").get("/reception/satisfaction").status_code == 403
    inspector = web("inspector")
    assert inspector.get("/reception/satisfaction").status_code == 200  # reads, never writes
    assert inspector.post("/reception/satisfaction", data=form).status_code == 403

    url = "/reception/satisfaction/report.docx?year=2026&quarter=4&lang=ru"
    r = inspector.get(url)
    assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
    text, rows = report_text(r.data)
    assert "за 4 квартал 2026 года" in text and rows[3][0] == "Всего"
    assert web("clerk").get(url).status_code == 403
    for bad in ("year=2026&quarter=5&lang=ru", "year=x&quarter=4", "year=2026&quarter=4&lang=en"):
        assert controller.get(f"/reception/satisfaction/report.docx?{bad}").status_code == 400
