"""The approval sheet of a letter: executor → approvers → signer (R-ANS-2).

The profile's ``letters.approval`` says who approves a letter before the head signs it::

    {"approvers": ["co-executors",
                   {"role": "lawyer", "user": "lawyer.legal"},
                   {"role": "lawyer", "subdivision": "LEGAL"},
                   {"role": "finance", "users": ["a", "b"], "title": {"kk": "…", "ru": "…"}}],
     "mode": "sequential" | "parallel",
     "kinds": ["answer"]}                      # optional: the letter kinds that need it

``"co-executors"`` are the item's active executors other than the letter's author (R-ROUTE-3);
a ``user``/``users`` step is that person's; a ``subdivision`` step is decided by whoever acts as
that subdivision's head that day (its head or the head's substitute). Without the setting the
sheet is empty and the letter goes from the executor straight to the head, as before.

The sheet follows the ``letter`` workflow: ``submit`` opens a new round of rows; each approver
``endorse``-s their step (sequential: one after another in the listed order; parallel: all at
once) or ``return``-s the letter with a comment, which closes the round; the head's ``approve``
waits until every row is approved; ``sign`` is refused to anyone but the head of the
responsible subdivision or the substitute recorded for that day (R-ANS-2). Approvers count as
handlers of the case for R-ROUTE-4 (``sheet_handlers``, asked by ``letters._letter_handlers``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from docflow.core.db import atomic
from docflow.core.security import Permission, has_permission
from docflow.core.settings import get_setting
from docflow.core.workflow import TransitionForbidden, after_transition
from docflow.extensions import db
from docflow.org.models import localized, subdivision_by_code, user_by_username
from docflow.org.substitutes import heads_on, office_today
from docflow.outgoing.approval_models import MODES, LetterApproval
from docflow.outgoing.letter_models import Letter
from docflow.outgoing.letter_workflow import LETTER

CO_EXECUTORS = "co-executors"


def _letter_error(message: Any):
    from docflow.outgoing.letters import LetterError

    return LetterError(message)


# --- the profile's setting -----------------------------------------------------------------------


def approval_setting() -> dict[str, Any]:
    """``letters.approval`` of the profile (``{}``: nobody approves beyond the head)."""
    conf = (get_setting("letters") or {}).get("approval") or {}
    return conf if isinstance(conf, dict) else {}


def _spec_error(spec: Any):
    return _letter_error(
        _l(
            "The approval sheet of the profile is not valid (%(spec)s): the administrator corrects letters.approval.",
            spec=str(spec)[:80],
        )
    )


def planned_steps(letter: Letter) -> list[dict[str, Any]]:
    """The rows the profile gives this letter: ``{role, title, approver_id,
    group_subdivision_id}`` in order, each person once, never the author."""
    conf = approval_setting()
    kinds = conf.get("kinds")
    if kinds and letter.kind not in kinds:
        return []
    steps: list[dict[str, Any]] = []
    seen: set[Any] = set()

    def add(role: str, title: Any, user_id: int | None = None, sub_id: int | None = None):
        key = ("u", user_id) if user_id else ("s", sub_id)
        if key in seen or (user_id is not None and user_id == letter.author_id):
            return
        seen.add(key)
        steps.append(
            {"role": role, "title": title, "approver_id": user_id, "group_subdivision_id": sub_id}
        )

    for spec in conf.get("approvers") or []:
        if isinstance(spec, str):
            if spec == CO_EXECUTORS:
                spec = {"role": "co-executor", "co_executors": True}
            elif spec.startswith("user:"):
                spec = {"role": "approver", "user": spec[5:]}
            elif spec.startswith("subdivision:"):
                spec = {"role": "approver", "subdivision": spec[12:]}
            else:
                raise _spec_error(spec)
        if not isinstance(spec, dict) or not isinstance(spec.get("role", ""), str):
            raise _spec_error(spec)
        role = spec.get("role") or "approver"
        title = spec.get("title") if isinstance(spec.get("title"), dict) else None
        named = spec.get("user") or spec.get("users") or spec.get("subdivision")
        if spec.get("co_executors") or (role == "co-executor" and not named):
            from docflow.routing.handlers import active_executors

            for a in active_executors(letter.item):
                add("co-executor", title, user_id=a.user_id)
            continue
        names = spec.get("users") or ([spec["user"]] if spec.get("user") else [])
        names = [names] if isinstance(names, str) else names
        if names:
            for name in names:
                user = user_by_username(str(name))
                if user is None or not user.active:
                    raise _spec_error(name)
                add(role, title, user_id=user.id)
        elif spec.get("subdivision"):
            sub = subdivision_by_code(str(spec["subdivision"]))
            if sub is None:
                raise _spec_error(spec["subdivision"])
            add(role, title, sub_id=sub.id)
        else:
            raise _spec_error(spec)
    return steps


def _mode() -> str:
    mode = approval_setting().get("mode") or "sequential"
    if mode not in MODES:
        raise _spec_error(mode)
    return mode


# --- the rows --------------------------------------------------------------------------------


def current_round(letter: Letter) -> int:
    """The latest round of the letter's sheet (0: none yet)."""
    return (
        db.session.scalar(
            select(func.max(LetterApproval.round)).where(LetterApproval.letter_id == letter.id)
        )
        or 0
    )


