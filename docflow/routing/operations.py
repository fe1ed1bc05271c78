"""Routing writes: distribute, assign (never to a previous handler), extend, answer, control.

Every path that makes someone an executor — the UI, the API, bulk actions, delegation, the
import of reception minutes — goes through ``assign_executors``, which enforces R-ROUTE-4.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.security import AccessDenied, Permission, Role, has_permission
from docflow.core.workflow import WorkflowError
from docflow.extensions import db
from docflow.org.models import RoleGrant, Subdivision, User, subdivision_by_code
from docflow.outgoing import hooks as outgoing
from docflow.registry import operations as registry_ops
from docflow.registry import search
from docflow.registry.models import LOCAL_ROLE_PROVIDERS, IncomingItem, ItemLink
from docflow.registry.workflow import INCOMING
from docflow.routing.models import Answer, Distribution, ExecutorAssignment, Extension, Forwarding

FORWARD_TERM_DAYS = 3  # R-ROUTE-2
NOTICE_TERM_DAYS = 3  # R-DEADLINE-2: the applicant is told of an extension within 3 working days
LETTER_CAP_DAYS = 30  # R-DEADLINE-2: by letter, up to 30 calendar days from registration
DECISION_CAP_MONTHS = 2  # R-DEADLINE-2 / АППК art. 76(3): two months in total
MAX_CASE_SIZE = 200


class RuleViolation(WorkflowError):
    """A business rule refused the action (422); the message names the rule's reason."""

    status = 422
    code = "rule_violation"


def _co_executor_codes(item: IncomingItem) -> list[str]:
    if item.id is None:
        return []
    rows = db.session.scalars(
        select(Distribution).where(Distribution.item_id == item.id, Distribution.active.is_(True))
    )
    return [d.subdivision.code for d in rows]


LOCAL_ROLE_PROVIDERS.append(_co_executor_codes)


# --- who handled the earlier case (R-ROUTE-4) ----------------------------------------------


def case_items(item: IncomingItem) -> list[IncomingItem]:
    """The earlier case: every item linked to this one, directly or through other links."""
    seen, frontier = {item.id}, [item.id]
    while frontier and len(seen) < MAX_CASE_SIZE:
        links = db.session.execute(
            select(ItemLink.item_id, ItemLink.target_id).where(
                or_(ItemLink.item_id.in_(frontier), ItemLink.target_id.in_(frontier))
            )
        ).all()
        frontier = []
        for a, b in links:
            for other in (a, b):
                if other not in seen:
                    seen.add(other)
                    frontier.append(other)
    seen.discard(item.id)
    if not seen:
        return []
    return list(db.session.scalars(select(IncomingItem).where(IncomingItem.id.in_(seen))))


@dataclass(frozen=True)
class PriorHandling:
    user_id: int
    item: IncomingItem
    role: str  # executed | answered | signed

    def message(self) -> str:
        # Whole sentences per role (translators need them whole, not verb fragments).
        if self.role == "executed":
            text = _l(
                "This employee was an executor of the earlier case %(number)s: R-ROUTE-4 forbids giving them the same question again.",
                number=self.item.reg_number,
            )
        elif self.role == "answered":
            text = _l(
                "This employee prepared the answer in the earlier case %(number)s: R-ROUTE-4 forbids giving them the same question again.",
                number=self.item.reg_number,
            )
        else:
            text = _l(
                "This employee approved and signed the answer in the earlier case %(number)s: R-ROUTE-4 forbids giving them the same question again.",
                number=self.item.reg_number,
            )
        return str(text)


def prior_handlers(item: IncomingItem) -> dict[int, PriorHandling]:
    """Employees who executed, answered or signed in the linked earlier case (R-ROUTE-4)."""
    earlier = case_items(item)
    if not earlier:
        return {}
    by_id = {i.id: i for i in earlier}
    out: dict[int, PriorHandling] = {}
    for a in db.session.scalars(
        select(ExecutorAssignment).where(ExecutorAssignment.item_id.in_(by_id))
    ):
        out.setdefault(a.user_id, PriorHandling(a.user_id, by_id[a.item_id], "executed"))
    for ans in db.session.scalars(select(Answer).where(Answer.item_id.in_(by_id))):
        if ans.author_id:
            out.setdefault(
                ans.author_id, PriorHandling(ans.author_id, by_id[ans.item_id], "answered")
            )
        if ans.approved_by_id:
            out.setdefault(
                ans.approved_by_id, PriorHandling(ans.approved_by_id, by_id[ans.item_id], "signed")
            )
    return out


