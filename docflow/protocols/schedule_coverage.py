"""Monthly coverage of receptions (R-RECV-1): the akim and deputies receive at least once a month."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.org.models import Official
from docflow.protocols.models import ReceptionSession
from docflow.protocols.schedules import must_receive_monthly, occurrence_dates, schedules

# --- monthly coverage (R-RECV-1) -------------------------------------------------------------


@dataclass(frozen=True)
class CoverageProblem:
    official: Official
    month: dt.date  # first day of the month with no reception

    def message(self) -> str:
        return str(
            _l(
                "%(name)s has no reception in %(month)s: the akim and the deputies receive at least once a month (R-RECV-1).",
                name=self.official.full_name,
                month=self.month.strftime("%m.%Y"),
            )
        )


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    last = _calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def monthly_coverage_problems(today: dt.date, *, months: int = 1) -> list[CoverageProblem]:
    """The akim and deputies with no reception in a month (R-RECV-1).

    Checks ``months`` calendar months from the month of ``today``. A month is covered by a
    working day of an approved schedule whose session was not cancelled, or by any session
    (one-off, off-schedule) that is not cancelled.
    """
    cal = get_calendar()
    officials = [
        o
        for o in db.session.scalars(select(Official).order_by(Official.id))
        if must_receive_monthly(o)
    ]
    approved = schedules(approved=True)
    problems = []
    year, month = today.year, today.month
    for _ in range(months):
        first, last = _month_bounds(year, month)
        for official in officials:
            rows = db.session.execute(
                select(ReceptionSession.date, ReceptionSession.state).where(
                    ReceptionSession.official_id == official.id,
                    ReceptionSession.date >= first,
                    ReceptionSession.date <= last,
                )
            ).all()
            held = {d for d, state in rows if state != "cancelled"}
            cancelled = {d for d, state in rows if state == "cancelled"} - held
            planned = {
                d
                for s in approved
                if s.official_id == official.id
                for d in occurrence_dates(s, first, last)
                if cal.is_working_day(d)
            }
            if not ((planned - cancelled) | held):
                problems.append(CoverageProblem(official, first))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return problems
