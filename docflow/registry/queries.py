"""Read-side queries of the registry: the journal with filters and search, overdue counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, Select, any_, bindparam, false, func, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY

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


# The newest matches of a word search are looked for in id ranges from the top down: the first
# range WINDOW_SPAN × the window wide, each next one SPAN_GROWTH times wider (five or six ranges
# reach the bottom of a million items). Deep pages (a longer window) query the index whole.
WINDOW_SPAN = 8
SPAN_GROWTH = 8
MAX_WINDOW = 5000


def journal_query(f: JournalFilter, window: int | None = None) -> Select:
    """The journal, newest registration first.

    ``window`` (offset + page size + 1): only so many rows will be read, so a word search takes
    the newest matches from the text index range by range (newest_matches) instead of every
    match of a common word; the rows are the same.
    """
    query = _filtered(select(IncomingItem), f)
    if f.q and f.q.strip():
        # IINs/BINs are not in the text index (R-PD-1): they match the applicants' identifiers.
        ids = ["".join(filter(str.isdigit, m)) for m in IDENTIFIER_RE.findall(f.q)]
        words = IDENTIFIER_RE.sub(" ", f.q)
        if ids:
            query = query.where(
                IncomingItem.id.in_(
                    select(Applicant.item_id).where(
                        or_(Applicant.iin.in_(ids), Applicant.bin.in_(ids))
                    )
                )
            )
        if not search.tokens(words):
            if not ids:
                # Nothing searchable: no match, rather than the whole journal as if every item
                # matched.
                query = query.where(false())
        elif window and not ids and window <= MAX_WINDOW:
            period = bool(f.date_from or f.date_to)
            query = query.where(
                IncomingItem.id.in_(newest_matches(query, words, window, period=period))
            )
        else:
            sql, params = search.matching_ids_sql(words)
            query = query.where(IncomingItem.id.in_(text(sql).bindparams(**params)))
    return query.order_by(IncomingItem.id.desc())


def newest_matches(filtered: Select, words: str, window: int, period: bool = True) -> list[int]:
    """The ids of the ``window`` newest items of ``filtered`` matching ``words``, newest first.

    Between the highest and the lowest id the filters allow (two index look-ups), ranges of ids
    are searched from the top down, each wider than the last, until ``window`` are found or the
    lowest id is passed: a common word is found in the first narrow range, where the text index
    reads only that range's postings; a rare word, or a narrow filter (a month), takes a few
    ranges, each cheap. Every match above the last range searched has been read, so the ids are
    exactly those the plain query's first ``window`` rows would be.

    ``period``: the filters include a registration period. Without one, PostgreSQL searches
    between the table's own highest and lowest id (see below).
    """
    ids = filtered.with_only_columns(IncomingItem.id).order_by(None)
    # PostgreSQL, given a LIMIT, likes to walk the primary key newest first and test each row:
    # through 160,000 rows for the top of one kind in one month, through the documents
    # themselves for a number (it guesses a prefix word matches 0.5% of them; seconds for one
    # match in 200,000). An expression no index orders by makes it take the rows from the
    # filters' indexes, or the range's matches from the text index, and sort those few.
    sqlite = db.engine.dialect.name == "sqlite"
    newest = IncomingItem.id if sqlite else IncomingItem.id + 0
    if sqlite or ids.whereclause is None:
        top = db.session.scalar(ids.order_by(IncomingItem.id.desc()).limit(1))
        bottom = db.session.scalar(ids.order_by(IncomingItem.id.asc()).limit(1))
    elif not period:
        # No index of PostgreSQL's but the primary key holds the ids: the highest and lowest
        # of one kind (channel, state …) would be read from every row of it (0.5 s for a kind
        # at a million items). The table's own instead: a range above the newest match finds
        # nothing, and costs what a narrow range costs. A period narrows the rows to one
        # index range, cheap to read.
        top, bottom = db.session.execute(
            select(func.max(IncomingItem.id), func.min(IncomingItem.id))
        ).one()
    else:
        top, bottom = db.session.execute(
            ids.with_only_columns(func.max(newest), func.min(newest))
        ).one()
    found: list[int] = []
    if top is None or bottom is None:
        return found
    span, high = WINDOW_SPAN * window, top
    terms = search.match_terms(words)  # the words looked up once for every range
    while high >= bottom and len(found) < window:
        low = max(bottom, high - span + 1)
        matched = search.range_matches(words, (low, high), terms)
        if matched is None:
            sql, params = search.matching_ids_sql(words, between=(low, high), terms=terms)
            matching = IncomingItem.id.in_(text(sql).bindparams(**params))
        else:  # PostgreSQL, a wide range: its matches read first, then filtered here
            matching = IncomingItem.id == any_(bindparam("matched", matched, ARRAY(Integer)))
        if matched != []:
            found += db.session.scalars(
                ids.where(IncomingItem.id.between(low, high), matching)
                .order_by(newest.desc())
                .limit(window - len(found))
            )
        high, span = low - 1, span * SPAN_GROWTH
    return found


def _filtered(query: Select, f: JournalFilter) -> Select:
    """``query`` with the journal's filters other than the search words."""
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
    return query


def overdue_by_subdivision(today: dt.date) -> list[tuple[str | None, int]]:
    """Overdue items per subdivision (unrouted items under None), most overdue first."""
    # count(*), not count(id): the (state, due date, subdivision) index answers it alone, with
    # no row read (PostgreSQL at a million items: 20 ms instead of 0.5 s).
    rows = db.session.execute(
        select(Subdivision.code, func.count())
        .select_from(IncomingItem)
        .outerjoin(Subdivision, Subdivision.id == IncomingItem.subdivision_id)
        .where(overdue_condition(today))
        .group_by(Subdivision.code)
        .order_by(func.count().desc())
    ).all()
    return [(code, int(n)) for code, n in rows]
