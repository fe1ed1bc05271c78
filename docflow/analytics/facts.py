"""One fact per case, kept up to date: computed from the case's own records, native or imported.

Writes mark cases dirty inside their own transaction (``_mark_dirty``: any flushed row that is an
item or carries an ``item_id``); :func:`drain` recomputes the dirty cases' facts and moves their
contributions in ``analytics_daily`` — run by every analytics read (dashboards, the CLI, reports)
and by ``flask analytics refresh``. :func:`rebuild` recomputes everything (after a profile's topic
map changed, say).

Where a case is (``district``): the district its record names (imported cases), the district
akimat it was sent to, or the district its text and the applicant's address name (the competence
map's *where*). What it is about (``topic``): the source's topic when it has one, else the office's
bilingual topic map (:mod:`docflow.analytics.topics`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session

from docflow.analytics.models import MEASURES, CaseFact, DailyAggregate, DirtyCase, monthly
from docflow.analytics.topics import content_words, topic_map
from docflow.core.calendar import get_calendar
from docflow.core.db import within
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.registry.models import IncomingItem

STATUS_OF_STATE = {
    "answered": "answered",
    "closed": "closed",
    "forwarded": "forwarded",
    "returned": "returned",
    "terminated": "terminated",
    "withdrawn": "withdrawn",
    "left_without_consideration": "returned",
}
# e-Otinish-style statuses of imported cases (R-KIND-4), by the docflow state they map to.
NO_ANSWER_DUE = ("forwarded", "returned", "terminated", "withdrawn")


# --- marking dirty in the writing transaction ---------------------------------------------------


def _item_id_of(obj: Any) -> int | None:
    if isinstance(obj, IncomingItem):
        return obj.id
    if isinstance(obj, (CaseFact, DailyAggregate, DirtyCase)):
        return None
    value = getattr(obj, "item_id", None)
    if isinstance(value, int):
        return value
    letter = getattr(obj, "letter", None)  # a dispatch or a rating of a letter
    value = getattr(letter, "item_id", None)
    return value if isinstance(value, int) else None


_DIRTY = "analytics_dirty"  # session.info: {(item id, the transaction that wrote it)}


@event.listens_for(Session, "after_flush")
def _mark_dirty(session: Session, _ctx) -> None:
    marks = session.info.setdefault(_DIRTY, set())
    tx = session.get_nested_transaction() or session.get_transaction()
    for obj in (*session.new, *session.dirty):
        item_id = _item_id_of(obj)
        if item_id is not None:
            marks.add((item_id, tx))


@event.listens_for(Session, "before_commit")
def _queue_dirty(session: Session) -> None:
    marks = session.info.pop(_DIRTY, None)
    if session.info.get("analytics_draining"):
        return
    ids = {item_id for item_id, _tx in marks or ()}
    if ids:
        session.execute(insert(DirtyCase), [{"item_id": i} for i in sorted(ids)])


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    # What a rolled-back savepoint (or transaction) wrote is undone; the rest stays marked.
    _forget_within(session, previous_transaction)


@event.listens_for(Session, "after_transaction_end")
def _forget_ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the root undone, also by close() (no rollback event)
        _forget_within(session, transaction)


def _forget_within(session: Session, transaction: Any) -> None:
    marks = session.info.get(_DIRTY)
    if marks:
        session.info[_DIRTY] = {m for m in marks if not within(m[1], transaction)}


# --- computing one fact ----------------------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return get_calendar().to_local(value).date()
    if isinstance(value, dt.date):
        return value
    try:
        text = str(value)
        if "T" in text:
            return get_calendar().to_local(dt.datetime.fromisoformat(text)).date()
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


class _Native:
    """What docflow's own records say of a case (answers, letters, extensions, ratings)."""

    def __init__(self, item: IncomingItem) -> None:
        self.item = item

    def answered_on(self) -> dt.date | None:
        from docflow.routing.models import Answer

        days = []
        for answer in db.session.scalars(
            select(Answer).where(Answer.item_id == self.item.id, Answer.final.is_(True))
        ):
            if answer.status == "approved" and answer.approved_at:
                days.append(_date(answer.approved_at))
        from docflow.outgoing.letter_models import Letter

        for letter in db.session.scalars(
            select(Letter).where(
                Letter.item_id == self.item.id,
                Letter.kind == "answer",
                Letter.final.is_(True),
                Letter.signed_at.is_not(None),
            )
        ):
            days.append(_date(letter.signed_at))
        days = [d for d in days if d]
        return min(days) if days else None

    def extended(self) -> bool:
        from docflow.routing.models import Extension

        return (
            db.session.scalar(
                select(Extension.id).where(Extension.item_id == self.item.id).limit(1)
            )
            is not None
        )

    def repeat(self) -> bool:
        from docflow.registry.links import linked_cases

        return any(link.kind == "repeat" for link in linked_cases(self.item))

    def rating(self) -> float | None:
        from docflow.outgoing.public_models import rating_of_item

        score = rating_of_item(self.item.id)
        return float(score) if score is not None else None


