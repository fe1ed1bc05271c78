"""R-ROUTE-5 (the termination notice, art. 70(3)), R-REG-8 (withdrawal until the decision,
art. 64(9)) and R-ROUTE-2 (a late forwarding flagged on the control dashboard, art. 65)."""

from __future__ import annotations

import datetime as dt
import io

import lxml.html
import pytest
from babel.dates import format_date as babel_date
from sqlalchemy import select

from docflow.api import issue_token
from docflow.core.calendar import get_calendar
from docflow.core.workflow import GuardRefused, InvalidParameters, TransitionNotAvailable
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.outgoing import operations as out
from docflow.outgoing.models import OutgoingNotice
from docflow.registry import operations as registry_ops
from docflow.registry.operations import link_items
from docflow.registry.workflow import INCOMING
from docflow.routing import dashboards
from docflow.routing import operations as ops
from docflow.routing.models import ExecutorAssignment, Notification
from tests.conftest import DEMO_PASSWORD
from tests.registry.conftest import almaty

STATEMENT = "Өтініш беруші арызы 20.11.2026 №7 (кері қайтарып алу туралы)"


def today() -> dt.date:
    return get_calendar().local_now().date()


def ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


@pytest.fixture
def page(app):
    """``page("controller", "/routing/")`` → the parsed page, requested in English."""
    clients: dict = {}

    def get(username: str, path: str):
        if username not in clients:
            c = app.test_client()
            c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
            r = c.post("/login", data={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code in (302, 303)
            clients[username] = c
        r = clients[username].get(path)
        assert r.status_code == 200, r.status_code
        return lxml.html.fromstring(r.get_data(as_text=True))

    return get


def section(doc, section_id: str):
    found = doc.xpath(f"//section[@id='{section_id}']")
    return found[0] if found else None


def overdue_marked(element) -> bool:
    return bool(element.xpath(".//*[contains(concat(' ', @class, ' '), ' overdue-mark ')]"))


# --- R-ROUTE-5: the termination notice within 3 working days -----------------------------------


@pytest.fixture
def terminated(routed, make_item, users):
    """A repeat appeal linked to a closed earlier case, terminated by the controller."""
    earlier = routed("closed")
    new = make_item(summary="Жертөледе кәріз құбыры әлі де ағып жатыр")
    link_items(new, earlier, "repeat", users["clerk"])
    ops.terminate(new, users["controller"], comment="Повторное без новых доводов (ст. 70 АППК)")
    db.session.commit()
    return earlier, new


def termination_notices(item) -> list[OutgoingNotice]:
    return list(
        db.session.scalars(
            select(OutgoingNotice).where(
                OutgoingNotice.item_id == item.id, OutgoingNotice.kind == "termination"
            )
        )
    )


def test_r_route_5_termination_registers_the_notice_due_in_3_working_days(terminated, users):
    earlier, new = terminated
    assert new.state == "terminated"
    (n,) = termination_notices(new)
    assert n.due_on == get_calendar().add_working_days(today(), 3)
    assert n.due_on > today() and n.sent_on is None
    assert n.reg_number.startswith("ИХ-")  # a numbered outgoing item (R-REG-4)
    for text in (n.text_kk, n.text_ru):
        assert new.reg_number in text and ddmmyyyy(new.registration_date) in text
        assert earlier.reg_number in text  # the earlier case the appeal is attached to
        assert ddmmyyyy(today()) in text  # the day of termination
    assert "70-бабына" in n.text_kk and "тоқтатыл" in n.text_kk
    assert "статьей 70" in n.text_ru and "прекращено" in n.text_ru
    assert users["controller"].display_name in n.text_ru


def test_r_route_5_termination_notice_is_watched_like_the_others(terminated, users, page):
    _earlier, new = terminated
    (n,) = termination_notices(new)
    # Not overdue while its 3 working days run; overdue the day after, until it is sent.
    assert n not in out.overdue(n.due_on)
    assert n in out.overdue(n.due_on + dt.timedelta(days=1))

    doc = page("controller", "/routing/")
    (row,) = section(doc, "awaiting-notice").xpath(".//li[contains(@class, 'termination-notice')]")
    assert new.reg_number in row.text_content() and n.reg_number in row.text_content()
    assert not overdue_marked(row)

    n.due_on = today() - dt.timedelta(days=1)  # its term has passed
    db.session.commit()
    doc = page("controller", "/routing/")
    (row,) = section(doc, "awaiting-notice").xpath(".//li[contains(@class, 'termination-notice')]")
    assert overdue_marked(row)
    journal = page("controller", "/outgoing/?overdue=1").text_content()
    assert n.reg_number in journal

    out.mark_sent(n, users["clerk"], channel="post")
    db.session.commit()
    doc = page("controller", "/routing/")
    assert not section(doc, "awaiting-notice").xpath(".//li[contains(@class, 'termination')]")
    assert n not in out.overdue(today() + dt.timedelta(days=30))


# --- R-REG-8: withdrawal in writing until the decision -----------------------------------------


@pytest.mark.parametrize("until", ["distributed", "in_work", "answer_review"])
def test_r_reg_8_withdrawal_allowed_in_every_state_before_the_decision(routed, users, until):
    item = routed(until)
    assert "withdraw" in {t.id for t in INCOMING.available(item, users["clerk"])}
    with pytest.raises(InvalidParameters):  # the written statement is still required
        registry_ops.withdraw(item, users["clerk"], comment="  ")
    assert item.state == until
    registry_ops.withdraw(item, users["clerk"], comment=STATEMENT)
    assert item.state == "withdrawn"


def test_r_reg_8_withdrawal_after_an_interim_answer_is_still_before_the_decision(routed, users):
    item = routed("in_work")
    ops.submit_answer(
        item,
        users["exec.energy"],
        summary="Аралық жауап: КСК-ға сұрау салынды.",
        filename="interim.pdf",
        stream=io.BytesIO(b"%PDF-1.4 interim"),
        final=False,
    )
    ops.approve_answer(item, users["head.energy"])
    assert item.state == "answered"
    registry_ops.withdraw(item, users["clerk"], comment=STATEMENT)
    assert item.state == "withdrawn"


def test_r_reg_8_withdrawal_refused_after_the_decision(routed, users):
    answered = routed("answered")  # the final answer approved: the decision is made
    assert "withdraw" not in {t.id for t in INCOMING.available(answered, users["clerk"])}
    with pytest.raises(GuardRefused, match="R-REG-8"):
        registry_ops.withdraw(answered, users["clerk"], comment=STATEMENT)
    assert answered.state == "answered"
    closed = routed("closed")
    with pytest.raises(TransitionNotAvailable):
        registry_ops.withdraw(closed, users["clerk"], comment=STATEMENT)
    assert closed.state == "closed"


def test_r_reg_8_withdrawal_ends_the_executor_assignments(routed, users):
    item = routed("in_work")
    ops.assign_executors(item, users["head.energy"], [users["exec2.energy"].id], kind="add")
    assert len(ops.active_executors(item)) == 2
    registry_ops.withdraw(item, users["clerk"], comment=STATEMENT)
    db.session.commit()
    assert ops.active_executors(item) == []
    rows = db.session.scalars(
        select(ExecutorAssignment).where(ExecutorAssignment.item_id == item.id)
    )
    assert all(not a.active and a.ended_at is not None for a in rows)
    told = db.session.scalars(
        select(Notification.user_id).where(
            Notification.item_id == item.id, Notification.kind == "withdrawn"
        )
    )
    assert set(told) == {users["exec.energy"].id, users["exec2.energy"].id}


def test_r_reg_8_withdrawal_through_the_api_ends_the_assignments_too(app, routed, users):
    item = routed("in_work")
    token = issue_token(user_by_username("clerk"))
    db.session.commit()
    r = app.test_client().post(
        f"/api/v1/items/{item.public_id}/transitions/withdraw",
        json={"comment": STATEMENT},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["state"] == "withdrawn"
    db.session.expire_all()
    assert ops.active_executors(item) == []


# --- R-ROUTE-2: a late forwarding flagged on the control dashboard -----------------------------


@pytest.fixture
def forwardings(make_item, users):
    """Items that arrived on Monday 16.11.2026: the forwarding deadline is Wednesday 18.11."""

    def forwarded_at(moment: dt.datetime, summary: str):
        item = make_item(summary=summary, arrived_at=almaty(2026, 11, 16, 10, 0))
        fwd = ops.forward(
            item, users["controller"], body="ҚР Энергетика министрлігі", partial=False
        )
        fwd.forwarded_at = moment
        return item, fwd

    late = forwarded_at(almaty(2026, 11, 20, 11, 0), "Екі жұмыс күні кешіктірілді")
    just_late = forwarded_at(almaty(2026, 11, 19, 0, 30), "Түн ортасынан кейін")
    on_time = forwarded_at(almaty(2026, 11, 18, 23, 30), "Соңғы күні")
    db.session.commit()
    return {"late": late, "just_late": just_late, "on_time": on_time}


def test_r_route_2_forwarding_after_its_deadline_is_late_by_working_days(forwardings):
    for _item, fwd in forwardings.values():
        assert fwd.deadline == dt.date(2026, 11, 18)
    assert dashboards.days_late(forwardings["late"][1]) == 2  # Thursday and Friday
    assert dashboards.days_late(forwardings["just_late"][1]) == 1  # local date decides, not UTC
    assert dashboards.days_late(forwardings["on_time"][1]) == 0
    listed = {lf.forwarding.id: lf.days_late for lf in dashboards.late_forwardings()}
    assert listed == {forwardings["late"][1].id: 2, forwardings["just_late"][1].id: 1}


def test_r_route_2_late_forwardings_on_the_control_dashboard(forwardings, users, page):
    late_item, late_fwd = forwardings["late"]
    on_time_item, _ = forwardings["on_time"]
    ops.mark_notice_sent(late_fwd, users["controller"])  # its notice sent: still late itself
    db.session.commit()

    doc = page("controller", "/routing/")
    sec = section(doc, "late-forwardings")
    assert sec is not None
    rows = {tr.xpath(".//a")[0].text_content().strip(): tr for tr in sec.xpath(".//tbody/tr[.//a]")}
    assert late_item.reg_number in rows and on_time_item.reg_number not in rows
    row = rows[late_item.reg_number]
    (mark,) = row.xpath(".//*[@data-days]")
    assert mark.get("data-days") == "2" and "2 working day(s) late" in mark.text_content()
    for day in (dt.date(2026, 11, 18), dt.date(2026, 11, 20)):  # the deadline, the forwarding
        assert babel_date(day, "d MMM yyyy", locale="en") in row.text_content()

    # Executors do not watch other bodies' forwardings; the auditor does.
    assert section(page("exec.energy", "/routing/"), "late-forwardings") is None
    assert section(page("inspector", "/routing/"), "late-forwardings") is not None
