"""What the dashboards read: one fact row per case and daily aggregates of them.

The aggregates are *materialised*, not computed per request: every write transaction that
touches a case (the item itself or any row carrying its ``item_id``) leaves the case's id in
``analytics_dirty`` (see :mod:`docflow.analytics.facts`); whoever reads analytics first drains that
queue — each dirty case's fact is recomputed and its old and new contributions are subtracted from
and added to ``analytics_daily`` in one transaction. Native and imported cases alike.

Timeliness that changes with the clock alone (an open case becoming overdue) is not stored: open
cases keep their due date and the query compares it with today.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.extensions import db

# Where a case stands, for analytics (the workflow's states folded into a few).
STATUSES = ("open", "answered", "closed", "forwarded", "returned", "terminated", "withdrawn")
# How it was answered against its due date; "open" ones are split into overdue/in time at query.
TIMELINESS = ("on_time", "late", "open", "none")


class CaseFact(db.Model):
    __tablename__ = "analytics_case"
    __audit__ = False  # derived from audited records, recomputed at will (facts.rebuild)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_item.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    subdivision: Mapped[str | None] = mapped_column(String(64), nullable=True)
    district: Mapped[str | None] = mapped_column(String(64), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # content words of the summary, for grouping cases no topic covers
    words: Mapped[str | None] = mapped_column(String(500), nullable=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="native")
    from_reception: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    from_meeting: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    timeliness: Mapped[str] = mapped_column(String(16), nullable=False)
    due_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    answered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    extended: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    repeat: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_analytics_case_open_due", "timeliness", "day", "due_date"),
        Index("ix_analytics_case_district_topic", "district", "topic", "day"),
        Index("ix_analytics_case_subdivision_day", "subdivision", "day"),
        Index("ix_analytics_case_kind_day", "kind", "day"),
    )


# A daily aggregate row counts the cases of one day with one value of one dimension: "all" (every
# case), each single dimension, and the district × topic pair of the problem map. Keyed by one
# dimension at a time, a day has a few hundred rows whatever the number of cases (all dimensions
# at once would give nearly one row per case). A dashboard with filters reads the facts instead.
ROLLUPS = ("all", "kind", "channel", "subdivision", "district", "topic", "source", "district_topic")
# Each rollup also by month ("kind@m"…, ``day`` the month's first day): long periods sum those.
MONTHLY = "@m"


def monthly(dim: str) -> str:
    return dim + MONTHLY


MEASURES = (
    "n",
    "on_time",
    "late",
    "open",
    "extended",
    "repeat",
    "from_reception",
    "from_meeting",
    "rated",
    "rating_sum",
)


class DailyAggregate(db.Model):
    __tablename__ = "analytics_daily"
    __audit__ = False  # derived from audited records, recomputed at will (facts.rebuild)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    dim: Mapped[str] = mapped_column(String(16), nullable=False)
    # the value ("" when the case has none; "DISTRICT|topic" for district_topic)
    value: Mapped[str] = mapped_column(String(140), nullable=False, default="")
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    on_time: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    late: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    open: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    extended: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    repeat: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    from_reception: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    from_meeting: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rating_sum: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)

    __table_args__ = (
        UniqueConstraint("dim", "day", "value", name="uq_analytics_daily_key"),
        # Covering the emerging-problems scan (dim, period, cell, cases): read from the index
        # alone, never from the table rows.
        Index("ix_analytics_daily_cover", "dim", "day", "value", "n"),
    )


class DirtyCase(db.Model):
    """A case written since its fact was last computed (many rows per case are fine)."""

    __tablename__ = "analytics_dirty"
    __audit__ = False  # derived from audited records, recomputed at will (facts.rebuild)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)


class ProblemScan(db.Model):
    """A stored emerging-problems scan (see :mod:`docflow.analytics.problem_store`): the result
    for one period, filters and settings, with the drains counter it was computed at. Derived
    data, recomputed at will: not in the audit trail."""

    __tablename__ = "analytics_problem_scan"
    __audit__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    drains: Mapped[int] = mapped_column(Integer, nullable=False)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    result: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
