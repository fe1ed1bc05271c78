"""The reception from the visit to the confirmed minutes, without dead ends.

* The visit's decision settles the request for reception: with executors and a term it is routed
  to them through routing's own operations — the subdivisions by ``distribute`` with the term of
  the decision (R-PROT-1), the named employees by ``assign_executors``, the single door where
  R-ROUTE-4 refuses a previous handler; explained on the spot, or the applicant did not come, it
  leaves "awaiting distribution" for "settled at the reception".
* A reception is marked held on its day or later (the workflow's condition).
* The minutes of a reception belong to it (``Minutes.session_id``): made from its visits, or
  uploaded for it; an assignment of those minutes on a visitor whose request the visit already
  routed rides on that request, not on a second registration.
* An assignment whose term has already passed is not confirmed without the clerk saying so.
* An appeal registered from the minutes is linked to the same person's request for reception.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.errors import DomainError
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.extensions import db
from docflow.org.models import User
from docflow.protocols import minutes_ops
from docflow.protocols.models import Minutes, ReceptionSession, SignUp
from docflow.protocols.workflow import SESSION
from docflow.registry import operations as registry_ops
from docflow.registry.models import Applicant, IncomingItem
from docflow.registry.workflow import INCOMING
from docflow.routing import operations as routing_ops

LINK_KIND = "reception_same_question"


class FlowError(DomainError, ValueError):
    """A step of the reception refused (422); the message says why."""

    status = 422
    code = "rule_violation"


def _today() -> dt.date:
    return get_calendar().local_now().date()


# --- the session ------------------------------------------------------------------------------


@atomic
def hold_session(session: ReceptionSession, actor: Any) -> None:
    """Mark the reception as held: by the office (manage reception), on its day or later."""
    SESSION.fire(session, "hold", actor)


def can_hold(session: ReceptionSession, actor: Any) -> bool:
    return any(t.id == "hold" for t in SESSION.available(session, actor))


# --- the visit's decision -------------------------------------------------------------------


def settle_visit(signup: SignUp, actor: Any, executor_users: list[str] | None = None) -> None:
    """Settle the request for reception by what the visit recorded (called by ``record_visit``,
    inside its transaction).

    A decision with executors and a term routes the request to them with that term; the
    employees named go through ``routing.operations.assign_executors`` (R-ROUTE-4).
    """
    from docflow.protocols.minutes_ops import _Acting

    item = db.session.get(IncomingItem, signup.item_id)
    if item.state != "registered":
        return  # already routed or settled: the visit does not route it twice
    if signup.came and signup.decision_executors and not signup.explained:
        routing_ops.distribute(
            item,
            actor,
            list(signup.decision_executors),
            comment=signup.outcome or str(_l("Decision of the reception")),
            due=signup.decision_due,
        )
        if executor_users:
            users = [
                db.session.scalar(select(User).where(User.username == name))
                for name in executor_users
            ]
            if any(u is None for u in users):
                raise FlowError(_l("Unknown employee."))
            acting = _Acting(actor, [("head", item.subdivision.code)])
            routing_ops.assign_executors(
                item,
                acting,
                [u.id for u in users],
                reason=str(_l("Named in the decision of the reception")),
            )
        return
    if executor_users:
        raise FlowError(_l("Choose the executor subdivision and the term for the employees named."))
    INCOMING.fire(
        item,
        "settle_explained" if signup.came else "settle_no_show",
        actor,
        comment=signup.outcome or None,
    )


# --- minutes of a session -----------------------------------------------------------------------


@atomic
def minutes_from_session(session: ReceptionSession, actor: Any, lang: str = "ru") -> Minutes:
    """The minutes of this reception, made from its visits and read back like an upload, so the
    controller checks and confirms them on the same page (R-PROT-1)."""
    from docflow.protocols import operations as ops
    from docflow.protocols.minutes_out import render_minutes

    if not has_permission(actor, Permission.MANAGE_RECEPTION):
        raise AccessDenied()
    if session.state == "cancelled":
        raise FlowError(_l("The reception was cancelled: it has no minutes."))
    if not any(s.state == "received" for s in session.signups):
        raise FlowError(_l("Record the visits first: nobody is recorded as received yet."))
    data = render_minutes(ops.minutes_data_for_session(session, lang, received_only=True), lang)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "minutes.docx"
        path.write_bytes(data)
        parsed = minutes_ops.parse_upload(path)
    return minutes_ops.store_minutes(
        actor,
        filename=f"minutes-{session.date.isoformat()}-{lang}.docx",
        stream=io.BytesIO(data),
        parsed=parsed,
        session=session,
    )


def session_minutes(session: ReceptionSession) -> list[Minutes]:
    return list(
        db.session.scalars(
            select(Minutes).where(Minutes.session_id == session.id).order_by(Minutes.id)
        )
    )


def _same_person(item: IncomingItem, iin: str | None, bin_: str | None, name: str | None) -> bool:
    for a in item.applicants:
        if (iin and a.iin == iin) or (bin_ and a.bin == bin_):
            return True
        if not (iin or bin_) and name and (a.full_name or a.organisation_name or "") == name:
            return True
    return False


def visitor_signup(minutes: Minutes, iin: str | None, bin_: str | None, name: str | None):
    """The received visitor of the minutes' reception this assignment is about, if any."""
    if minutes.session_id is None:
        return None
    for s in db.session.scalars(
        select(SignUp).where(SignUp.session_id == minutes.session_id, SignUp.state == "received")
    ):
        if _same_person(db.session.get(IncomingItem, s.item_id), iin, bin_, name):
            return s
    return None


