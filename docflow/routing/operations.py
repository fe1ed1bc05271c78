"""Routing writes: distribute, assign (never to a previous handler), extend, answer, control.

Every path that makes someone an executor — the UI, the API, bulk actions, delegation, the
import of reception minutes — goes through ``assign_executors``, which enforces R-ROUTE-4.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.security import AccessDenied, Permission, Role, has_permission
from docflow.core.workflow import WorkflowError
from docflow.extensions import db
from docflow.org.models import RoleGrant, Subdivision, User, subdivision_by_code
from docflow.registry import operations as registry_ops
from docflow.registry import repeats, search
from docflow.registry.models import LOCAL_ROLE_PROVIDERS, IncomingItem
from docflow.registry.workflow import INCOMING
from docflow.routing import resolution
from docflow.routing.handlers import (  # noqa: F401  (the routing API of R-ROUTE-4)
    PriorHandling,
    RuleViolation,
    active_executors,
    approval_refusal,
    case_items,
    check_not_prior_handler,
    executor_refusal,
    prior_handlers,
    ways_out,
)
from docflow.routing.models import (
    Answer,
    Distribution,
    ExecutorAssignment,
    Notification,
)
from docflow.routing.terms import (  # noqa: F401  (terms, forwarding, termination)
    DECISION_CAP_MONTHS,
    FORWARD_TERM_DAYS,
    LETTER_CAP_DAYS,
    NOTICE_TERM_DAYS,
    earlier_decision,
    extend,
    extension_cap,
    extensions,
    forward,
    forwarding_deadline,
    mark_notice_sent,
    terminate,
)
from docflow.routing.workflow import ANSWER


def _co_executor_codes(item: IncomingItem) -> list[str]:
    if item.id is None:
        return []
    rows = db.session.scalars(
        select(Distribution).where(Distribution.item_id == item.id, Distribution.active.is_(True))
    )
    return [d.subdivision.code for d in rows]


LOCAL_ROLE_PROVIDERS.append(_co_executor_codes)


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


def is_acting_executor(item: IncomingItem, actor: Any) -> bool:
    return executor_refusal(item, actor) is None


def require_executor_or_head(item: IncomingItem, actor: Any) -> None:
    """Who may act as the item's executor at all — its executor or the head — is a permission
    (AccessDenied, 403); whether R-ROUTE-4 then lets them is a rule (``executor_refusal``, 422)."""
    if actor is None or not (
        _is_executor(item, actor) or has_permission(actor, Permission.APPROVE, item)
    ):
        raise AccessDenied(
            str(_l("Only the item's executor or the head of the subdivision can do this."))
        )


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
    due: dt.date | None = None,
) -> None:
    """Send to the responsible subdivision (first) and co-executors (R-ROUTE-1, R-ROUTE-3).

    ``due`` is a term set at routing (the concrete term of a protocol assignment, R-PROT-1):
    it replaces the term of the registration, and the distribution's history row records both.
    """
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
    params: dict[str, Any] = {"subdivisions": [s.code for s in subs]}
    if due is not None:
        due = get_calendar().adjust_term(due).day  # R-DEADLINE-3: not on a day off
        params.update(due=due, term_before=item.due_date)
        item.due_date = due
    db.session.flush()
    INCOMING.fire(
        item,
        "redistribute" if redistribute else "distribute",
        actor,
        comment=comment,
        params=params,
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
    visible: bool = True  # may the actor view the item (and so be told its number)?

    @property
    def reg_number(self) -> str | None:
        return self.item.reg_number if self.visible else None


def bulk_assign(
    items: list[IncomingItem], actor: Any, user_ids: list[int], reason: str | None = None
) -> list[BulkResult]:
    """Assign the same executors to several items; each item on its own, through the single
    door (R-ROUTE-4): a refusal on one item names its earlier case and leaves the others done.

    An item the actor may not view is refused without being tried, and no result tells a
    registration number the actor may not view (the item's own, or an earlier case's)."""
    results = []
    for item in items:
        if not has_permission(actor, Permission.VIEW, item):
            results.append(BulkResult(item, False, AccessDenied().message, visible=False))
            continue
        try:
            with db.session.begin_nested():
                assign_executors(item, actor, user_ids, reason=reason)
        except (WorkflowError, AccessDenied) as exc:
            results.append(BulkResult(item, False, _withhold_numbers(exc.message, item, actor)))
        else:
            results.append(BulkResult(item, True))
    return results


def _withhold_numbers(message: str, item: IncomingItem, actor: Any) -> str:
    """The message with the numbers of the earlier-case items the actor may not view withheld."""
    for other in case_items(item):
        if other.reg_number in message and not has_permission(actor, Permission.VIEW, other):
            message = message.replace(other.reg_number, str(_l("(an item not open to you)")))
    return message


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
    instruction: str | None = None,
    term: dt.date | None = None,
) -> list[ExecutorAssignment]:
    """Make users executors (first = responsible, R-ROUTE-3). The single door for every path.

    ``kind``: assign (first time), reassign (replaces the subdivision's executors), delegate
    (the executor hands over), add (co-executors), outside (another subdivision's employee, with
    the controller's consent). R-ROUTE-4 is checked before anything changes. ``instruction``
    and ``term``: the head's resolution for the executors (``routing.resolution``), optional.
    """
    if not user_ids:
        raise RuleViolation(_l("Choose at least one executor."))
    if len(set(user_ids)) != len(user_ids):
        raise RuleViolation(_l("The same employee is chosen twice."))
    # R-ROUTE-4, on every path, by the data as it is now: an earlier case registered at the same
    # moment (another journal, another server process) is found here if registration missed it.
    repeats.detect(item, actor)
    check_not_prior_handler(item, user_ids)
    given = resolution.checked(item, actor, instruction, term)
    if kind == "delegate":
        require_executor_or_head(item, actor)
        # Delegating is acting as the executor: the delegating person passes R-ROUTE-4 too.
        refusal = executor_refusal(item, actor)
        if refusal is not None:
            raise RuleViolation(refusal)
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
        "outside": "assign_outside",
    }[kind]
    if kind == "add" and item.state == "distributed":
        transition = "assign"
    # The transition's guards see the item as it is, before any assignment changes.
    INCOMING.fire(
        item,
        transition,
        actor,
        comment=reason,
        params={"executors": [staff[u].username for u in user_ids]},
    )
    now = dt.datetime.now(dt.UTC)
    inherited = False
    for a in active_executors(item):
        if kind == "reassign" and a.subdivision_id == subdivision.id:
            a.active, a.ended_at = False, now
        elif kind == "delegate" and (
            a.user_id == actor.id or (a.responsible and not _is_executor(item, actor))
        ):
            a.active, a.ended_at = False, now
            inherited = inherited or a.responsible
    has_responsible = any(a.responsible for a in active_executors(item))
    may_lead = item.subdivision_id == subdivision.id or kind == "outside"
    created = []
    for i, uid in enumerate(user_ids):
        row = ExecutorAssignment(
            item_id=item.id,
            subdivision_id=subdivision.id,
            user_id=uid,
            responsible=i == 0 and not has_responsible and (may_lead or inherited),
            kind=kind,
            reason=reason,
            assigned_by_id=getattr(actor, "id", None),
        )
        db.session.add(row)
        created.append(row)
    db.session.flush()
    if given is not None:
        resolution.record(item, actor, given, user_ids, kind)
    return created


def _is_executor(item: IncomingItem, actor: Any) -> bool:
    return any(a.user_id == getattr(actor, "id", None) for a in active_executors(item))


def assign_from_other_subdivision(
    item: IncomingItem, actor: Any, user_id: int, reason: str
) -> list[ExecutorAssignment]:
    """No dead end (R-ROUTE-4): when the subdivision's staff all handled the earlier case, the
    controller, consenting, makes an employee of another subdivision the executor. The same
    R-ROUTE-4 door; the employee's subdivision joins the item so they can see it."""
    if not has_permission(actor, Permission.DISTRIBUTE, item):
        raise AccessDenied(str(_l("Only the appeals-control department can consent to this.")))
    if not (reason or "").strip():
        raise RuleViolation(_l("Give the reason for the consent."))
    user = db.session.get(User, user_id)
    grant = None
    if user is not None and user.active:
        grant = db.session.scalar(
            select(RoleGrant).where(
                RoleGrant.user_id == user.id,
                RoleGrant.role.in_([Role.HEAD.value, Role.EXECUTOR.value]),
                RoleGrant.subdivision_id.is_not(None),
            )
        )
    if grant is None:
        raise RuleViolation(_l("Choose an employee of a subdivision."))
    check_not_prior_handler(item, [user_id])
    sub = db.session.get(Subdivision, grant.subdivision_id)
    if not any(d.subdivision_id == sub.id for d in distributions(item)):
        db.session.add(
            Distribution(
                item_id=item.id,
                subdivision_id=sub.id,
                responsible=False,
                created_by_id=getattr(actor, "id", None),
            )
        )
        db.session.flush()
    return assign_executors(
        item, actor, [user_id], kind="outside", reason=reason.strip(), subdivision=sub
    )


def _acting_subdivision(item: IncomingItem, actor: Any) -> Subdivision:
    """The subdivision the actor assigns for: theirs among the item's distributions."""
    mine = {code for role, code in (actor.role_grants() if actor else []) if code}
    for d in distributions(item):
        if d.subdivision.code in mine:
            return d.subdivision
    if item.subdivision is not None and has_permission(actor, Permission.DISTRIBUTE):
        return item.subdivision  # the controller acting on the responsible subdivision
    raise AccessDenied(str(_l("The item is not in your subdivision.")))


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
    require_executor_or_head(item, actor)
    refusal = executor_refusal(item, actor)  # R-ROUTE-4: writing the answer is executing
    if refusal is not None:
        raise RuleViolation(refusal)
    attachment = registry_ops.attach(
        item, filename, stream, actor, source="answer", check_permission=False
    )
    answer = Answer(
        item_id=item.id,
        attachment_id=attachment.id,
        summary=summary.strip(),
        final=final,
        author_id=getattr(actor, "id", None),
    )
    db.session.add(answer)
    ANSWER.initialize(answer, actor)  # "submitted"
    db.session.flush()
    INCOMING.fire(item, "submit_answer", actor, comment=summary.strip()[:500])
    return answer


@atomic
def approve_answer(item: IncomingItem, actor: Any, comment: str | None = None) -> Answer:
    answer = current_answer(item)
    INCOMING.fire(item, "approve_answer", actor, comment=comment)
    ANSWER.fire(answer, "approve", actor, comment=comment)
    answer.approved_by_id, answer.approved_at = actor.id, dt.datetime.now(dt.UTC)
    answer.review_comment = comment
    db.session.flush()
    from docflow.outgoing.paper import register_paper_answer

    register_paper_answer(item, answer, actor)  # it goes out: numbered in the outgoing journal
    return answer


@atomic
def return_answer(item: IncomingItem, actor: Any, comment: str) -> None:
    answer = current_answer(item)
    INCOMING.fire(item, "return_answer", actor, comment=comment)
    if answer is not None:
        ANSWER.fire(answer, "return", actor, comment=comment)
        answer.review_comment = comment


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
        ANSWER.fire(answer, "rework", actor, comment=comment)
        answer.review_comment = comment


def mark_read(notification: Notification, user: Any) -> None:
    """The user has read their notification (only their own: 404 in the view otherwise)."""
    notification.read_at = dt.datetime.now(dt.UTC)
