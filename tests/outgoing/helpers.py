"""Helpers of the outgoing-notice tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.outgoing.models import OutgoingNotice


def notices(item=None, kind: str | None = None) -> list[OutgoingNotice]:
    query = select(OutgoingNotice).order_by(OutgoingNotice.id)
    if item is not None:
        query = query.where(OutgoingNotice.item_id == item.id)
    if kind is not None:
        query = query.where(OutgoingNotice.kind == kind)
    return list(db.session.scalars(query))


def today() -> dt.date:
    return get_calendar().local_now().date()


def ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")
