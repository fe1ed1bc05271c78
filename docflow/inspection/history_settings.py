"""The check settings in force on a day: terms, calendar, working hours, the reception's terms.

Every change of a setting is kept as a ``SettingVersion`` (``docflow.core.settings``). A case is
judged with the versions in force on the day it arrived: the last version changed on or before
that day, or — for a case older than every recorded version — the first one known (what the
office had when it started recording). A later change of the profile therefore never rewrites
the result of an earlier case.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from docflow.core.calendar import SETTING_KEY as CALENDAR_KEY
from docflow.core.calendar import WORK_HOURS_KEY, WorkingCalendar, calendar_from_settings
from docflow.core.settings import Setting, SettingVersion
from docflow.extensions import db

TERMS_KEY = "terms"
RECEPTION_KEY = "reception"
KEYS = (TERMS_KEY, CALENDAR_KEY, WORK_HOURS_KEY, RECEPTION_KEY)
DEFAULT_TERM = {"days": 15, "unit": "working"}  # R-DEADLINE-1
DEFAULT_INCLUSION_DAYS = 15  # R-RECV-11: working days from registration


@dataclass(frozen=True)
class CaseSettings:
    """What a case is judged by: its calendar, the kinds' terms, the sign-up notice term."""

    calendar: WorkingCalendar
    terms: dict[str, Any]
    inclusion_days: int
    version: tuple[int, ...]  # the SettingVersion ids (0: none recorded)
    # terms counted once per run: (start, days) → the last day
    memo: dict[tuple[dt.date, int], dt.date] = field(default_factory=dict, compare=False)

    def term(self, kind: str) -> dict[str, Any]:
        """R-KIND-2: the profile's answer term for the kind (default 15 working days)."""
        return self.terms.get(kind) or DEFAULT_TERM

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The last day of a ``days``-working-day term starting on ``start`` (R-DEADLINE-1)."""
        key = (start, days)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self.calendar.add_working_days(start, days)
        return found

    def registration_date(self, arrival: dt.datetime) -> dt.date:
        """R-REG-3: the arrival day, or the next working day after hours or on a day off."""
        local = self.calendar.to_local(arrival)
        key = (local.date(), -1 if local.time() < self.calendar.work_end else -2)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self.calendar.registration_date(arrival)
        return found

    def due_from(self, start: dt.date, kind: str) -> dt.date:
        term = self.term(kind)
        if term.get("unit") == "calendar":
            return self.calendar.add_calendar_days(start, int(term["days"]))
        return self.add_working_days(start, int(term["days"]))


class SettingsHistory:
    """All recorded versions of the check settings, loaded once per run."""

    def __init__(self) -> None:
        self.tz = ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Almaty")
        self.versions: dict[str, tuple[list[dt.date], list[tuple[int, Any]]]] = {}
        rows = db.session.execute(
            select(
                SettingVersion.id,
                SettingVersion.key,
                SettingVersion.value,
                SettingVersion.changed_at,
            )
            .where(SettingVersion.key.in_(KEYS))
            .order_by(SettingVersion.changed_at, SettingVersion.id)
        ).all()
        for vid, key, value, changed in rows:
            days, values = self.versions.setdefault(key, ([], []))
            days.append(_local_day(changed, self.tz))
            values.append((vid, value))
        current = dict(
            db.session.execute(
                select(Setting.key, Setting.value).where(Setting.key.in_(KEYS))
            ).all()
        )
        self.current = {key: (0, current.get(key)) for key in KEYS}
        self._cache: dict[tuple[int, ...], CaseSettings] = {}
        self._by_day: dict[dt.date, CaseSettings] = {}

    def value_on(self, key: str, day: dt.date) -> tuple[int, Any]:
        """(version id, value) of ``key`` in force on ``day``."""
        if key not in self.versions:
            return self.current[key]
        days, values = self.versions[key]
        index = bisect_right(days, day) - 1
        return values[max(index, 0)]  # older than every version: the first one known

    def on(self, day: dt.date) -> CaseSettings:
        found = self._by_day.get(day)
        if found is not None:
            return found
        picked = {key: self.value_on(key, day) for key in KEYS}
        version = tuple(picked[key][0] for key in KEYS)
        found = self._cache.get(version)
        if found is None:
            reception = picked[RECEPTION_KEY][1] or {}
            found = CaseSettings(
                calendar=calendar_from_settings(
                    picked[CALENDAR_KEY][1], picked[WORK_HOURS_KEY][1], tz=self.tz
                ),
                terms=dict(picked[TERMS_KEY][1] or {}),
                inclusion_days=int(reception.get("inclusion_notice_days", DEFAULT_INCLUSION_DAYS)),
                version=version,
            )
            self._cache[version] = found
        self._by_day[day] = found
        return found


def _local_day(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz).date()
