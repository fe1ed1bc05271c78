"""The work queues of each role, and the home page's counters (issue 14).

One function, :func:`queue`, builds a queue: its total and the rows of one page come from the
same candidates, so a counter on the home page and the length of the list it links to can never
disagree (:func:`counters` asks :func:`queue` for each total).

- ``approval`` — what waits for this user's approval or signature now: paper answers to approve
  (the item's ``approve_answer``), letters to approve (``approve``) or whose approval-sheet step
  is the user's (``endorse``), approved letters to sign (R-ANS-2). Whoever acts as the head that
  day — the head on record or the substitute (docflow.org.substitutes) — has the head's queue:
  the workflow's own guards decide, through ``Workflow.available``.
- ``removal`` — items answered whose final answer lets the controller remove them from control
  (``close`` available to the user: R-CTRL-1).
- ``control`` — everything on control (items in an active state) the user may see, with
  filters: subdivision, executor, due from / to, overdue only, kind.
- ``notices`` — notices to applicants numbered in the outgoing journal and not sent yet
  (docflow.outgoing.notices.unsent).
- ``mine`` — the items the user executes (an active assignment).

Who sees which queue follows permissions: :func:`may_see`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from docflow.core.calendar import get_calendar
from docflow.core.security import Permission, Role, has_permission, roles_for
from docflow.extensions import db
from docflow.org.models import Subdivision, User
from docflow.registry.models import IncomingItem
from docflow.registry.queries import active_states
from docflow.registry.workflow import INCOMING

PAGE_SIZE = 25

# The queues in the order the home page shows them, with their slugs in URLs.
QUEUES = ("approval", "removal", "control", "notices", "mine")
SLUGS = {
    "approval": "awaiting-approval",
    "removal": "awaiting-removal",
    "control": "on-control",
    "notices": "unsent-notices",
    "mine": "my-items",
}
BY_SLUG = {slug: name for name, slug in SLUGS.items()}
TITLES = {
    "approval": _l("Awaiting my approval"),
    "removal": _l("Awaiting removal from control"),
    "control": _l("Everything on control"),
    "notices": _l("Unsent notices"),
    "mine": _l("My items"),
}
# What an empty queue says, in words.
EMPTY = {
    "approval": _l("Nothing awaits your approval or signature."),
    "removal": _l("No item awaits removal from control."),
    "control": _l("No item on control matches."),
    "notices": _l("Every numbered notice has been sent."),
    "mine": _l("You have no items to execute."),
}
TASKS = {
    "approve_answer": _l("Answer to approve"),
    "approve_letter": _l("Letter to approve"),
    "endorse_letter": _l("Your step of the approval sheet"),
    "sign_letter": _l("Letter to sign"),
    "close": _l("Final answer given: remove from control"),
    "execute": _l("To execute"),
    "on_control": _l("On control"),
}


@dataclass
class Filters:
    """The filters of ``control`` (the other queues take only the page)."""

    subdivision: str | None = None  # responsible subdivision's code
    executor: int | None = None  # user id with an active assignment
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    overdue: bool = False
    kind: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        def day(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(args.get(name) or "")
            except ValueError:
                return None

        def number(name: str, default: int | None) -> int | None:
            try:
                return int(args.get(name) or "")
            except ValueError:
                return default

        return cls(
            subdivision=(args.get("subdivision") or "").strip() or None,
            executor=number("executor", None),
            due_from=day("due_from"),
            due_to=day("due_to"),
            overdue=args.get("overdue") in ("1", "on", "y", "true"),
            kind=(args.get("kind") or "").strip() or None,
            page=max(1, number("page", 1) or 1),
        )

    def args(self) -> dict[str, Any]:
        """The filters as URL arguments (for the pager), without the page."""
        out = {
            "subdivision": self.subdivision,
            "executor": self.executor,
            "due_from": self.due_from.isoformat() if self.due_from else None,
            "due_to": self.due_to.isoformat() if self.due_to else None,
            "overdue": "1" if self.overdue else None,
            "kind": self.kind,
        }
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class Row:
    """One line of a queue: the item it is about, what waits, and where to do it."""

    item: IncomingItem
    task: str
    endpoint: str  # the page to act on: the item, the letter or the notice
    public_id: str
    due: dt.date | None
    state: str  # the state's title
    letter: Any = None
    executors: list[str] = field(default_factory=list)

    def overdue(self, today: dt.date) -> bool:
        return self.due is not None and self.due < today


@dataclass
class Queue:
    name: str
    total: int
    rows: list[Row]
    page: int
    pages: int

    @property
    def slug(self) -> str:
        return SLUGS[self.name]

    @property
    def title(self) -> str:
        return str(TITLES[self.name])

    @property
    def empty_text(self) -> str:
        return str(EMPTY[self.name])


# --- who sees which queue ---------------------------------------------------------------------


def _grants(user: Any, role: Role) -> list[str]:
    return [code for r, code in user.role_grants() if r == role.value and code]


def may_see(user: Any, name: str) -> bool:
    """The queues of the user's roles: approval for those who approve or sign (heads and their
    substitutes) or have a step on an approval sheet; removal for the controller; control for
    the controller and heads (their subdivisions); notices for the office that sends them;
    mine for heads and executors."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if name == "approval":
        return has_permission(user, Permission.APPROVE) or bool(_sheet_turns(user))
    if name == "removal":
        return has_permission(user, Permission.CONTROL) and Role.CONTROLLER in roles_for(user)
    if name == "control":
        return has_permission(user, Permission.CONTROL) or bool(_grants(user, Role.HEAD))
    if name == "notices":
        from docflow.outgoing.operations import can_manage

        return can_manage(user)
    if name == "mine":
        return bool(_grants(user, Role.HEAD) or _grants(user, Role.EXECUTOR))
    return False


