"""A document registered on a later day than it arrived: its journal, its term, its reason.

R-REG-3 makes the day of arrival the registration day (after hours or on a day off: the next
working day). When a document is registered later than that — found in the post, brought from
another office, entered from a backlog — the clerk says why, the reason is kept on the item and
audited, and:

- the item is numbered in the journal of the day it is really registered (R-REG-4: numbers per
  journal and year, never out of order), so a document that arrived in 2025 and is registered
  today takes today's number, not a 2025 one;
- its arrival stays as given, and its term counts from the arrival (R-DEADLINE-1: "from
  arrival"): a late registration does not lengthen the applicant's term.

Registration paths that ask for the reason (the form and the API) set
``RegistrationData.ask_arrival_reason``; other paths (imports, minutes, tests of old dates) keep
the arrival's own registration day unless they give a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from docflow.core import audit
from docflow.core.calendar import WorkingCalendar, get_calendar
from docflow.core.errors import DomainError

MAX_REASON = 1000


class ArrivalReasonRequired(DomainError):
    """A past arrival date without the reason for registering it only now (400)."""

    status = 400
    code = "arrival_reason_required"

    def __init__(self, arrival_day: dt.date, today: dt.date) -> None:
        from docflow.i18n import format_date

        message = _l(
            "The document arrived on %(arrival)s, before today (%(today)s): give the reason why it is registered only now.",
            arrival=format_date(arrival_day),
            today=format_date(today),
        )
        super().__init__(message, fields={"arrival_reason": message})


@dataclass(frozen=True)
class ArrivalDates:
    registration: dt.date  # the day it is registered: its journal year and number (R-REG-4)
    term_start: dt.date  # the day its term counts from: the arrival (R-REG-3, R-DEADLINE-1)
    reason: str | None = None

    @property
    def late(self) -> bool:
        return self.term_start < self.registration


def today_registration(cal: WorkingCalendar) -> dt.date:
    """The registration day of something arriving now (R-REG-3)."""
    return cal.registration_date(cal.local_now())


def dates_for(cal: WorkingCalendar, arrived_at: dt.datetime, data: Any) -> ArrivalDates:
    """The registration day and term start of a registration (``data``: RegistrationData).

    A past arrival with a reason: registered today, term from the arrival. A past arrival
    without one: refused where the path asks for the reason (``ask_arrival_reason``), else
    registered on the arrival's own day as before.
    """
    by_arrival = cal.registration_date(arrived_at)  # R-REG-3
    reason = " ".join((getattr(data, "arrival_reason", None) or "").split())[:MAX_REASON] or None
    today = cal.local_now().date()
    if by_arrival >= today:
        return ArrivalDates(by_arrival, by_arrival)
    if reason is None:
        if getattr(data, "ask_arrival_reason", False):
            raise ArrivalReasonRequired(by_arrival, today)
        return ArrivalDates(by_arrival, by_arrival)
    return ArrivalDates(today_registration(cal), by_arrival, reason)


def record(item: Any, dates: ArrivalDates) -> None:
    """Audit a late registration: when it arrived, when it is registered, and why."""
    if not dates.late:
        return
    audit.record(
        "register_late",
        item,
        summary={
            "reg_number": item.reg_number,
            "arrived": dates.term_start.isoformat(),
            "registered": dates.registration.isoformat(),
            "reason": dates.reason,
        },
    )


def term_start(item: Any) -> dt.date:
    """The day an item's term counts from: its arrival's registration day (R-DEADLINE-1)."""
    return min(item.registration_date, get_calendar().registration_date(item.arrived_at))


def term_length(item: Any) -> int | None:
    """The item's real term in its unit, from its start to its due date as it is now (an
    extension or a moved term included); None without a due date."""
    if item.due_date is None:
        return None
    unit = "calendar" if item.term_unit == "calendar" else "working"
    return get_calendar().term_length(term_start(item), item.due_date, unit)


def registered_messages(item: Any) -> list[str]:
    """What the clerk is told after a late registration: the term from the arrival, and that
    it has already run out when it has (so an overdue item is never a surprise)."""
    from flask_babel import gettext as _

    from docflow.i18n import format_date

    if not item.arrival_reason or item.due_date is None:
        return []
    values = {
        "arrival": format_date(term_start(item)),
        "registered": format_date(item.registration_date),
        "due": format_date(item.due_date),
    }
    out = [
        _(
            "It arrived on %(arrival)s and is registered on %(registered)s; its term counts from the arrival and ends on %(due)s.",
            **values,
        )
    ]
    if item.due_date < get_calendar().local_now().date():
        out.append(_("The term ended on %(due)s: the item is already overdue.", **values))
    return out


def register_texts() -> None:
    """The late registration's sentence in the readable history."""
    from docflow.core import history_text as ht

    ht.register_action(
        "register_late",
        _l(
            "%(actor)s registered %(object)s later than it arrived (arrived %(arrived)s, registered %(registered)s): %(reason)s"
        ),
        group="registration",
        fields=_late_fields,
    )
    ht.register_field_titles({"arrival_reason": _l("reason for the late registration")})


def _late_fields(summary: dict, ctx: Any) -> dict:
    from docflow.i18n import format_date

    def day(key: str) -> str:
        try:
            return format_date(dt.date.fromisoformat(str(summary.get(key))))
        except ValueError:
            return str(summary.get(key) or "—")

    return {
        "arrived": day("arrived"),
        "registered": day("registered"),
        "reason": str(summary.get("reason") or "—"),
    }
