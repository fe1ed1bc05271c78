"""Personal reception: schedules, sessions, sign-ups, the queue, minutes, protocol assignments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.core.workflow import WorkflowMixin
from docflow.extensions import db
from docflow.org.models import Official, User

# R-RECV-5: received out of turn.
PRIORITY_CATEGORIES = (
    "war_veteran",  # Great Patriotic War veterans and those equal to them
    "combat_veteran",
    "labour_veteran",
    "disability",
    "pregnant",
    "state_award",  # «Алтын Қыран», «Халық қаһарманы», «Қазақстанның Еңбек Ері»
)


class ReceptionSchedule(db.Model):
    """An official's recurring reception hours (R-RECV-1, -2), approved by the head of the office."""

    __tablename__ = "reception_schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id"), nullable=False, index=True)
    weekday: Mapped[int] = mapped_column(Integer, nullable=False)  # 0 = Monday
    week_of_month: Mapped[int | None] = mapped_column(
        Integer, nullable=True
    )  # 1..5; None = every week
    start: Mapped[dt.time] = mapped_column(Time, nullable=False)
    end: Mapped[dt.time] = mapped_column(Time, nullable=False)
    place: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)  # kk/ru
    video: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # R-RECV-6
    slot_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=15)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    official: Mapped[Official] = relationship()


class ReceptionSession(WorkflowMixin, db.Model):
    """One reception: a scheduled date, a one-off, or off-schedule on the akim's instruction."""

    __tablename__ = "reception_session"
    __workflow__ = "reception"
    # One official is not received twice at the same hour: the database refuses duplicates
    # that two concurrent requests could otherwise both create.
    __table_args__ = (db.UniqueConstraint("official_id", "date", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id"), nullable=False, index=True)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("reception_schedule.id"), nullable=True
    )
    date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    start: Mapped[dt.time] = mapped_column(Time, nullable=False)
    end: Mapped[dt.time] = mapped_column(Time, nullable=False)
    kind: Mapped[str] = mapped_column(
        String(16), nullable=False, default="scheduled"
    )  # scheduled|one_off|off_schedule
    instruction: Mapped[str | None] = mapped_column(Text, nullable=True)  # R-RECV-3
    place: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)
    video_link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    slot_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=15)
    participants: Mapped[list[Any] | None] = mapped_column(JSONType, nullable=True)  # R-RECV-9
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    minutes_number: Mapped[str | None] = mapped_column(String(32), nullable=True)

    official: Mapped[Official] = relationship()
    signups: Mapped[list[SignUp]] = relationship(
        back_populates="session", order_by="SignUp.queue_position"
    )


class SignUp(WorkflowMixin, db.Model):
    """A request for personal reception (a registered item) on its way into a session (R-RECV-11)."""

    __tablename__ = "signup"
    __workflow__ = "signup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_item.id"), nullable=False, unique=True
    )
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id"), nullable=False, index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("reception_session.id"), nullable=True, index=True
    )
    priority: Mapped[str | None] = mapped_column(String(32), nullable=True)  # R-RECV-5
    video: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # R-RECV-6: consent
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # R-RECV-10
    queue_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    slot_time: Mapped[dt.time | None] = mapped_column(Time, nullable=True)
    # Preliminary consideration (R-RECV-11) and the hearing on a refusal (R-RECV-12).
    reference_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    refusal_ground: Mapped[str | None] = mapped_column(String(32), nullable=True)
    refusal_evidence_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("incoming_item.id"), nullable=True
    )
    preliminary_sent_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    decision_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    objection_due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    objection: Mapped[str | None] = mapped_column(Text, nullable=True)
    inclusion_notice_due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    time_notice_due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    came: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    oral_questions: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The decision taken at the reception, for the minutes (R-PROT-1): executors and term.
    decision_executors: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    decision_due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    explained: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # R-RECV-4: the identity document shown (and a representative's proof of authority).
    identity_document: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    session: Mapped[ReceptionSession | None] = relationship(back_populates="signups")
    official: Mapped[Official] = relationship()

    # R-RECV-11: when the notices went out is outgoing's record (its notices' "sent" state).
    @property
    def inclusion_notice_sent_on(self) -> dt.date | None:
        from docflow.outgoing import notices

        return notices.sent_on("signup", self.id, "signup_inclusion")

    @property
    def time_notice_sent_on(self) -> dt.date | None:
        from docflow.outgoing import notices

        return notices.sent_on("signup", self.id, "signup_time")


class Minutes(db.Model):
    """Minutes of a reception (R-PROT-1): generated here or uploaded as DOCX and parsed."""

    __tablename__ = "minutes"
    # Under the "minutes" workflow; the engine's ``state`` is the ``status`` column (no migration).
    __workflow__ = "minutes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("reception_session.id"), nullable=True, index=True
    )
    number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    official_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"), nullable=True)
    parsed: Mapped[Any] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default="draft"
    )  # draft | confirmed
    state = synonym("status")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True
    )
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    assignments: Mapped[list[ProtocolAssignment]] = relationship(
        back_populates="minutes", order_by="ProtocolAssignment.id"
    )


class ProtocolAssignment(db.Model):
    """An assignment of the minutes, carried by the applicant's appeal item on control (R-PROT-2)."""

    __tablename__ = "protocol_assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), nullable=False, index=True)
    number: Mapped[str] = mapped_column(String(16), nullable=False)  # "1", "1.1"
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    due: Mapped[dt.date] = mapped_column(Date, nullable=False)
    executors: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    scan_due: Mapped[dt.date] = mapped_column(Date, nullable=False)  # R-REG-7: 1-3 working days

    minutes: Mapped[Minutes] = relationship(back_populates="assignments")


class SatisfactionCall(db.Model):
    """A phone survey of an applicant who got a consultation or declined sign-up (R-RECV-13)."""

    __tablename__ = "satisfaction_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("signup.id"), nullable=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_item.id"), nullable=True)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)  # consultation | declined
    result: Mapped[str] = mapped_column(
        String(16), nullable=False
    )  # satisfied | partly | not_satisfied | unreachable
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    called_on: Mapped[dt.date] = mapped_column(Date, nullable=False)

    called_by: Mapped[User | None] = relationship()
