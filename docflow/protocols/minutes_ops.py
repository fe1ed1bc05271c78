"""Minutes turned into protocol assignments on control (R-PROT-1..3).

Minutes are parsed, corrected and confirmed by the controller; each assignment rides on the
applicant's appeal item, routed to the executors through routing's own operations (so R-ROUTE-4
holds on this path too) and kept on control until the final answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.extensions import db
from docflow.org.models import User, subdivision_by_code
from docflow.protocols.models import (
    Minutes,
    ProtocolAssignment,
    ReceptionSession,
)
from docflow.protocols.operations import SCAN_DAYS, ReceptionError, _today
from docflow.protocols.workflow import MINUTES
from docflow.registry import operations as registry_ops
from docflow.registry.models import Applicant, IncomingItem
from docflow.routing import operations as routing_ops

# --- minutes → protocol assignments ---------------------------------------------------------


@dataclass
class AssignmentInput:
    number: str
    applicant: str
    iin: str | None = None
    bin: str | None = None
    text: str = ""
    question: str = ""
    executors: list[str] = field(default_factory=list)
    executor_users: list[str] = field(default_factory=list)  # employees named in the minutes
    address: str | None = None
    due: dt.date | None = None


def parse_upload(path: Any) -> dict[str, Any]:
    """Run the minutes parser against the loaded organisation; returns its JSON and preview."""
    from docflow.protocols.minutes import Resolver, parse_minutes

    parsed = parse_minutes(path, Resolver.from_db(), get_calendar())
    return {"result": parsed.to_json(), "preview": parsed.preview()}


@atomic
def store_minutes(
    actor: Any,
    *,
    filename: str,
    stream: Any,
    parsed: dict[str, Any],
    session: ReceptionSession | None = None,
) -> Minutes:
    if not has_permission(actor, Permission.MANAGE_RECEPTION):
        raise AccessDenied()
    attachment = registry_ops.attach(
        None,
        filename,
        stream,
        actor,
        source="minutes",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    result = parsed["result"]
    minutes = Minutes(
        session_id=session.id if session else None,
        number=result.get("number"),
        date=dt.date.fromisoformat(result["date"]) if result.get("date") else None,
        attachment_id=attachment.id,
        parsed=parsed,
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(minutes)
    db.session.flush()
    return minutes


def _find_or_register(minutes: Minutes, a: AssignmentInput, actor: Any) -> IncomingItem:
    """The applicant's appeal from this reception: matched by IIN/BIN, else registered now."""
    ident = a.iin or a.bin
    if ident:
        candidates = (
            db.session.scalars(
                select(IncomingItem)
                .join(Applicant, Applicant.item_id == IncomingItem.id)
                .where(
                    (Applicant.iin == ident) | (Applicant.bin == ident),
                    IncomingItem.from_reception.is_(True),
                    IncomingItem.state.in_(("registered",)),
                )
                .order_by(IncomingItem.id.desc())
            )
            .unique()
            .all()
        )
        if candidates:
            return candidates[0]
    from docflow.protocols import reception_flow

    routed = reception_flow.routed_request(minutes, a.iin, a.bin, a.applicant)
    if routed is not None:
        return routed  # the visit's decision already routed the visitor's request
    applicant = registry_ops.ApplicantData(
        type="legal" if a.bin and not a.iin else "individual",
        full_name=None if a.bin and not a.iin else a.applicant,
        organisation_name=a.applicant if a.bin and not a.iin else None,
        iin=a.iin,
        bin=a.bin,
        address=a.address,
    )
    data = registry_ops.RegistrationData(
        kind="statement",
        channel="reception",
        applicants=[applicant],
        addressee=(minutes.official_code or ""),
        summary=a.question or a.text,
        from_reception=True,
        recorded_in_minutes=True,
        arrived_at=dt.datetime.combine(
            minutes.date or _today(), dt.time(12, 0), tzinfo=get_calendar().tz
        ),
    )
    item = registry_ops.register(data, _registrar_for(actor))
    # The same applicant's earlier appeals on a similar question are the same case (R-ROUTE-4).
    from docflow.registry.repeats import find_candidates

    for candidate in find_candidates([applicant], data.summary, exclude_id=item.id):
        if candidate.similar:
            registry_ops.link_items(
                item, candidate.item, "reception_same_question", _registrar_for(actor)
            )
    # ... and so is the same person's request for personal reception.
    reception_flow.link_to_request(item, minutes, a.iin, a.bin, a.applicant, _registrar_for(actor))
    return item


def _registrar_for(actor: Any) -> Any:
    # The controller confirming the minutes registers the appeals handed in at the reception.
    return (
        _Acting(actor, [("registrar", None)])
        if not has_permission(actor, Permission.REGISTER)
        else actor
    )


class _Acting:
    """The confirming controller, acting on the official's decision recorded in the minutes:
    their own roles plus the ones that decision gives them for this one operation (audited
    under their own name)."""

    def __init__(self, user: User, extra: list[tuple[str, str | None]]) -> None:
        self._user, self._extra = user, extra
        self.id, self.is_active = user.id, user.is_active
        self.display_name = getattr(user, "display_name", None)
        self.username = getattr(user, "username", None)

    def role_grants(self):
        return [*self._user.role_grants(), *self._extra]


