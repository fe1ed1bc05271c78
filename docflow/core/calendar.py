"""Kazakhstan working calendar: holidays, decree transfers, working hours and term counting.

Statutory holidays and the Government's yearly day-off transfers come from the ``holidays``
package (country KZ, R-DEADLINE-3); the office profile can add days off and working Saturdays on
top, and the profile always wins. Pure logic: Flask is only touched inside :func:`get_calendar`
and :func:`add_day_overrides`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

import holidays

log = logging.getLogger(__name__)

ALMATY = ZoneInfo("Asia/Almaty")
DEFAULT_WORK_START = time(9, 0)
DEFAULT_WORK_END = time(18, 30)
SETTING_KEY = "calendar"
WORK_HOURS_KEY = "work_hours"
# No real term is longer than a few years; a longer search means the calendar has no working days.
_MAX_SEARCH_DAYS = 3 * 366

# en_US names of decree transfers: "Day off (substituted from 05/04/2024)" (MM/DD/YYYY).
_SUBSTITUTED_RE = re.compile(r"substituted from (\d{1,2})/(\d{1,2})/(\d{4})")

TermUnit = Literal["working", "calendar"]


class CalendarDay(NamedTuple):
    """One non-standard day of a year, as listed by :meth:`WorkingCalendar.special_days`."""

    day: date
    kind: str  # holiday | observed | decree-day-off | decree-working-day | profile-day-off | ...
    name: str


class TermAdjustment(NamedTuple):
    """A term date as asked (``requested``) and where it really ends (``day``), with why."""

    day: date
    requested: date
    why: str | None  # None (a working day) | "holiday" | "day_off"
    cap: date | None = None

    @property
    def moved(self) -> bool:
        return self.day != self.requested

    @property
    def backward(self) -> bool:
        return self.day < self.requested


def _parse_substituted(name: str) -> date | None:
    """The weekend day named in a "substituted from" label, or None.

    The en_US label is MM/DD/YYYY; a transfer always takes its working day from a Saturday or
    Sunday, so a parse that does not land on a weekend is retried as DD/MM before giving up.
    """
    m = _SUBSTITUTED_RE.search(name)
    if m is None:
        return None
    a, b, year = (int(x) for x in m.groups())
    for month, day in ((a, b), (b, a)):
        try:
            parsed = date(year, month, day)
        except ValueError:
            continue
        if parsed.weekday() >= 5:
            return parsed
    log.warning("holidays: cannot read the substituted day in %r", name)
    return None


@lru_cache(maxsize=64)
def _package_year(year: int) -> tuple[Mapping[date, str], Mapping[date, date]]:
    """Statutory days off of ``year`` (observed days included) and its decree transfers.

    Returns ``(days_off, transfers)`` where ``transfers`` maps the weekend day that became
    working to the day off it was moved to. Cached: building a holidays year is slow.
    """
    try:
        hols = holidays.country_holidays("KZ", years=year, language="en_US")
    except NotImplementedError:  # pragma: no cover - years outside the package's range
        return MappingProxyType({}), MappingProxyType({})
    days_off = {d: name for d, name in hols.items() if d.year == year}
    transfers: dict[date, date] = {}
    for d, name in days_off.items():
        working = _parse_substituted(name)
        if working is not None:
            transfers[working] = d
    return MappingProxyType(days_off), MappingProxyType(transfers)


@lru_cache(maxsize=64)
def _decree_working_days(year: int) -> Mapping[date, date]:
    """Weekend days of ``year`` made working by decree (the transfer may be listed next year,
    e.g. 2013-12-28 worked for the 2014-01-03 day off)."""
    out: dict[date, date] = {}
    for y in (year, year + 1):
        out.update({w: off for w, off in _package_year(y)[1].items() if w.year == year})
    return MappingProxyType(out)


def _is_observed(name: str) -> bool:
    return "(observed" in name


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months later; the month's last day when it is shorter
    (31 January + 1 month = 28 or 29 February). A term in months ends on this date."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(start.day, last))


@dataclass(frozen=True)
class WorkingCalendar:
    """An office's working calendar (R-DEADLINE-3) and term arithmetic (R-DEADLINE-1/2, R-REG-3).

    ``days_off`` / ``working_days`` are the profile's own decree days; they override the package:
    a date in ``days_off`` is never working, a date in ``working_days`` always is.
    """

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    work_start: time = DEFAULT_WORK_START
    work_end: time = DEFAULT_WORK_END
    lunch: tuple[time, time] | None = None
    arrival_day_counts: bool = True
    tz: ZoneInfo = ALMATY
    use_statutory: bool = True
    notes: Mapping[date, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Accept any iterables but store immutable sets, so the calendar can be shared freely.
        days_off = frozenset(self.days_off)
        working = frozenset(self.working_days)
        both = days_off & working
        if both:
            raise ValueError(
                "dates both in days_off and working_days: "
                + ", ".join(d.isoformat() for d in sorted(both))
            )
        if not self.work_start < self.work_end:
            raise ValueError(
                f"work_start {self.work_start} must be before work_end {self.work_end}"
            )
        if self.lunch is not None:
            lo, hi = self.lunch
            if not self.work_start <= lo < hi <= self.work_end:
                raise ValueError(f"lunch {lo}-{hi} must lie inside working hours")
        object.__setattr__(self, "days_off", days_off)
        object.__setattr__(self, "working_days", working)
        object.__setattr__(self, "notes", MappingProxyType(dict(self.notes)))

    # -- days -------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Profile overrides first, then the package's holidays and transfers, then Mon-Fri."""
        if d in self.days_off:
            return False
        if d in self.working_days:
            return True
        if self.use_statutory:
            if d in _package_year(d.year)[0]:
                return False
            if d in _decree_working_days(d.year):  # R-DEADLINE-3: working Saturday by decree
                return True
        return d.weekday() < 5

    def is_holiday(self, d: date) -> str | None:
        """Name of the holiday or decree day off on ``d``; None for working days and plain
        weekends."""
        if d in self.days_off:
            return self.notes.get(d) or "Day off (profile)"
        if d in self.working_days or not self.use_statutory:
            return None
        return _package_year(d.year)[0].get(d)

    def next_working_day(self, d: date, include_self: bool = False) -> date:
        """The first working day after ``d`` (or ``d`` itself when ``include_self``)."""
        cur = d if include_self else d + timedelta(days=1)
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(cur):
                return cur
            cur += timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days after {d}")

    def previous_working_day(self, d: date, include_self: bool = False) -> date:
        """The last working day before ``d`` (or ``d`` itself when ``include_self``)."""
        cur = d if include_self else d - timedelta(days=1)
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(cur):
                return cur
            cur -= timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days before {d}")

    def adjust_term(self, d: date, cap: date | None = None) -> TermAdjustment:
        """Where a term given as a date really ends (R-DEADLINE-3, Civil Code art. 180).

        A term that ends on a non-working day ends on the next working day; where that would
        pass ``cap`` — a legal maximum such as R-DEADLINE-2's 30 calendar days or two months —
        it ends on the previous working day instead, so the moved term stays lawful.
        """
        if self.is_working_day(d):
            return TermAdjustment(d, d, None, cap)
        why = "holiday" if self.is_holiday(d) else "day_off"
        forward = self.next_working_day(d)
        if cap is None or forward <= cap:
            return TermAdjustment(forward, d, why, cap)
        return TermAdjustment(self.previous_working_day(d), d, why, cap)

    def term_length(self, start: date, end: date, unit: TermUnit = "working") -> int:
        """How long the term from ``start`` to ``end`` really is, in ``unit`` (the page shows
        this, not the kind's standard length: an extension or a moved term changes it).

        Counted as the term was: working days with R-DEADLINE-1's convention (``start`` is day
        1 when ``arrival_day_counts`` and it is working), calendar days from the day after.
        """
        if unit == "calendar":
            return max(0, (end - start).days)
        first = start if self.arrival_day_counts else start + timedelta(days=1)
        return self.working_days_between(first, end)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day of a term starting on ``start``.

        R-DEADLINE-1: with ``arrival_day_counts`` day 1 is ``start`` itself when it is a working
        day (else the first working day after it); otherwise day 1 is the next working day.
        """
        if n < 1:
            raise ValueError(f"a term must be at least 1 day, got {n}")
        cur = self.next_working_day(start, include_self=self.arrival_day_counts)
        for _ in range(n - 1):
            cur = self.next_working_day(cur)
        return cur

    def add_calendar_days(self, start: date, n: int) -> date:
        """Due date of an n-calendar-day term (R-DEADLINE-2 extension "up to 30 calendar days").

        Counted like the Civil Code (art. 178, 180) and АППК: the term runs from the day after
        ``start`` so it ends on ``start + n``; a term ending on a non-working day ends on the next
        working day. ``arrival_day_counts`` only applies to working-day terms.
        """
        if n < 1:
            raise ValueError(f"a term must be at least 1 day, got {n}")
        return self.next_working_day(start + timedelta(days=n), include_self=True)

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days in the closed range [a, b]; 0 when b is before a."""
        count = 0
        cur = a
        while cur <= b:
            count += self.is_working_day(cur)
            cur += timedelta(days=1)
        return count

    # -- times ------------------------------------------------------------------------------

    def to_local(self, moment: datetime) -> datetime:
        """``moment`` in the office time zone; a naive datetime is taken as local time."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def local_now(self) -> datetime:
        return datetime.now(self.tz)

    def is_working_time(self, moment: datetime) -> bool:
        """True during working hours of a working day, outside the lunch break."""
        local = self.to_local(moment)
        t = local.time()
        if not self.is_working_day(local.date()) or not self.work_start <= t < self.work_end:
            return False
        return self.lunch is None or not self.lunch[0] <= t < self.lunch[1]

    def registration_date(self, arrival: datetime) -> date:
        """R-REG-3: the day of arrival; after the end of the working day or on a non-working day,
        the next working day. Arrival before opening time counts for that same day."""
        local = self.to_local(arrival)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.work_end:
            return day
        return self.next_working_day(day)

    def due_date(self, arrival: datetime, days: int, unit: TermUnit = "working") -> date:
        """Due date of a ``days``-long term counted from the registration date (R-DEADLINE-1/2)."""
        reg = self.registration_date(arrival)
        if unit == "working":
            return self.add_working_days(reg, days)
        if unit == "calendar":
            return self.add_calendar_days(reg, days)
        raise ValueError(f"unit must be 'working' or 'calendar', got {unit!r}")

    # -- listing ----------------------------------------------------------------------------

    def special_days(self, year: int) -> list[CalendarDay]:
        """Holidays, decree transfers and profile overrides of ``year``, sorted by date."""
        out: dict[date, CalendarDay] = {}
        if self.use_statutory:
            for d, name in _package_year(year)[0].items():
                if _parse_substituted(name):
                    kind = "decree-day-off"
                else:
                    kind = "observed" if _is_observed(name) else "holiday"
                out[d] = CalendarDay(d, kind, name)
            for w, off in _decree_working_days(year).items():
                name = f"Working day (day off moved to {off.isoformat()})"
                out[w] = CalendarDay(w, "decree-working-day", name)
        for d in self.days_off:
            if d.year == year:
                out[d] = CalendarDay(d, "profile-day-off", self.notes.get(d) or "Day off (profile)")
        for d in self.working_days:
            if d.year == year:
                out[d] = CalendarDay(d, "profile-working-day", self.notes.get(d) or "Working day")
        return [out[d] for d in sorted(out)]


# -- profile data -------------------------------------------------------------------------------


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}: invalid date {value!r} (expected YYYY-MM-DD)")


def _parse_time(value: Any, where: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        hh, mm = value.strip().split(":")
        try:
            return time(int(hh), int(mm))
        except ValueError:
            pass
    raise ValueError(f"{where}: invalid time {value!r} (expected HH:MM)")


def _date_list(cal: Mapping[str, Any], key: str) -> list[date]:
    values = cal.get(key) or []
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f"calendar.{key}: expected a list of dates, got {values!r}")
    return [_parse_date(v, f"calendar.{key}") for v in values]


def calendar_from_settings(
    cal: Mapping[str, Any] | None,
    work_hours: Mapping[str, Any] | None,
    tz: ZoneInfo = ALMATY,
) -> WorkingCalendar:
    """Build the calendar from the profile's ``calendar`` and ``work_hours`` settings.

    ``cal``: ``{"arrival_day_counts": bool, "days_off": [ISO dates], "working_days": [ISO
    dates], "notes": {ISO date: text}}``; ``work_hours``: ``{"start": "09:00", "end": "18:30",
    "lunch": "13:00-14:30"}``. Bad values raise ValueError naming the value.
    """
    cal = cal or {}
    work_hours = work_hours or {}
    if not isinstance(cal, Mapping):
        raise ValueError(f"calendar: expected an object, got {cal!r}")
    if not isinstance(work_hours, Mapping):
        raise ValueError(f"work_hours: expected an object, got {work_hours!r}")

    arrival_day_counts = cal.get("arrival_day_counts", True)
    if not isinstance(arrival_day_counts, bool):
        raise ValueError(
            f"calendar.arrival_day_counts: expected true/false, got {arrival_day_counts!r}"
        )
    notes_raw = cal.get("notes") or {}
    if not isinstance(notes_raw, Mapping):
        raise ValueError(f"calendar.notes: expected an object, got {notes_raw!r}")
    notes = {_parse_date(k, "calendar.notes"): str(v) for k, v in notes_raw.items()}

    start = _parse_time(work_hours.get("start", "09:00"), "work_hours.start")
    end = _parse_time(work_hours.get("end", "18:30"), "work_hours.end")
    lunch: tuple[time, time] | None = None
    lunch_raw = work_hours.get("lunch")
    if lunch_raw:
        parts = str(lunch_raw).split("-")
        if len(parts) != 2:
            raise ValueError(
                f"work_hours.lunch: invalid range {lunch_raw!r} (expected HH:MM-HH:MM)"
            )
        lunch = (
            _parse_time(parts[0], "work_hours.lunch"),
            _parse_time(parts[1], "work_hours.lunch"),
        )
    return WorkingCalendar(
        days_off=_date_list(cal, "days_off"),
        working_days=_date_list(cal, "working_days"),
        work_start=start,
        work_end=end,
        lunch=lunch,
        arrival_day_counts=arrival_day_counts,
        tz=tz,
        notes=notes,
    )


def get_calendar() -> WorkingCalendar:
    """The office calendar from the profile settings, cached on ``flask.g`` for the request."""
    from flask import current_app, g

    from docflow.core.settings import get_setting

    cached = g.get("_docflow_calendar")
    if cached is None:
        tz = ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Almaty")
        cached = calendar_from_settings(
            get_setting(SETTING_KEY), get_setting(WORK_HOURS_KEY), tz=tz
        )
        g._docflow_calendar = cached
    return cached


def add_day_overrides(
    days_off: Iterable[date] = (),
    working_days: Iterable[date] = (),
    note: str | None = None,
) -> dict[str, Any]:
    """Store decree days in the ``calendar`` setting (R-DEADLINE-3); the caller commits.

    The latest instruction wins: a day added as a day off leaves ``working_days`` and the other
    way round. Returns the new setting value.
    """
    from flask import g

    from docflow.core.settings import get_setting, set_setting

    days_off, working_days = list(days_off), list(working_days)
    current = dict(get_setting(SETTING_KEY) or {})
    off = {d.isoformat() for d in _date_list(current, "days_off")}
    work = {d.isoformat() for d in _date_list(current, "working_days")}
    notes = {k: str(v) for k, v in (current.get("notes") or {}).items()}
    for d in days_off:
        off.add(d.isoformat())
        work.discard(d.isoformat())
    for d in working_days:
        work.add(d.isoformat())
        off.discard(d.isoformat())
    if note:
        for d in [*days_off, *working_days]:
            notes[d.isoformat()] = note
    current.update(days_off=sorted(off), working_days=sorted(work))
    if notes:
        current["notes"] = dict(sorted(notes.items()))
    calendar_from_settings(current, None)  # validate before storing
    set_setting(SETTING_KEY, current)
    g.pop("_docflow_calendar", None)
    return current


# -- terms entered by users ---------------------------------------------------------------------


def adjust_term(d: date, cap: date | None = None) -> tuple[date, str | None]:
    """A user-entered term on the office calendar: ``(the day it really ends, why it moved)``.

    The reason is a sentence for the user in their language ("The term is moved from
    01.01.2027 to 04.01.2027: 01.01.2027 is a holiday."), None when ``d`` is a working day.
    Every term input goes through this (R-DEADLINE-3; the cap: R-DEADLINE-2).
    """
    adjusted = get_calendar().adjust_term(d, cap)
    return adjusted.day, adjustment_text(adjusted)


def adjustment_text(adjusted: TermAdjustment) -> str | None:
    """Why a term moved, for the user; None when it did not."""
    if not adjusted.moved:
        return None
    from flask_babel import gettext as _

    from docflow.i18n import format_date

    values = {
        "requested": format_date(adjusted.requested),
        "day": format_date(adjusted.day),
        "cap": format_date(adjusted.cap),
    }
    if adjusted.backward:
        if adjusted.why == "holiday":
            return _(
                "The term is moved back from %(requested)s to %(day)s: %(requested)s is a holiday and the next working day would pass the legal limit of %(cap)s.",
                **values,
            )
        return _(
            "The term is moved back from %(requested)s to %(day)s: %(requested)s is a day off and the next working day would pass the legal limit of %(cap)s.",
            **values,
        )
    if adjusted.why == "holiday":
        return _(
            "The term is moved from %(requested)s to %(day)s: %(requested)s is a holiday.",
            **values,
        )
    return _(
        "The term is moved from %(requested)s to %(day)s: %(requested)s is a day off.", **values
    )