def routed_request(minutes: Minutes, iin: str | None, bin_: str | None, name: str | None):
    """The visitor's request already routed by the visit's decision: the assignment rides on it."""
    s = visitor_signup(minutes, iin, bin_, name)
    if s is None:
        return None
    item = db.session.get(IncomingItem, s.item_id)
    return item if item.state in ("distributed", "in_work", "answer_review", "answered") else None


def link_to_request(
    item: IncomingItem, minutes: Minutes, iin: str | None, bin_: str | None, name: str | None, actor
) -> list[IncomingItem]:
    """Link an appeal registered from the minutes to the same person's request for reception
    (so R-ROUTE-4 sees the earlier case): the visitor of the minutes' reception, or — minutes
    uploaded without naming it — the request of the same IIN/BIN signed up for a reception on
    the minutes' date."""
    requests: list[IncomingItem] = []
    s = visitor_signup(minutes, iin, bin_, name)
    if s is not None:
        requests.append(db.session.get(IncomingItem, s.item_id))
    ident = iin or bin_
    if ident and minutes.date is not None:
        requests += [
            i
            for i in db.session.scalars(
                select(IncomingItem)
                .join(Applicant, Applicant.item_id == IncomingItem.id)
                .join(SignUp, SignUp.item_id == IncomingItem.id)
                .join(ReceptionSession, ReceptionSession.id == SignUp.session_id)
                .where(
                    (Applicant.iin == ident) | (Applicant.bin == ident),
                    ReceptionSession.date == minutes.date,
                )
                .order_by(IncomingItem.id)
            ).unique()
            if i not in requests
        ]
    for request_item in requests:
        if request_item.id != item.id:
            registry_ops.link_items(item, request_item, LINK_KIND, actor)
    return requests


# --- terms already passed ---------------------------------------------------------------------


def overdue_numbers(assignments, today: dt.date | None = None) -> list[str]:
    """Numbers of the assignments whose term is before today: already overdue if confirmed."""
    today = today or _today()
    return [a.number for a in assignments if a.due is not None and a.due < today]


def overdue_terms(minutes: Minutes) -> dict[str, dt.date]:
    """Assignments of draft minutes whose term has already passed: flagged on the page."""
    from docflow.protocols.minutes_ops import assignments_input_from

    if minutes.status == "confirmed":
        return {}
    inputs = assignments_input_from(minutes.parsed)
    late = set(overdue_numbers(inputs))
    return {a.number: a.due for a in inputs if a.number in late}


def refuse_overdue(assignments, confirmed: bool) -> None:
    """An assignment already overdue is confirmed only when the clerk says so, or a new term."""
    late = overdue_numbers(assignments)
    if late and not confirmed:
        raise FlowError(
            _l(
                "The term of assignment(s) %(numbers)s has already passed: set a new term or confirm the terms as they are.",
                numbers=", ".join(late),
            )
        )