class _Imported:
    """What an imported case's record and events say (``docflow.exchange``)."""

    def __init__(self, item: IncomingItem) -> None:
        from docflow.exchange.models import ImportedCase, ImportedEvent

        self.item = item
        case = db.session.scalar(select(ImportedCase).where(ImportedCase.item_id == item.id))
        self.record = (case.record if case else None) or {}
        self.state = case.status_state if case else None
        self.events = list(
            db.session.scalars(
                select(ImportedEvent)
                .where(ImportedEvent.item_id == item.id)
                .order_by(ImportedEvent.position)
            )
        )

    def types(self) -> set[str]:
        return {e.type for e in self.events}

    def answered_on(self) -> dt.date | None:
        for e in self.events:
            if e.type == "answered" and (e.data or {}).get("final", True):
                return _date(e.at)
        return None

    def extended(self) -> bool:
        return "extended" in self.types() or bool(self.record.get("prolong_count"))

    def due(self) -> dt.date | None:
        due = self.item.due_date
        for e in self.events:
            if e.type == "extended":
                due = _date((e.data or {}).get("new_due")) or due
        return due

    def status(self) -> str:
        types = self.types()
        for event_type, status in (
            ("withdrawn", "withdrawn"),
            ("terminated", "terminated"),
            ("returned", "returned"),
            ("removed_from_control", "closed"),
        ):
            if event_type in types:
                return status
        if any(e.type == "forwarded" and not (e.data or {}).get("partial") for e in self.events):
            return "forwarded"
        if self.answered_on():
            return "answered"
        return STATUS_OF_STATE.get(self.state or "", "open")

    def repeat(self) -> bool:
        return bool(self.record.get("is_duplicate_of"))

    def rating(self) -> float | None:
        ratings = [(e.data or {}).get("rating") for e in self.events if e.type == "rated"]
        ratings = [r for r in ratings if isinstance(r, int)] or (
            [self.record["rating"]] if isinstance(self.record.get("rating"), int) else []
        )
        return float(ratings[-1]) if ratings else None


def _text(item: IncomingItem) -> str:
    parts = [item.summary or ""]
    for attachment in item.attachments[:3]:
        text = attachment.text or ""
        parts.append(text[:4000])
    return "\n".join(p for p in parts if p)


def _district(item: IncomingItem, text: str, record: dict) -> str | None:
    if record.get("district"):
        return str(record["district"])
    sub = item.subdivision
    if sub is not None and getattr(sub, "kind", None) == "district":
        return sub.code
    from docflow.routing.suggest import competence_from_settings

    addresses = " ".join(a.address or "" for a in item.applicants)
    found = competence_from_settings().district(f"{text}\n{addresses}")
    return found.code if found else None


def compute(item: IncomingItem) -> dict[str, Any]:
    """The fact row of one case (a plain dict of :class:`CaseFact`'s columns)."""
    source = _Imported(item) if item.imported else _Native(item)
    record = getattr(source, "record", {}) or {}
    text = _text(item)
    topic = record.get("topic") or topic_map().classify(text)
    if item.imported:
        status = source.status()
        due = source.due()
    else:
        status = STATUS_OF_STATE.get(item.state, "open")
        due = item.due_date
    answered_on = source.answered_on()
    if status in NO_ANSWER_DUE and answered_on is None:
        timeliness = "none"
    elif answered_on is not None:
        timeliness = "on_time" if due is None or answered_on <= due else "late"
    elif status == "closed":
        timeliness = "none"  # removed from control without an answer: inspections report it
    else:
        timeliness = "open"
    return {
        "item_id": item.id,
        "day": item.registration_date,
        "kind": item.kind,
        "channel": item.channel,
        "language": item.language,
        "subdivision": item.subdivision.code if item.subdivision else None,
        "district": _district(item, text, record),
        "topic": topic,
        "words": " ".join(content_words(item.summary or "")[:40])[:500] or None,
        "source": "imported" if item.imported else "native",
        "from_reception": bool(item.from_reception),
        "from_meeting": bool(getattr(item, "from_meeting", False)),
        "status": status,
        "timeliness": timeliness,
        "due_date": due,
        "answered_on": answered_on,
        "extended": source.extended(),
        "repeat": source.repeat(),
        "rating": source.rating(),
    }


