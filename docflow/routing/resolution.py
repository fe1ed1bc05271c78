"""The head's resolution (резолюция / бұрыштама): a short instruction and a term for the
executors, given with the assignment.

Given only through the one assignment door (``routing.operations.assign_executors``): the head
names the executors and, optionally, writes what they are to do and by when. The term may not be
after the item's own answer term (the executors' term is part of it); a term on a non-working
day ends on the next working day, or on the previous one where the next would pass the item's
term (``docflow.core.calendar.adjust_term``, R-DEADLINE-3), and the head is told. A resolution
is never changed: a new assignment with a new resolution is a new row, the earlier ones stay
(R-AUDIT-3); its creation is the audit entry, shown as a sentence in the history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.calendar import adjustment_text, get_calendar
from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.core.errors import DomainError
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.org.models import User

MAX_TEXT = 1000  # a resolution is a few lines written on the card, not a letter


class ResolutionRefused(DomainError):
    """The instruction or its term cannot be given as asked; the message says why."""

    status = 422
    code = "invalid"


class Resolution(db.Model):
    """One resolution, as given with one assignment (first executor = responsible, R-ROUTE-3)."""

    __tablename__ = "resolution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    term: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # the day the head asked for, when the calendar moved it (R-DEADLINE-3)
    term_requested: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="assign")
    executor_ids: Mapped[list[int]] = mapped_column(JSONType, nullable=False, default=list)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    given_by: Mapped[User | None] = relationship()

    @property
    def executors(self) -> list[User]:
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(self.executor_ids or [])))}  # fmt: skip
        return [users[i] for i in self.executor_ids or [] if i in users]


def term_note(resolution: Resolution, due: dt.date | None) -> str | None:
    """Why the term is not the day the head asked for (in the reader's language), or None."""
    r = resolution
    if r.term is None or r.term_requested is None or r.term == r.term_requested:
        return None
    adjusted = get_calendar().adjust_term(r.term_requested, cap=due)
    return adjustment_text(adjusted._replace(day=r.term))


# --- the rule -------------------------------------------------------------------------------


def _today() -> dt.date:
    return get_calendar().local_now().date()


def checked(
    item: Any, actor: Any, text: str | None, term: dt.date | None
) -> tuple[str | None, dt.date | None, dt.date | None] | None:
    """``(text, term, term as asked)`` for a resolution, or None when none is given.

    Refuses a term after the item's answer term or in the past, an over-long text, and a
    resolution from someone who does not assign (an executor delegating: 403).
    """
    text = " ".join((text or "").split()) or None
    if text is None and term is None:
        return None
    may_assign = has_permission(actor, Permission.ASSIGN, item) or has_permission(
        actor, Permission.DISTRIBUTE, item
    )
    if not may_assign:  # e.g. an executor delegating: their hand-over is not a resolution
        raise AccessDenied(str(_l("Only the head assigning the executors gives a resolution.")))
    if text is not None and len(text) > MAX_TEXT:
        raise ResolutionRefused(
            _l("The resolution is too long (at most %(n)d characters).", n=MAX_TEXT),
            fields={"instruction": _l("At most %(n)d characters.", n=MAX_TEXT)},
        )
    if term is None:
        return text, None, None
    due = item.due_date
    if due is not None and term > due:
        raise ResolutionRefused(
            _l(
                "The executors' term may not be after the item's term (%(date)s).",
                date=format_date(due),
            ),
            fields={"term": _l("Not after %(date)s.", date=format_date(due))},
        )
    day = get_calendar().adjust_term(term, cap=due).day
    if day < _today():
        raise ResolutionRefused(
            _l("The executors' term is in the past."), fields={"term": _l("A coming day.")}
        )
    return text, day, term if day != term else None


def record(item: Any, actor: Any, given: tuple, executor_ids: list[int], kind: str) -> Resolution:
    """Keep the resolution ``checked`` returned (called by the assignment, in its transaction)."""
    text, term, requested = given
    row = Resolution(
        item_id=item.id,
        text=text,
        term=term,
        term_requested=requested,
        kind=kind,
        executor_ids=list(executor_ids),
        given_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    return row


# --- what other code asks ------------------------------------------------------------------------


def resolutions(item: Any) -> list[Resolution]:
    """The item's resolutions, the latest first."""
    query = select(Resolution).where(Resolution.item_id == item.id).order_by(Resolution.id.desc())
    return list(db.session.scalars(query))


def current(item: Any) -> Resolution | None:
    found = resolutions(item)
    return found[0] if found else None


def term_from_json(value: Any) -> dt.date | None:
    """The API's ``"term"``: absent or null → none, else an ISO date (422 otherwise)."""
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ResolutionRefused(
            _l("The data is not valid."), fields={"term": _l("Use a date like 2026-11-20.")}
        ) from None


def instruction_from_json(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ResolutionRefused(
        _l("The data is not valid."), fields={"instruction": _l("Text is expected.")}
    )


def resolution_json(item: Any) -> dict[str, Any] | None:
    r = current(item)
    if r is None:
        return None
    return {
        "instruction": r.text,
        "term": r.term.isoformat() if r.term else None,
        "term_requested": r.term_requested.isoformat() if r.term_requested else None,
        "executors": [u.username for u in r.executors],
        "given_by": r.given_by.username if r.given_by else None,
        "given_at": r.given_at.isoformat() if r.given_at else None,
    }


# --- the readable history ------------------------------------------------------------------------


def register_texts() -> None:
    """The audit trail's sentence of a resolution (called with routing's texts)."""
    from docflow.core import history_text as ht

    def fields(row: dict, ctx: ht.Context) -> dict:
        users = [db.session.get(User, int(i)) for i in row.get("executor_ids") or []]
        names = [u.display_name for u in users if u is not None]
        term = row.get("term")
        return {
            "item": ctx.label("incoming_item", row.get("item_id")),
            "executors": ", ".join(names) or "—",
            "text": row.get("text") or "—",
            "term": format_date(dt.date.fromisoformat(term)) if term else "—",
        }

    ht.register_object(
        "resolution",
        _l("resolution"),
        group="routing",
        created=_l(
            "%(actor)s gave the resolution on %(item)s to %(executors)s: “%(text)s”, term %(term)s"
        ),
        fields=fields,
        hidden_fields=("executor_ids", "term_requested", "given_by_id", "given_at"),
    )
