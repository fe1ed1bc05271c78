"""Routing records: who got an item, who executes it, extensions, answers, forwarding, notices."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from docflow.core.db import UTCDateTime, utcnow
from docflow.extensions import db
from docflow.org.models import Subdivision, User


class Distribution(db.Model):
    """An item sent to a subdivision: the responsible one, or a co-executor (R-ROUTE-1, -3)."""

    __tablename__ = "distribution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    subdivision_id: Mapped[int] = mapped_column(
        ForeignKey("subdivision.id"), nullable=False, index=True
    )
    responsible: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    subdivision: Mapped[Subdivision] = relationship(lazy="joined")


class ExecutorAssignment(db.Model):
    """An employee made executor of an item; reassignment ends the row (history kept)."""

    __tablename__ = "executor_assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    subdivision_id: Mapped[int] = mapped_column(ForeignKey("subdivision.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    responsible: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="assign")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    subdivision: Mapped[Subdivision] = relationship(lazy="joined")


class Extension(db.Model):
    """A term extension (R-DEADLINE-2): who, why, old and new due date, the applicant's notice."""

    __tablename__ = "extension"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    basis: Mapped[str] = mapped_column(String(16), nullable=False)  # letter | decision
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    old_due: Mapped[dt.date] = mapped_column(Date, nullable=False)
    new_due: Mapped[dt.date] = mapped_column(Date, nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    notice_due: Mapped[dt.date] = mapped_column(Date, nullable=False)

    decided_by: Mapped[User | None] = relationship()

    @property
    def notice_sent_at(self) -> dt.date | None:
        """The day the applicant's notice went out: outgoing keeps that (its notices' record)."""
        from docflow.outgoing import notices

        return notices.sent_on("extension", self.id)


class Answer(db.Model):
    """The answer to the applicant: a document attached by the executor, approved by the head."""

    __tablename__ = "answer"
    # Under the "answer" workflow; the engine's ``state`` is the ``status`` column (no migration).
    __workflow__ = "answer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"), nullable=True)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    final: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="submitted")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    state = synonym("status")

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class Forwarding(db.Model):
    """Forwarded to another body, wholly or in part (R-ROUTE-2): notice due in 3 working days."""

    __tablename__ = "forwarding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    body: Mapped[str] = mapped_column(String(300), nullable=False)
    partial: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    forwarded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True
    )
    forwarded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    deadline: Mapped[dt.date] = mapped_column(Date, nullable=False)

    @property
    def notice_sent_at(self) -> dt.date | None:
        """The day the applicant's notice went out: outgoing keeps that (its notices' record)."""
        from docflow.outgoing import notices

        return notices.sent_on("forwarding", self.id)


class Notification(db.Model):
    """A reminder or notice for a user, shown in the app and sent by e-mail (R-CTRL-3)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("incoming_item.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    # The reminder's identity: one notification per (user, item, kind, key) — never sent twice.
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    email_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (db.UniqueConstraint("user_id", "item_id", "kind", "key"),)


class RoutingExample(db.Model):
    """A (text, subdivision) pair the suggestion classifier learns from: imported or routed here."""

    __tablename__ = "routing_example"
    __audit__ = False  # bulk training data, not a record of the office's acts

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    subdivision_code: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="import")
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("incoming_item.id"), nullable=True, unique=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
