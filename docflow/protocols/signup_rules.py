"""Reception rules beside the sign-up flow: R-REG-7, R-RECV-6, R-RECV-9, R-RECV-11.

Settings are the profile's ``reception`` object (defaults in ``DEFAULTS``):

- ``signup_registration_days`` — R-REG-7: a sign-up request is registered on the day of arrival
  (0, seed 001 p.21) or within that many working days (Karaganda: 3, seed 004 p.27);
- ``inclusion_notice_days`` / ``inclusion_notice_unit`` — R-RECV-11: the applicant is told of the
  inclusion within 15 working days of registration (seed 001 p.25), or 15 calendar days (seed 004
  p.31); a complex sign-up's term is extended as R-DEADLINE-2 (``extend_inclusion``);
- ``note_reminder_days`` — R-RECV-11: working days before the reference note's due date (5
  working days before the reception) when the reception staff are reminded; overdue is flagged;
- ``restrictions_mode`` — R-RECV-6: under restrictions (a pandemic…) receptions are held only by
  video conference (seed 001 p.14, seed 004 p.15); a video reception needs the applicant's
  recorded consent (seed 001 p.13) in any mode;
- ``required_participants`` — R-RECV-9: {official code: [bodies]} whose representatives take part
  in that official's reception; the akim's: prosecutors, police, anti-corruption, courts (seed 004
  p.19): ``participant_rules``, whose functions are offered here too.

The guards are added to the reception workflows (``SIGNUP``, ``SESSION``), so every path that
proposes, includes or holds goes through them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.calendar import add_months, get_calendar
from docflow.core.db import atomic
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.settings import get_setting, set_setting
from docflow.core.workflow import Param, transition
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.protocols.models import ReceptionSchedule, ReceptionSession, SignUp
from docflow.protocols.participant_rules import (  # noqa: F401  (R-RECV-9, one door for callers)
    BODIES,
    bodies_in_lines,
    declined,
    held_without_participants,
    missing_participants,
    participants,
    record_participant,
    required_bodies,
)
from docflow.protocols.rules_settings import (  # noqa: F401
    AKIM_BODIES,
    DEFAULTS,
    ReceptionRuleError,
    add_condition,
    setting,
    setting_or_none,
)
from docflow.protocols.signup_rules_models import (
    SignUpExtension,
    VideoConsent,
)
from docflow.protocols.workflow import SIGNUP
from docflow.registry.models import IncomingItem

CONSENT_SOURCES = {
    "written": _l("In writing"),
    "oral": _l("Orally, at the front office"),
    "phone": _l("By phone"),
    "portal": _l("Through the portal"),
}
NOTICE_DAYS = 3  # R-DEADLINE-2: the applicant is told of an extension within 3 working days
LETTER_CAP_DAYS = 30  # R-DEADLINE-2: by letter, up to 30 calendar days from registration
DECISION_CAP_MONTHS = 2  # R-DEADLINE-2 / АППК art. 76(3): two months in total
OPEN_STATES = ("pending", "proposed", "hearing", "included")


def _today() -> dt.date:
    return get_calendar().local_now().date()


# --- R-REG-7: the sign-up registration term ---------------------------------------------------


def registration_days() -> int:
    """R-REG-7: working days a sign-up request may take to be registered (0: arrival day)."""
    days = int(setting("signup_registration_days"))
    if days < 0:
        raise ReceptionRuleError(_l("The sign-up registration term cannot be negative."))
    return days


def registration_due(item: IncomingItem) -> dt.date:
    """The last day the sign-up request ``item`` may be registered (R-REG-7, R-REG-3)."""
    cal = get_calendar()
    arrival_day = cal.registration_date(item.arrived_at)
    days = registration_days()
    return arrival_day if days == 0 else cal.add_working_days(arrival_day, days)


def registered_late(item: IncomingItem) -> bool:
    """R-REG-7: a sign-up request registered after its term (the day it was really registered)."""
    if item.kind != "reception_request" or item.registered_at is None:
        return False
    registered_on = get_calendar().to_local(item.registered_at).date()
    return registered_on > registration_due(item)


# --- R-RECV-11: the inclusion term, the reference note, extensions ------------------------------


def inclusion_due(item: IncomingItem) -> dt.date:
    """R-RECV-11: the inclusion notice is due 15 working (or calendar) days from registration."""
    cal = get_calendar()
    days = int(setting("inclusion_notice_days"))
    unit = setting("inclusion_notice_unit")
    if unit == "calendar":
        return cal.add_calendar_days(item.registration_date, days)
    if unit != "working":
        raise ReceptionRuleError(_l("The inclusion term is counted in working or calendar days."))
    return cal.add_working_days(item.registration_date, days)


def next_session(signup: SignUp, today: dt.date | None = None) -> ReceptionSession | None:
    """The reception the sign-up is considered for: its own, else its official's next planned."""
    today = today or _today()
    if signup.session_id is not None:
        session = db.session.get(ReceptionSession, signup.session_id)
        if session is not None and session.state == "planned":
            return session
    return db.session.scalar(
        select(ReceptionSession)
        .where(
            ReceptionSession.official_id == signup.official_id,
            ReceptionSession.state == "planned",
            ReceptionSession.date >= today,
        )
        .order_by(ReceptionSession.date, ReceptionSession.start)
    )


