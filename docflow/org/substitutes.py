"""Heads' substitutes by date (R-ANS-2: the person replacing the head in absence signs).

A :class:`Substitution` says that ``substitute`` replaces ``head`` from ``date_from`` to
``date_to`` inclusive (office calendar days), in one of the head's subdivisions or — with no
subdivision — in every subdivision where the head holds the head role. On those days the
substitute holds the head's local head roles (``User.role_grants`` adds them, through
:func:`substitute_grants`), so they see the head's queues, assign, approve and sign; the head
keeps their own role. Ending a substitution early keeps its past days on record
(``ended_on``: the first day it no longer holds), because a letter signed by the substitute
yesterday stays lawfully signed.

Other domains ask two small functions: :func:`heads_on` (who may act as a subdivision's head
that day) and :func:`acting_for` (whom a user replaces that day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Integer, String, Text, event, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from docflow.core.db import UTCDateTime, atomic, utcnow
from docflow.core.errors import DomainError
from docflow.core.security import Role
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.org.models import RoleGrant, Subdivision, User

HEAD = Role.HEAD.value
_CACHE = "_docflow_substitute_grants"


class Substitution(db.Model):
    """``substitute`` acts as ``head`` on the days from ``date_from`` to ``date_to``."""

    __tablename__ = "substitution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    head_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    substitute_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id"), nullable=False, index=True
    )
    # None: every subdivision where the head holds the head role
    subdivision_id: Mapped[int | None] = mapped_column(ForeignKey("subdivision.id"), nullable=True)
    date_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    date_to: Mapped[dt.date] = mapped_column(Date, nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # ended early: the first day the substitution no longer holds (its past days stay on record)
    ended_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    end_comment: Mapped[str | None] = mapped_column(Text, nullable=True)

    head: Mapped[User] = relationship(foreign_keys=[head_id])
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id])
    subdivision: Mapped[Subdivision | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def last_day(self) -> dt.date:
        """The last day it holds (``date_to``, or the day before it was ended)."""
        if self.ended_on is not None and self.ended_on <= self.date_to:
            return self.ended_on - dt.timedelta(days=1)
        return self.date_to

    def holds_on(self, day: dt.date) -> bool:
        return self.date_from <= day <= self.last_day


class SubstitutionError(DomainError):
    """A substitution refused (422); the message says why."""

    status = 422
    code = "invalid"


def office_today() -> dt.date:
    """Today in the office's calendar (the day a substitution is checked against)."""
    from docflow.core.calendar import get_calendar

    return get_calendar().local_now().date()


def _holding(day: dt.date):
    """Conditions: the substitution holds on ``day``."""
    return (
        Substitution.date_from <= day,
        Substitution.date_to >= day,
        or_(Substitution.ended_on.is_(None), Substitution.ended_on > day),
    )


def _head_subdivisions(head_id: int) -> dict[int, str]:
    """Subdivision id → code where the user holds the head role themselves (on record)."""
    rows = db.session.execute(
        select(Subdivision.id, Subdivision.code)
        .join(RoleGrant, RoleGrant.subdivision_id == Subdivision.id)
        .where(RoleGrant.user_id == head_id, RoleGrant.role == HEAD)
    )
    return dict(rows.all())


# --- what other domains ask ------------------------------------------------------------------


def heads_on(subdivision_id: int, day: dt.date) -> set[int]:
    """R-ANS-2: the user ids who act as the subdivision's head on ``day``: the heads on record
    (holders of the head role there) and their substitutes that day."""
    if subdivision_id is None:
        return set()
    with db.session.no_autoflush:
        heads = set(
            db.session.scalars(
                select(RoleGrant.user_id).where(
                    RoleGrant.subdivision_id == subdivision_id, RoleGrant.role == HEAD
                )
            )
        )
        if not heads:
            return set()
        subs = db.session.scalars(
            select(Substitution.substitute_id).where(
                Substitution.head_id.in_(heads),
                or_(
                    Substitution.subdivision_id.is_(None),
                    Substitution.subdivision_id == subdivision_id,
                ),
                *_holding(day),
            )
        )
        return heads | set(subs)


def acting_for(user_id: int, day: dt.date) -> list[int]:
    """The head user ids ``user_id`` substitutes on ``day`` (sorted)."""
    with db.session.no_autoflush:
        return sorted(
            set(
                db.session.scalars(
                    select(Substitution.head_id).where(
                        Substitution.substitute_id == user_id, *_holding(day)
                    )
                )
            )
        )


