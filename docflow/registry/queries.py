"""Read-side queries of the registry: the journal with filters and search, overdue counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select, text

from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.registry import search
from docflow.registry.models import IncomingItem
from docflow.registry.workflow import FINAL_STATES


@dataclass
class JournalFilter:
    q: str | None = None
    kind: str | None = None
    channel: str | None = None
    state: str | None = None
    subdivision: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False
    from_reception: bool = False
    today: dt.date | None = None


def overdue_condition(today: dt.date):
    return (IncomingItem.due_date < today) & IncomingItem.state.not_in(FINAL_STATES)


def journal_query(f: JournalFilter) -> Select:
    query = select(IncomingItem)
    if f.q:
        found = search.matching_ids_sql(f.q)
        if found is not None:
            sql, params = found
            query = query.where(IncomingItem.id.in_(text(sql).bindparams(**params)))
    if f.kind:
        query = query.where(IncomingItem.kind == f.kind)
    if f.channel:
        query = query.where(IncomingItem.channel == f.channel)
    if f.state:
        query = query.where(IncomingItem.state == f.state)
    if f.subdivision:
        query = query.join(Subdivision, Subdivision.id == IncomingItem.subdivision_id).where(
            Subdivision.code == f.subdivision
        )
    if f.date_from:
        query = query.where(IncomingItem.registration_date >= f.date_from)
    if f.date_to:
        query = query.where(IncomingItem.registration_date <= f.date_to)
    if f.overdue:
        query = query.where(overdue_condition(f.today or dt.date.today()))
    if f.from_reception:
        query = query.where(IncomingItem.from_reception.is_(True))
    return query.order_by(IncomingItem.registration_date.desc(), IncomingItem.id.desc())


def overdue_by_subdivision(today: dt.date) -> list[tuple[str | None, int]]:
    """Overdue items per subdivision (unrouted items under None), most overdue first."""
    rows = db.session.execute(
        select(Subdivision.code, func.count(IncomingItem.id))
        .select_from(IncomingItem)
        .outerjoin(Subdivision, Subdivision.id == IncomingItem.subdivision_id)
        .where(overdue_condition(today))
        .group_by(Subdivision.code)
        .order_by(func.count(IncomingItem.id).desc())
    ).all()
    return [(code, int(n)) for code, n in rows]