# --- aggregates ------------------------------------------------------------------------------


def _measures(fact: dict[str, Any]) -> dict[str, float]:
    rated = fact["rating"] is not None
    return {
        "n": 1,
        "on_time": int(fact["timeliness"] == "on_time"),
        "late": int(fact["timeliness"] == "late"),
        "open": int(fact["timeliness"] == "open"),
        "extended": int(bool(fact["extended"])),
        "repeat": int(bool(fact["repeat"])),
        "from_reception": int(bool(fact["from_reception"])),
        "from_meeting": int(bool(fact["from_meeting"])),
        "rated": int(rated),
        "rating_sum": float(fact["rating"]) if rated else 0.0,
    }


def _keys(fact: dict[str, Any]) -> list[tuple[dt.date, str, str]]:
    """The (day, dimension, value) rows a case counts in (see ``models.ROLLUPS``)."""
    day = fact["day"]
    keys = [(day, "all", "")]
    for dim in ("kind", "channel", "subdivision", "district", "topic", "source"):
        keys.append((day, dim, fact[dim] or ""))
    if fact["district"] and fact["topic"]:
        keys.append((day, "district_topic", f"{fact['district']}|{fact['topic']}"))
    month = day.replace(day=1)
    return keys + [(month, monthly(dim), value) for _day, dim, value in keys]


def _fact_dict(row: CaseFact) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in CaseFact.__table__.columns}


_VERSION = [0]


def version() -> tuple[int, int]:
    """Changes whenever the aggregates change, in this process or another one (the drains'
    counter): caches of derived results key on it."""
    from docflow.core.numbering import current_value

    return _VERSION[0], current_value(DRAIN_LOCK, 0)


def _apply(deltas: dict[tuple, dict[str, float]]) -> None:
    if deltas:
        _VERSION[0] += 1
    for (day, dim, value), delta in deltas.items():
        row = db.session.scalar(
            select(DailyAggregate).where(
                DailyAggregate.dim == dim, DailyAggregate.day == day, DailyAggregate.value == value
            )
        )
        if row is None:
            row = DailyAggregate(day=day, dim=dim, value=value, **dict.fromkeys(MEASURES, 0))
            db.session.add(row)
        for m in MEASURES:
            setattr(row, m, (getattr(row, m) or 0) + delta[m])
        if row.n <= 0:
            db.session.delete(row)
    db.session.flush()


def refresh(item_ids: Iterable[int]) -> int:
    """Recompute the facts of these cases and move their aggregates; returns how many."""
    deltas: dict[tuple, dict[str, float]] = {}

    def add(fact: dict[str, Any], sign: int) -> None:
        values = _measures(fact)
        for key in _keys(fact):
            slot = deltas.setdefault(key, dict.fromkeys(MEASURES, 0))
            for m, v in values.items():
                slot[m] += sign * v

    count = 0
    for item_id in sorted(set(item_ids)):
        old = db.session.get(CaseFact, item_id)
        item = db.session.get(IncomingItem, item_id)
        if old is not None:
            add(_fact_dict(old), -1)
        if item is None:
            if old is not None:
                db.session.delete(old)
            continue
        fact = compute(item)
        add(fact, +1)
        if old is None:
            db.session.add(CaseFact(**fact))
        else:
            for k, v in fact.items():
                setattr(old, k, v)
        count += 1
    db.session.flush()
    _apply({k: v for k, v in deltas.items() if any(v.values())})
    return count


DRAIN_LOCK = "analytics:drain"  # a counter row: one drain at a time, and how many there were


