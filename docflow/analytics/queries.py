"""The dashboards' questions, answered from the daily aggregates (and the facts for lists).

Every function takes a :class:`Filters` (period, subdivision, district, kind) and first drains the
dirty queue (:func:`docflow.analytics.facts.drain`), so what it shows includes every write so far.
Open cases become overdue with the clock alone; they are counted from the facts (an index on
timeliness and due date: open cases are few).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select

from docflow.analytics import facts
from docflow.analytics.models import CaseFact, DailyAggregate
from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.registry.models import IncomingItem

DIMENSIONS = ("kind", "channel", "subdivision", "district", "topic", "source")


@dataclass
class Filters:
    date_from: dt.date
    date_to: dt.date
    subdivisions: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)

    def args(self) -> dict[str, Any]:
        """The query string of these filters (for links to the cases behind a number)."""
        out: dict[str, Any] = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        for name, values in (
            ("subdivision", self.subdivisions),
            ("district", self.districts),
            ("kind", self.kinds),
            ("topic", self.topics),
        ):
            if values:
                out[name] = list(values)
        return out


def _where(model, filters: Filters) -> list:
    cond = [model.day >= filters.date_from, model.day <= filters.date_to]
    for column, values in (
        (model.subdivision, filters.subdivisions),
        (model.district, filters.districts),
        (model.kind, filters.kinds),
        (model.topic, filters.topics),
    ):
        if values:
            cond.append(column.in_(values))
    return cond


def _fresh() -> None:
    facts.drain()


def totals(filters: Filters) -> dict[str, Any]:
    _fresh()
    a = DailyAggregate
    row = db.session.execute(
        select(
            func.coalesce(func.sum(a.n), 0),
            func.coalesce(func.sum(a.on_time), 0),
            func.coalesce(func.sum(a.late), 0),
            func.coalesce(func.sum(a.open), 0),
            func.coalesce(func.sum(a.extended), 0),
            func.coalesce(func.sum(a.repeat), 0),
            func.coalesce(func.sum(a.rated), 0),
            func.coalesce(func.sum(a.rating_sum), 0.0),
            func.coalesce(func.sum(a.from_reception), 0),
            func.coalesce(func.sum(a.from_meeting), 0),
        ).where(*_where(a, filters))
    ).one()
    n, on_time, late, open_, extended, repeat, rated, rating_sum, reception, meeting = row
    overdue = overdue_count(filters)
    return {
        "total": int(n),
        "on_time": int(on_time),
        "late": int(late),
        "open": int(open_) - overdue,
        "overdue": overdue,
        "extended": int(extended),
        "repeat": int(repeat),
        "repeat_rate": round(int(repeat) / int(n), 4) if n else 0.0,
        "rated": int(rated),
        "rating_mean": round(float(rating_sum) / int(rated), 2) if rated else None,
        "from_reception": int(reception),
        "from_meeting": int(meeting),
    }


def overdue_count(filters: Filters, today: dt.date | None = None) -> int:
    today = today or get_calendar().local_now().date()
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(CaseFact)
            .where(
                CaseFact.timeliness == "open",
                CaseFact.due_date < today,
                *_where(CaseFact, filters),
            )
        )
        or 0
    )


def breakdown(filters: Filters, dimension: str) -> list[dict[str, Any]]:
    """Counts per value of one dimension, largest first ("" is cases without one)."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    _fresh()
    a = DailyAggregate
    column = getattr(a, dimension)
    rows = db.session.execute(
        select(
            column,
            func.sum(a.n),
            func.sum(a.on_time),
            func.sum(a.late),
            func.sum(a.rated),
            func.sum(a.rating_sum),
        )
        .where(*_where(a, filters))
        .group_by(column)
        .order_by(func.sum(a.n).desc(), column)
    ).all()
    return [
        {
            "value": value,
            "n": int(n),
            "on_time": int(on_time),
            "late": int(late),
            "rating_mean": round(float(rsum) / int(rated), 2) if rated else None,
        }
        for value, n, on_time, late, rated, rsum in rows
    ]