def visible(user: Any) -> list[str]:
    return [name for name in QUEUES if may_see(user, name)]


# --- the queues --------------------------------------------------------------------------------


def local_today() -> dt.date:
    return get_calendar().local_now().date()


def _state_title(workflow: Any, obj: Any) -> str:
    st = workflow.states.get(obj.state)
    return str(st.title) if st else obj.state


def _can(workflow: Any, obj: Any, user: Any, transition: str) -> bool:
    # The workflow's own guards decide (permission, role, condition): the same as the action.
    return any(t.id == transition for t in workflow.available(obj, user))


def _item_row(item: IncomingItem, task: str) -> Row:
    return Row(
        item=item,
        task=str(TASKS[task]),
        endpoint="registry.item",
        public_id=item.public_id,
        due=item.due_date,
        state=_state_title(INCOMING, item),
    )


def _letter_row(letter: Any, task: str, endpoint: str = "letters.letter") -> Row:
    from docflow.outgoing.letter_workflow import LETTER

    return Row(
        item=letter.item,
        task=str(TASKS[task]) if task in TASKS else task,
        endpoint=endpoint,
        public_id=letter.public_id,
        due=letter.due_on or letter.item.due_date,
        state=_state_title(LETTER, letter),
        letter=letter,
    )


def _sheet_turns(user: Any) -> list[Any]:
    from docflow.outgoing import approval

    return approval.awaiting(user)


def _approval_rows(user: Any) -> list[Row]:
    from docflow.outgoing.letter_models import Letter
    from docflow.outgoing.letter_page_api import to_sign
    from docflow.outgoing.letter_workflow import LETTER
    from docflow.routing.dashboards import visible_active

    rows: list[Row] = []
    # Paper answers: the item waits in "answer_review" for the head's approve_answer.
    reviewed = visible_active(user).where(IncomingItem.state == "answer_review")
    for item in db.session.scalars(reviewed.order_by(IncomingItem.id)):
        if _can(INCOMING, item, user, "approve_answer"):
            rows.append(_item_row(item, "approve_answer"))
    # Letters: the user's step on the sheet, the head's approval once the sheet is done.
    turns = {letter.id for letter in _sheet_turns(user)}
    submitted = db.session.scalars(
        select(Letter).where(Letter.state == "submitted").order_by(Letter.id)
    )
    for letter in submitted:
        if letter.id in turns:
            rows.append(_letter_row(letter, "endorse_letter"))
        elif _can(LETTER, letter, user, "approve"):
            rows.append(_letter_row(letter, "approve_letter"))
    rows += [_letter_row(letter, "sign_letter") for letter in to_sign(user)]
    return rows


def _removal_rows(user: Any) -> list[Row]:
    answered = select(IncomingItem).where(IncomingItem.state == "answered")
    return [
        _item_row(item, "close")
        for item in db.session.scalars(answered.order_by(IncomingItem.id))
        if _can(INCOMING, item, user, "close")
    ]


def _by_due(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.due is None, r.due or dt.date.max, r.item.id))


