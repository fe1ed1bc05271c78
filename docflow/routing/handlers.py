"""R-ROUTE-4 and art. 97(2): who handled the earlier case, and what that forbids.

The earlier case of an item is every item linked to it (directly or through other links) and
every *undecided* repeat candidate the registry found for it (same applicant, similar question):
until the controller or the head links or dismisses a candidate, its handlers count as prior
handlers — the safe default. Prior handlers may not be made executors (``check_not_prior_handler``
on every assignment path) nor act as the item's executor in any other way (``executor_refusal``:
writing or submitting the answer, delegating, the head acting for the subdivision). When a link
or a decision makes a current executor a prior handler, that assignment ends and the heads are
told to reassign (``release_prior_handlers``, a registry case hook). For a complaint about an
answer, the official who signed the answer complained about may not approve the new one
(``approval_refusal``): the head's recorded substitute does, or the controller redistributes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from docflow.core import audit
from docflow.core.security import Permission, has_permission
from docflow.core.workflow import WorkflowError
from docflow.extensions import db
from docflow.org.models import Official, Subdivision, User
from docflow.registry import repeats
from docflow.registry.models import IncomingItem, ItemLink
from docflow.registry.workflow import INCOMING
from docflow.routing.models import Answer, ExecutorAssignment, Notification
from docflow.routing.workflow import ANSWER

MAX_CASE_SIZE = 200
COMPLAINT_LINK = "complaint_about_answer"
# Other domains register functions item ids -> [(user_id, item_id, role)] of handlers they
# keep (exchange: the executors and signers of imported cases).
PRIOR_HANDLER_PROVIDERS: list = []


class RuleViolation(WorkflowError):
    """A business rule refused the action (422); the message names the rule's reason."""

    status = 422
    code = "rule_violation"


def _closure(start: set[int]) -> set[int]:
    seen, frontier = set(start), list(start)
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
    return seen


def _case_ids(item: IncomingItem) -> tuple[set[int], set[int]]:
    """(linked earlier case ids, ids reached only through undecided candidates)."""
    if item.id is None:
        return set(), set()
    linked = _closure({item.id})
    pending = _closure(repeats.undecided_ids(linked) | linked) - linked
    linked.discard(item.id)
    return linked, pending


def case_items(item: IncomingItem) -> list[IncomingItem]:
    """The earlier case: linked items, and undecided repeat candidates (with their links)."""
    linked, pending = _case_ids(item)
    ids = linked | pending
    if not ids:
        return []
    return list(db.session.scalars(select(IncomingItem).where(IncomingItem.id.in_(ids))))


@dataclass(frozen=True)
class PriorHandling:
    user_id: int
    item: IncomingItem
    role: str  # executed | answered | signed
    pending: bool = False  # found as an undecided repeat candidate, not linked yet

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
        if not self.pending:
            return str(text)
        note = _l(
            "%(number)s is a possible repeat of this appeal (same applicant, similar question), not yet decided: link it or dismiss it as another question.",
            number=self.item.reg_number,
        )
        return f"{text} {note}"


def prior_handlers(item: IncomingItem) -> dict[int, PriorHandling]:
    """Employees who executed, answered or signed in the earlier case (R-ROUTE-4)."""
    linked, pending = _case_ids(item)
    ids = linked | pending
    if not ids:
        return {}
    by_id = {
        i.id: i for i in db.session.scalars(select(IncomingItem).where(IncomingItem.id.in_(ids)))
    }
    out: dict[int, PriorHandling] = {}

    def add(uid: int | None, item_id: int, role: str) -> None:
        if uid is None:
            return
        current = out.get(uid)
        mine = PriorHandling(uid, by_id[item_id], role, item_id in pending)
        if current is None or (current.pending and not mine.pending):
            out[uid] = mine

    for a in db.session.scalars(
        select(ExecutorAssignment).where(ExecutorAssignment.item_id.in_(ids))
    ):
        add(a.user_id, a.item_id, "executed")
    for ans in db.session.scalars(select(Answer).where(Answer.item_id.in_(ids))):
        add(ans.author_id, ans.item_id, "answered")
        add(ans.approved_by_id, ans.item_id, "signed")
    for provider in PRIOR_HANDLER_PROVIDERS:
        for uid, item_id, role in provider(ids):
            add(uid, item_id, role)
    return out


