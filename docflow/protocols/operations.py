"""Sign-up and the reception day (minutes → protocol assignments: ``minutes_ops``).

Sign-ups (R-RECV-11): a registered request is considered, a date proposed or a refusal put to a
hearing (R-RECV-12), lists are distributed into sessions with the out-of-turn categories first
(R-RECV-5). Minutes (R-PROT-1..3) are parsed, corrected and confirmed by the controller; each
assignment rides on the applicant's appeal item, routed to the executors through routing's own
operations (so R-ROUTE-4 holds on this path too) and kept on control until the final answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.errors import DomainError
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.extensions import db
from docflow.org.models import Official, subdivision_by_code
from docflow.outgoing import notices as outgoing
from docflow.protocols import signup_rules
from docflow.protocols.models import (
    PRIORITY_CATEGORIES,
    ReceptionSession,
    SignUp,
)
from docflow.protocols.workflow import SIGNUP
from docflow.registry import operations as registry_ops
from docflow.registry.models import Applicant, IncomingItem
from docflow.registry.repeats import similarity
from docflow.registry.workflow import INCOMING

PRELIMINARY_NOTE_DAYS = 5  # R-RECV-11: the reference note 5 working days before the reception
HEARING_NOTICE_DAYS = 3  # R-RECV-12: the draft refusal at least 3 working days before the decision
OBJECTION_DAYS = 2  # R-RECV-12 / АППК art. 73(3)
DEFAULT_INCLUSION_TERM = 15  # R-RECV-11: working days from registration (profile setting)
TIME_NOTICE_DAYS = 2  # R-RECV-11: date and time within 2 more working days
SCAN_DAYS = 3  # R-REG-7: reception appeals scanned and attached within 1-3 working days

REFUSAL_GROUNDS = {
    # R-RECV-7
    "out_of_competence": _l("The question is outside the competence of the body"),
    "decision_exists": _l("A decision on the same subject and grounds already exists"),
    "court_act": _l("A court act exists on the question"),
    "returned": _l("The appeal was returned"),
    "already_received": _l("The applicant was already received or answered on the same question"),
}


class ReceptionError(DomainError, ValueError):
    """A rule of reception refused the action (422); the message says why."""

    status = 422
    code = "rule_violation"


def _today() -> dt.date:
    return get_calendar().local_now().date()


# --- sign-up ------------------------------------------------------------------------------


@atomic
def create_signup(
    item: IncomingItem,
    official: Official,
    actor: Any,
    *,
    priority: str | None = None,
    video: bool = False,
    language: str | None = None,
) -> SignUp:
    """Take a registered request for personal reception into preliminary consideration."""
    if not has_permission(actor, Permission.MANAGE_RECEPTION):
        raise AccessDenied()
    if item.kind != "reception_request":
        raise ReceptionError(_l("Only a request for personal reception can be signed up."))
    if item.state not in ("registered",):
        raise ReceptionError(
            _l(
                "This request is not open for sign-up (its state: %(state)s).",
                state=INCOMING.states[item.state].title,
            )
        )
    if priority and priority not in PRIORITY_CATEGORIES:
        raise ReceptionError(_l("Unknown out-of-turn category."))
    if db.session.scalar(select(SignUp.id).where(SignUp.item_id == item.id)) is not None:
        raise ReceptionError(_l("This request is already signed up."))
    signup = SignUp(
        item_id=item.id,
        official_id=official.id,
        priority=priority,
        video=video,
        language=language or item.language,
        inclusion_notice_due=signup_rules.inclusion_due(item),  # R-RECV-11: working or calendar
    )
    db.session.add(signup)
    SIGNUP.initialize(signup, actor)
    return signup


def refusal_evidence(signup: SignUp) -> list[tuple[str, IncomingItem]]:
    """R-RECV-7 grounds found in the registry: the same applicant, the same question, decided."""
    item = db.session.get(IncomingItem, signup.item_id)
    ids = {a.iin for a in item.applicants if a.iin} | {a.bin for a in item.applicants if a.bin}
    if not ids:
        return []
    earlier = db.session.scalars(
        select(IncomingItem)
        .join(Applicant, Applicant.item_id == IncomingItem.id)
        .where((Applicant.iin.in_(ids)) | (Applicant.bin.in_(ids)), IncomingItem.id != item.id)
    ).unique()
    found = []
    for other in earlier:
        if similarity(item.summary, other.summary) < 0.2:
            continue
        if other.state == "closed":
            found.append(("decision_exists", other))
        elif other.state == "returned":
            found.append(("returned", other))
        elif other.kind == "reception_request":
            other_signup = db.session.scalar(select(SignUp).where(SignUp.item_id == other.id))
            if other_signup is not None and other_signup.state == "received":
                found.append(("already_received", other))
    return found


@atomic
def propose_date(signup: SignUp, session: ReceptionSession, actor: Any, note: str) -> None:
    """The reference note proposes a date (R-RECV-11), due 5 working days before the reception."""
    if session.official_id != signup.official_id:
        raise ReceptionError(_l("The reception belongs to another official."))
    if session.state != "planned":
        raise ReceptionError(_l("That reception is not planned any more."))
    signup.session_id = session.id
    signup.reference_note = note
    SIGNUP.fire(signup, "propose_date", actor, comment=note, params={"session": session.id})


def note_due(session: ReceptionSession) -> dt.date:
    """The reference note is due 5 working days before the reception (R-RECV-11)."""
    cal = get_calendar()
    day, left = session.date, PRELIMINARY_NOTE_DAYS
    while left:
        day -= dt.timedelta(days=1)
        if cal.is_working_day(day):
            left -= 1
    return day


@atomic
def propose_refusal(
    signup: SignUp, actor: Any, *, ground: str, note: str, evidence: IncomingItem | None = None
) -> None:
    """R-RECV-12: the draft refusal goes to the applicant; the decision ≥ 3 working days later."""
    if ground not in REFUSAL_GROUNDS:
        raise ReceptionError(_l("Choose a ground for the refusal (R-RECV-7)."))
    cal = get_calendar()
    today = _today()
    signup.refusal_ground = ground
    signup.refusal_evidence_item_id = evidence.id if evidence else None
    signup.reference_note = note
    signup.preliminary_sent_on = today
    signup.objection_due = cal.add_working_days(today, OBJECTION_DAYS + 1)
    signup.decision_on = cal.add_working_days(today, HEARING_NOTICE_DAYS + 1)
    SIGNUP.fire(signup, "propose_refusal", actor, comment=note, params={"ground": ground})
    outgoing.refusal_proposed(signup, actor)  # R-RECV-12: the draft, a registered notice


@atomic
def record_objection(signup: SignUp, actor: Any, text: str) -> None:
    """An objection (oral ones recorded in a hearing protocol) within 2 working days (R-RECV-12)."""
    if not (text or "").strip():
        raise ReceptionError(_l("Write down the objection."))
    signup.objection = ((signup.objection or "") + "\n" + text.strip()).strip()
    SIGNUP.fire(signup, "record_objection", actor, comment=text.strip())


@atomic
def refuse(signup: SignUp, actor: Any) -> None:
    SIGNUP.fire(signup, "refuse", actor, comment=signup.refusal_ground)


@atomic
def reschedule(signup: SignUp, actor: Any, note: str | None = None) -> None:
    """The sign-up goes back to scheduling (another reception day is to be found)."""
    SIGNUP.fire(signup, "reschedule", actor, comment=note or None)


def _queue_key(signup: SignUp) -> tuple:
    # R-RECV-5: out-of-turn categories first, then order of arrival (registration).
    item = db.session.get(IncomingItem, signup.item_id)
    return (0 if signup.priority else 1, item.registered_at, item.id)


@atomic
def distribute_list(session: ReceptionSession, actor: Any) -> list[SignUp]:
    """Put the proposed sign-ups of the session into the list, in order, with slot times."""
    if session.state != "planned":
        raise ReceptionError(_l("That reception is not planned any more."))
    proposed = list(
        db.session.scalars(
            select(SignUp).where(
                SignUp.session_id == session.id, SignUp.state.in_(("proposed", "included"))
            )
        )
    )
    proposed.sort(key=_queue_key)
    cal = get_calendar()
    start = dt.datetime.combine(session.date, session.start)
    for position, signup in enumerate(proposed, start=1):
        signup.queue_position = position
        signup.slot_time = (
            start + dt.timedelta(minutes=session.slot_minutes * (position - 1))
        ).time()
        if signup.state == "proposed":
            SIGNUP.fire(signup, "include", actor, comment=str(position))
            signup.time_notice_due = cal.add_working_days(_today(), TIME_NOTICE_DAYS + 1)
            outgoing.signup_included(signup, session, actor)  # R-RECV-11: both notices
    return proposed


def queue(session: ReceptionSession) -> list[SignUp]:
    """The reception-day queue: priority first, then order (R-RECV-5)."""
    signups = [s for s in session.signups if s.state in ("included", "received", "no_show")]
    return sorted(signups, key=lambda s: (0 if s.priority else 1, s.queue_position or 0))


@atomic
def record_visit(
    signup: SignUp,
    actor: Any,
    *,
    came: bool,
    oral_questions: str | None = None,
    outcome: str | None = None,
    language: str | None = None,
    executors: list[str] | None = None,
    due: dt.date | None = None,
    explained: bool = False,
    identity_document: str | None = None,
    executor_users: list[str] | None = None,
) -> None:
    """Who came, what was asked orally, the decision with its executors and term (R-PROT-1),
    or "explained on the spot"; the language of the reception (R-RECV-10).

    R-RECV-4: nobody is received without the identity document shown (a representative also
    shows the proof of authority); what was shown is recorded. The decision settles the request:
    routed to its executors (the employees named through R-ROUTE-4's door), or settled at the
    reception (``reception_flow.settle_visit``).
    """
    identity_document = (identity_document or "").strip() or None
    if came and identity_document is None:
        raise ReceptionError(_l("Record the identity document the applicant showed (R-RECV-4)."))
    if came and not explained and executors:
        for code in executors:
            if subdivision_by_code(code) is None:
                raise ReceptionError(_l("Unknown executor %(code)s.", code=code))
        if due is None:
            raise ReceptionError(_l("Give the term of the assignment."))
    signup.came = came
    signup.identity_document = identity_document[:300] if identity_document else None
    signup.oral_questions = oral_questions
    signup.outcome = outcome
    signup.explained = explained
    signup.decision_executors = list(executors or []) or None
    signup.decision_due = due
    if language:
        signup.language = language
    SIGNUP.fire(signup, "receive" if came else "no_show", actor, comment=outcome)
    from docflow.protocols.reception_flow import settle_visit

    settle_visit(signup, actor, executor_users)


def minutes_data_for_session(session: ReceptionSession, lang: str, *, received_only=False):
    """The minutes of a held reception (R-PROT-1) from its visits, for ``render_minutes``."""
    from docflow.protocols.minutes import Resolver
    from docflow.protocols.minutes_out import MinutesData, Visitor

    visitors = []
    for signup in queue(session):
        # The people received, and those on the list not yet recorded: names and questions
        # pre-filled, the decision to be written in.
        if signup.state not in (("received",) if received_only else ("received", "included")):
            continue
        item = db.session.get(IncomingItem, signup.item_id)
        applicant = item.applicants[0] if item.applicants else None
        question = item.summary + (f" {signup.oral_questions}" if signup.oral_questions else "")
        visitors.append(
            Visitor(
                applicant=item.applicant_names or "—",
                question=question.strip(),
                decision=signup.outcome or "",
                executors=list(signup.decision_executors or []),
                due=signup.decision_due,
                iin=applicant.iin if applicant else None,
                bin=applicant.bin if applicant else None,
                address=applicant.address if applicant else None,
                no_assignment=signup.explained,
            )
        )
    official = session.official
    number = session.minutes_number or str(session.id)
    return MinutesData(
        number=number,
        date=session.date,
        official_name=official.full_name,
        official_position=official.positions,
        participants=list(session.participants or []),
        visitors=visitors,
        subdivision_names=Resolver.from_db().names,
        place=session.place,
    )


@atomic
def set_participants(session: ReceptionSession, actor: Any, lines: list[str]) -> None:
    """Representatives of other bodies at the reception (R-RECV-9): one "body — name" per line."""
    if not has_permission(actor, Permission.MANAGE_RECEPTION):
        raise AccessDenied()
    session.participants = [line.strip()[:300] for line in lines if line.strip()][:50] or None


@atomic
def register_written_appeal(
    signup: SignUp, actor: Any, data: registry_ops.RegistrationData
) -> IncomingItem:
    """A written appeal handed in at the reception: marked "from personal reception" (R-REG-2)
    and linked to the visitor's earlier case, if any (so R-ROUTE-4 sees it)."""
    data.from_reception = True
    data.channel = "reception"
    item = registry_ops.register(data, actor)
    request_item = db.session.get(IncomingItem, signup.item_id)
    registry_ops.link_items(item, request_item, "reception_same_question", actor)
    for _ground, earlier in refusal_evidence(signup):
        registry_ops.link_items(item, earlier, "reception_same_question", actor)
    return item
