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

from sqlalchemy import and_, case, func, or_, select

from docflow.analytics import facts
from docflow.analytics.models import MEASURES, CaseFact, DailyAggregate, monthly
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


def _filtered(filters: Filters) -> bool:
    return bool(filters.subdivisions or filters.districts or filters.kinds or filters.topics)


def _daily(dim: str, filters: Filters) -> list:
    """The daily rollup rows of ``dim`` in the period (for figures by day)."""
    a = DailyAggregate
    return [a.dim == dim, a.day >= filters.date_from, a.day <= filters.date_to]


def _month_end(start: dt.date) -> dt.date:
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _rollup(dim: str, filters: Filters) -> list:
    """The rollup rows whose sum is the period's figure: the monthly rows of the months wholly
    inside it, the daily rows of the days before and after them (a year is 12 monthly rows and
    a few dozen daily ones per value, not 365)."""
    a = DailyAggregate
    first = filters.date_from.replace(day=1)
    if first < filters.date_from:
        first = _month_end(first) + dt.timedelta(days=1)
    last = filters.date_to.replace(day=1)
    if _month_end(last) > filters.date_to:
        last = (last - dt.timedelta(days=1)).replace(day=1)
    if last < first:  # no whole month inside
        return _daily(dim, filters)
    # Three ranges of the (dim, day) index side by side (MULTI-INDEX OR on SQLite): an OR nested
    # inside one of them would make the planner read every day of the dimension.
    return [
        or_(
            and_(a.dim == monthly(dim), a.day >= first, a.day <= last),
            and_(a.dim == dim, a.day >= filters.date_from, a.day < first),
            and_(a.dim == dim, a.day > _month_end(last), a.day <= filters.date_to),
        )
    ]


def _fresh() -> None:
    facts.drain()


def _measures_row(filters: Filters) -> tuple:
    """The period's MEASURES: from the "all" rollup, or from the facts when filtered."""
    if _filtered(filters):
        return db.session.execute(
            select(*facts.fact_measures()).where(*_where(CaseFact, filters))
        ).one()
    a = DailyAggregate
    return db.session.execute(
        select(*[func.coalesce(func.sum(getattr(a, m)), 0) for m in MEASURES]).where(
            *_rollup("all", filters)
        )
    ).one()