def check_not_prior_handler(item: IncomingItem, user_ids: list[int]) -> None:
    handlers = prior_handlers(item)
    for uid in user_ids:
        if uid in handlers:
            raise RuleViolation(handlers[uid].message())


# --- acting as the executor and approving -----------------------------------------------------


def active_executors(item: IncomingItem) -> list[ExecutorAssignment]:
    return list(
        db.session.scalars(
            select(ExecutorAssignment)
            .where(ExecutorAssignment.item_id == item.id, ExecutorAssignment.active.is_(True))
            .order_by(ExecutorAssignment.responsible.desc(), ExecutorAssignment.id)
        )
    )


def executor_refusal(item: IncomingItem, actor: Any) -> str | None:
    """Why ``actor`` may not act as the item's executor (None: may). The same R-ROUTE-4 check
    as assignment: a prior handler of the earlier case may not, whatever their role."""
    if actor is None or getattr(actor, "id", None) is None:
        return str(_l("Only the item's executor or the head of the subdivision can do this."))
    handling = prior_handlers(item).get(actor.id)
    if handling is not None:
        return handling.message()
    if any(a.user_id == actor.id for a in active_executors(item)):
        return None
    if has_permission(actor, Permission.APPROVE, item):
        return None  # the head acts for the subdivision
    return str(_l("Only the item's executor or the head of the subdivision can do this."))


def complained_signers(item: IncomingItem) -> dict[int, IncomingItem]:
    """Officials who signed the answer complained about (art. 97(2)): by a complaint link, or —
    while undecided — any candidate of an item registered as a complaint."""
    targets = set(
        db.session.scalars(
            select(ItemLink.target_id).where(
                ItemLink.item_id == item.id, ItemLink.kind == COMPLAINT_LINK
            )
        )
    )
    if item.kind == "complaint":
        targets |= repeats.undecided_ids([item.id])
    if not targets:
        return {}
    out: dict[int, IncomingItem] = {}
    for ans in db.session.scalars(
        select(Answer).where(Answer.item_id.in_(targets), Answer.approved_by_id.is_not(None))
    ):
        out.setdefault(ans.approved_by_id, db.session.get(IncomingItem, ans.item_id))
    for provider in PRIOR_HANDLER_PROVIDERS:  # signers kept by other domains (imported cases)
        for uid, item_id, role in provider(targets):
            if role == "signed":
                out.setdefault(uid, db.session.get(IncomingItem, item_id))
    return out


def approval_refusal(item: IncomingItem, actor: Any) -> str | None:
    """The head approves and signs a repeat's answer (R-ANS-2) — but not the answer to a
    complaint about an answer they signed (art. 97(2))."""
    earlier = complained_signers(item).get(getattr(actor, "id", None))
    if earlier is None:
        return None
    return str(
        _l(
            "You signed the answer in %(number)s that this complaint is about: under art. 97(2) the head's recorded substitute approves the new answer, or the controller redistributes the complaint.",
            number=earlier.reg_number,
        )
    )


# --- a link after assignment ----------------------------------------------------------------


def subdivision_heads(subdivision_id: int | None) -> list[User]:
    """The active users acting as the subdivision's head today: its heads on record and their
    substitutes for the day (R-ANS-2) — reminders and reassignment notices reach whoever acts."""
    if subdivision_id is None:
        return []
    from docflow.core.calendar import get_calendar
    from docflow.org.substitutes import heads_on

    ids = heads_on(subdivision_id, get_calendar().local_now().date())
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.id)
        )
    )


