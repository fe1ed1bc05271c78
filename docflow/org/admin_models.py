"""Changes of terms and of the calendar that take effect from a date (issue 14, admin pages).

An administrator changes a kind's answer term or makes a day a day off / a working day *from a
date*. A change from today is applied at once; a later one waits here until its day comes
(:func:`docflow.org.admin_ops.apply_due_changes`, run before each request). Either way the
value enters the settings' history (``docflow.core.settings.SettingVersion``) as in force from
that day, so items registered before it keep the due dates computed for them (stored on each
item) and an inspection still judges them by the settings of their own day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.extensions import db
from docflow.org.models import User

KEYS = ("terms", "calendar")


class ScheduledChange(db.Model):
    """One change of a setting, in force from ``effective_from``.

    ``change`` is what to do, not the whole new value, so two changes scheduled for different
    days do not undo each other: ``{"kind", "days", "unit"}`` for a term, ``{"day",
    "working": bool, "note"}`` for a calendar day.
    """

    __tablename__ = "scheduled_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), nullable=False)
    change: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    effective_from: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True
    )

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def day(self) -> dt.date | None:
        """The calendar day a calendar change is about."""
        value = self.change.get("day") if self.key == "calendar" else None
        return dt.date.fromisoformat(value) if value else None

    @property
    def pending(self) -> bool:
        return self.applied_at is None and self.cancelled_at is None
