"""The journal of outgoing notices to applicants (R-REG-5, -6, R-ROUTE-2, R-DEADLINE-2, R-RECV-8,
-11, -12): each notice the law requires is registered with a gapless number (R-REG-4), its texts in
Kazakh and Russian, the date by which it must go out, and when and how it was sent."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import UTCDateTime, utcnow
from docflow.extensions import db
from docflow.org.models import User
from docflow.registry.models import IncomingItem, new_public_id

JOURNAL = "outgoing"

# What the notice tells the applicant, and the rule that requires it.
KINDS = {
    "correction": _l("Request to supply missing details (R-REG-5)"),
    "left_without_consideration": _l("Request left without consideration (R-REG-6)"),
    "forwarding": _l("Appeal forwarded to another body (R-ROUTE-2)"),
    "extension": _l("Term of consideration extended (R-DEADLINE-2)"),
    "termination": _l("Consideration of a repeat appeal terminated (R-ROUTE-5)"),
    "signup_inclusion": _l("Included in the reception list (R-RECV-11)"),
    "signup_time": _l("Date and time of the reception (R-RECV-11)"),
    "hearing_draft": _l("Draft refusal of reception for a hearing (R-RECV-12)"),
    "reception_cancelled": _l("Reception will not take place (R-RECV-8)"),
}

# How the notice went out.
CHANNELS = {
    "post": _l("By post"),
    "email": _l("By e-mail"),
    "egov": _l("Through the e-Government portal / e-Otinish"),
    "phone": _l("By phone"),
    "handed": _l("Handed to the applicant"),
}

LANGUAGES = ("kk", "ru")


class OutgoingNotice(db.Model):
    __tablename__ = "outgoing_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, nullable=False, default=new_public_id
    )
    journal: Mapped[str] = mapped_column(String(64), nullable=False, default=JOURNAL)
    reg_year: Mapped[int] = mapped_column(Integer, nullable=False)
    reg_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    reg_number: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="kk")
    recipient: Mapped[str] = mapped_column(Text, nullable=False, info={"audit": "mask"})
    text_kk: Mapped[str] = mapped_column(Text, nullable=False)
    text_ru: Mapped[str] = mapped_column(Text, nullable=False)
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True
    )
    sent_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    # None only when the notice was recorded as sent elsewhere (the routing panel) without one.
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The record the notice is about (extension, forwarding, signup, reception_session), if any:
    # marking the notice sent also marks that record's own notice field.
    source_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # One notice per (kind, item, due date[, source record]): hooks may run twice, never two notices.
    dedup_key: Mapped[str] = mapped_column(
        String(200), unique=True, nullable=False, info={"audit": "skip"}
    )

    item: Mapped[IncomingItem] = relationship()
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])

    __table_args__ = (
        UniqueConstraint("journal", "reg_year", "reg_seq"),
        db.Index("ix_outgoing_notice_source", "source_type", "source_id"),
    )

    @property
    def text(self) -> str:
        """The text in the applicant's language."""
        return self.text_ru if self.language == "ru" else self.text_kk

    def is_overdue(self, today: dt.date) -> bool:
        return self.sent_on is None and self.due_on < today


def notice_by_public_id(public_id: str) -> OutgoingNotice | None:
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(select(OutgoingNotice).where(OutgoingNotice.public_id == public_id))


def notices_for_item(item_id: int) -> list[OutgoingNotice]:
    return list(
        db.session.scalars(
            select(OutgoingNotice)
            .where(OutgoingNotice.item_id == item_id)
            .order_by(OutgoingNotice.id)
        )
    )