def check_not_prior_handler(item: IncomingItem, user_ids: list[int]) -> None:
    handlers = prior_handlers(item)
    for uid in user_ids:
        if uid in handlers:
            raise RuleViolation(handlers[uid].message())


# --- people -------------------------------------------------------------------------------


def subdivision_staff(subdivision: Subdivision) -> list[User]:
    """Users who hold the head or executor role in the subdivision."""
    users = db.session.scalars(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.subdivision_id == subdivision.id,
            RoleGrant.role.in_([Role.HEAD.value, Role.EXECUTOR.value]),
            User.active.is_(True),
        )
        .order_by(User.full_name)
    ).unique()
    return list(users)


@dataclass(frozen=True)
class Candidate:
    user: User
    blocked: str | None  # why not (R-ROUTE-4), or None


def executor_candidates(item: IncomingItem, subdivision: Subdivision) -> list[Candidate]:
    """The assignment list, with previous handlers greyed out and the reason given."""
    handlers = prior_handlers(item)
    return [
        Candidate(u, handlers[u.id].message() if u.id in handlers else None)
        for u in subdivision_staff(subdivision)
    ]


def active_executors(item: IncomingItem) -> list[ExecutorAssignment]:
    return list(
        db.session.scalars(
            select(ExecutorAssignment)
            .where(ExecutorAssignment.item_id == item.id, ExecutorAssignment.active.is_(True))
            .order_by(ExecutorAssignment.responsible.desc(), ExecutorAssignment.id)
        )
    )


def is_acting_executor(item: IncomingItem, actor: Any) -> bool:
    if actor is None:
        return False
    if any(a.user_id == actor.id for a in active_executors(item)):
        return True
    return has_permission(actor, Permission.APPROVE, item)  # the head acts for the subdivision


def distributions(item: IncomingItem) -> list[Distribution]:
    return list(
        db.session.scalars(
            select(Distribution)
            .where(Distribution.item_id == item.id, Distribution.active.is_(True))
            .order_by(Distribution.responsible.desc(), Distribution.id)
        )
    )


# --- distribution -------------------------------------------------------------------------


def _subdivisions(codes: list[str]) -> list[Subdivision]:
    if not codes:
        raise RuleViolation(_l("Choose the responsible subdivision."))
    subs = []
    for code in codes:
        sub = subdivision_by_code(code)
        if sub is None:
            raise RuleViolation(_l("Unknown subdivision %(code)s.", code=code))
        if sub not in subs:
            subs.append(sub)
    return subs


@atomic
def distribute(
    item: IncomingItem,
    actor: Any,
    codes: list[str],
    comment: str | None = None,
    *,
    redistribute: bool = False,
) -> None:
    """Send to the responsible subdivision (first) and co-executors (R-ROUTE-1, R-ROUTE-3)."""
    subs = _subdivisions(codes)
    for d in distributions(item):
        d.active = False
    if redistribute:
        for a in active_executors(item):
            a.active, a.ended_at = False, dt.datetime.now(dt.UTC)
    for i, sub in enumerate(subs):
        db.session.add(
            Distribution(
                item_id=item.id,
                subdivision_id=sub.id,
                responsible=i == 0,
                created_by_id=getattr(actor, "id", None),
            )
        )
    item.subdivision = subs[0]
    db.session.flush()
    INCOMING.fire(
        item,
        "redistribute" if redistribute else "distribute",
        actor,
        comment=comment,
        params={"subdivisions": [s.code for s in subs]},
    )
    _learn(item, subs[0].code)
    if not redistribute:
        auto_assign(item, subs[0])
    search.reindex(item)


class _StandingInstruction:
    """The head's standing instruction ("items of this subdivision go to …"), acted on by the
    system: it holds the head's local role for that subdivision only."""

    id = None
    is_active = True
    display_name = "system (standing instruction)"
    username = "system"

    def __init__(self, code: str) -> None:
        self._code = code

    def role_grants(self):
        return [("head", self._code)]


