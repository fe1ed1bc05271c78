"""What the automatic checks judge a case by: its history, settings, terms; what they return.

Each function gets a :class:`Case` (the history up to the as-of date, the settings in force on
the day it arrived, the earlier cases it refers to) and returns the :class:`Hit` that shows a
finding, ``None`` when there is none, or :data:`NOT_JUDGED` when it cannot tell (then the case
counts as not judged for that code). Terms (inspection.md, "How terms are counted"):

- "within N WD of X" ends on the N-th working day of a term starting on X, counted as answer
  terms are (``WorkingCalendar.add_working_days``, the profile's ``arrival_day_counts``); it is
  judged only once that day has passed by the as-of date;
- the lawful registration date is the arrival day, or the next working day (R-REG-3); the due
  date is counted from it with the kind's term (R-KIND-2), moved by every recorded extension;
- "more than 30 calendar days after registration": later than that date + 30 days; "two
  months": the same day number two months later (``add_months``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docflow.inspection.history import CaseHistory, Event, Person
from docflow.inspection.history_settings import CaseSettings

NOTICE_DAYS = 3  # R-ROUTE-2, R-DEADLINE-2, R-ROUTE-5: notices within 3 working days
FORWARD_DAYS = 3  # R-ROUTE-2
SCAN_DAYS = 3  # R-REG-7
HEARING_DAYS = 3  # R-RECV-12
LETTER_CAP_DAYS = 30  # R-DEADLINE-2
DECISION_CAP_MONTHS = 2  # R-DEADLINE-2
ENDINGS = ("returned", "withdrawn", "terminated")  # with a whole forwarding: no answer owed


class _NotJudged:
    def __repr__(self) -> str:
        return "NOT_JUDGED"


NOT_JUDGED = _NotJudged()


@dataclass
class Hit:
    """A finding: the evidence sentence (a translatable template and its values) and the facts."""

    message: Any
    params: dict[str, Any]
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Earlier:
    """What the checks need of an earlier case a case refers to."""

    item_id: int
    reg_number: str
    handlers: list[tuple[Person, str]]  # (person, "executor" | "signer")
    finals: list[Event]
    duplicate_of: list[int]
    parents: list[int]


@dataclass
class Case:
    h: CaseHistory
    s: CaseSettings
    as_of: dt.date
    earlier: Callable[[int], Earlier | None]
    heads_on: Callable[[int, dt.date], list[Person] | None]
    verify: Callable[[int], bool | None]

    def __post_init__(self) -> None:
        self.lawful = self.s.registration_date(self.h.received_at)
        self.base_due = self.s.due_from(self.lawful, self.h.kind)
        self.extensions = self.h.of("extended")

    # --- terms ---

    def within(self, start: dt.date, days: int) -> dt.date:
        """The last day of "within N WD of X" (R-DEADLINE-1's counting)."""
        return self.s.add_working_days(start, days)

    def ended(self, last_day: dt.date) -> bool:
        return self.as_of > last_day

    def due_before(self, event: Event | None) -> dt.date:
        """The due date in force before ``event`` (every recorded extension moves it)."""
        due = self.base_due
        for ext in self.extensions:
            if event is not None and (ext is event or not ext.not_after(event)):
                break
            due = ext.data.get("new_due") or due
        return due

    @property
    def due(self) -> dt.date:
        return self.due_before(None)

    def notice_within(self, kind: str, event: Event, days: int = NOTICE_DAYS) -> tuple[Any, Any]:
        """(the notice that went out within the term, the term's last day)."""
        last = self.within(event.day, days)
        for notice in self.h.notices(kind):
            if event.day <= notice.day <= last:
                return notice, last
        return None, last

    def ending(self, before: Event | None = None) -> Event | None:
        """A whole forwarding, return, withdrawal or termination (before ``before``)."""
        for e in self.h.events:
            whole = e.type in ENDINGS or (e.type == "forwarded" and not e.data.get("partial"))
            if whole and (before is None or e.not_after(before)):
                return e
        return None


def _d(day: dt.date | None) -> str:
    return day.isoformat() if day else "—"


def _who(person: Person | None) -> str:
    return person.label() if person else "—"
