"""Where each notice the law requires arises: one call from the operation that requires it.

Each hook builds the texts (kk/ru) and makes the notice letter with its due date, in the caller's
transaction (registered at once, or a draft for the head's signature when the profile says its
kind needs one — :func:`docflow.outgoing.operations.register_notice`). The callers checked their
own permission before calling; they reach these hooks through :mod:`docflow.outgoing.notices`.

- R-REG-5 ``correction``: registry ``_completeness``; due 3 working days from registration.
- R-REG-6 ``left_without_consideration``: registry ``_completeness``; due 3 working days.
- R-ROUTE-2 ``forwarding``: routing ``forward``; due the forwarding deadline.
- R-DEADLINE-2 ``extension``: routing ``extend``; due ``Extension.notice_due``.
- R-ROUTE-5 ``termination``: routing ``terminate``; due 3 working days from the termination.
- R-RECV-11 ``signup_inclusion`` / ``signup_time``: protocols ``distribute_list``; due
  ``SignUp.inclusion_notice_due`` / ``SignUp.time_notice_due``.
- R-RECV-12 ``hearing_draft``: protocols ``propose_refusal``; due the day it is proposed (≥ 3
  working days before the decision).
- R-RECV-8 ``reception_cancelled``: schedules ``cancel_session``; due the day of cancellation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.outgoing import texts
from docflow.outgoing.letter_models import Letter
from docflow.outgoing.operations import register_notice
from docflow.registry.models import IncomingItem

REGISTRY_NOTICE_DAYS = 3  # R-REG-5 / R-REG-6: the applicant is told within 3 working days
TERMINATION_NOTICE_DAYS = 3  # R-ROUTE-5 / АППК art. 70(3): told within 3 working days


def _registry_due(item: IncomingItem) -> dt.date:
    # Counted like the other 3-working-day terms (R-ROUTE-2): the registration day is day 1.
    return get_calendar().add_working_days(item.registration_date, REGISTRY_NOTICE_DAYS)


def _item(record: Any) -> IncomingItem:
    return db.session.get(IncomingItem, record.item_id)


def correction_requested(item: IncomingItem, actor: Any) -> Letter:
    """R-REG-5: the applicant is told what is missing and until when."""
    kk, ru = texts.correction(item, actor)
    return register_notice(
        "correction", item, actor, text_kk=kk, text_ru=ru, due_on=_registry_due(item)
    )


def left_without_consideration(item: IncomingItem, actor: Any) -> Letter:
    """R-REG-6: a sign-up request without the essence of the question."""
    kk, ru = texts.left_without_consideration(item, actor)
    return register_notice(
        "left_without_consideration",
        item,
        actor,
        text_kk=kk,
        text_ru=ru,
        due_on=_registry_due(item),
    )


def forwarded(fwd: Any, actor: Any) -> Letter:
    """R-ROUTE-2: forwarded to the competent body; the notice goes with it (by its deadline)."""
    item = _item(fwd)
    kk, ru = texts.forwarding(item, fwd, actor)
    return register_notice(
        "forwarding", item, actor, text_kk=kk, text_ru=ru, due_on=fwd.deadline, source=fwd
    )


def extended(ext: Any, actor: Any) -> Letter:
    """R-DEADLINE-2: the term extended; the applicant is told within 3 working days."""
    item = _item(ext)
    kk, ru = texts.extension(item, ext, actor)
    return register_notice(
        "extension", item, actor, text_kk=kk, text_ru=ru, due_on=ext.notice_due, source=ext
    )


def terminated(item: IncomingItem, earlier: IncomingItem | None, actor: Any) -> Letter:
    """R-ROUTE-5: a repeat appeal terminated; the applicant is told within 3 working days of the
    termination (counted like the extension notice, R-DEADLINE-2)."""
    cal = get_calendar()
    today = cal.local_now().date()
    kk, ru = texts.termination(item, earlier, actor, today)
    return register_notice(
        "termination",
        item,
        actor,
        text_kk=kk,
        text_ru=ru,
        due_on=cal.add_working_days(today, TERMINATION_NOTICE_DAYS),
    )


def signup_included(signup: Any, session: Any, actor: Any) -> list[Letter]:
    """R-RECV-11: included in the list → the inclusion notice and the date/time notice."""
    item = _item(signup)
    today = get_calendar().local_now().date()
    kk, ru = texts.signup_inclusion(item, signup, session, actor)
    inclusion = register_notice(
        "signup_inclusion",
        item,
        actor,
        text_kk=kk,
        text_ru=ru,
        due_on=signup.inclusion_notice_due or today,
        language=signup.language,
        source=signup,
    )
    kk, ru = texts.signup_time(item, signup, session, actor)
    time_notice = register_notice(
        "signup_time",
        item,
        actor,
        text_kk=kk,
        text_ru=ru,
        due_on=signup.time_notice_due or today,
        language=signup.language,
        source=signup,
    )
    return [inclusion, time_notice]


def refusal_proposed(signup: Any, actor: Any) -> Letter:
    """R-RECV-12: the draft refusal goes out the day it is proposed, for the hearing."""
    item = _item(signup)
    kk, ru = texts.hearing_draft(item, signup, actor)
    due = signup.preliminary_sent_on or get_calendar().local_now().date()
    return register_notice(
        "hearing_draft",
        item,
        actor,
        text_kk=kk,
        text_ru=ru,
        due_on=due,
        language=signup.language,
        source=signup,
    )


def reception_cancelled(
    session: Any, signups: list[Any], actor: Any, today: dt.date
) -> list[Letter]:
    """R-RECV-8: each applicant of the cancelled reception is told, the day of cancellation."""
    out = []
    for signup in signups:
        item = _item(signup)
        kk, ru = texts.reception_cancelled(item, session, actor)
        out.append(
            register_notice(
                "reception_cancelled",
                item,
                actor,
                text_kk=kk,
                text_ru=ru,
                due_on=today,
                language=signup.language,
                source=session,
            )
        )
    return out