def rows(letter: Letter, round_: int | None = None) -> list[LetterApproval]:
    """The rows of a round (default: the latest), in step order."""
    round_ = current_round(letter) if round_ is None else round_
    return list(
        db.session.scalars(
            select(LetterApproval)
            .where(LetterApproval.letter_id == letter.id, LetterApproval.round == round_)
            .order_by(LetterApproval.step)
        )
    )


def _open_sheet(letter: Letter) -> list[LetterApproval]:
    """A new round of rows (the sheet starts again at every submission)."""
    steps, mode = planned_steps(letter), _mode()
    number = current_round(letter) + 1
    made = []
    for i, step in enumerate(steps, start=1):
        row = LetterApproval(letter_id=letter.id, round=number, step=i, mode=mode, **step)
        db.session.add(row)
        made.append(row)
    db.session.flush()
    return made


def current_steps(letter: Letter) -> list[LetterApproval]:
    """The rows whose turn it is: sequential, the first pending one; parallel, every pending
    one; none once the letter left "submitted" or a row returned it."""
    if letter.state != "submitted":
        return []
    return _turn(letter)


def _turn(letter: Letter) -> list[LetterApproval]:
    current = rows(letter)
    if any(r.decision == "returned" for r in current):
        return []
    pending = [r for r in current if r.decision == "pending"]
    if not pending:
        return []
    return pending if pending[0].mode == "parallel" else pending[:1]


def _decides(row: LetterApproval, user: Any, day: dt.date) -> bool:
    uid = getattr(user, "id", None)
    if uid is None:
        return False
    if row.approver_id is not None:
        return row.approver_id == uid
    return row.group_subdivision_id is not None and uid in heads_on(row.group_subdivision_id, day)


def step_of(letter: Letter, user: Any, day: dt.date | None = None) -> LetterApproval | None:
    """The row ``user`` may decide now, if any (their turn on the sheet)."""
    if letter.state != "submitted":
        return None
    return _turn_of(letter, user, day)


def _turn_of(letter: Letter, user: Any, day: dt.date | None = None) -> LetterApproval | None:
    if user is None or not getattr(user, "is_active", False):
        return None
    day = day or office_today()
    return next((r for r in _turn(letter) if _decides(r, user, day)), None)


def sheet_complete(letter: Letter) -> bool:
    return all(r.decision == "approved" for r in rows(letter))


def may_view(user: Any, letter: Letter) -> bool:
    """Approvers see the letters they approve, even of another subdivision."""
    uid = getattr(user, "id", None)
    if uid is None or not getattr(user, "is_active", False):
        return False
    day = office_today()
    for row in db.session.scalars(
        select(LetterApproval).where(LetterApproval.letter_id == letter.id)
    ):
        if row.approver_id == uid or row.decided_by_id == uid or _decides(row, user, day):
            return True
    return False


def awaiting(user: Any, day: dt.date | None = None) -> list[Letter]:
    """The user's queue of letters to approve now (their turn on the sheet)."""
    uid = getattr(user, "id", None)
    if uid is None:
        return []
    day = day or office_today()
    candidates = db.session.scalars(
        select(Letter)
        .join(LetterApproval, LetterApproval.letter_id == Letter.id)
        .where(
            Letter.state == "submitted",
            LetterApproval.decision == "pending",
            or_(
                LetterApproval.approver_id == uid,
                LetterApproval.group_subdivision_id.is_not(None),
            ),
        )
        .order_by(Letter.id)
    ).unique()
    return [x for x in candidates if step_of(x, user, day) is not None]


