"""Reminders before the due date, on the day, and escalation when overdue (R-CTRL-3).

Run daily (``flask --app docflow routing remind``). Each reminder is a ``Notification`` row,
unique per user, item, kind and due date, so running twice never reminds twice; e-mails go out
through SMTP when ``MAIL_SERVER`` is configured, and a failed send is retried on the next run.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.org.models import User
from docflow.registry.models import IncomingItem
from docflow.routing.handlers import subdivision_heads
from docflow.routing.models import ExecutorAssignment, Notification

DEFAULT_BEFORE = [3, 1]  # working days before the due date (profile setting "reminders")
WATCHED_STATES = ("distributed", "in_work", "answer_review")


def _recipients(item: IncomingItem) -> list[User]:
    executors = list(
        db.session.scalars(
            select(User)
            .join(ExecutorAssignment, ExecutorAssignment.user_id == User.id)
            .where(ExecutorAssignment.item_id == item.id, ExecutorAssignment.active.is_(True))
        ).unique()
    )
    return executors or _heads(item)


def _heads(item: IncomingItem) -> list[User]:
    return subdivision_heads(item.subdivision_id)


def _message(user: User, kind: str, item: IncomingItem, days: int = 0) -> str:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        due = format_date(item.due_date)
        if kind == "before":
            return _(
                "%(number)s: the answer is due on %(date)s, in %(n)d working day(s).",
                number=item.reg_number,
                date=due,
                n=days,
            )
        if kind == "due_today":
            return _(
                "%(number)s: the answer is due today (%(date)s).", number=item.reg_number, date=due
            )
        if kind == "overdue":
            return _(
                "%(number)s is overdue: the answer was due on %(date)s.",
                number=item.reg_number,
                date=due,
            )
        return _(
            "Escalation: %(number)s in your subdivision is overdue since %(date)s.",
            number=item.reg_number,
            date=due,
        )


def _notify(
    user: User, item: IncomingItem, kind: str, key: str, days: int = 0
) -> Notification | None:
    exists = db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == user.id,
            Notification.item_id == item.id,
            Notification.kind == kind,
            Notification.key == key,
        )
    )
    if exists is not None:
        return None
    n = Notification(
        user_id=user.id,
        item_id=item.id,
        kind=kind,
        key=key,
        message=_message(user, kind, item, days),
    )
    db.session.add(n)
    return n


def _working_days_after(cal, day: dt.date, n: int) -> dt.date:
    for _step in range(n):
        day = cal.next_working_day(day)
    return day


def run_reminders(today: dt.date | None = None) -> list[Notification]:
    cal = get_calendar()
    today = today or cal.local_now().date()
    if not cal.is_working_day(today):
        return []
    before = (get_setting("reminders") or {}).get("before", DEFAULT_BEFORE)
    created: list[Notification] = []
    items = db.session.scalars(
        select(IncomingItem).where(
            IncomingItem.state.in_(WATCHED_STATES), IncomingItem.due_date.is_not(None)
        )
    )
    for item in items:
        key = item.due_date.isoformat()  # a new due date (extension) means new reminders
        if item.due_date == today:
            created += [n for u in _recipients(item) if (n := _notify(u, item, "due_today", key))]
        elif item.due_date < today:
            created += [n for u in _recipients(item) if (n := _notify(u, item, "overdue", key))]
            created += [n for u in _heads(item) if (n := _notify(u, item, "escalation", key))]
        else:
            for days in before:
                # due is the `days`-th working day after today, whatever the term-counting
                # convention (R-DEADLINE-1's arrival_day_counts is about terms, not reminders).
                if _working_days_after(cal, today, days) == item.due_date:
                    created += [
                        n
                        for u in _recipients(item)
                        if (n := _notify(u, item, "before", f"{key}:{days}", days))
                    ]
    db.session.flush()
    return created


def send_emails(limit: int = 500) -> tuple[int, int]:
    """Send unsent notifications by e-mail; returns (sent, failed). No MAIL_SERVER: nothing."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        return 0, 0
    pending = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), User.email.is_not(None))
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    if not pending:
        return 0, 0
    sent = failed = 0
    try:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT", 25)), timeout=10)
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD", ""))
    except (OSError, smtplib.SMTPException) as exc:
        for n, _user in pending:
            n.email_error = f"cannot connect: {exc}"[:500]
        db.session.commit()
        return 0, len(pending)
    with smtp:
        for n, user in pending:
            msg = EmailMessage()
            msg["From"] = cfg.get("MAIL_SENDER", "docflow@localhost")
            msg["To"] = user.email
            msg["Subject"] = n.message[:120]
            msg.set_content(n.message)
            try:
                smtp.send_message(msg)
            except (OSError, smtplib.SMTPException) as exc:
                n.email_error = str(exc)[:500]
                failed += 1
            else:
                n.emailed_at, n.email_error = dt.datetime.now(dt.UTC), None
                sent += 1
            # Commit per message: a crash later in the batch never sends this one twice.
            db.session.commit()
    return sent, failed


def summary(created: list[Notification]) -> dict[str, Any]:
    out: dict[str, int] = {}
    for n in created:
        out[n.kind] = out.get(n.kind, 0) + 1
    return out
