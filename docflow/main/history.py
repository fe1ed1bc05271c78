"""The audit trail page (R-AUDIT-3) as readable history, and the item history's sentences.

Entries are shown as sentences (``docflow.core.history_text``); each domain's templates are
registered once, here, where the application is put together. Filters: who (a user), what (an
action group), when (local dates from/to), which item (registration number). Reads and language
switches that older versions wrote into the trail are marked (``audit_hidden``) and hidden unless
asked for: the trail itself is never changed, so its hash chain still verifies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, or_, select

from docflow.core import audit, history_text
from docflow.core.history_text_models import AuditHidden
from docflow.extensions import db

PAGE_SIZE = 50

_loaded = False


def load_texts() -> None:
    """Register every domain's sentences (once per process)."""
    global _loaded
    if _loaded:
        return
    from docflow.core import field_titles
    from docflow.org import history_texts as org_texts
    from docflow.outgoing import history_texts as outgoing_texts
    from docflow.protocols import history_texts as protocols_texts
    from docflow.registry import history_texts as registry_texts
    from docflow.routing import history_texts as routing_texts

    field_titles.register()  # the shared field names first: a domain's own then win
    for module in (registry_texts, routing_texts, outgoing_texts, protocols_texts, org_texts):
        module.register()
    _loaded = True


@dataclass
class Filters:
    who: int | None = None
    what: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    item: str | None = None
    everything: bool = False  # show reads and language switches too
    before: int | None = None

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        return cls(
            who=args.get("who", type=int),
            what=(args.get("what") or "").strip() or None,
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
            item=(args.get("item") or "").strip() or None,
            everything=bool(args.get("all")),
            before=args.get("before", type=int),
        )

    def args(self) -> dict[str, Any]:
        """The query string that keeps these filters (for the next page's link)."""
        out = {
            "who": self.who,
            "what": self.what,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "item": self.item,
            "all": 1 if self.everything else None,
        }
        return {k: v for k, v in out.items() if v is not None}


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _local_start(day: dt.date) -> dt.datetime:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Almaty")
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def item_condition(reg_number: str) -> Any:
    """Entries about the item with this number: the item's row, its rows (applicants, files,
    distributions, …) and the workflow steps of all of them. Unknown number → nothing."""
    from docflow.core.workflow import WorkflowHistory
    from docflow.registry.models import IncomingItem

    entry = audit.AuditEntry
    item = db.session.scalar(select(IncomingItem).where(IncomingItem.reg_number == reg_number))
    if item is None:
        return entry.id.is_(None)
    objects: list[tuple[str, str]] = [("incoming_item", str(item.id))]
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if "item_id" not in table.c or not getattr(mapper.class_, "__audit__", True):
            continue
        if len(mapper.primary_key) != 1:
            continue
        key = mapper.primary_key[0]
        ids = db.session.execute(select(key).where(table.c.item_id == item.id)).scalars()
        objects += [(table.name, str(i)) for i in ids]
    history_ids = db.session.scalars(
        select(WorkflowHistory.id).where(
            or_(
                *(
                    and_(WorkflowHistory.object_type == t, WorkflowHistory.object_id == i)
                    for t, i in objects
                )
            )
        )
    ).all()
    objects += [("workflow_history", str(i)) for i in history_ids]
    by_type: dict[str, list[str]] = {}
    for t, i in objects:
        by_type.setdefault(t, []).append(i)
    return or_(
        *(and_(entry.object_type == t, entry.object_id.in_(ids)) for t, ids in by_type.items())
    )


def query(filters: Filters, limit: int = PAGE_SIZE) -> Any:
    entry = audit.AuditEntry
    q = select(entry).order_by(entry.seq.desc()).limit(limit)
    if filters.before:
        q = q.where(entry.seq < filters.before)
    if not filters.everything:
        q = q.where(~exists().where(AuditHidden.seq == entry.seq))
    if filters.who:
        q = q.where(entry.actor_id == filters.who)
    if filters.what:
        q = q.where(history_text.group_condition(filters.what, entry))
    if filters.date_from:
        q = q.where(entry.at >= _local_start(filters.date_from))
    if filters.date_to:
        q = q.where(entry.at < _local_start(filters.date_to + dt.timedelta(days=1)))
    if filters.item:
        q = q.where(item_condition(filters.item))
    return q


@dataclass(frozen=True)
class Line:
    entry: Any
    sentence: history_text.Sentence


def lines(filters: Filters) -> list[Line]:
    load_texts()
    ctx = history_text.Context()
    entries = db.session.scalars(query(filters)).all()
    return [Line(e, history_text.describe(e, ctx)) for e in entries]


def people() -> list[tuple[int, str]]:
    """(id, name) of everyone who may appear as "who"."""
    from docflow.org.models import User

    users = db.session.scalars(select(User).order_by(User.full_name)).all()
    return [(u.id, u.display_name) for u in users]


def item_history(rows: list[Any]) -> list[history_text.Sentence]:
    """The item page's history rows as sentences."""
    load_texts()
    return history_text.describe_history(rows)