def substitute_grants(user_id: int, day: dt.date | None = None) -> tuple[tuple[str, str], ...]:
    """The head roles ``user_id`` holds as a substitute on ``day`` (default: office today):
    ``(("head", SUBDIVISION_CODE), …)``. Cached per request; a change of substitutions or of
    role grants (or a rollback) empties the cache."""
    if user_id is None:
        return ()
    cache = g.setdefault(_CACHE, {}) if has_app_context() else None
    with db.session.no_autoflush:
        day = day or office_today()
        key = (user_id, day)
        if cache is not None and key in cache:
            return cache[key]
        out: list[tuple[str, str]] = []
        rows = db.session.execute(
            select(Substitution.head_id, Substitution.subdivision_id).where(
                Substitution.substitute_id == user_id, *_holding(day)
            )
        ).all()
        for head_id, subdivision_id in rows:
            for sid, code in _head_subdivisions(head_id).items():
                if subdivision_id in (None, sid) and (HEAD, code) not in out:
                    out.append((HEAD, code))
        result = tuple(out)
    if cache is not None:
        cache[key] = result
    return result


def _forget(*_args: Any) -> None:
    if has_app_context():
        g.pop(_CACHE, None)


@event.listens_for(Session, "after_flush")
def _forget_on_change(session: Session, _ctx) -> None:
    touched = session.new | session.dirty | session.deleted
    if any(isinstance(o, Substitution | RoleGrant) for o in touched):
        _forget()


event.listen(Session, "after_soft_rollback", _forget)


# --- the record ------------------------------------------------------------------------------


def substitutions(*, current_only: bool = False, day: dt.date | None = None) -> list[Substitution]:
    """Substitutions on record, newest first; ``current_only``: those holding today or later."""
    query = select(Substitution).order_by(Substitution.date_from.desc(), Substitution.id.desc())
    if current_only:
        day = day or office_today()
        query = query.where(
            Substitution.date_to >= day,
            or_(Substitution.ended_on.is_(None), Substitution.ended_on > day),
        )
    return list(db.session.scalars(query))


def _overlapping(head_id: int, subdivision_id: int | None, start: dt.date, end: dt.date):
    query = select(Substitution).where(
        Substitution.head_id == head_id,
        Substitution.date_from <= end,
        Substitution.date_to >= start,
        or_(Substitution.ended_on.is_(None), Substitution.ended_on > start),
    )
    if subdivision_id is not None:
        query = query.where(
            or_(
                Substitution.subdivision_id.is_(None),
                Substitution.subdivision_id == subdivision_id,
            )
        )
    return [s for s in db.session.scalars(query) if s.date_from <= s.last_day]


@atomic
def add_substitution(
    head: User,
    substitute: User,
    date_from: dt.date,
    date_to: dt.date,
    actor: Any = None,
    *,
    subdivision: Subdivision | None = None,
    reason: str | None = None,
) -> Substitution:
    """Record that ``substitute`` replaces ``head`` from ``date_from`` to ``date_to``
    (inclusive), in ``subdivision`` or in all the head's subdivisions. Refused: a backwards
    range, the head as their own substitute, someone who is not a head (of that subdivision),
    an inactive substitute, and a range overlapping another substitution of the same head."""
    if head is None or substitute is None:
        raise SubstitutionError(_l("Choose the head and the substitute."))
    if head.id == substitute.id:
        raise SubstitutionError(_l("The head cannot be their own substitute."))
    if not substitute.active:
        raise SubstitutionError(
            _l("%(username)s is deactivated and cannot substitute.", username=substitute.username)
        )
    if date_to < date_from:
        raise SubstitutionError(
            _l(
                "The substitution ends before it begins: the last day must be on or after the first."
            )
        )
    own = _head_subdivisions(head.id)
    if not own:
        raise SubstitutionError(
            _l("%(username)s is not the head of a subdivision.", username=head.username)
        )
    if subdivision is not None and subdivision.id not in own:
        raise SubstitutionError(
            _l(
                "%(username)s is not the head of %(code)s.",
                username=head.username,
                code=subdivision.code,
            )
        )
    sub_id = subdivision.id if subdivision is not None else None
    clash = _overlapping(head.id, sub_id, date_from, date_to)
    if clash:
        other = clash[0]
        raise SubstitutionError(
            _l(
                "%(head)s already has a substitute from %(start)s to %(end)s (%(substitute)s): the dates overlap.",
                head=head.username,
                start=format_date(other.date_from),
                end=format_date(other.last_day),
                substitute=other.substitute.username,
            )
        )
    row = Substitution(
        head_id=head.id,
        substitute_id=substitute.id,
        subdivision_id=sub_id,
        date_from=date_from,
        date_to=date_to,
        reason=(reason or "").strip()[:500] or None,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    return row


@atomic
def end_substitution(
    row: Substitution, actor: Any = None, *, comment: str | None = None
) -> Substitution:
    """End a substitution now: from today (office calendar) the substitute no longer acts as
    the head; the days before stay on record. Refused when it has already ended."""
    today = office_today()
    if row.last_day < today or row.ended_on is not None:
        raise SubstitutionError(_l("This substitution has already ended."))
    row.ended_on = max(today, row.date_from)
    row.ended_by_id = getattr(actor, "id", None)
    row.end_comment = (comment or "").strip() or None
    db.session.flush()
    return row


def substitution_by_id(row_id: int) -> Substitution | None:
    return db.session.get(Substitution, row_id)
