"""Records of the reception rules kept beside the sign-up and the session (``signup_rules``):
the applicant's consent to a video reception (R-RECV-6), the participants of other bodies at
a reception (R-RECV-9), and extensions of a complex sign-up's term (R-RECV-11, R-DEADLINE-2)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from docflow.core.db import UTCDateTime, utcnow
from docflow.extensions import db


class VideoConsent(db.Model):
    """R-RECV-6: the applicant agreed to be received by video conference — how and when."""

    __tablename__ = "signup_video_consent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("signup.id"), nullable=False, unique=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # written|oral|phone|portal
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ReceptionParticipant(db.Model):
    """R-RECV-9: a representative of another body at a reception, or that body's refusal."""

    __tablename__ = "reception_participant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("reception_session.id"), nullable=False, index=True
    )
    body: Mapped[str] = mapped_column(String(32), nullable=False)  # prosecutor|police|…|other
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    position: Mapped[str | None] = mapped_column(String(300), nullable=True)
    present: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # why the body did not take part
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SignUpExtension(db.Model):
    """R-RECV-11 / R-DEADLINE-2: the inclusion term of a complex sign-up extended: who, why,
    the old and the new date; the applicant is told within 3 working days."""

    __tablename__ = "signup_extension"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("signup.id"), nullable=False, index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False)
    basis: Mapped[str] = mapped_column(String(16), nullable=False)  # letter | decision
    old_due: Mapped[dt.date] = mapped_column(Date, nullable=False)
    new_due: Mapped[dt.date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    notice_due: Mapped[dt.date] = mapped_column(Date, nullable=False)
    extended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    extended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