def release_prior_handlers(item: IncomingItem, actor: Any) -> list[ExecutorAssignment]:
    """End the assignments a new link or decision makes unlawful (R-ROUTE-4) and tell the
    subdivision's heads to reassign; the item goes back to "sent to the subdivision" when no
    responsible executor is left. Audited. (Chosen over refusing the link: the link is a fact
    about the case, and refusing it would leave the forbidden executor in place.)"""
    if item.id is None or item.state in ("closed", "forwarded", "terminated", "withdrawn"):
        return []
    current = active_executors(item)
    if not current:  # a new registration: nobody to release, no case walk needed
        return []
    handlers = prior_handlers(item)
    ended = [a for a in current if a.user_id in handlers]
    if not ended:
        return []
    now = dt.datetime.now(dt.UTC)
    for a in ended:
        a.active, a.ended_at = False, now
    db.session.flush()
    audit.record(
        "assignment_ended_r_route_4",
        item,
        summary={
            "executors": [a.user.username for a in ended],
            "earlier": sorted({handlers[a.user_id].item.reg_number for a in ended}),
        },
    )
    if item.state in ("in_work", "answer_review") and not any(
        a.responsible for a in active_executors(item)
    ):
        answer = db.session.scalar(
            select(Answer).where(Answer.item_id == item.id).order_by(Answer.id.desc()).limit(1)
        )
        INCOMING.fire(item, "release_executor", actor, comment=handlers[ended[0].user_id].message())
        if answer is not None and answer.status == "submitted":
            ANSWER.fire(answer, "release", actor, comment="R-ROUTE-4")
            answer.review_comment = "R-ROUTE-4"
    for a in ended:
        for head in subdivision_heads(a.subdivision_id):
            with force_locale(head.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                message = _(
                    "%(number)s: %(name)s handled the earlier case %(earlier)s and can no longer be its executor (R-ROUTE-4). Assign another employee.",
                    number=item.reg_number,
                    name=a.user.display_name,
                    earlier=handlers[a.user_id].item.reg_number,
                )
            db.session.add(
                Notification(
                    user_id=head.id,
                    item_id=item.id,
                    kind="reassign",
                    key=f"r-route-4:{a.id}",
                    message=message,
                )
            )
    db.session.flush()
    return ended


repeats.CASE_HOOKS.append(release_prior_handlers)


# --- no dead end ----------------------------------------------------------------------------


def supervisor_of(subdivision: Subdivision | None) -> Official | None:
    if subdivision is None or not subdivision.supervisor_code:
        return None
    return db.session.scalar(select(Official).where(Official.code == subdivision.supervisor_code))


def ways_out(item: IncomingItem, subdivision: Subdivision) -> list[dict[str, Any]]:
    """When every employee of the subdivision is a prior handler: the lawful ways out."""
    superior = supervisor_of(subdivision)
    out = [
        {
            "way": "redistribute",
            "text": str(_l("The controller sends the appeal to another competent subdivision.")),
        },
        {
            "way": "other_subdivision",
            "text": str(
                _l(
                    "The controller, consenting, makes an employee of another subdivision the executor."
                )
            ),
        },
    ]
    if superior is not None:
        text = _l(
            "The head's superior, %(name)s (%(position)s), decides who considers it.",
            name=superior.full_name,
            position=superior.position,
        )
    else:
        text = _l("The head's superior decides who considers it.")
    out.append({"way": "superior", "text": str(text)})
    return out


# --- the subject of a question, for the registry's repeat detection ---------------------------


def _subjects(text: str) -> dict[str, float]:
    """Competence codes and matched terms of a text (the office's competence map)."""
    from docflow.routing.suggest import competence_from_settings

    cmap = competence_from_settings()
    memo = cmap.__dict__.setdefault("_subjects_memo", {})  # an applicant's texts come back
    if text in memo:
        return memo[text]
    if len(memo) > 2000:
        memo.clear()
    out: dict[str, float] = {}
    for code, (score, terms) in cmap.score(text).items():
        if score <= 0:
            continue
        out[code] = float(score)
        for term in terms:
            out[f"{code}:{term}"] = 1.0
    memo[text] = out
    return out


repeats.TOPIC_PROVIDERS.append(_subjects)
