"""Outgoing-letter writes and deadline queries: register a notice, mark a letter sent, overdue,
due soon — for every letter, answers and notices alike (one kind of document).

A notice is made in the transaction of the act that requires it (the hooks in
:mod:`docflow.outgoing.hooks`, called by the registry, routing and protocols operations through
:mod:`docflow.outgoing.notices`). Whether it needs a head's signature is the profile's
``letters.signature_required`` (:func:`needs_signature`):

- one that does is a draft letter with its pre-filled text, going through the letter workflow
  (submit, approve, sign — R-ANS-2); it gets its number at signing;
- the others are registered at once with a gapless number of the ``outgoing`` journal (R-REG-4,
  :mod:`docflow.core.numbering`) — state ``registered``, to be sent: if the act rolls back, so
  do the notice and its number.

Making a notice is idempotent per (kind, item, due date) — and per source record when there is
one — so an operation run twice never makes two. Registered texts are never changed
(R-AUDIT-3). Marking a letter sent records when, how and by whom; that record is the one
routing and protocols ask about (:mod:`docflow.outgoing.notices`) — outgoing writes no other
domain's rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.numbering import format_number, next_number
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.settings import get_setting
from docflow.core.workflow import WorkflowError, after_transition
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.outgoing.letter_models import Letter, LetterVersion
from docflow.outgoing.models import CHANNELS, JOURNAL, KINDS, LANGUAGES
from docflow.registry.models import IncomingItem

DEFAULT_JOURNAL = {"code": JOURNAL, "prefix": "ИХ", "format": "{prefix}-{year}-{number:06d}"}
DUE_SOON_DAYS = 2  # working days ahead shown as "due soon"
# Which letters need a head's signature (R-ANS-2), unless the profile's
# ``letters.signature_required`` says otherwise: final answers, refusals, extensions by decision.
SIGNATURE_ENTRIES = ("final_answer", "interim_answer", "refusal", *KINDS)
DEFAULT_SIGNATURE_REQUIRED = ("final_answer", "refusal", "extension")
REGISTERED = ("signed", "registered")  # the states of a registered letter, to be sent


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


def signature_required() -> frozenset[str]:
    """The profile's ``letters.signature_required``: entries of :data:`SIGNATURE_ENTRIES`
    (``final_answer``, ``interim_answer``, ``refusal`` — an answer with the decision "refused" —
    or a notice kind); default :data:`DEFAULT_SIGNATURE_REQUIRED`."""
    value = (get_setting("letters") or {}).get("signature_required")
    if value is None:
        return frozenset(DEFAULT_SIGNATURE_REQUIRED)
    return frozenset(v for v in value if v in SIGNATURE_ENTRIES)


def needs_signature(
    letter: Letter | None = None,
    *,
    kind: str | None = None,
    final: bool = False,
    decision: str | None = None,
) -> bool:
    """Does this letter (or a letter of this kind) need a head's signature (R-ANS-2)?"""
    if letter is not None:
        kind, final, decision = letter.kind, letter.final, letter.decision
    entries = signature_required()
    if kind == "answer":
        if decision == "refused" and "refusal" in entries:
            return True
        return ("final_answer" if final else "interim_answer") in entries
    return kind in entries


def _today() -> dt.date:
    return get_calendar().local_now().date()


def _workflow():
    # The letter workflow extends the incoming one, whose states routing adds: imported late.
    from docflow.outgoing.letter_workflow import LETTER

    return LETTER


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
) -> Letter | None:
    key = _dedup_key(kind, item, due_on, _source_of(source))
    return db.session.scalar(select(Letter).where(Letter.dedup_key == key))


def _subdivision(item: IncomingItem) -> Subdivision | None:
    """The responsible subdivision (whose head signs, R-ANS-2), if the item has reached one."""
    from docflow.routing.handlers import active_executors

    for a in active_executors(item):
        if a.responsible:
            return a.subdivision
    return item.subdivision