def totals(filters: Filters) -> dict[str, Any]:
    _fresh()
    values = dict(zip(MEASURES, _measures_row(filters), strict=True))
    n, rated = int(values["n"] or 0), int(values["rated"] or 0)
    overdue = overdue_count(filters)
    return {
        "total": n,
        "on_time": int(values["on_time"] or 0),
        "late": int(values["late"] or 0),
        "open": int(values["open"] or 0) - overdue,
        "overdue": overdue,
        "extended": int(values["extended"] or 0),
        "repeat": int(values["repeat"] or 0),
        "repeat_rate": round(int(values["repeat"] or 0) / n, 4) if n else 0.0,
        "rated": rated,
        "rating_mean": round(float(values["rating_sum"] or 0) / rated, 2) if rated else None,
        "from_reception": int(values["from_reception"] or 0),
        "from_meeting": int(values["from_meeting"] or 0),
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


def _grouped(filters: Filters, dim: str, value_column) -> list[tuple]:
    """(value, n, on_time, late, rated, rating_sum) per value of one dimension."""
    if _filtered(filters):
        measures = facts.fact_measures()
        value = func.coalesce(value_column, "")
        return db.session.execute(
            select(value, measures[0], measures[1], measures[2], measures[8], measures[9])
            .where(*_where(CaseFact, filters))
            .group_by(value)
        ).all()
    a = DailyAggregate
    return db.session.execute(
        select(
            a.value,
            func.sum(a.n),
            func.sum(a.on_time),
            func.sum(a.late),
            func.sum(a.rated),
            func.sum(a.rating_sum),
        )
        .where(*_rollup(dim, filters))
        .group_by(a.value)
    ).all()


def breakdown(filters: Filters, dimension: str) -> list[dict[str, Any]]:
    """Counts per value of one dimension, largest first ("" is cases without one)."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    _fresh()
    rows = _grouped(filters, dimension, getattr(CaseFact, dimension))
    out = [
        {
            "value": value,
            "n": int(n),
            "on_time": int(on_time or 0),
            "late": int(late or 0),
            "rating_mean": round(float(rsum) / int(rated), 2) if rated else None,
        }
        for value, n, on_time, late, rated, rsum in rows
    ]
    out.sort(key=lambda r: (-r["n"], r["value"]))
    return out


def series(filters: Filters, bucket: str = "week") -> list[dict[str, Any]]:
    """Cases per day, week or month of registration, in order."""
    _fresh()
    if _filtered(filters):
        measures = facts.fact_measures()
        rows = db.session.execute(
            select(CaseFact.day, measures[0], measures[2])
            .where(*_where(CaseFact, filters))
            .group_by(CaseFact.day)
        ).all()
    else:
        a = DailyAggregate
        rows = db.session.execute(select(a.day, a.n, a.late).where(*_daily("all", filters))).all()
    out: dict[dt.date, list[int]] = {}
    for day, n, late in rows:
        key = _bucket(day, bucket)
        slot = out.setdefault(key, [0, 0])
        slot[0] += int(n)
        slot[1] += int(late or 0)
    return [{"start": k, "n": v[0], "late": v[1]} for k, v in sorted(out.items())]


def _bucket(day: dt.date, bucket: str) -> dt.date:
    if bucket == "day":
        return day
    if bucket == "month":
        return day.replace(day=1)
    return day - dt.timedelta(days=day.weekday())


def district_topic_counts(filters: Filters) -> dict[tuple[str, str], dict[dt.date, int]]:
    """Cases per district, topic and day (both known) — the problem map and problems read it."""
    if _filtered(filters):
        rows = db.session.execute(
            select(CaseFact.district, CaseFact.topic, CaseFact.day, func.count())
            .where(
                *_where(CaseFact, filters),
                CaseFact.district.is_not(None),
                CaseFact.topic.is_not(None),
            )
            .group_by(CaseFact.district, CaseFact.topic, CaseFact.day)
        ).all()
    else:
        a = DailyAggregate
        rows = [
            (*value.split("|", 1), day, n)
            for value, day, n in db.session.execute(
                select(a.value, a.day, a.n).where(*_daily("district_topic", filters))
            )
        ]
    out: dict[tuple[str, str], dict[dt.date, int]] = {}
    for district, topic, day, n in rows:
        out.setdefault((district, topic), {})[day] = int(n)
    return out


def _day_number(column):
    """Days as integers in the database's own SQL (julian day; days since 2000 on PostgreSQL)."""
    from sqlalchemy import Integer, cast

    if db.engine.dialect.name == "sqlite":
        return cast(func.julianday(column), Integer)
    return column - func.date("2000-01-01")


def densest_windows(filters: Filters, window: int, min_count: int):
    """Per district and topic: the ``window``-day stretch of the period holding most cases —
    (cell, first case day, last day, cases, the period's cases before it).

    Unfiltered, the days come from the daily rollup as one string per cell ("day:cases,…",
    days as integers), read through the covering index of the rollup (migration 0027): the
    database hands over a few hundred rows instead of one per cell and day — a year of a
    million cases is about 130,000 cell-days. Filtered, they come from the facts."""
    if _filtered(filters):
        f = CaseFact
        value = f.district + "|" + f.topic
        number = _day_number(f.day)
        query = (
            select(value, number, func.count())
            .where(*_where(f, filters), f.district.is_not(None), f.topic.is_not(None))
            .group_by(value, number)
            .order_by(value, number)
        )
        current, days = None, []
        for value, day, n in db.session.execute(query):
            if value != current:
                if days:
                    found = _scan(current, days, window, min_count)
                    if found:
                        yield found
                current, days = value, []
            days.append((int(day), int(n)))
        if days:
            found = _scan(current, days, window, min_count)
            if found:
                yield found
        return
    for value, packed in db.session.execute(_packed_days(filters)):
        numbers = list(map(int, packed.replace(":", ",").split(",")))
        days = sorted(zip(numbers[0::2], numbers[1::2], strict=True))
        found = _scan(value, days, window, min_count)
        if found:
            yield found


def _packed_days(filters: Filters):
    """SELECT value, "day:n,day:n,…" per district|topic cell of the daily rollup."""
    from sqlalchemy import String, cast

    a = DailyAggregate
    number = cast(_day_number(a.day), String)
    pair = number + ":" + cast(a.n, String)
    if db.engine.dialect.name == "sqlite":
        packed = func.group_concat(pair, ",")
    else:
        packed = func.string_agg(pair, ",")
    return select(a.value, packed).where(*_daily("district_topic", filters)).group_by(a.value)


_EPOCH = dt.date(2000, 1, 1)


def _from_number(number: int) -> dt.date:
    # SQLite: CAST(julianday('2000-01-01') AS INTEGER) is 2451544
    base = 2451544 if db.engine.dialect.name == "sqlite" else 0
    return _EPOCH + dt.timedelta(days=number - base)


def _scan(value: str, days: list[tuple[int, int]], window: int, min_count: int):
    if sum(n for _d, n in days) < min_count:
        return None
    best_first = best_last = days[0][0]
    best, j, total, before = 0, 0, 0, 0
    best_before = 0
    for day, n in days:
        total += n
        while day - days[j][0] >= window:
            total -= days[j][1]
            before += days[j][1]
            j += 1
        if total > best:
            best, best_first, best_last, best_before = total, days[j][0], day, before
    if best < min_count:
        return None
    district, topic = value.split("|", 1)
    return (
        (district, topic),
        _from_number(best_first),
        _from_number(best_last),
        best,
        best_before,
    )


def district_topic_totals(filters: Filters) -> dict[tuple[str, str], int]:
    """Cases per district and topic over the period (both known)."""
    if _filtered(filters):
        rows = db.session.execute(
            select(CaseFact.district, CaseFact.topic, func.count())
            .where(
                *_where(CaseFact, filters),
                CaseFact.district.is_not(None),
                CaseFact.topic.is_not(None),
            )
            .group_by(CaseFact.district, CaseFact.topic)
        ).all()
        return {(d, t): int(n) for d, t, n in rows}
    a = DailyAggregate
    rows = db.session.execute(
        select(a.value, func.sum(a.n)).where(*_rollup("district_topic", filters)).group_by(a.value)
    ).all()
    return {tuple(value.split("|", 1)): int(n) for value, n in rows}  # type: ignore[misc]


def heatmap(filters: Filters) -> dict[str, Any]:
    """District × topic counts (cases with both known)."""
    _fresh()
    cells = district_topic_totals(filters)
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