def reference_note_due(signup: SignUp, today: dt.date | None = None) -> dt.date | None:
    """R-RECV-11: 5 working days before the reception it is considered for."""
    from docflow.protocols.operations import note_due

    session = next_session(signup, today)
    return note_due(session) if session is not None else None


def note_awaited(signup: SignUp) -> bool:
    """The reference note is still to be written: in preliminary consideration, no note yet."""
    return signup.state == "pending" and not (signup.reference_note or "").strip()


@dataclasses.dataclass(frozen=True)
class Watched:
    signup: SignUp
    kind: str  # note_due | note_overdue | registered_late
    due: dt.date
    days: int = 0  # working days left (note_due)


def watch(today: dt.date | None = None) -> list[Watched]:
    """What the reception staff must see: notes due soon or overdue, late registrations."""
    cal = get_calendar()
    today = today or _today()
    before = sorted(int(d) for d in setting("note_reminder_days"))
    out: list[Watched] = []
    for signup in db.session.scalars(select(SignUp).where(SignUp.state.in_(OPEN_STATES))):
        item = db.session.get(IncomingItem, signup.item_id)
        if signup.state == "pending" and registered_late(item):
            out.append(Watched(signup, "registered_late", registration_due(item)))
        if not note_awaited(signup):
            continue
        due = reference_note_due(signup, today)
        if due is None:
            continue
        if due < today:
            out.append(Watched(signup, "note_overdue", due))
            continue
        left = cal.working_days_between(today, due) - (1 if cal.is_working_day(today) else 0)
        if due == today or left in before:
            out.append(Watched(signup, "note_due", due, left))
    return out


def _reception_staff() -> list[Any]:
    from docflow.org.models import User

    users = db.session.scalars(select(User).order_by(User.id))
    return [u for u in users if u.is_active and has_permission(u, Permission.MANAGE_RECEPTION)]


def _note_message(entry: Watched, number: str) -> Any:
    if entry.kind == "note_overdue":
        return _l(
            "%(number)s: the reference note on the sign-up was due on %(date)s (5 working days "
            "before the reception).",
            number=number,
            date=format_date(entry.due),
        )
    if entry.kind == "registered_late":
        return _l(
            "%(number)s: the sign-up request was registered after its term (%(date)s).",
            number=number,
            date=format_date(entry.due),
        )
    return _l(
        "%(number)s: the reference note on the sign-up is due on %(date)s.",
        number=number,
        date=format_date(entry.due),
    )


