"""Ratings given in a period (R-ANS-3): on the verification page or from a call (native letters),
or recorded in an imported case's ``rated`` events — for the weekly ratings analysis."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from docflow.analytics.models import CaseFact
from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.registry.models import IncomingItem


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    cal = get_calendar()
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=cal.tz).astimezone(dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=cal.tz)
    return start, end.astimezone(dt.UTC)


def ratings_given(date_from: dt.date, date_to: dt.date) -> list[dict[str, Any]]:
    from docflow.exchange.models import ImportedEvent
    from docflow.outgoing.letter_models import Letter
    from docflow.outgoing.public_models import AnswerRating

    start, end = _bounds(date_from, date_to)
    cal = get_calendar()
    out: list[dict[str, Any]] = []
    native = db.session.execute(
        select(AnswerRating.score, AnswerRating.at, IncomingItem.reg_number, CaseFact.subdivision)
        .join(Letter, Letter.id == AnswerRating.letter_id)
        .join(IncomingItem, IncomingItem.id == Letter.item_id)
        .outerjoin(CaseFact, CaseFact.item_id == IncomingItem.id)
        .where(AnswerRating.at >= start, AnswerRating.at < end)
    ).all()
    imported = db.session.execute(
        select(ImportedEvent.data, ImportedEvent.at, IncomingItem.reg_number, CaseFact.subdivision)
        .join(IncomingItem, IncomingItem.id == ImportedEvent.item_id)
        .outerjoin(CaseFact, CaseFact.item_id == IncomingItem.id)
        .where(ImportedEvent.type == "rated", ImportedEvent.at >= start, ImportedEvent.at < end)
    ).all()
    for score, at, reg, sub in native:
        out.append(
            {
                "score": int(score),
                "on": cal.to_local(at).date(),
                "reg_number": reg,
                "subdivision": sub,
            }
        )
    for data, at, reg, sub in imported:
        score = (data or {}).get("rating")
        if isinstance(score, int) and 1 <= score <= 5:
            out.append(
                {
                    "score": score,
                    "on": cal.to_local(at).date(),
                    "reg_number": reg,
                    "subdivision": sub,
                }
            )
    out.sort(key=lambda r: (r["on"], r["reg_number"]))
    return out