def auto_assign(item: IncomingItem, subdivision: Subdivision) -> ExecutorAssignment | None:
    """Automatic assignment from the profile's ``auto_assign`` {CODE: username} setting.

    Goes through ``assign_executors`` like every other path, so a previous handler of the
    linked case is never chosen (R-ROUTE-4): the item then waits for the head instead.
    """
    from docflow.core.settings import get_setting

    username = (get_setting("auto_assign") or {}).get(subdivision.code)
    if not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        return None
    try:
        with db.session.begin_nested():
            rows = assign_executors(
                item,
                _StandingInstruction(subdivision.code),
                [user.id],
                reason=str(_l("Standing instruction of the head")),
            )
    except (RuleViolation, WorkflowError) as exc:
        audit.record("auto_assign_skipped", item, summary={"user": username, "reason": exc.message})
        return None
    return rows[0]


@dataclass(frozen=True)
class BulkResult:
    item: IncomingItem
    ok: bool
    message: str | None = None


def bulk_assign(
    items: list[IncomingItem], actor: Any, user_ids: list[int], reason: str | None = None
) -> list[BulkResult]:
    """Assign the same executors to several items; each item on its own, through the single
    door (R-ROUTE-4): a refusal on one item names its earlier case and leaves the others done."""
    results = []
    for item in items:
        try:
            with db.session.begin_nested():
                assign_executors(item, actor, user_ids, reason=reason)
        except (WorkflowError, AccessDenied) as exc:
            results.append(BulkResult(item, False, exc.message))
        else:
            results.append(BulkResult(item, True))
    return results


def _learn(item: IncomingItem, code: str) -> None:
    # The office's own routing teaches the suggestion classifier (routed history).
    from docflow.routing.models import RoutingExample

    text = (item.summary or "").strip()
    if not text:
        return
    example = db.session.scalar(select(RoutingExample).where(RoutingExample.item_id == item.id))
    if example is None:
        db.session.add(
            RoutingExample(
                text=text[:5000], subdivision_code=code, source="routed", item_id=item.id
            )
        )
    else:
        example.subdivision_code = code


# --- assignment ---------------------------------------------------------------------------


@atomic
def assign_executors(
    item: IncomingItem,
    actor: Any,
    user_ids: list[int],
    *,
    kind: str = "assign",
    reason: str | None = None,
    subdivision: Subdivision | None = None,
) -> list[ExecutorAssignment]:
    """Make users executors (first = responsible, R-ROUTE-3). The single door for every path.

    ``kind``: assign (first time), reassign (replaces the subdivision's executors), delegate
    (the executor hands over), add (co-executors). R-ROUTE-4 is checked before anything changes.
    """
    if not user_ids:
        raise RuleViolation(_l("Choose at least one executor."))
    if len(set(user_ids)) != len(user_ids):
        raise RuleViolation(_l("The same employee is chosen twice."))
    check_not_prior_handler(item, user_ids)  # R-ROUTE-4, on every path
    subdivision = subdivision or _acting_subdivision(item, actor)
    staff = {u.id: u for u in subdivision_staff(subdivision)}
    for uid in user_ids:
        if uid not in staff:
            raise RuleViolation(
                _l("The executor must be an employee of %(name)s.", name=subdivision.name)
            )
    transition = {
        "assign": "assign",
        "reassign": "reassign",
        "delegate": "delegate",
        "add": "add_co_executors",
    }[kind]
    if kind in ("reassign", "delegate"):
        now = dt.datetime.now(dt.UTC)
        for a in active_executors(item):
            if a.subdivision_id == subdivision.id and (
                kind == "reassign" or a.user_id == actor.id or a.responsible
            ):
                a.active, a.ended_at = False, now
    has_responsible = any(a.responsible for a in active_executors(item))
    created = []
    for i, uid in enumerate(user_ids):
        row = ExecutorAssignment(
            item_id=item.id,
            subdivision_id=subdivision.id,
            user_id=uid,
            responsible=(i == 0 and not has_responsible and item.subdivision_id == subdivision.id),
            kind=kind,
            reason=reason,
            assigned_by_id=getattr(actor, "id", None),
        )
        db.session.add(row)
        created.append(row)
    db.session.flush()
    if kind == "add" and item.state == "distributed":
        transition = "assign"
    INCOMING.fire(
        item,
        transition,
        actor,
        comment=reason,
        params={"executors": [staff[u].username for u in user_ids]},
    )
    return created