def remind(today: dt.date | None = None) -> list[Any]:
    """Daily (``flask routing remind``): the reception staff reminded of reference notes due or
    overdue (R-RECV-11); once per sign-up, kind and due date."""
    from flask import current_app
    from flask_babel import force_locale

    from docflow.routing.models import Notification

    created = []
    staff = _reception_staff()
    for entry in watch(today):
        if entry.kind == "registered_late":
            continue  # flagged on the lists; nobody can register it earlier now
        item = db.session.get(IncomingItem, entry.signup.item_id)
        key = f"signup:{entry.signup.id}:{entry.due.isoformat()}"
        for user in staff:
            kind = "reference_note_overdue" if entry.kind == "note_overdue" else "reference_note"
            exists = db.session.scalar(
                select(Notification.id).where(
                    Notification.user_id == user.id,
                    Notification.item_id == item.id,
                    Notification.kind == kind,
                    Notification.key == key,
                )
            )
            if exists is not None:
                continue
            with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                message = str(_note_message(entry, item.reg_number))
            n = Notification(user_id=user.id, item_id=item.id, kind=kind, key=key, message=message)
            db.session.add(n)
            created.append(n)
    db.session.flush()
    return created


def extension_cap(item: IncomingItem, basis: str) -> dt.date:
    if basis == "letter":
        return item.registration_date + dt.timedelta(days=LETTER_CAP_DAYS)
    return add_months(item.registration_date, DECISION_CAP_MONTHS)


@atomic
def extend_inclusion(
    signup: SignUp, actor: Any, *, basis: str, new_due: dt.date, reason: str
) -> SignUpExtension:
    """R-RECV-11 / R-DEADLINE-2: a complex sign-up's inclusion term extended — by a letter up to
    30 calendar days from registration, by the head's decision up to two months in total; who,
    why, the old and the new date recorded; the applicant told within 3 working days."""
    from docflow.outgoing import notices as outgoing

    if basis not in ("letter", "decision"):
        raise ReceptionRuleError(
            _l("The basis of an extension is a letter to the applicant or a decision of the head.")
        )
    if not (reason or "").strip():
        raise ReceptionRuleError(_l("Give the reason for the extension."))
    item = db.session.get(IncomingItem, signup.item_id)
    old = signup.inclusion_notice_due or inclusion_due(item)
    if new_due <= old:
        raise ReceptionRuleError(_l("The new due date must be later than the current one."))
    cap = extension_cap(item, basis)
    if new_due > cap:
        raise ReceptionRuleError(
            _l(
                "The term can be extended to %(date)s at the latest (R-DEADLINE-2).",
                date=format_date(cap),
            )
        )
    cal = get_calendar()
    if not cal.is_working_day(new_due):
        raise ReceptionRuleError(_l("%(date)s is not a working day.", date=format_date(new_due)))
    ext = SignUpExtension(
        signup_id=signup.id,
        item_id=item.id,
        basis=basis,
        old_due=old,
        new_due=new_due,
        reason=reason.strip(),
        notice_due=cal.add_working_days(_today(), NOTICE_DAYS),
        extended_by_id=getattr(actor, "id", None),
    )
    db.session.add(ext)
    signup.inclusion_notice_due = new_due
    SIGNUP.fire(
        signup,
        "extend_inclusion",
        actor,
        comment=reason.strip(),
        params={"old_due": old.isoformat(), "new_due": new_due.isoformat()},
    )
    db.session.flush()
    outgoing.extended(ext, actor)  # the applicant is told (R-DEADLINE-2)
    return ext


def extensions(signup: SignUp) -> list[SignUpExtension]:
    return list(
        db.session.scalars(
            select(SignUpExtension)
            .where(SignUpExtension.signup_id == signup.id)
            .order_by(SignUpExtension.id)
        )
    )


# --- R-RECV-6: video reception ------------------------------------------------------------


def restrictions_mode() -> bool:
    return bool(setting("restrictions_mode"))


@atomic
def set_restrictions_mode(actor: Any, on: bool, reason: str | None = None) -> None:
    """R-RECV-6: restrictions in force (receptions only by video conference) or lifted."""
    if not has_permission(actor, Permission.MANAGE_RECEPTION):
        raise AccessDenied()
    if on and not (reason or "").strip():
        raise ReceptionRuleError(_l("Give the ground of the restrictions (a decision, a decree)."))
    value = dict(get_setting("reception") or {})
    value["restrictions_mode"] = bool(on)
    value["restrictions_reason"] = (reason or "").strip() or None
    set_setting("reception", value)
    audit.record(
        "restrictions_mode", object_type="setting", summary={"on": bool(on), "reason": reason}
    )


