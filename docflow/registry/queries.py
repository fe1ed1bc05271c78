"""Read-side queries of the registry: the journal with filters and search, overdue counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, false, func, or_, select, text

from docflow.core.audit import IDENTIFIER_RE
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.registry import search
from docflow.registry.models import Applicant, IncomingItem
from docflow.registry.workflow import INCOMING


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


def active_states() -> list[str]:
    return [s.id for s in INCOMING.states.values() if not s.final]


def overdue_condition(today: dt.date):
    # "state IN (active…)" rather than "NOT IN (final…)": it walks the (state, due_date) index.
    return IncomingItem.state.in_(active_states()) & (IncomingItem.due_date < today)


def _only_text(f: JournalFilter) -> bool:
    return not any(
        (
            f.kind,
            f.channel,
            f.state,
            f.subdivision,
            f.date_from,
            f.date_to,
            f.overdue,
            f.from_reception,
        )
    )


def journal_query(f: JournalFilter, window: int | None = None) -> Select:
    """The journal, newest registration first.

    ``window`` (offset + page size + 1) lets a text-only search take just the newest matches
    from the full-text index instead of every match.
    """
    query = select(IncomingItem)
    if f.q and f.q.strip():
        # IINs/BINs are not in the text index (R-PD-1): they match the applicants' identifiers.
        ids = ["".join(filter(str.isdigit, m)) for m in IDENTIFIER_RE.findall(f.q)]
        words = IDENTIFIER_RE.sub(" ", f.q)
        found = search.matching_ids_sql(words, newest=window if _only_text(f) and not ids else None)
        if ids:
            query = query.where(
                IncomingItem.id.in_(
                    select(Applicant.item_id).where(
                        or_(Applicant.iin.in_(ids), Applicant.bin.in_(ids))
                    )
                )
            )
        if found is None and not ids:
            # Nothing searchable: no match, rather than the whole journal as if every item matched.
            query = query.where(false())
        elif found is not None:
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
    return query.order_by(IncomingItem.id.desc())


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
