"""Terms and the ways a case leaves the subdivision's hands, other than the answer.

Extensions (R-DEADLINE-2: by letter up to 30 calendar days, by the head's decision up to two
months in total, each recorded with a notice due in 3 working days), forwarding to the competent
body (R-ROUTE-2: within 3 working days, with a notice), and termination of a repeat appeal that
already has a decision (R-ROUTE-5, with a notice).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core.calendar import add_months, adjustment_text, get_calendar
from docflow.core.db import atomic
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.outgoing import notices as outgoing
from docflow.registry import search
from docflow.registry.models import IncomingItem, ItemLink
from docflow.registry.workflow import INCOMING
from docflow.routing.handlers import RuleViolation
from docflow.routing.models import Extension, Forwarding

FORWARD_TERM_DAYS = 3  # R-ROUTE-2
NOTICE_TERM_DAYS = 3  # R-DEADLINE-2: the applicant is told of an extension within 3 working days
LETTER_CAP_DAYS = 30  # R-DEADLINE-2: by letter, up to 30 calendar days from registration
DECISION_CAP_MONTHS = 2  # R-DEADLINE-2 / АППК art. 76(3): two months in total


# --- deadlines ----------------------------------------------------------------------------


def extension_cap(item: IncomingItem, basis: str) -> dt.date:
    if basis == "letter":
        return item.registration_date + dt.timedelta(days=LETTER_CAP_DAYS)
    return add_months(item.registration_date, DECISION_CAP_MONTHS)


@atomic
def extend(
    item: IncomingItem, actor: Any, *, basis: str, new_due: dt.date, reason: str
) -> Extension:
    """R-DEADLINE-2: extend the term; recorded with who, why, old and new date; notice due in 3 days."""
    if basis not in ("letter", "decision"):
        raise RuleViolation(
            _l("The basis of an extension is a letter to the applicant or a decision of the head.")
        )
    if not (reason or "").strip():
        raise RuleViolation(_l("Give the reason for the extension."))
    old = item.due_date
    cap = extension_cap(item, basis)
    if new_due > cap:
        if basis == "letter":
            raise RuleViolation(
                _l(
                    "By a letter the term can be extended up to 30 calendar days from registration (%(date)s); a longer extension needs a motivated decision of the head.",
                    date=format_date(cap),
                )
            )
        raise RuleViolation(
            _l(
                "The total term may not exceed two months from registration (%(date)s).",
                date=format_date(cap),
            )
        )
    # R-DEADLINE-3: a new term on a day off ends on the next working day (the previous one
    # where that would pass the cap); the view tells the user (calendar.adjustment_text).
    new_due = get_calendar().adjust_term(new_due, cap).day
    if old is None or new_due <= old:
        raise RuleViolation(_l("The new due date must be later than the current one."))
    cal = get_calendar()
    today = cal.local_now().date()
    ext = Extension(
        item_id=item.id,
        basis=basis,
        reason=reason.strip(),
        old_due=old,
        new_due=new_due,
        decided_by_id=getattr(actor, "id", None),
        notice_due=cal.add_working_days(today, NOTICE_TERM_DAYS),
    )
    db.session.add(ext)
    INCOMING.fire(
        item,
        "extend",
        actor,
        comment=reason.strip(),
        params={"new_due": new_due.isoformat(), "basis": basis},
    )
    item.due_date = new_due
    db.session.flush()
    outgoing.extended(ext, actor)  # R-DEADLINE-2: registered outgoing notice
    return ext


def extension_note(item: IncomingItem, basis: str, requested: dt.date) -> str | None:
    """Why an extension asked to ``requested`` ends on another day (R-DEADLINE-3), for the user."""
    return adjustment_text(get_calendar().adjust_term(requested, extension_cap(item, basis)))


def extensions(item: IncomingItem) -> list[Extension]:
    return list(
        db.session.scalars(
            select(Extension).where(Extension.item_id == item.id).order_by(Extension.id)
        )
    )


@atomic
def forward(
    item: IncomingItem, actor: Any, *, body: str, partial: bool, reason: str | None = None
) -> Forwarding:
    """R-ROUTE-2: forward to the competent body, wholly or in part; notice within 3 working days."""
    if not (body or "").strip():
        raise RuleViolation(_l("Name the body the appeal is forwarded to."))
    deadline = forwarding_deadline(item)
    fwd = Forwarding(
        item_id=item.id,
        body=body.strip(),
        partial=partial,
        reason=reason,
        forwarded_by_id=getattr(actor, "id", None),
        deadline=deadline,
    )
    db.session.add(fwd)
    INCOMING.fire(
        item,
        "forward_part" if partial else "forward",
        actor,
        comment=reason,
        params={"body": body.strip()},
    )
    db.session.flush()
    outgoing.forwarded(fwd, actor)  # R-ROUTE-2: registered outgoing notice
    search.reindex(item)
    return fwd


def forwarding_deadline(item: IncomingItem) -> dt.date:
    """No later than 3 working days from arrival (R-ROUTE-2), arrival day counted as day 1."""
    return get_calendar().add_working_days(item.registration_date, FORWARD_TERM_DAYS)


def mark_notice_sent(record: Extension | Forwarding, actor: Any) -> None:
    """The applicant's notice went out: recorded by outgoing, which keeps the notices' state."""
    outgoing.mark_source_sent(record, actor)


def earlier_decision(item: IncomingItem) -> IncomingItem | None:
    """The linked earlier case with a final answer (R-ROUTE-5), if this is a repeat appeal."""
    targets = db.session.scalars(
        select(IncomingItem)
        .join(ItemLink, ItemLink.target_id == IncomingItem.id)
        .where(ItemLink.item_id == item.id, ItemLink.kind == "repeat")
    )
    for target in targets:
        if target.state == "closed":
            return target
    return None


@atomic
def terminate(item: IncomingItem, actor: Any, comment: str) -> None:
    """R-ROUTE-5: terminate a repeat appeal; the applicant's notice is due in 3 working days."""
    INCOMING.fire(item, "terminate", actor, comment=comment)
    outgoing.terminated(item, earlier_decision(item), actor)  # art. 70(3): registered notice
    search.reindex(item)