@atomic
def confirm_minutes(
    minutes: Minutes,
    actor: Any,
    assignments: list[AssignmentInput],
    *,
    overdue_confirmed: bool = False,
) -> list[ProtocolAssignment]:
    """Create the protocol assignments: each on its appeal item, routed and on control (R-PROT-2).

    The executors go through routing's operations, so R-ROUTE-4 refuses a previous handler here
    as on every other path; nothing is created if any assignment is refused. A term already
    passed is confirmed only with ``overdue_confirmed`` (the clerk was asked on the page).
    """
    from docflow.protocols import reception_flow

    if not has_permission(actor, Permission.MANAGE_RECEPTION):
        raise AccessDenied()
    if minutes.status == "confirmed":
        raise ReceptionError(_l("These minutes are already confirmed."))
    if minutes.date is None:
        raise ReceptionError(_l("Give the date of the minutes."))
    cal = get_calendar()
    created = []
    for a in assignments:
        if not a.executors:
            raise ReceptionError(_l("Assignment %(n)s: choose the executor.", n=a.number))
        if a.due is None:
            raise ReceptionError(_l("Assignment %(n)s: give the term.", n=a.number))
        for code in a.executors:
            if subdivision_by_code(code) is None:
                raise ReceptionError(
                    _l("Assignment %(n)s: unknown executor %(code)s.", n=a.number, code=code)
                )
    reception_flow.refuse_overdue(assignments, overdue_confirmed)
    for a in assignments:
        item = _find_or_register(minutes, a, actor)
        # A request the visit's decision already routed carries the assignment as it is.
        routed = item.state != "registered"
        if not routed:
            routing_ops.distribute(  # with the term of the minutes, recorded (R-PROT-1)
                item,
                actor,
                a.executors,
                comment=f"{minutes.number or ''} {a.number}".strip(),
                due=a.due,
            )
        if a.executor_users and not (routed and routing_ops.active_executors(item)):
            # Employees named in the minutes become executors through routing's single door,
            # so R-ROUTE-4 refuses a previous handler on this path as on every other.
            users = [
                db.session.scalar(select(User).where(User.username == n)) for n in a.executor_users
            ]
            if any(u is None for u in users):
                raise ReceptionError(_l("Assignment %(n)s: unknown employee.", n=a.number))
            acting = _Acting(actor, [("head", item.subdivision.code)])
            routing_ops.assign_executors(
                item, acting, [u.id for u in users], reason=str(_l("Named in the minutes"))
            )
        pa = ProtocolAssignment(
            minutes_id=minutes.id,
            number=a.number,
            item_id=item.id,
            text=a.text or a.question,
            due=a.due,
            executors=a.executors,
            scan_due=cal.add_working_days(minutes.date, SCAN_DAYS + 1),
        )
        db.session.add(pa)
        created.append(pa)
    MINUTES.fire(minutes, "confirm", actor)
    minutes.confirmed_by_id = getattr(actor, "id", None)
    minutes.confirmed_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    audit.record("confirm_minutes", minutes, summary={"assignments": len(created)})
    return created


def assignments_input_from(parsed: dict[str, Any]) -> list[AssignmentInput]:
    """The parser's assignments as confirmation input (the controller corrects them on the page)."""
    preview = {str(p.get("item")): p for p in (parsed.get("preview") or {}).get("items", [])}
    out = []
    for a in parsed["result"].get("assignments", []):
        number = str(a.get("item"))
        p = preview.get(number, {})
        out.append(
            AssignmentInput(
                number=number,
                applicant=a.get("applicant") or "",
                iin=a.get("iin"),
                bin=a.get("bin"),
                text=a.get("text") or "",
                question=p.get("question") or a.get("text") or "",
                executors=list(a.get("executors") or []),
                due=dt.date.fromisoformat(a["due"]) if a.get("due") else None,
                address=(p.get("applicant") or {}).get("address"),
            )
        )
    return out


def late_scans(today: dt.date | None = None) -> list[ProtocolAssignment]:
    """Assignments whose appeal has no scan attached by the R-REG-7 term."""
    today = today or _today()
    out = []
    for pa in db.session.scalars(
        select(ProtocolAssignment).where(ProtocolAssignment.scan_due < today)
    ):
        item = db.session.get(IncomingItem, pa.item_id)
        if not any(att.source in ("upload", "batch") for att in item.attachments):
            out.append(pa)
    return out


def assignments_for(
    executor_code: str | None = None, minutes: Minutes | None = None
) -> list[ProtocolAssignment]:
    query = select(ProtocolAssignment).order_by(ProtocolAssignment.due, ProtocolAssignment.id)
    if minutes is not None:
        query = query.where(ProtocolAssignment.minutes_id == minutes.id)
    rows = list(db.session.scalars(query))
    if executor_code:
        rows = [r for r in rows if executor_code in r.executors]
    return rows