def _acting_subdivision(item: IncomingItem, actor: Any) -> Subdivision:
    """The subdivision the actor assigns for: theirs among the item's distributions."""
    mine = {code for role, code in (actor.role_grants() if actor else []) if code}
    for d in distributions(item):
        if d.subdivision.code in mine:
            return d.subdivision
    if item.subdivision is not None and has_permission(actor, Permission.DISTRIBUTE):
        return item.subdivision  # the controller acting on the responsible subdivision
    raise AccessDenied(str(_l("The item is not in your subdivision.")))


# --- deadlines ----------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    import calendar as _cal

    return dt.date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def extension_cap(item: IncomingItem, basis: str) -> dt.date:
    if basis == "letter":
        return item.registration_date + dt.timedelta(days=LETTER_CAP_DAYS)
    return _add_months(item.registration_date, DECISION_CAP_MONTHS)


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
    if old is None or new_due <= old:
        raise RuleViolation(_l("The new due date must be later than the current one."))
    cap = extension_cap(item, basis)
    if new_due > cap:
        if basis == "letter":
            raise RuleViolation(
                _l(
                    "By a letter the term can be extended up to 30 calendar days from registration (%(date)s); a longer extension needs a motivated decision of the head.",
                    date=cap.isoformat(),
                )
            )
        raise RuleViolation(
            _l(
                "The total term may not exceed two months from registration (%(date)s).",
                date=cap.isoformat(),
            )
        )
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


def extensions(item: IncomingItem) -> list[Extension]:
    return list(
        db.session.scalars(
            select(Extension).where(Extension.item_id == item.id).order_by(Extension.id)
        )
    )


# --- answers and control ------------------------------------------------------------------


def current_answer(item: IncomingItem) -> Answer | None:
    return db.session.scalar(
        select(Answer).where(Answer.item_id == item.id).order_by(Answer.id.desc()).limit(1)
    )


@atomic
def submit_answer(
    item: IncomingItem,
    actor: Any,
    *,
    summary: str,
    filename: str,
    stream: BinaryIO,
    final: bool = True,
) -> Answer:
    """The executor attaches the answer document and sends it to the head for approval."""
    if not (summary or "").strip():
        raise RuleViolation(_l("Summarise the answer (its motivated conclusion)."))
    if not is_acting_executor(item, actor):
        raise AccessDenied(
            str(_l("Only the item's executor or the head of the subdivision can do this."))
        )
    attachment = registry_ops.attach(
        item, filename, stream, actor, source="answer", check_permission=False
    )
    answer = Answer(
        item_id=item.id,
        attachment_id=attachment.id,
        summary=summary.strip(),
        final=final,
        author_id=getattr(actor, "id", None),
        status="submitted",
    )
    db.session.add(answer)
    db.session.flush()
    INCOMING.fire(item, "submit_answer", actor, comment=summary.strip()[:500])
    return answer


@atomic
def approve_answer(item: IncomingItem, actor: Any, comment: str | None = None) -> Answer:
    answer = current_answer(item)
    INCOMING.fire(item, "approve_answer", actor, comment=comment)
    answer.status, answer.approved_by_id, answer.approved_at = (
        "approved",
        actor.id,
        dt.datetime.now(dt.UTC),
    )
    answer.review_comment = comment
    db.session.flush()
    return answer


@atomic
def return_answer(item: IncomingItem, actor: Any, comment: str) -> None:
    answer = current_answer(item)
    INCOMING.fire(item, "return_answer", actor, comment=comment)
    if answer is not None:
        answer.status, answer.review_comment = "returned", comment


@atomic
def close(item: IncomingItem, actor: Any, comment: str | None = None) -> None:
    """R-CTRL-1: remove from control on the approved final answer."""
    INCOMING.fire(item, "close", actor, comment=comment)
    search.reindex(item)


@atomic
def send_back_for_rework(item: IncomingItem, actor: Any, comment: str) -> None:
    """R-CTRL-2: the controller finds the answer poor; it goes back to the executor."""
    answer = current_answer(item)
    INCOMING.fire(item, "rework", actor, comment=comment)
    if answer is not None:
        answer.status, answer.review_comment = "rework", comment


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
    record.notice_sent_at = dt.datetime.now(dt.UTC)
    audit.record("notice_sent", record)
    outgoing.notice_marked_sent(record, actor)  # the outgoing journal records it too


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
    INCOMING.fire(item, "terminate", actor, comment=comment)
    search.reindex(item)
