"""Outgoing-notice writes and deadline queries: register, mark sent, overdue, due soon.

A notice is registered in the transaction of the act that requires it (the hooks in
:mod:`docflow.outgoing.hooks` are called by the registry, routing and protocols operations), with
a gapless number of the ``outgoing`` journal (R-REG-4, :mod:`docflow.core.numbering`): if that
act rolls back, so do the notice and its number. Registering is idempotent per (kind, item, due
date) — and per source record when there is one — so an operation run twice never makes two
notices. Registered texts are never changed (R-AUDIT-3); marking a notice sent records when, how
and by whom, and marks the linked record's own notice field (extension, forwarding, sign-up) so
the routing and reception dashboards keep working.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.numbering import format_number, next_number
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.settings import get_setting
from docflow.core.workflow import WorkflowError
from docflow.extensions import db
from docflow.outgoing.models import CHANNELS, JOURNAL, KINDS, LANGUAGES, OutgoingNotice
from docflow.registry.models import IncomingItem

DEFAULT_JOURNAL = {"code": JOURNAL, "prefix": "ИХ", "format": "{prefix}-{year}-{number:06d}"}
DUE_SOON_DAYS = 2  # working days ahead shown as "due soon"


class OutgoingError(WorkflowError):
    """A rule refused the action (422); the message says why."""

    status = 422
    code = "rule_violation"


def can_read(user: Any) -> bool:
    return has_permission(user, Permission.VIEW_REGISTRY)


def can_manage(user: Any) -> bool:
    """Records-office clerks and appeals controllers register notices and mark them sent."""
    return has_permission(user, Permission.REGISTER) or has_permission(user, Permission.CONTROL)


def journal_settings() -> dict[str, Any]:
    """The profile's journal with code ``outgoing``, else ``ИХ-{year}-{number:06d}``."""
    for j in get_setting("journals") or []:
        if isinstance(j, dict) and j.get("code") == JOURNAL:
            return {**DEFAULT_JOURNAL, **j}
    return DEFAULT_JOURNAL


def _today() -> dt.date:
    return get_calendar().local_now().date()


def recipient_of(item: IncomingItem) -> str:
    """Each applicant's name and postal address (where the notice goes)."""
    parts = []
    for a in item.applicants:
        bits = [b for b in (a.display_name, a.address) if b]
        if bits:
            parts.append(", ".join(bits))
    return "; ".join(parts) or "—"


def _language(item: IncomingItem, language: str | None) -> str:
    # R-RECV-10 / R-ANS-1: the applicant's language, else the language of the appeal, else the
    # state language.
    for candidate in (language, item.language):
        if candidate in LANGUAGES:
            return candidate
    return "kk"


def _source_of(source: Any) -> tuple[str | None, int | None]:
    if source is None:
        return None, None
    if getattr(source, "id", None) is None:
        db.session.flush()
    return source.__tablename__, source.id


def _dedup_key(
    kind: str, item: IncomingItem, due_on: dt.date, source: tuple[str | None, int | None]
) -> str:
    key = f"{kind}:{item.id}:{due_on.isoformat()}"
    if source[0] is not None:
        key += f":{source[0]}:{source[1]}"
    return key


def find_notice(
    kind: str, item: IncomingItem, due_on: dt.date, source: Any = None
) -> OutgoingNotice | None:
    key = _dedup_key(kind, item, due_on, _source_of(source))
    return db.session.scalar(select(OutgoingNotice).where(OutgoingNotice.dedup_key == key))


@atomic
def register_notice(
    kind: str,
    item: IncomingItem,
    actor: Any,
    *,
    text_kk: str,
    text_ru: str,
    due_on: dt.date,
    language: str | None = None,
    source: Any = None,
) -> OutgoingNotice:
    """Register a notice to the applicant of ``item`` as an outgoing item with its own number.

    Called by the operation that requires the notice (after that operation checked its own
    permission), in its transaction. Idempotent per (kind, item, due_on[, source]).
    """
    if kind not in KINDS:
        raise OutgoingError(_l("Unknown kind of notice."))
    if not (text_kk or "").strip() or not (text_ru or "").strip():
        raise OutgoingError(_l("A notice needs its text in Kazakh and in Russian."))
    if item.id is None:
        db.session.flush()
    src = _source_of(source)
    key = _dedup_key(kind, item, due_on, src)
    existing = db.session.scalar(select(OutgoingNotice).where(OutgoingNotice.dedup_key == key))
    if existing is not None:
        return existing
    journal = journal_settings()
    year = _today().year
    seq = next_number(journal["code"], year)  # R-REG-4: gapless, in this transaction
    number = format_number(journal["format"], prefix=journal["prefix"], year=year, number=seq)
    notice = OutgoingNotice(
        journal=journal["code"],
        reg_year=year,
        reg_seq=seq,
        reg_number=number,
        kind=kind,
        item_id=item.id,
        language=_language(item, language),
        recipient=recipient_of(item),
        text_kk=text_kk.strip(),
        text_ru=text_ru.strip(),
        due_on=due_on,
        registered_by_id=getattr(actor, "id", None),
        source_type=src[0],
        source_id=src[1],
        dedup_key=key,
    )
    db.session.add(notice)
    db.session.flush()
    audit.record(
        "register_outgoing",
        notice,
        summary={
            "reg_number": number,
            "kind": kind,
            "item": item.reg_number,
            "due_on": due_on.isoformat(),
        },
    )
    return notice


