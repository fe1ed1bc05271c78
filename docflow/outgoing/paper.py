"""A paper answer — signed by hand and scanned — registered in the outgoing journal.

This stays a lawful path next to digitally signed letters: the routing API's ``answer`` +
``approve`` + ``close`` work as they always did (integrations use them). When the head approves
the paper answer (routing's ``approve_answer``), it goes out, so it takes its outgoing number
here: the same journal and year as the signed letters and the notices, gapless (R-REG-4: the
number is taken in the approving transaction and rolls back with it).

It is kept as a :class:`~docflow.outgoing.letter_models.Letter` of kind ``paper_answer`` — the
one kind of document for everything that goes out — registered at once (the ``letter``
workflow's ``register``), linked to its routing answer (``source_type="answer"``). Its kind is
not ``answer``: the signed final answer letter that R-CTRL-1 waits for is a digital one, and a
paper answer leaves control exactly as before, on routing's own check.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.numbering import format_number, next_number
from docflow.extensions import db
from docflow.outgoing.letter_models import LETTER_LANGUAGES, Letter
from docflow.outgoing.letter_workflow import LETTER
from docflow.outgoing.operations import journal_settings, recipient_of

PAPER_KIND = "paper_answer"
PAPER_KIND_TITLE = _l("Answer signed on paper")
SOURCE = "answer"  # routing's Answer table


def _key(answer: Any) -> str:
    return f"{PAPER_KIND}:{answer.id}"


def paper_letter(answer: Any) -> Letter | None:
    """The outgoing registration of a routing answer, if it has one."""
    if answer is None or answer.id is None:
        return None
    return db.session.scalar(select(Letter).where(Letter.dedup_key == _key(answer)))


def paper_answer_number(answer: Any) -> str | None:
    """The outgoing number of an approved paper answer (None before the approval)."""
    letter = paper_letter(answer)
    return letter.reg_number if letter is not None else None


def register_paper_answer(item: Any, answer: Any, actor: Any) -> Letter:
    """Register the head-approved paper ``answer`` of ``item`` in the outgoing journal.

    Called by routing's approval, in its transaction, after it checked the head's permission;
    idempotent per answer. Returns the registered letter (``reg_number``, ``registered_on``).
    """
    existing = paper_letter(answer)
    if existing is not None:
        return existing
    journal = journal_settings()
    today = get_calendar().local_now().date()
    letter = Letter(
        item_id=item.id,
        subdivision_id=item.subdivision_id,
        kind=PAPER_KIND,
        final=bool(answer.final),
        language=item.language if item.language in LETTER_LANGUAGES else "kk",
        body=answer.summary or "",
        recipient=recipient_of(item),
        author_id=answer.author_id,
        approved_by_id=getattr(actor, "id", None),
        approved_at=answer.approved_at,
        source_type=SOURCE,
        source_id=answer.id,
        dedup_key=_key(answer),
        state=LETTER.initial,
    )
    db.session.add(letter)
    db.session.flush()
    LETTER.initialize(letter, actor)
    seq = next_number(journal["code"], today.year)  # R-REG-4: gapless, in this transaction
    letter.reg_journal, letter.reg_year, letter.reg_seq = journal["code"], today.year, seq
    letter.reg_number = format_number(
        journal["format"], prefix=journal["prefix"], year=today.year, number=seq
    )
    letter.registered_on = today
    LETTER.fire(letter, "register", actor, comment=letter.reg_number)
    audit.record(
        "register_outgoing",
        letter,
        summary={"reg_number": letter.reg_number, "kind": PAPER_KIND, "item": item.reg_number},
    )
    return letter
