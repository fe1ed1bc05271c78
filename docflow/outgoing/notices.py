"""What other domains ask outgoing about the notices to applicants — the only outgoing module the
registry, routing and protocols import.

Outgoing owns the notices: their texts, their letters and their "sent" state. The acts that
require a notice call the hooks below (R-REG-5, -6, R-ROUTE-2, -5, R-DEADLINE-2, R-RECV-8, -11,
-12); dashboards and panels ask :func:`sent_on` / :func:`is_sent` / :func:`sent_source_ids`
instead of keeping fields of their own; the routing panel records a notice sent with
:func:`mark_source_sent`; protocols take the reception-cancelled text from
:func:`reception_cancelled_texts`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from docflow.extensions import db
from docflow.outgoing import texts
from docflow.outgoing.hooks import (
    correction_requested,
    extended,
    forwarded,
    left_without_consideration,
    reception_cancelled,
    refusal_proposed,
    signup_included,
    terminated,
)
from docflow.outgoing.letter_models import NOTICE_KINDS, Letter
from docflow.outgoing.operations import mark_source_sent
from docflow.registry.models import IncomingItem

__all__ = [
    "awaiting",
    "correction_requested",
    "extended",
    "forwarded",
    "is_sent",
    "left_without_consideration",
    "mark_source_sent",
    "reception_cancelled",
    "reception_cancelled_texts",
    "refusal_proposed",
    "sent_on",
    "sent_source_ids",
    "signup_included",
    "terminated",
    "unsent",
]


def _of(source_type: str, kind: str | None):
    query = select(Letter).where(Letter.source_type == source_type)
    return query.where(Letter.kind == kind) if kind else query


def sent_on(source_type: str, source_id: int | None, kind: str | None = None) -> dt.date | None:
    """The day the notices about the record (``extension``, ``forwarding``, ``signup``,
    ``reception_session`` and its id; of one ``kind`` if given) went out: the last of them, once
    every one did; None while one waits, or when there is none."""
    if source_id is None:
        return None
    days = list(
        db.session.scalars(
            _of(source_type, kind)
            .with_only_columns(Letter.sent_on)
            .where(Letter.source_id == source_id)
        )
    )
    if not days or any(d is None for d in days):
        return None
    return max(days)


def is_sent(source_type: str, source_id: int | None, kind: str | None = None) -> bool:
    return sent_on(source_type, source_id, kind) is not None


def sent_source_ids(source_type: str, kind: str | None = None):
    """A subquery of the ids of the records of ``source_type`` whose notices all went out (for
    ``Model.id.not_in(…)`` in a dashboard's query)."""
    return (
        _of(source_type, kind)
        .with_only_columns(Letter.source_id)
        .group_by(Letter.source_id)
        .having(func.count(Letter.id) == func.count(Letter.sent_on))
    )


def awaiting(kind: str, limit: int = 100) -> list[Letter]:
    """Notices of ``kind`` not sent yet, the earliest due first (R-ROUTE-5's termination
    notice has no routing record of its own)."""
    return list(
        db.session.scalars(
            select(Letter)
            .where(Letter.kind == kind, Letter.sent_on.is_(None))
            .order_by(Letter.due_on, Letter.id)
            .limit(limit)
        )
    )


def unsent():
    """A query of the notices to applicants numbered in the outgoing journal and not sent yet,
    the earliest due first (the office's "unsent notices" queue counts and pages it)."""
    return (
        select(Letter)
        .where(
            Letter.kind.in_(list(NOTICE_KINDS)),
            Letter.reg_number.is_not(None),
            Letter.sent_on.is_(None),
        )
        .order_by(Letter.due_on.is_(None), Letter.due_on, Letter.id)
    )


def reception_cancelled_texts(session: Any, item: IncomingItem) -> dict[str, str]:
    """R-RECV-8: the notice that the reception will not take place, {"kk": …, "ru": …}."""
    kk, ru = texts.reception_cancelled_texts(session, item)
    return {"kk": kk, "ru": ru}