@atomic
def mark_sent(
    notice: OutgoingNotice, actor: Any, *, channel: str, sent_on: dt.date | None = None
) -> OutgoingNotice:
    """Record that the notice went out: when, how, by whom; and mark the linked record's notice."""
    if not can_manage(actor):
        raise AccessDenied()
    if channel not in CHANNELS:
        raise OutgoingError(_l("Choose how the notice was sent."))
    if notice.sent_on is not None:
        raise OutgoingError(
            _l(
                "The notice %(number)s is already recorded as sent on %(date)s.",
                number=notice.reg_number,
                date=notice.sent_on.strftime("%d.%m.%Y"),
            )
        )
    cal = get_calendar()
    today = cal.local_now().date()
    sent_on = sent_on or today
    registered_on = cal.to_local(notice.registered_at).date()
    if sent_on > today:
        raise OutgoingError(_l("The day of sending cannot be in the future."))
    if sent_on < registered_on:
        raise OutgoingError(_l("A notice cannot be sent before it was registered."))
    notice.sent_on = sent_on
    notice.sent_by_id = getattr(actor, "id", None)
    notice.channel = channel
    _mark_source(notice, sent_on, today)
    db.session.flush()
    audit.record(
        "outgoing_sent",
        notice,
        summary={
            "reg_number": notice.reg_number,
            "channel": channel,
            "sent_on": sent_on.isoformat(),
            "late": sent_on > notice.due_on,
        },
    )
    return notice


def _mark_source(notice: OutgoingNotice, sent_on: dt.date, today: dt.date) -> None:
    """Set the existing notice fields, so the routing and reception dashboards see it sent."""
    from docflow.protocols.models import SignUp
    from docflow.routing.models import Extension, Forwarding

    models = {"extension": Extension, "forwarding": Forwarding, "signup": SignUp}
    model = models.get(notice.source_type or "")
    record = db.session.get(model, notice.source_id) if model and notice.source_id else None
    if record is None:
        return
    if isinstance(record, Extension | Forwarding):
        if record.notice_sent_at is None:
            record.notice_sent_at = _moment(sent_on, today)
    elif notice.kind == "signup_inclusion" and record.inclusion_notice_sent_on is None:
        record.inclusion_notice_sent_on = sent_on
    elif notice.kind == "signup_time" and record.time_notice_sent_on is None:
        record.time_notice_sent_on = sent_on


def _moment(day: dt.date, today: dt.date) -> dt.datetime:
    if day == today:
        return dt.datetime.now(dt.UTC)
    cal = get_calendar()
    return dt.datetime.combine(day, cal.work_start, tzinfo=cal.tz).astimezone(dt.UTC)


def source_marked_sent(record: Any, actor: Any) -> None:
    """The linked record's notice was marked sent elsewhere (the routing panel): the journal
    records it too, without a channel, so it does not stay on the overdue list."""
    if getattr(record, "id", None) is None:
        return
    today = _today()
    for notice in db.session.scalars(
        select(OutgoingNotice).where(
            OutgoingNotice.source_type == record.__tablename__,
            OutgoingNotice.source_id == record.id,
            OutgoingNotice.sent_on.is_(None),
        )
    ):
        notice.sent_on = today
        notice.sent_by_id = getattr(actor, "id", None)
        audit.record(
            "outgoing_sent",
            notice,
            summary={"reg_number": notice.reg_number, "channel": None, "via": record.__tablename__},
        )


# --- deadlines ----------------------------------------------------------------------------


def overdue(today: dt.date | None = None) -> list[OutgoingNotice]:
    """Notices not sent whose day to go out has passed."""
    today = today or _today()
    return list(
        db.session.scalars(
            select(OutgoingNotice)
            .where(OutgoingNotice.sent_on.is_(None), OutgoingNotice.due_on < today)
            .order_by(OutgoingNotice.due_on, OutgoingNotice.id)
        )
    )


def due_soon_until(today: dt.date, days: int = DUE_SOON_DAYS) -> dt.date:
    """The last day of the "due soon" window: ``days`` working days after today."""
    cal = get_calendar()
    end = today
    for _ in range(days):
        end = cal.next_working_day(end)
    return end


def due_soon(today: dt.date | None = None, days: int = DUE_SOON_DAYS) -> list[OutgoingNotice]:
    """Notices not sent that must go out today or within the next ``days`` working days."""
    today = today or _today()
    return list(
        db.session.scalars(
            select(OutgoingNotice)
            .where(
                OutgoingNotice.sent_on.is_(None),
                OutgoingNotice.due_on >= today,
                OutgoingNotice.due_on <= due_soon_until(today, days),
            )
            .order_by(OutgoingNotice.due_on, OutgoingNotice.id)
        )
    )


def journal_query(
    *,
    not_sent: bool = False,
    overdue_only: bool = False,
    kind: str | None = None,
    today: dt.date | None = None,
):
    today = today or _today()
    query = select(OutgoingNotice)
    if not_sent or overdue_only:
        query = query.where(OutgoingNotice.sent_on.is_(None))
    if overdue_only:
        query = query.where(OutgoingNotice.due_on < today)
    if kind:
        query = query.where(OutgoingNotice.kind == kind)
    return query.order_by(OutgoingNotice.reg_year.desc(), OutgoingNotice.reg_seq.desc())
