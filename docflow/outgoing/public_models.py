"""The applicant's rating of an answer (R-ANS-3): 1–5 and an optional comment, once per letter.

Given on the public verification page (``source="web"``, from the QR code, no login) or
recorded by the front office from a call (``source="call"``, ``recorded_by``). One rating per
letter, whatever the source: a second one is refused (the unique ``letter_id``), so the figure
the weekly analysis counts cannot be flipped by whoever holds the letter.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import UTCDateTime, utcnow
from docflow.extensions import db
from docflow.org.models import User
from docflow.outgoing.letter_models import Letter

SOURCES = {"web": _l("On the verification page"), "call": _l("By phone call")}
SCORES = (1, 2, 3, 4, 5)


class AnswerRating(db.Model):
    __tablename__ = "answer_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), nullable=False, unique=True)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    # the applicant's own words may name them: masked in the audit trail (R-PD-1)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True, info={"audit": "mask"})
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)

    letter: Mapped[Letter] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        CheckConstraint("source IN ('web', 'call')", name="source"),
    )


def rating_of(letter: Letter) -> AnswerRating | None:
    return db.session.scalar(select(AnswerRating).where(AnswerRating.letter_id == letter.id))


def rating_of_item(item_id: int) -> int | None:
    """The applicant's rating of the item's answer (the latest rated letter), for exports."""
    return db.session.scalar(
        select(AnswerRating.score)
        .join(Letter, Letter.id == AnswerRating.letter_id)
        .where(Letter.item_id == item_id)
        .order_by(AnswerRating.id.desc())
        .limit(1)
    )
