"""The journal of outgoing documents (R-REG-4, -5, -6, R-ROUTE-2, R-DEADLINE-2, R-RECV-8, -11, -12):
answers and every notice the law requires are :class:`~docflow.outgoing.letter_models.Letter`
rows — one kind of document — each registered with a gapless number of the ``outgoing`` journal,
its texts in Kazakh and Russian, the date by which it must go out, and when and how it was sent.

This module keeps the journal's vocabulary (kinds, channels) and its queries; the rows are
letters (``OutgoingNotice`` is the old name of a notice, kept for callers and tests).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.extensions import db
from docflow.outgoing.letter_models import NOTICE_KINDS, Letter

JOURNAL = "outgoing"

# What the notice tells the applicant, and the rule that requires it.
KINDS = NOTICE_KINDS

# How a letter went out.
CHANNELS = {
    "post": _l("By post"),
    "email": _l("By e-mail"),
    "egov": _l("Through the e-Government portal / e-Otinish"),
    "phone": _l("By phone"),
    "handed": _l("Handed to the applicant"),
}

LANGUAGES = ("kk", "ru")

OutgoingNotice = Letter  # a notice is a letter of a notice kind


def notice_by_public_id(public_id: str) -> Letter | None:
    """Any outgoing letter by its public id (the journal's pages show answers too)."""
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(select(Letter).where(Letter.public_id == public_id))


def notices_for_item(item_id: int) -> list[Letter]:
    """The item's notices (letters of a notice kind), oldest first."""
    return list(
        db.session.scalars(
            select(Letter)
            .where(Letter.item_id == item_id, Letter.kind.in_(list(KINDS)))
            .order_by(Letter.id)
        )
    )