def _control_query(user: Any, f: Filters, today: dt.date):
    from docflow.routing.dashboards import visible_active
    from docflow.routing.models import ExecutorAssignment  # read only: who executes

    if has_permission(user, Permission.CONTROL):
        query = select(IncomingItem).where(IncomingItem.state.in_(active_states()))
    else:  # a head: the items of their subdivisions
        query = visible_active(user)
    if f.subdivision:
        query = query.where(
            IncomingItem.subdivision_id.in_(
                select(Subdivision.id).where(Subdivision.code == f.subdivision)
            )
        )
    if f.executor:
        query = query.where(
            IncomingItem.id.in_(
                select(ExecutorAssignment.item_id).where(
                    ExecutorAssignment.user_id == f.executor,
                    ExecutorAssignment.active.is_(True),
                )
            )
        )
    if f.due_from:
        query = query.where(IncomingItem.due_date >= f.due_from)
    if f.due_to:
        query = query.where(IncomingItem.due_date <= f.due_to)
    if f.overdue:
        query = query.where(IncomingItem.due_date < today)
    if f.kind:
        query = query.where(IncomingItem.kind == f.kind)
    return query


def _mine_query(user: Any):
    from docflow.routing.models import ExecutorAssignment  # read only: who executes

    mine = select(ExecutorAssignment.item_id).where(
        ExecutorAssignment.user_id == user.id, ExecutorAssignment.active.is_(True)
    )
    return select(IncomingItem).where(
        IncomingItem.id.in_(mine), IncomingItem.state.in_(active_states())
    )


def _page(total: int, page: int, size: int) -> tuple[int, int]:
    pages = max(1, math.ceil(total / size))
    return min(page, pages), pages


def _sql_queue(name: str, query, f: Filters, size: int, make) -> Queue:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page, pages = _page(total or 0, f.page, size)
    found = db.session.scalars(query.limit(size).offset((page - 1) * size))
    return Queue(name, total or 0, [make(x) for x in found], page, pages)


def _with_executors(rows: list[Row]) -> list[Row]:
    from docflow.routing.handlers import active_executors

    for row in rows:
        row.executors = [a.user.display_name for a in active_executors(row.item)]
    return rows


def queue(
    name: str,
    user: Any,
    filters: Filters | None = None,
    *,
    today: dt.date | None = None,
    size: int = PAGE_SIZE,
) -> Queue:
    """The queue ``name`` for ``user``: its total and the rows of the filters' page (the
    earliest due first). The total is the number of rows over all pages."""
    f = filters or Filters()
    today = today or local_today()
    if name not in QUEUES:
        raise KeyError(name)
    if name in ("approval", "removal"):
        everything = _by_due(_approval_rows(user) if name == "approval" else _removal_rows(user))
        page, pages = _page(len(everything), f.page, size)
        rows = everything[(page - 1) * size : page * size]
        return Queue(name, len(everything), _with_executors(rows), page, pages)
    if name == "notices":
        from docflow.outgoing import notices
        from docflow.outgoing.letter_models import NOTICE_KINDS

        def notice_row(letter):
            return _letter_row(letter, str(NOTICE_KINDS[letter.kind]), "outgoing.notice")

        result = _sql_queue(name, notices.unsent(), f, size, notice_row)
    elif name == "control":
        query = _control_query(user, f, today).order_by(
            IncomingItem.due_date.is_(None), IncomingItem.due_date, IncomingItem.id
        )
        result = _sql_queue(name, query, f, size, lambda i: _item_row(i, "on_control"))
    else:  # mine
        query = _mine_query(user).order_by(
            IncomingItem.due_date.is_(None), IncomingItem.due_date, IncomingItem.id
        )
        result = _sql_queue(name, query, f, size, lambda i: _item_row(i, "execute"))
    _with_executors(result.rows)
    return result


def summaries(user: Any, today: dt.date | None = None) -> list[Queue]:
    """Each queue the user sees, its total counted by :func:`queue` itself (one row loaded)."""
    return [queue(name, user, today=today, size=1) for name in visible(user)]


def counters(user: Any, today: dt.date | None = None) -> dict[str, int]:
    """The home page's counters: the total of each queue the user sees."""
    return {q.name: q.total for q in summaries(user, today)}


# --- the filters' choices ----------------------------------------------------------------------


def subdivision_choices() -> list[Subdivision]:
    return list(
        db.session.scalars(select(Subdivision).order_by(Subdivision.kind, Subdivision.code))
    )


def executor_choices(user: Any) -> list[User]:
    """The people executing items on control the user sees (for the executor filter)."""
    from docflow.routing.models import ExecutorAssignment  # read only: who executes

    scope = _control_query(user, Filters(), local_today()).with_only_columns(IncomingItem.id)
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.id.in_(
                    select(ExecutorAssignment.user_id).where(
                        ExecutorAssignment.active.is_(True),
                        ExecutorAssignment.item_id.in_(scope),
                    )
                )
            )
            .order_by(User.full_name, User.username)
        )
    )