def give_number(letter: Letter) -> str:
    """Give the letter the journal's next number (R-REG-4: gapless, in this transaction)."""
    journal = journal_settings()
    today = _today()
    seq = next_number(journal["code"], today.year)
    letter.reg_journal, letter.reg_year, letter.reg_seq = journal["code"], today.year, seq
    letter.reg_number = format_number(
        journal["format"], prefix=journal["prefix"], year=today.year, number=seq
    )
    letter.registered_on = today
    return letter.reg_number


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
) -> Letter:
    """Make the notice to the applicant of ``item``: registered at once with its own number, or
    — when its kind needs a head's signature — a draft letter with the pre-filled text for the
    responsible subdivision's head to sign (an item that has reached no subdivision yet has no
    head to sign: its notice is registered at once, as before).

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
    existing = db.session.scalar(select(Letter).where(Letter.dedup_key == key))
    if existing is not None:
        return existing
    lang = _language(item, language)
    texts = {"kk": text_kk.strip(), "ru": text_ru.strip()}
    subdivision = _subdivision(item)
    letter = Letter(
        item_id=item.id,
        subdivision_id=subdivision.id if subdivision else None,
        kind=kind,
        final=False,
        language=lang,
        body=texts[lang],
        texts=texts,
        recipient=recipient_of(item),
        due_on=due_on,
        author_id=getattr(actor, "id", None),
        source_type=src[0],
        source_id=src[1],
        dedup_key=key,
        state="draft",
    )
    db.session.add(letter)
    db.session.flush()
    _workflow().initialize(letter, actor)
    summary = {"kind": kind, "item": item.reg_number, "due_on": due_on.isoformat()}
    if needs_signature(letter) and subdivision is not None:
        # R-ANS-2: the head signs; the number comes at signing (letter_signing).
        db.session.add(
            LetterVersion(
                letter_id=letter.id, number=1, body=letter.body, author_id=letter.author_id
            )
        )
        db.session.flush()
        audit.record("draft_outgoing", letter, summary=summary)
        return letter
    number = give_number(letter)
    _workflow().fire(letter, "register", actor)
    audit.record("register_outgoing", letter, summary={"reg_number": number, **summary})
    return letter


def _check_sendable(letter: Letter) -> None:
    if letter.sent_on is not None or letter.state == "sent":
        from docflow.i18n import format_date  # one date format per locale (issue 14)

        on = format_date(letter.sent_on) if letter.sent_on else ""
        raise OutgoingError(
            _l(
                "The notice %(number)s is already recorded as sent on %(date)s.",
                number=letter.reg_number,
                date=on,
            )
        )
    if letter.state not in REGISTERED:
        raise OutgoingError(
            _l("The letter must be signed by the head before it is sent (R-ANS-2).")
        )


@atomic
def mark_sent(
    notice: Letter, actor: Any, *, channel: str, sent_on: dt.date | None = None
) -> Letter:
    """Record that a registered letter went out: when, how, by whom (the ``send`` move)."""
    if not can_manage(actor):
        raise AccessDenied()
    if channel not in CHANNELS:
        raise OutgoingError(_l("Choose how the notice was sent."))
    _check_sendable(notice)
    today = _today()
    sent_on = sent_on or today
    if sent_on > today:
        raise OutgoingError(_l("The day of sending cannot be in the future."))
    if notice.registered_on is not None and sent_on < notice.registered_on:
        raise OutgoingError(_l("A notice cannot be sent before it was registered."))
    _send(notice, actor, sent_on, channel)
    return notice


def _send(letter: Letter, actor: Any, sent_on: dt.date, channel: str | None, **extra) -> None:
    letter.sent_on, letter.channel = sent_on, channel
    letter.sent_by_id = getattr(actor, "id", None)
    _workflow().fire(letter, "send", actor, params={}, comment=channel)
    audit.record(
        "outgoing_sent",
        letter,
        summary={
            "reg_number": letter.reg_number,
            "channel": channel,
            "sent_on": sent_on.isoformat(),
            "late": letter.due_on is not None and sent_on > letter.due_on,
            **extra,
        },
    )


@after_transition.connect
def _sent_state(workflow, obj=None, transition=None, actor=None, **_kw) -> None:
    """Whoever fires ``send`` (a dispatch, the journal), the letter records the day and sender."""
    if workflow.id != "letter" or transition is None:
        return
    if transition.id == "send" and obj.sent_on is None:
        obj.sent_on = _today()
        obj.sent_by_id = getattr(actor, "id", None)


@atomic
def mark_source_sent(record: Any, actor: Any) -> list[Letter]:
    """The notices about ``record`` (an extension, a forwarding) were sent — recorded from the
    routing panel, without a channel. The caller checked its own permission; a notice that
    still waits for the head's signature cannot be sent (R-ANS-2)."""
    if getattr(record, "id", None) is None:
        return []
    letters = [
        n
        for n in db.session.scalars(
            select(Letter)
            .where(Letter.source_type == record.__tablename__, Letter.source_id == record.id)
            .order_by(Letter.id)
        )
        if n.sent_on is None
    ]
    if not letters:
        raise OutgoingError(_l("No notice to send is registered for this record."))
    today = _today()
    for letter in letters:
        _check_sendable(letter)
        _send(letter, actor, today, None, via=record.__tablename__)
    return letters


# --- deadlines ----------------------------------------------------------------------------


def _watched():
    return select(Letter).where(Letter.sent_on.is_(None), Letter.due_on.is_not(None))


def overdue(today: dt.date | None = None) -> list[Letter]:
    """Letters not sent whose day to go out has passed."""
    today = today or _today()
    return list(
        db.session.scalars(
            _watched().where(Letter.due_on < today).order_by(Letter.due_on, Letter.id)
        )
    )


def due_soon_until(today: dt.date, days: int = DUE_SOON_DAYS) -> dt.date:
    """The last day of the "due soon" window: ``days`` working days after today."""
    cal = get_calendar()
    end = today
    for _ in range(days):
        end = cal.next_working_day(end)
    return end


def due_soon(today: dt.date | None = None, days: int = DUE_SOON_DAYS) -> list[Letter]:
    """Letters not sent that must go out today or within the next ``days`` working days."""
    today = today or _today()
    return list(
        db.session.scalars(
            _watched()
            .where(Letter.due_on >= today, Letter.due_on <= due_soon_until(today, days))
            .order_by(Letter.due_on, Letter.id)
        )
    )


def journal_query(
    *,
    not_sent: bool = False,
    overdue_only: bool = False,
    kind: str | None = None,
    today: dt.date | None = None,
):
    """The journal: every registered letter, and the notices still waiting for a signature
    (they have due dates); the newest first, unnumbered drafts on top."""
    today = today or _today()
    query = select(Letter).where(or_(Letter.reg_number.is_not(None), Letter.kind.in_(list(KINDS))))
    if not_sent or overdue_only:
        query = query.where(Letter.sent_on.is_(None))
    if overdue_only:
        query = query.where(Letter.due_on < today)
    if kind:
        query = query.where(Letter.kind == kind)
    return query.order_by(
        Letter.reg_number.is_not(None),
        Letter.reg_year.desc(),
        Letter.reg_seq.desc(),
        Letter.id.desc(),
    )
