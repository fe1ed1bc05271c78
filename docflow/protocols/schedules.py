"""Reception schedules and sessions: create, approve, generate, one-offs, cancellation.

R-RECV-1: the akim, deputies, heads and other authorised staff receive citizens per an approved
schedule; the akim and deputies at least once a month. R-RECV-2: the approved schedules, with
full names and days, are published in Kazakh and Russian. R-RECV-3: deputies may receive outside
the schedule on the akim's instruction. R-RECV-6: reception by video conference. R-RECV-8: the
official who cannot hold a reception notifies at least 2 working days before, or on the day; the
applicants already given that reception go back to scheduling and are told.

Only approved schedules produce sessions and are published. Every write runs in a savepoint
(``atomic``) and is audited from its row changes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.security import Permission, require_permission
from docflow.core.settings import get_setting
from docflow.core.workflow import WorkflowError
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.org.models import Official
from docflow.outgoing import notices as outgoing
from docflow.protocols.models import ReceptionSchedule, ReceptionSession, SignUp
from docflow.protocols.workflow import SESSION, SIGNUP
from docflow.registry.models import IncomingItem

LANGS = ("kk", "ru")
SESSION_KINDS = ("scheduled", "one_off", "off_schedule")
CANCEL_NOTICE_DAYS = 2  # R-RECV-8: at least 2 working days before, or on the day
MAX_RANGE_DAYS = 366  # sessions are generated at most a year at a time
MIN_SLOT, MAX_SLOT = 5, 240
CANCEL_AUDIT_ACTION = "reception_cancelled"
# Settings key (profile): {"monthly_officials": ["AKIM", "DEP1", ...], "report_recipient": {kk, ru}}
SETTING_KEY = "reception"


class ScheduleError(WorkflowError):
    """A rule of personal reception refused the action (422); the message says why."""

    status = 422
    code = "rule_violation"


def _today() -> dt.date:
    return get_calendar().local_now().date()


# --- who must receive monthly (R-RECV-1) ---------------------------------------------------

_AKIM_OR_DEPUTY_RU = re.compile(r"^\s*(аким\b|(первый\s+)?заместитель\s+акима\b)", re.IGNORECASE)
_AKIM_OR_DEPUTY_KK = re.compile(r"(әкімі\s*$|^\s*(бірінші\s+)?әкімнің\s+орынбасары)", re.IGNORECASE)


def must_receive_monthly(official: Official) -> bool:
    """R-RECV-1: the akim and the deputies receive at least once a month.

    The profile may list them (``reception.monthly_officials``: official codes); otherwise they
    are recognised by position: «Аким …», «Заместитель акима …», «… әкімі», «Әкімнің орынбасары …».
    """
    listed = (get_setting(SETTING_KEY) or {}).get("monthly_officials")
    if listed is not None:
        return official.code in listed
    positions = official.positions or {}
    return bool(
        _AKIM_OR_DEPUTY_RU.search(positions.get("ru") or "")
        or _AKIM_OR_DEPUTY_KK.search(positions.get("kk") or "")
    )


# --- schedules ------------------------------------------------------------------------------


def _clean_place(place: dict[str, str] | None) -> dict[str, str]:
    place = place or {}
    cleaned = {lang: " ".join(str(place.get(lang) or "").split()) for lang in LANGS}
    if not all(cleaned.values()):
        # R-RECV-2: the schedule is published in both languages, the place included.
        raise ScheduleError(_l("Give the place of reception in Kazakh and in Russian."))
    return cleaned


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _check_hours(start: dt.time, end: dt.time, slot_minutes: int) -> None:
    if not start < end:
        raise ScheduleError(_l("The reception must end after it starts."))
    if not MIN_SLOT <= slot_minutes <= MAX_SLOT:
        raise ScheduleError(
            _l(
                "A slot lasts from %(min)d to %(max)d minutes.",
                min=MIN_SLOT,
                max=MAX_SLOT,
            )
        )
    if _minutes(end) - _minutes(start) < slot_minutes:
        raise ScheduleError(
            _l(
                "Not even one slot of %(n)d minutes fits between the start and the end.",
                n=slot_minutes,
            )
        )


def _periods_overlap(
    a_from: dt.date, a_to: dt.date | None, b_from: dt.date, b_to: dt.date | None
) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


@atomic
def create_schedule(
    official: Official,
    actor: Any,
    *,
    weekday: int,
    week_of_month: int | None = None,
    start: dt.time,
    end: dt.time,
    place: dict[str, str],
    video: bool = False,
    slot_minutes: int = 15,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> ReceptionSchedule:
    """Draft an official's recurring reception hours (R-RECV-1); the head approves them.

    ``weekday`` 0 = Monday … 4 = Friday; ``week_of_month`` 1..5 (the n-th such weekday of the
    month) or None for every week. The akim and deputies must receive at least once a month
    (R-RECV-1), so their schedule may not be on a 5th weekday, which most months lack.
    ``video`` marks a reception by video conference (R-RECV-6).
    """
    require_permission(actor, Permission.MANAGE_RECEPTION)
    if weekday not in range(5):
        raise ScheduleError(_l("Choose a working day of the week (Monday to Friday)."))
    if week_of_month is not None and week_of_month not in range(1, 6):
        raise ScheduleError(_l("The week of the month is 1 to 5, or every week."))
    if week_of_month == 5 and must_receive_monthly(official):
        raise ScheduleError(
            _l(
                "The akim and the deputies receive at least once a month (R-RECV-1): a 5th weekday is missing in most months."
            )
        )
    _check_hours(start, end, slot_minutes)
    if valid_to is not None and valid_to < valid_from:
        raise ScheduleError(_l("The schedule must end on or after the day it starts."))
    cleaned_place = _clean_place(place)
    others = db.session.scalars(
        select(ReceptionSchedule).where(
            ReceptionSchedule.official_id == official.id, ReceptionSchedule.weekday == weekday
        )
    )
    for other in others:
        same_weeks = (
            other.week_of_month is None
            or week_of_month is None
            or other.week_of_month == week_of_month
        )
        if (
            same_weeks
            and _periods_overlap(valid_from, valid_to, other.valid_from, other.valid_to)
            and start < other.end
            and other.start < end
        ):
            raise ScheduleError(
                _l(
                    "%(name)s already has reception hours at that time (schedule no. %(id)d).",
                    name=official.full_name,
                    id=other.id,
                )
            )
    schedule = ReceptionSchedule(
        official_id=official.id,
        weekday=weekday,
        week_of_month=week_of_month,
        start=start,
        end=end,
        place=cleaned_place,
        video=bool(video),
        slot_minutes=slot_minutes,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    db.session.add(schedule)
    db.session.flush()
    return schedule


@atomic
def approve_schedule(schedule: ReceptionSchedule, actor: Any) -> ReceptionSchedule:
    """The head of the office approves the schedule (R-RECV-1): only then it is published
    (R-RECV-2) and produces sessions."""
    require_permission(actor, Permission.APPROVE_SCHEDULE, schedule)
    if schedule.approved_at is not None:
        raise ScheduleError(_l("This schedule is already approved."))
    schedule.approved_by_id = actor.id
    schedule.approved_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    return schedule


def schedules(*, approved: bool | None = None) -> list[ReceptionSchedule]:
    """All schedules (or only approved / only drafts), by official then weekday."""
    query = select(ReceptionSchedule).order_by(
        ReceptionSchedule.official_id, ReceptionSchedule.weekday, ReceptionSchedule.start
    )
    if approved is True:
        query = query.where(ReceptionSchedule.approved_at.is_not(None))
    elif approved is False:
        query = query.where(ReceptionSchedule.approved_at.is_(None))
    return list(db.session.scalars(query))


def occurrence_dates(
    schedule: ReceptionSchedule, date_from: dt.date, date_to: dt.date
) -> list[dt.date]:
    """Dates in [date_from, date_to] the schedule names (within its validity), holidays included."""
    a = max(date_from, schedule.valid_from)
    b = date_to if schedule.valid_to is None else min(date_to, schedule.valid_to)
    if b < a:
        return []
    day = a + dt.timedelta(days=(schedule.weekday - a.weekday()) % 7)
    out = []
    while day <= b:
        if schedule.week_of_month is None or (day.day - 1) // 7 + 1 == schedule.week_of_month:
            out.append(day)
        day += dt.timedelta(days=7)
    return out


def _check_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_to < date_from:
        raise ScheduleError(_l("The end of the period is before its start."))
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise ScheduleError(_l("Plan receptions at most one year at a time."))


def _session_dates(official_id: int, date_from: dt.date, date_to: dt.date) -> set[dt.date]:
    return set(
        db.session.scalars(
            select(ReceptionSession.date).where(
                ReceptionSession.official_id == official_id,
                ReceptionSession.date >= date_from,
                ReceptionSession.date <= date_to,
            )
        )
    )


@atomic
def sessions_for(
    schedule: ReceptionSchedule, date_from: dt.date, date_to: dt.date, *, actor: Any = None
) -> list[ReceptionSession]:
    """Plan the schedule's receptions in [date_from, date_to]; returns the new sessions.

    Only an approved schedule produces sessions (R-RECV-1); only working days (holidays and
    decree days off are skipped, R-DEADLINE-3). Idempotent: a date on which the official already
    has a session (of any kind, even cancelled) gets no other one. ``actor`` None is the system.
    """
    if actor is not None:
        require_permission(actor, Permission.MANAGE_RECEPTION)
    if schedule.approved_at is None:
        raise ScheduleError(_l("Only an approved schedule produces receptions."))
    _check_range(date_from, date_to)
    cal = get_calendar()
    taken = _session_dates(schedule.official_id, date_from, date_to)
    created = []
    for day in occurrence_dates(schedule, date_from, date_to):
        if day in taken or not cal.is_working_day(day):
            continue
        session = ReceptionSession(
            official_id=schedule.official_id,
            schedule_id=schedule.id,
            date=day,
            start=schedule.start,
            end=schedule.end,
            kind="scheduled",
            place=dict(schedule.place or {}),
            slot_minutes=schedule.slot_minutes,
        )
        db.session.add(session)
        SESSION.initialize(session, actor)
        taken.add(day)
        created.append(session)
    db.session.flush()
    return created


@atomic
def generate_sessions(actor: Any, date_from: dt.date, date_to: dt.date) -> list[ReceptionSession]:
    """``sessions_for`` every approved schedule over the period (the "plan N weeks" button)."""
    require_permission(actor, Permission.MANAGE_RECEPTION)
    _check_range(date_from, date_to)
    created: list[ReceptionSession] = []
    for schedule in schedules(approved=True):
        if _periods_overlap(date_from, date_to, schedule.valid_from, schedule.valid_to):
            created += sessions_for(schedule, date_from, date_to, actor=actor)
    return created


@atomic
def create_one_off(
    official: Official,
    actor: Any,
    date: dt.date,
    start: dt.time,
    end: dt.time,
    kind: str = "one_off",
    instruction: str | None = None,
    video_link: str | None = None,
    *,
    place: dict[str, str] | None = None,
    slot_minutes: int = 15,
    today: dt.date | None = None,
) -> ReceptionSession:
    """A reception outside the recurring schedule.

    ``one_off``: an extra date of an official. ``off_schedule``: a deputy receives outside the
    schedule on the akim's instruction, whose text is required (R-RECV-3). ``video_link``: by
    video conference (R-RECV-6).
    """
    require_permission(actor, Permission.MANAGE_RECEPTION)
    if kind not in ("one_off", "off_schedule"):
        raise ScheduleError(_l("Unknown kind of reception."))
    instruction = (instruction or "").strip() or None
    if kind == "off_schedule" and instruction is None:
        raise ScheduleError(
            _l("A reception outside the schedule needs the akim's instruction (R-RECV-3).")
        )
    _check_hours(start, end, slot_minutes)
    today = today or _today()
    if date < today:
        raise ScheduleError(_l("The date of the reception has passed."))
    cal = get_calendar()
    if not cal.is_working_day(date):
        raise ScheduleError(_l("%(date)s is not a working day.", date=format_date(date)))
    clash = db.session.scalar(
        select(ReceptionSession).where(
            ReceptionSession.official_id == official.id,
            ReceptionSession.date == date,
            ReceptionSession.state != "cancelled",
            ReceptionSession.start < end,
            ReceptionSession.end > start,
        )
    )
    if clash is not None:
        raise ScheduleError(
            _l("%(name)s already has a reception at that time.", name=official.full_name)
        )
    session = ReceptionSession(
        official_id=official.id,
        date=date,
        start=start,
        end=end,
        kind=kind,
        instruction=instruction,
        place=_clean_place(place) if place else None,
        video_link=(video_link or "").strip() or None,
        slot_minutes=slot_minutes,
    )
    db.session.add(session)
    SESSION.initialize(session, actor, comment=instruction)
    db.session.flush()
    return session


def upcoming_sessions(date_from: dt.date, date_to: dt.date) -> list[ReceptionSession]:
    return list(
        db.session.scalars(
            select(ReceptionSession)
            .where(ReceptionSession.date >= date_from, ReceptionSession.date <= date_to)
            .order_by(ReceptionSession.date, ReceptionSession.start, ReceptionSession.official_id)
        )
    )


# --- cancellation (R-RECV-8) ----------------------------------------------------------------


@dataclass(frozen=True)
class ApplicantNotice:
    """Who to tell that their reception will not take place, and what (kk and ru)."""

    signup_id: int
    item_id: int
    reg_number: str
    applicants: str
    phones: list[str]
    language: str | None  # the applicant's choice (R-RECV-10)
    text: dict[str, str]  # {"kk": …, "ru": …}

    @property
    def preferred_text(self) -> str:
        return self.text.get(self.language or "", "") or self.text["kk"]


@dataclass(frozen=True)
class Cancellation:
    session: ReceptionSession
    notified_on: dt.date
    working_days_before: int
    on_the_day: bool
    late: bool  # R-RECV-8: later than 2 working days before, but not on the day
    notices: list[ApplicantNotice] = field(default_factory=list)


def fmt_date(d: dt.date) -> str:
    return d.strftime("%d.%m.%Y")


def fmt_time(t: dt.time) -> str:
    return t.strftime("%H:%M")


def _notice(session: ReceptionSession, signup: SignUp) -> ApplicantNotice:
    item = db.session.get(IncomingItem, signup.item_id)
    return ApplicantNotice(
        signup_id=signup.id,
        item_id=item.id,
        reg_number=item.reg_number,
        applicants=item.applicant_names,
        phones=[a.phone for a in item.applicants if a.phone],
        language=signup.language or item.language,
        text=outgoing.reception_cancelled_texts(session, item),  # outgoing owns the text
    )


def notice_timing(session_date: dt.date, notified_on: dt.date) -> tuple[int, bool, bool]:
    """R-RECV-8: (working days from the notice to the reception, on the day?, late?).

    The days counted are the working days from the notice day up to the day before the
    reception: notified on Monday for Wednesday → 2, in time; on Tuesday → 1, late; on the day
    itself → allowed (illness strikes without warning).
    """
    if notified_on >= session_date:
        return 0, notified_on == session_date, False
    days = get_calendar().working_days_between(notified_on, session_date - dt.timedelta(days=1))
    return days, False, days < CANCEL_NOTICE_DAYS


@atomic
def cancel_session(
    session: ReceptionSession, actor: Any, reason: str, *, today: dt.date | None = None
) -> Cancellation:
    """The official cannot hold the reception (illness, travel): R-RECV-8.

    Records the reason and the day of the notice, cancels the session, sends its proposed and
    included sign-ups back to scheduling (``pending``, no session) and returns the applicants to
    notify with the notice text in Kazakh and Russian. A notice later than 2 working days before
    the reception (but not on the day) is accepted and flagged ``late``; a reception whose day
    has passed cannot be cancelled.
    """
    require_permission(actor, Permission.MANAGE_RECEPTION, session)
    reason = (reason or "").strip()
    if not reason:
        raise ScheduleError(_l("Give the reason why the reception cannot be held."))
    today = today or _today()
    if session.date < today:
        raise ScheduleError(_l("The day of this reception has passed: it cannot be cancelled."))
    days, on_the_day, late = notice_timing(session.date, today)
    session.cancel_reason = reason
    SESSION.fire(session, "cancel", actor, comment=reason)
    signups = list(
        db.session.scalars(
            select(SignUp)
            .where(SignUp.session_id == session.id, SignUp.state.in_(("proposed", "included")))
            .order_by(SignUp.queue_position, SignUp.id)
        )
    )
    comment = str(
        _l(
            "The reception of %(date)s is cancelled (R-RECV-8): %(reason)s",
            date=fmt_date(session.date),
            reason=reason,
        )
    )
    notices = []
    for signup in signups:
        notices.append(_notice(session, signup))
        SIGNUP.fire(signup, "reschedule", actor, comment=comment)
        signup.session_id = None
        signup.queue_position = None
        signup.slot_time = None
    outgoing.reception_cancelled(session, signups, actor, today)  # R-RECV-8: registered notices
    audit.record(
        CANCEL_AUDIT_ACTION,
        session,
        summary={
            "notified_on": today.isoformat(),
            "working_days_before": days,
            "on_the_day": on_the_day,
            "late": late,
            "signups": [s.id for s in signups],
        },
    )
    db.session.flush()
    return Cancellation(session, today, days, on_the_day, late, notices)


def cancellation_of(session: ReceptionSession) -> Cancellation | None:
    """The recorded cancellation of a session with its notices, rebuilt from the audit trail."""
    entry = db.session.scalar(
        select(audit.AuditEntry)
        .where(
            audit.AuditEntry.action == CANCEL_AUDIT_ACTION,
            audit.AuditEntry.object_type == ReceptionSession.__tablename__,
            audit.AuditEntry.object_id == str(session.id),
        )
        .order_by(audit.AuditEntry.seq.desc())
        .limit(1)
    )
    if entry is None:
        return None
    info = entry.summary or {}
    ids = info.get("signups") or []
    signups = (
        list(db.session.scalars(select(SignUp).where(SignUp.id.in_(ids)).order_by(SignUp.id)))
        if ids
        else []
    )
    return Cancellation(
        session,
        dt.date.fromisoformat(info["notified_on"]),
        int(info.get("working_days_before") or 0),
        bool(info.get("on_the_day")),
        bool(info.get("late")),
        [_notice(session, s) for s in signups],
    )
