"""Helpers of the outgoing-notice tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.outgoing.letter_models import Letter
from docflow.outgoing.models import KINDS


def notices(item=None, kind: str | None = None) -> list[Letter]:
    """The notices (letters of a notice kind), oldest first."""
    query = select(Letter).where(Letter.kind.in_(list(KINDS))).order_by(Letter.id)
    if item is not None:
        query = query.where(Letter.item_id == item.id)
    if kind is not None:
        query = query.where(Letter.kind == kind)
    return list(db.session.scalars(query))


def today() -> dt.date:
    return get_calendar().local_now().date()


def ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")
