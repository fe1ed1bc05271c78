"""Terms and calendar days changed *from a date* (issue 14; :mod:`docflow.org.admin_models`).

Never in the past, so the due dates already computed for registered items stay as they were; a
change from today is applied at once, a later one on its day (before that day's first request).
Each applied change enters the settings' history (``SettingVersion``) as in force from its day,
which is what an inspection judges a case by (``docflow.inspection.history_settings``).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from docflow.core import audit
from docflow.core.calendar import add_day_overrides, get_calendar
from docflow.core.db import atomic
from docflow.core.errors import DomainError
from docflow.core.settings import SettingVersion, get_setting, set_setting
from docflow.extensions import db
from docflow.org.admin_models import ScheduledChange
from docflow.org.profile import TERM_UNITS

MAX_TERM_DAYS = 366


class AdminError(DomainError):
    """An administrator's change refused (422); the message says why."""

    status = 422
    code = "invalid"


def office_today() -> dt.date:
    return get_calendar().local_now().date()


# --- terms and the calendar, from a date -----------------------------------------------------------


def _from_today(effective_from: dt.date | None) -> dt.date:
    today = office_today()
    if effective_from is None:
        return today
    if effective_from < today:
        raise AdminError(
            _l(
                "A change cannot take effect in the past: the terms already computed stay as "
                "they were. Choose today or a later day."
            )
        )
    return effective_from


def _schedule(
    key: str, change: dict[str, Any], effective_from: dt.date, actor: Any
) -> ScheduledChange:
    row = ScheduledChange(
        key=key,
        change=change,
        effective_from=effective_from,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "schedule_change",
        row,
        summary={"key": key, "change": change, "effective_from": effective_from.isoformat()},
    )
    _NEXT_CHECK.clear()
    if effective_from <= office_today():
        _apply(row)
    return row


@atomic
def change_term(
    kind: str, days: int, unit: str, effective_from: dt.date | None, actor: Any = None
) -> ScheduledChange:
    """R-KIND-2: the answer term of ``kind`` from ``effective_from`` (today when None)."""
    terms = get_setting("terms") or {}
    if kind not in terms:
        raise AdminError(_l("Unknown kind %(kind)s.", kind=kind))
    if not isinstance(days, int) or not 1 <= days <= MAX_TERM_DAYS:
        raise AdminError(_l("A term is 1 to %(n)d days.", n=MAX_TERM_DAYS))
    if unit not in TERM_UNITS:
        raise AdminError(_l("Count the term in working or in calendar days."))
    start = _from_today(effective_from)
    return _schedule("terms", {"kind": kind, "days": days, "unit": unit}, start, actor)


@atomic
def change_calendar_day(
    day: dt.date, working: bool, note: str | None, effective_from: dt.date | None, actor: Any = None
) -> ScheduledChange:
    """R-DEADLINE-3: make ``day`` a day off (or a working day, e.g. a Saturday moved by decree)
    for the terms counted from ``effective_from`` (today when None)."""
    if day is None:
        raise AdminError(_l("Choose the day."))
    start = _from_today(effective_from)
    if day < start:
        raise AdminError(
            _l(
                "The day must be on or after the day the change takes effect: terms counted "
                "before it stay as they were."
            )
        )
    note = (note or "").strip()[:200] or None
    change = {"day": day.isoformat(), "working": bool(working), "note": note}
    return _schedule("calendar", change, start, actor)


@atomic
def cancel_change(row: ScheduledChange, actor: Any = None) -> ScheduledChange:
    """A change that has not taken effect yet can be withdrawn; an applied one cannot."""
    if not row.pending:
        raise AdminError(_l("This change has already taken effect or was cancelled."))
    row.cancelled_at = dt.datetime.now(dt.UTC)
    row.cancelled_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("cancel_change", row, summary={"key": row.key, "change": row.change})
    return row


def _apply(row: ScheduledChange) -> None:
    """Put one change into the settings, in force from its day (in the settings' history)."""
    before = db.session.scalar(
        select(func.max(SettingVersion.id)).where(SettingVersion.key == row.key)
    )
    change = row.change
    if row.key == "terms":
        terms = dict(get_setting("terms") or {})
        terms[change["kind"]] = {"days": change["days"], "unit": change["unit"]}
        set_setting("terms", terms)
    else:
        day = dt.date.fromisoformat(change["day"])
        try:
            add_day_overrides(
                days_off=[] if change["working"] else [day],
                working_days=[day] if change["working"] else [],
                note=change.get("note"),
            )
        except ValueError as exc:  # the stored calendar is broken
            raise AdminError(str(exc)) from None
    version = db.session.scalar(
        select(SettingVersion)
        .where(SettingVersion.key == row.key, SettingVersion.id > (before or 0))
        .order_by(SettingVersion.id.desc())
        .limit(1)
    )
    if version is not None:
        # In force from now (its day's first request), or from its day when applied late.
        now = get_calendar().local_now()
        version.changed_at = (
            now if row.effective_from >= now.date() else _day_start(row.effective_from)
        )
    row.applied_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    audit.record(
        "apply_change",
        row,
        summary={
            "key": row.key,
            "change": change,
            "effective_from": row.effective_from.isoformat(),
        },
    )


def _day_start(day: dt.date) -> dt.datetime:
    tz = ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Almaty")
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz).astimezone(dt.UTC)


# Checked at most once a minute per process: a change due today is applied before the day's
# first registration (every registration is a request).
_NEXT_CHECK: dict[str, float] = {}
CHECK_SECONDS = 60.0


@atomic
def apply_due_changes(today: dt.date | None = None) -> list[ScheduledChange]:
    """Apply the scheduled changes whose day has come, oldest first; the caller commits."""
    today = today or office_today()
    rows = list(
        db.session.scalars(
            select(ScheduledChange)
            .where(
                ScheduledChange.effective_from <= today,
                ScheduledChange.applied_at.is_(None),
                ScheduledChange.cancelled_at.is_(None),
            )
            .order_by(ScheduledChange.effective_from, ScheduledChange.id)
        )
    )
    with audit.acting_as(audit.SYSTEM):
        for row in rows:
            _apply(row)
    return rows


def apply_due_changes_now() -> None:
    """Before a request: apply what is due (rate-limited per process), commit if anything was."""
    if not has_app_context():
        return
    now = time.monotonic()
    if now < _NEXT_CHECK.get("at", 0.0):
        return
    _NEXT_CHECK["at"] = now + CHECK_SECONDS
    if apply_due_changes():
        db.session.commit()


def pending_changes(key: str | None = None) -> list[ScheduledChange]:
    query = select(ScheduledChange).where(
        ScheduledChange.applied_at.is_(None), ScheduledChange.cancelled_at.is_(None)
    )
    if key:
        query = query.where(ScheduledChange.key == key)
    return list(
        db.session.scalars(query.order_by(ScheduledChange.effective_from, ScheduledChange.id))
    )


def recent_changes(key: str, limit: int = 20) -> list[ScheduledChange]:
    return list(
        db.session.scalars(
            select(ScheduledChange)
            .where(ScheduledChange.key == key, ScheduledChange.applied_at.is_not(None))
            .order_by(ScheduledChange.applied_at.desc(), ScheduledChange.id.desc())
            .limit(limit)
        )
    )
