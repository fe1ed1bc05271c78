"""The approval sheet (лист согласования / келісу парағы) of a letter: one row per approver.

Rows are made when the executor submits the letter, from the profile's ``letters.approval``
(:mod:`docflow.outgoing.approval`), as one *round*: a return for revision closes the round and
the next submission opens a new one, so earlier decisions and comments stay on record
(R-AUDIT-3) while the sheet starts again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.extensions import db
from docflow.org.models import Subdivision, User

DECISIONS = ("pending", "approved", "returned")
MODES = ("sequential", "parallel")


class LetterApproval(db.Model):
    """One approver's step on a letter's sheet, and their decision."""

    __tablename__ = "letter_approval"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), nullable=False, index=True)
    round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    mode: Mapped[str] = mapped_column(String(16), nullable=False, default="sequential")
    # "co-executor", "lawyer" or the profile's own name for the step
    role: Mapped[str] = mapped_column(String(64), nullable=False)
    # the position printed on the sheet when the profile gives one: {"kk": …, "ru": …}
    title: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)
    # a named approver; or, for a step of a subdivision, whoever acts as its head that day
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    group_subdivision_id: Mapped[int | None] = mapped_column(
        ForeignKey("subdivision.id"), nullable=True
    )
    decision: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    group_subdivision: Mapped[Subdivision | None] = relationship()

    __table_args__ = (UniqueConstraint("letter_id", "round", "step"),)
