"""Reminders before the due date, on the day, when overdue, and their e-mails (R-CTRL-3).

Dates are chosen relative to the item's due date with the office's working calendar, so the
"working days before" are counted the way the office counts them (R-DEADLINE-1, R-DEADLINE-3).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.org.models import User
from docflow.routing import operations as ops
from docflow.routing.models import Notification
from docflow.routing.reminders import run_reminders, send_emails
from tests.conftest import DEMO_PASSWORD

DAY = dt.timedelta(days=1)
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def after(day: dt.date, n: int) -> dt.date:
    """The n-th working day after ``day``."""
    cal = get_calendar()
    for _ in range(n):
        day = cal.next_working_day(day)
    return day


def before(day: dt.date, n: int) -> dt.date:
    """The working day that has ``day`` as its n-th working day after it."""
    cal = get_calendar()
    for _ in range(n):
        day -= DAY
        while not cal.is_working_day(day):
            day -= DAY
    return day


def first_off_day_after(day: dt.date) -> dt.date:
    cal = get_calendar()
    day += DAY
    while cal.is_working_day(day):
        day += DAY
    return day


@pytest.fixture
def due() -> dt.date:
    """A due date whose 3-working-days-before day is a Friday (a weekend in between)."""
    friday = dt.date(2026, 11, 27)
    assert get_calendar().is_working_day(friday)
    return after(friday, 3)


@pytest.fixture
def in_work(routed, due):
    """An item in work with exec.energy, due on ``due``."""
    item = routed("in_work")
    item.due_date = due
    db.session.commit()
    return item


def sent(item=None) -> list[tuple[str, str, str]]:
    """(username, kind, key) of every notification (for ``item``), in order."""
    query = select(Notification).order_by(Notification.id)
    if item is not None:
        query = query.where(Notification.item_id == item.id)
    out = []
    for n in db.session.scalars(query):
        out.append((db.session.get(User, n.user_id).username, n.kind, n.key))
    return out


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification))


def remind(day: dt.date) -> list[Notification]:
    created = run_reminders(day)
    db.session.commit()
    return created


# --- when and to whom ------------------------------------------------------------------------


def test_r_ctrl_3_before_reminders_3_and_1_working_days_to_the_executor(in_work, due):
    three, one = before(due, 3), before(due, 1)
    assert (due - three).days > 3  # a weekend lies in between: working days, not calendar days
    assert remind(before(due, 4)) == []
    created = remind(three)
    assert [(n.kind, n.key) for n in created] == [("before", f"{due.isoformat()}:3")]
    assert in_work.reg_number in created[0].message
    assert due.strftime("%d.%m.%Y") in created[0].message
    assert remind(before(due, 2)) == []
    assert remind(one) and sent(in_work) == [
        ("exec.energy", "before", f"{due.isoformat()}:3"),
        ("exec.energy", "before", f"{due.isoformat()}:1"),
    ]


def test_r_ctrl_3_before_reminders_whatever_the_term_counting_convention(in_work, due):
    # R-DEADLINE-1's "arrival day is day 1" is about counting terms, not the distance of a reminder.
    from flask import g

    from docflow.core.calendar import SETTING_KEY
    from docflow.core.settings import get_setting, set_setting

    set_setting(SETTING_KEY, {**(get_setting(SETTING_KEY) or {}), "arrival_day_counts": False})
    db.session.commit()
    g.pop("_docflow_calendar", None)
    assert not get_calendar().arrival_day_counts
    assert remind(before(due, 4)) == []
    assert [n.key for n in remind(before(due, 3))] == [f"{due.isoformat()}:3"]
    assert [n.key for n in remind(before(due, 1))] == [f"{due.isoformat()}:1"]


def test_r_ctrl_3_due_today_to_the_executor_only(in_work, due):
    created = remind(due)
    assert [n.kind for n in created] == ["due_today"]
    assert sent(in_work) == [("exec.energy", "due_today", due.isoformat())]


def test_r_ctrl_3_overdue_to_the_executor_and_escalated_to_the_head(in_work, due):
    created = remind(after(due, 1))
    assert sorted(sent(in_work)) == [
        ("exec.energy", "overdue", due.isoformat()),
        ("head.energy", "escalation", due.isoformat()),
    ]
    assert len(created) == 2
    assert all(in_work.reg_number in n.message for n in created)
    # The head of another subdivision and the colleague hear nothing.
    assert {u for u, _, _ in sent()} == {"exec.energy", "head.energy"}


def test_r_ctrl_3_without_an_executor_the_head_is_reminded(routed, due):
    item = routed("distributed")
    item.due_date = due
    db.session.commit()
    remind(before(due, 3))
    assert sent(item) == [("head.energy", "before", f"{due.isoformat()}:3")]


def test_r_ctrl_3_running_twice_creates_nothing_new(in_work, due):
    for day in (before(due, 3), due, after(due, 1)):
        assert remind(day)
        total = count()
        assert remind(day) == []
        assert count() == total
    # Overdue is said once per due date, not every day.
    assert remind(after(due, 2)) == []
    assert count() == 4  # before:3, due_today, overdue, escalation


def test_r_ctrl_3_nothing_on_a_non_working_day(in_work, due):
    off = first_off_day_after(due)
    assert off > due and not get_calendar().is_working_day(off)
    assert remind(off) == []
    assert count() == 0
    assert remind(after(off, 1))  # the next working day does remind (overdue)


def test_r_deadline_2_extension_gives_new_reminders(in_work, due, users):
    assert [n.kind for n in remind(due)] == ["due_today"]
    new_due = after(due, 5)
    ops.extend(
        in_work, users["head.energy"], basis="decision", new_due=new_due, reason="экспертиза"
    )
    db.session.commit()
    assert remind(due) == []  # the old date is no longer due
    assert [(n.kind, n.key) for n in remind(before(new_due, 3))] == [
        ("before", f"{new_due.isoformat()}:3")
    ]
    assert [(n.kind, n.key) for n in remind(new_due)] == [("due_today", new_due.isoformat())]
    assert remind(after(due, 1)) == []  # not overdue: the old date's overdue never comes


def test_r_ctrl_3_closed_and_forwarded_items_get_none(routed, make_item, users, due):
    closed = routed("closed")
    forwarded = make_item()
    ops.forward(forwarded, users["controller"], body="Министерство энергетики", partial=False)
    for item in (closed, forwarded):
        item.due_date = due
    db.session.commit()
    assert forwarded.state == "forwarded"
    for day in (before(due, 3), before(due, 1), due, after(due, 1)):
        assert remind(day) == []
    assert count() == 0


def test_r_ctrl_3_reminder_shown_on_the_dashboard_and_done_marks_it_read(app, in_work, due):
    remind(after(due, 1))
    (mine,) = db.session.scalars(select(Notification).where(Notification.kind == "overdue")).all()
    executor, head = app.test_client(), app.test_client()
    for c, name in ((executor, "exec.energy"), (head, "head.energy")):
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert (
            c.post("/login", data={"username": name, "password": DEMO_PASSWORD}).status_code == 302
        )
    page = executor.get("/routing/").get_data(as_text=True)
    assert "Reminders" in page and mine.message in page
    assert f"/routing/notifications/{mine.id}/read" in page

    # Someone else's notification cannot be marked.
    assert head.post(f"/routing/notifications/{mine.id}/read").status_code == 404
    db.session.expire_all()
    assert mine.read_at is None

    r = executor.post(f"/routing/notifications/{mine.id}/read")
    assert r.status_code == 303 and r.headers["Location"].endswith("/routing/")
    db.session.expire_all()
    assert mine.read_at is not None
    page = executor.get("/routing/").get_data(as_text=True)
    assert mine.message not in page and "Reminders" not in page


# --- e-mail -------------------------------------------------------------------------------


class Collector:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook name
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.collector = Collector()
        self.controller: Controller | None = None

    @property
    def messages(self):
        return self.collector.messages

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class TestEmail:
    @pytest.fixture
    def smtp(self):
        server = SMTPServer()
        server.start()
        yield server
        server.stop()

    @pytest.fixture
    def app(self, make_app, smtp):
        """The demo app sending mail to the local SMTP server; every demo user has an address."""
        app = make_app("demo", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
        with app.app_context():
            for user in db.session.scalars(select(User)):
                user.email = f"{user.username}@docflow.test"
            db.session.commit()
            yield app

    def test_r_ctrl_3_one_mail_per_notification_then_nothing(self, smtp, in_work, due, users):
        users["head.energy"].locale = "en"
        db.session.commit()
        created = remind(after(due, 1))
        assert len(created) == 2
        assert send_emails() == (2, 0)
        db.session.commit()
        by_rcpt = {m["To"]: m for m in smtp.messages}
        assert sorted(by_rcpt) == ["exec.energy@docflow.test", "head.energy@docflow.test"]
        for n in created:
            mail = by_rcpt[f"{db.session.get(User, n.user_id).username}@docflow.test"]
            assert mail.get_content().strip() == n.message
            assert mail["Subject"] == n.message[:120]
        head_mail = by_rcpt["head.energy@docflow.test"].get_content()
        en_due = f"{due.day} {due.strftime('%b')} {due.year}"  # one date format per locale
        assert in_work.reg_number in head_mail and en_due in head_mail
        assert "Escalation" in head_mail  # English for the head who chose English
        db.session.expire_all()
        assert all(n.emailed_at is not None and n.email_error is None for n in created)

        assert send_emails() == (0, 0)  # a second call sends nothing
        assert len(smtp.messages) == 2

    def test_r_ctrl_3_mail_in_kazakh_for_a_kazakh_speaking_user(self, smtp, in_work, due, users):
        users["exec.energy"].locale = "kk"
        users["head.energy"].locale = "en"
        db.session.commit()
        remind(after(due, 1))
        assert send_emails() == (2, 0)
        by_rcpt = {m["To"]: m.get_content() for m in smtp.messages}
        executor_mail = by_rcpt["exec.energy@docflow.test"]
        assert in_work.reg_number in executor_mail and due.strftime("%d.%m.%Y") in executor_mail
        # Kazakh (the number "ЖТ-…" has no Kazakh-only letters), not the English source text.
        assert KAZAKH_LETTERS & set(executor_mail), executor_mail
        assert "overdue" not in executor_mail
        assert "Escalation" in by_rcpt["head.energy@docflow.test"]

    def test_r_ctrl_3_smtp_down_keeps_the_error_and_retries_later(self, smtp, in_work, due):
        smtp.stop()
        (n,) = remind(due)
        sent_, failed = send_emails()
        db.session.commit()
        assert (sent_, failed) == (0, 1)
        db.session.expire_all()
        assert n.emailed_at is None and n.email_error  # kept for the next run
        assert smtp.messages == []

        smtp.start()
        assert send_emails() == (1, 0)
        db.session.commit()
        db.session.expire_all()
        assert n.emailed_at is not None and n.email_error is None
        assert [m["To"] for m in smtp.messages] == ["exec.energy@docflow.test"]
        assert send_emails() == (0, 0)

    def test_users_without_an_address_get_no_mail(self, smtp, in_work, due, users):
        users["exec.energy"].email = None
        db.session.commit()
        remind(after(due, 1))
        assert send_emails() == (1, 0)  # the head's escalation only
        assert [m["To"] for m in smtp.messages] == ["head.energy@docflow.test"]


def test_no_mail_server_no_mail(in_work, due, users):
    users["exec.energy"].email = "exec.energy@docflow.test"
    db.session.commit()
    remind(due)
    assert send_emails() == (0, 0)
    assert db.session.scalar(select(Notification)).emailed_at is None