def series(filters: Filters, bucket: str = "week") -> list[dict[str, Any]]:
    """Cases per day, week or month of registration, in order."""
    _fresh()
    a = DailyAggregate
    rows = db.session.execute(
        select(a.day, func.sum(a.n), func.sum(a.late))
        .where(*_where(a, filters))
        .group_by(a.day)
        .order_by(a.day)
    ).all()
    out: dict[dt.date, list[int]] = {}
    for day, n, late in rows:
        key = _bucket(day, bucket)
        slot = out.setdefault(key, [0, 0])
        slot[0] += int(n)
        slot[1] += int(late)
    return [{"start": k, "n": v[0], "late": v[1]} for k, v in sorted(out.items())]


def _bucket(day: dt.date, bucket: str) -> dt.date:
    if bucket == "day":
        return day
    if bucket == "month":
        return day.replace(day=1)
    return day - dt.timedelta(days=day.weekday())


def heatmap(filters: Filters) -> dict[str, Any]:
    """District × topic counts (cases with both known)."""
    _fresh()
    a = DailyAggregate
    rows = db.session.execute(
        select(a.district, a.topic, func.sum(a.n))
        .where(*_where(a, filters), a.district != "", a.topic != "")
        .group_by(a.district, a.topic)
    ).all()
    cells = {(d, t): int(n) for d, t, n in rows}
    districts = sorted({d for d, _t in cells})
    topic_totals: dict[str, int] = {}
    for (_d, t), n in cells.items():
        topic_totals[t] = topic_totals.get(t, 0) + n
    topics = sorted(topic_totals, key=lambda t: (-topic_totals[t], t))
    return {"districts": districts, "topics": topics, "cells": cells}


CELL_FIELDS = ("subdivision", "district", "topic", "kind", "channel", "source")
TIMELINESS_FILTERS = ("on_time", "late", "open", "overdue", "extended", "repeat", "rated")


def cases(
    filters: Filters, *, limit: int = 200, offset: int = 0, **cell: Any
) -> tuple[int, list[tuple[CaseFact, IncomingItem]]]:
    """The cases behind a number: the filters plus one cell (dimension values, a measure)."""
    _fresh()
    cond = _where(CaseFact, filters)
    for name in CELL_FIELDS:
        if name in cell and cell[name] is not None:
            value = cell[name]
            column = getattr(CaseFact, name)
            cond.append(column.is_(None) if value == "" else column == value)
    measure = cell.get("measure")
    today = get_calendar().local_now().date()
    if measure == "overdue":
        cond += [CaseFact.timeliness == "open", CaseFact.due_date < today]
    elif measure == "open":
        cond += [
            CaseFact.timeliness == "open",
            case((CaseFact.due_date.is_(None), True), else_=CaseFact.due_date >= today),
        ]
    elif measure in ("on_time", "late"):
        cond.append(CaseFact.timeliness == measure)
    elif measure in ("extended", "repeat"):
        cond.append(getattr(CaseFact, measure).is_(True))
    elif measure == "rated":
        cond.append(CaseFact.rating.is_not(None))
    for flag in ("from_reception", "from_meeting"):
        if cell.get(flag):
            cond.append(getattr(CaseFact, flag).is_(True))
    if cell.get("public_ids"):
        cond.append(
            CaseFact.item_id.in_(
                select(IncomingItem.id).where(IncomingItem.public_id.in_(list(cell["public_ids"])))
            )
        )
    total = int(db.session.scalar(select(func.count()).select_from(CaseFact).where(*cond)) or 0)
    rows = db.session.execute(
        select(CaseFact, IncomingItem)
        .join(IncomingItem, IncomingItem.id == CaseFact.item_id)
        .where(*cond)
        .order_by(CaseFact.day.desc(), CaseFact.item_id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return total, [(f, i) for f, i in rows]