def _approver_name(row: LetterApproval, language: str | None) -> str:
    if row.approver is not None:
        return row.approver.display_name
    if row.group_subdivision is not None:
        names = row.group_subdivision.names or {}
        return (names.get(language) if language else None) or localized(names)
    return ""


# --- conditions of the letter workflow ------------------------------------------------------------


def may_endorse(ctx) -> bool:
    """``endorse``: only the approver whose turn it is (403 for anyone else)."""
    if step_of(ctx.obj, ctx.actor) is None:
        raise TransitionForbidden(_l("It is not your turn on the approval sheet of this letter."))
    return True


def may_return(ctx) -> bool:
    """``return``: the head, or the approver whose turn it is (403 for anyone else)."""
    if has_permission(ctx.actor, Permission.APPROVE, ctx.obj) or step_of(ctx.obj, ctx.actor):
        return True
    raise TransitionForbidden(
        _l("Only the head or the approver whose turn it is returns the letter for revision.")
    )


def sheet_refusal(letter: Letter) -> str | None:
    """Why the head may not approve yet: approvers still to decide (None: the sheet is done)."""
    waiting = [r for r in rows(letter) if r.decision != "approved"]
    if not waiting:
        return None
    names = ", ".join(_approver_name(r, None) for r in waiting)
    return str(
        _l(
            "The approval sheet is not complete: waiting for %(names)s.",
            names=names,
        )
    )


def signer_refusal(letter: Letter, actor: Any, day: dt.date | None = None) -> str | None:
    """R-ANS-2: only the head of the responsible subdivision, or the head's substitute recorded
    for that day, signs."""
    day = day or office_today()
    if getattr(actor, "id", None) in heads_on(letter.subdivision_id, day):
        return None
    return str(
        _l(
            "Only the head of the responsible subdivision or the head's substitute for today signs this letter (R-ANS-2)."
        )
    )


# --- operations ----------------------------------------------------------------------------------


@atomic
def endorse(letter: Letter, actor: Any, comment: str | None = None) -> LetterApproval:
    """The approver whose turn it is approves their step."""
    row = step_of(letter, actor)
    LETTER.fire(letter, "endorse", actor, comment=comment)
    return row


@atomic
def approve(letter: Letter, actor: Any, comment: str | None = None) -> None:
    """``POST …/approve``: the actor's step on the sheet when it is their turn, otherwise the
    head's approval (which waits for the sheet)."""
    from docflow.outgoing import letters

    if step_of(letter, actor) is not None:
        endorse(letter, actor, comment)
    else:
        letters.approve(letter, actor, comment)


def _decide(letter: Letter, actor: Any, decision: str, comment: str | None) -> None:
    # after the move: for a return the letter is a draft already, the turn is as it was
    row = _turn_of(letter, actor)
    if row is None:
        return
    row.decision = decision
    row.comment = (comment or "").strip() or None
    row.decided_by_id = actor.id
    if row.approver_id is None:
        row.approver_id = actor.id
    row.at = dt.datetime.now(dt.UTC)
    db.session.flush()


def _follow_workflow(sender, obj=None, transition=None, actor=None, history=None, **_kw) -> None:
    if not isinstance(obj, Letter):
        return
    comment = history.comment if history is not None else None
    if transition.id == "submit":
        _open_sheet(obj)
    elif transition.id == "endorse":
        # the state did not change: the actor's step is still theirs
        _decide(obj, actor, "approved", comment)
    elif transition.id == "return" and history is not None and history.from_state == "submitted":
        _decide(obj, actor, "returned", comment)  # the head's return leaves the rows as they are


after_transition.connect(_follow_workflow, sender=LETTER)


def sheet_handlers(item_ids) -> list[tuple[int, int, str]]:
    """R-ROUTE-4: the approvers who decided a step on a letter of these items."""
    found = db.session.execute(
        select(LetterApproval.decided_by_id, Letter.item_id)
        .join(Letter, Letter.id == LetterApproval.letter_id)
        .where(Letter.item_id.in_(list(item_ids)), LetterApproval.decided_by_id.is_not(None))
    ).all()
    return [(uid, item_id, "answered") for uid, item_id in found]


# The sheet for the letter page, the API and the PDF (kept apart for size; asked of this module).
from docflow.outgoing.approval_sheet import (  # noqa: E402, F401
    approval_sheet_header,
    approval_sheet_rows,
    approval_sheet_title,
    sheet,
    sheet_json,
)