def is_video_session(session: ReceptionSession) -> bool:
    if session.video_link:
        return True
    if session.schedule_id is not None:
        schedule = db.session.get(ReceptionSchedule, session.schedule_id)
        return bool(schedule and schedule.video)
    return False


def video_consent(signup: SignUp) -> VideoConsent | None:
    return db.session.scalar(select(VideoConsent).where(VideoConsent.signup_id == signup.id))


@atomic
def record_video_consent(
    signup: SignUp, actor: Any, *, source: str, note: str | None = None
) -> VideoConsent:
    """R-RECV-6: the applicant agreed to a reception by video conference (how, when, who wrote
    it down)."""
    if source not in CONSENT_SOURCES:
        raise ReceptionRuleError(_l("Say how the applicant gave the consent."))
    if video_consent(signup) is not None:
        raise ReceptionRuleError(_l("The applicant's consent is already recorded."))
    consent = VideoConsent(
        signup_id=signup.id,
        source=source,
        note=(note or "").strip()[:2000] or None,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(consent)
    signup.video = True
    SIGNUP.fire(
        signup, "record_video_consent", actor, comment=consent.note, params={"source": source}
    )
    return consent


def session_refusal(signup: SignUp, session: ReceptionSession | None) -> Any:
    """Why ``signup`` may not go to ``session`` under R-RECV-6, or None."""
    if session is None:
        return None
    video = is_video_session(session)
    if restrictions_mode() and not video:
        return _l(
            "Restrictions are in force: receptions are held only by video conference (R-RECV-6)."
        )
    if video and video_consent(signup) is None:
        return _l(
            "A reception by video conference needs the applicant's consent: record it first "
            "(R-RECV-6)."
        )
    return None


def _video_guard(ctx) -> Any:
    signup = ctx.obj
    session_id = ctx.params.get("session") if ctx.params else None
    session_id = session_id or signup.session_id
    session = db.session.get(ReceptionSession, int(session_id)) if session_id else None
    return session_refusal(signup, session) or True


# --- wiring into the reception workflows --------------------------------------------------


if "extend_inclusion" not in SIGNUP.transitions:
    SIGNUP.extend(
        transitions=[
            transition(
                "extend_inclusion",
                _l("Extend the term (complex question)"),
                ["pending", "proposed", "hearing"],
                None,
                permission=Permission.MANAGE_RECEPTION,
                comment_required=True,
                params=[
                    Param("old_due", _l("Due date")),
                    Param("new_due", _l("New due date")),
                ],
            ),
            transition(
                "record_video_consent",
                _l("Record the consent to a video reception"),
                list(OPEN_STATES),
                None,
                permission=Permission.MANAGE_RECEPTION,
                params=[Param("source", _l("How the consent was given"))],
            ),
        ]
    )
add_condition(SIGNUP, "propose_date", _video_guard)
add_condition(SIGNUP, "include", _video_guard)


def register_texts() -> None:
    """The readable history's sentences of these rules (``docflow.core.history_text``)."""
    from docflow.core import history_text as ht

    group = "reception"
    ht.register_object("signup_video_consent", _l("consent to a video reception"), group=group)
    ht.register_object("reception_participant", _l("participant of a reception"), group=group)
    ht.register_object("signup_extension", _l("extension of a sign-up's term"), group=group)
    ht.register_transition(
        "signup", "extend_inclusion", _l("%(actor)s extended the term of the sign-up")
    )
    ht.register_transition(
        "signup",
        "record_video_consent",
        _l("%(actor)s recorded the applicant's consent to a video reception"),
    )
    ht.register_action(
        "reception_participant", _l("%(actor)s recorded a participant of %(object)s"), group=group
    )
    ht.register_action(
        "reception_participants_missing",
        _l("%(object)s was held without the representatives it requires"),
        group=group,
    )
    ht.register_action(
        "restrictions_mode",
        _l("%(actor)s changed the restrictions mode (receptions only by video conference)"),
        group=group,
    )