def drain(limit: int | None = None) -> int:
    """Bring the facts up to date with every write so far (the analytics reads call this).

    Drains run one at a time: the counter row ``DRAIN_LOCK`` is bumped first (a row lock on
    PostgreSQL, the write lock on SQLite) and the queue is read again under it, so two readers
    never move the same case's contribution twice; only the queue rows read are removed (a
    writer committing meanwhile keeps its own)."""
    from docflow.core.numbering import next_number

    session = db.session()
    session.info["analytics_draining"] = True
    query = select(DirtyCase.id, DirtyCase.item_id).order_by(DirtyCase.id)
    if limit:
        query = query.limit(limit)
    try:
        if db.session.execute(query.limit(1)).first() is None:
            return 0
        next_number(DRAIN_LOCK, 0)
        rows = db.session.execute(query).all()
        count = refresh(r[1] for r in rows) if rows else 0
        ids = [r[0] for r in rows]
        for start in range(0, len(ids), 500):
            db.session.execute(delete(DirtyCase).where(DirtyCase.id.in_(ids[start : start + 500])))
        db.session.commit()
        return count
    except Exception:
        db.session.rollback()
        raise
    finally:
        session.info.pop("analytics_draining", None)


def rebuild() -> int:
    """Recompute every fact and aggregate from the cases (``flask analytics refresh --all``)."""
    session = db.session()
    session.info["analytics_draining"] = True
    try:
        _VERSION[0] += 1
        db.session.execute(delete(DailyAggregate))
        db.session.execute(delete(CaseFact))
        db.session.execute(delete(DirtyCase))
        ids = list(db.session.scalars(select(IncomingItem.id).order_by(IncomingItem.id)))
        count = 0
        for start in range(0, len(ids), 500):
            count += refresh(ids[start : start + 500])
        db.session.commit()
        return count
    finally:
        session.info.pop("analytics_draining", None)


def subdivision_names() -> dict[str, Any]:
    return {s.code: s for s in db.session.scalars(select(Subdivision))}


def fact_measures():
    """The aggregate measures as SQL over the facts (``MEASURES`` order)."""
    from sqlalchemy import case, func, literal

    f = CaseFact
    one, zero = literal(1), literal(0)

    def flag(cond):
        return func.sum(case((cond, one), else_=zero))

    return [
        func.count(),
        flag(f.timeliness == "on_time"),
        flag(f.timeliness == "late"),
        flag(f.timeliness == "open"),
        flag(f.extended.is_(True)),
        flag(f.repeat.is_(True)),
        flag(f.from_reception.is_(True)),
        flag(f.from_meeting.is_(True)),
        flag(f.rating.is_not(None)),
        func.coalesce(func.sum(f.rating), 0.0),
    ]


def rebuild_aggregates() -> int:
    """The daily aggregates recomputed from the facts in a few grouped statements (after a bulk
    load of facts; the incremental path gives the same rows). Returns the number of rows."""
    from sqlalchemy import and_, func, literal

    from docflow.analytics import problem_store

    f = CaseFact
    columns = ["day", "dim", "value", *MEASURES]
    _VERSION[0] += 1
    db.session.execute(delete(DailyAggregate))
    problem_store.forget_all()  # scans of the old aggregates
    total = 0
    values = {
        "all": (literal(""), None),
        "kind": (f.kind, None),
        "channel": (f.channel, None),
        "subdivision": (func.coalesce(f.subdivision, ""), None),
        "district": (func.coalesce(f.district, ""), None),
        "topic": (func.coalesce(f.topic, ""), None),
        "source": (f.source, None),
        "district_topic": (
            f.district + literal("|") + f.topic,
            and_(f.district.is_not(None), f.topic.is_not(None)),
        ),
    }
    month = _month_start(f.day)
    for dim, (value, where) in values.items():
        for day, name in ((f.day, dim), (month, monthly(dim))):
            query = select(day, literal(name), value, *fact_measures())
            if where is not None:
                query = query.where(where)
            query = query.group_by(day, value)
            result = db.session.execute(insert(DailyAggregate).from_select(columns, query))
            total += result.rowcount or 0
    db.session.flush()
    return total


def _month_start(column):
    """The first day of the column's month, in the database's own SQL."""
    from sqlalchemy import Date, cast, func

    if db.engine.dialect.name == "sqlite":
        return func.date(column, "start of month")
    return cast(func.date_trunc("month", column), Date)
