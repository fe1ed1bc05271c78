"""Routing and control states added to the incoming-item workflow (R-ROUTE-*, R-CTRL-*).

Also widens the registry's ``withdraw`` to every routing state before the decision (R-REG-8)
and ends the item's executor assignments when it is withdrawn.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core.security import Permission, Role
from docflow.core.workflow import Param, Workflow, after_transition, register, state, transition
from docflow.extensions import db
from docflow.registry.workflow import INCOMING, READERS

R, P = Role, Permission
OFFICE = [R.REGISTRAR, R.CONTROLLER]


def _has_submitted_answer(ctx):
    from docflow.routing.operations import current_answer

    answer = current_answer(ctx.obj)
    if answer is None or answer.status != "submitted":
        return _l("Attach the answer document first.")
    return True


def _may_approve(ctx):
    # R-ANS-2: the head signs; art. 97(2): not the answer to a complaint about their own answer.
    from docflow.routing.handlers import approval_refusal

    submitted = _has_submitted_answer(ctx)
    if submitted is not True:
        return submitted
    return approval_refusal(ctx.obj, ctx.actor) or True


def _no_responsible_executor(ctx):
    # R-ROUTE-4: the assignment a later link made unlawful has ended; the head reassigns.
    from docflow.routing.handlers import active_executors

    if any(a.responsible for a in active_executors(ctx.obj)):
        return _l("The item still has its responsible executor.")
    return True


# Other domains say whether their final answer counts (outgoing: a signed final letter):
# item -> True (counts), a message (refuses), None (no say: the paper answer decides).
FINAL_ANSWER_CHECKS: list = []


def _has_approved_answer(ctx):
    # R-CTRL-1: only a final motivated answer, approved by the head, removes the item from control.
    from docflow.routing.operations import current_answer

    for check in FINAL_ANSWER_CHECKS:
        verdict = check(ctx.obj)
        if verdict is not None:
            return verdict

    answer = current_answer(ctx.obj)
    if answer is None or answer.status != "approved" or not answer.final:
        return _l("Only an approved final answer to the applicant removes an item from control.")
    return True


def _is_executor_or_head(ctx):
    from docflow.core.security import AccessDenied
    from docflow.core.workflow import TransitionForbidden
    from docflow.routing.operations import executor_refusal, require_executor_or_head

    try:  # who may act is a permission (403); R-ROUTE-4 after it is a rule (422)
        require_executor_or_head(ctx.obj, ctx.actor)
    except AccessDenied as exc:
        raise TransitionForbidden(exc.message) from None
    return executor_refusal(ctx.obj, ctx.actor) or True


def _repeat_with_decision(ctx):
    # R-ROUTE-5: a repeat appeal on the same subject and grounds, with a decision already given.
    from docflow.routing.operations import earlier_decision

    if earlier_decision(ctx.obj) is None:
        return _l(
            "Terminate only a repeat appeal linked to an earlier case that already has a final answer."
        )
    return True


def _may_extend(ctx):
    # R-DEADLINE-2: by letter (the controller or the head), or by a motivated decision of the head.
    from docflow.core.security import has_permission

    basis = ctx.params.get("basis")
    if basis == "decision":
        ok = has_permission(ctx.actor, P.APPROVE, ctx.obj)
    else:
        ok = has_permission(ctx.actor, P.CONTROL, ctx.obj) or has_permission(
            ctx.actor, P.APPROVE, ctx.obj
        )
    if not ok:  # who may extend is a permission (403), not a business rule (422)
        from docflow.core.workflow import TransitionForbidden

        raise TransitionForbidden(
            _l("Only the head (by a decision) or the controller (by a letter) extends a term.")
        )
    return True


ROUTED_PERMS = {"view": READERS, "modify": OFFICE}


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# A term set at routing (a protocol assignment's own term, R-PROT-1), recorded with the one it
# replaced: the distribution's history row is the record of the change.
TERM_PARAMS = (
    Param("due", _l("Term"), required=False, convert=_date),
    Param("term_before", _l("Previous term"), required=False, convert=_date),
)
WORKING = ["distributed", "in_work", "answer_review", "answered"]

INCOMING.extend(
    states=[
        state("distributed", _l("Sent to the subdivision"), **ROUTED_PERMS),
        state("in_work", _l("In work"), **ROUTED_PERMS),
        state("answer_review", _l("Answer awaiting approval"), **ROUTED_PERMS),
        state("answered", _l("Answered, on control check"), **ROUTED_PERMS),
        state("closed", _l("Removed from control"), final=True, view=READERS, modify=[]),
        state("forwarded", _l("Forwarded to another body"), final=True, view=READERS, modify=[]),
        state("terminated", _l("Consideration terminated"), final=True, view=READERS, modify=[]),
    ],
    transitions=[
        # R-ROUTE-1, -3: the controller sends the item to the competent subdivision(s).
        transition(
            "distribute",
            _l("Send to the subdivision"),
            "registered",
            "distributed",
            permission=P.DISTRIBUTE,
            params=[Param("subdivisions", _l("Subdivisions"), convert=list), *TERM_PARAMS],
        ),
        transition(
            "redistribute",
            _l("Send to another subdivision"),
            ["distributed", "in_work"],
            "distributed",
            permission=P.DISTRIBUTE,
            comment_required=True,
            params=[Param("subdivisions", _l("Subdivisions"), convert=list)],
        ),
        # The head of the receiving subdivision assigns executors (R-ROUTE-4 checked by the operation).
        transition(
            "assign",
            _l("Assign the executor"),
            "distributed",
            "in_work",
            permission=P.ASSIGN,
            params=[Param("executors", _l("Executors"), convert=list)],
        ),
        transition(
            "reassign",
            _l("Reassign"),
            "in_work",
            None,
            permission=P.ASSIGN,
            comment_required=True,
            params=[Param("executors", _l("Executors"), convert=list)],
        ),
        transition(
            "delegate",
            _l("Delegate"),
            "in_work",
            None,
            permission=P.ANSWER,
            comment_required=True,
            condition=_is_executor_or_head,
            params=[Param("executors", _l("Executors"), convert=list)],
        ),
        transition(
            "add_co_executors",
            _l("Add co-executors"),
            "in_work",
            None,
            permission=P.ASSIGN,
            params=[Param("executors", _l("Executors"), convert=list)],
        ),
        # No dead end (R-ROUTE-4): the controller, consenting, gives it to another subdivision's
        # employee when the whole subdivision handled the earlier case.
        transition(
            "assign_outside",
            _l("Assign an employee of another subdivision"),
            ["distributed", "in_work"],
            "in_work",
            permission=P.DISTRIBUTE,
            comment_required=True,
            params=[Param("executors", _l("Executors"), convert=list)],
        ),
        # R-ROUTE-4: a link made after the assignment ended it; back to the head to reassign.
        transition(
            "release_executor",
            _l("Executor removed: handled the earlier case"),
            ["in_work", "answer_review"],
            "distributed",
            condition=_no_responsible_executor,
        ),
        transition(
            "submit_answer",
            _l("Submit the answer for approval"),
            "in_work",
            "answer_review",
            permission=P.ANSWER,
            condition=_is_executor_or_head,
        ),
        # R-ANS-2: the head signs for the subdivision.
        transition(
            "approve_answer",
            _l("Approve the answer"),
            "answer_review",
            "answered",
            permission=P.APPROVE,
            condition=_may_approve,
        ),
        transition(
            "return_answer",
            _l("Return the answer to the executor"),
            "answer_review",
            "in_work",
            permission=P.APPROVE,
            comment_required=True,
        ),
        # R-CTRL-1: removed from control by the controller, on the final approved answer only.
        transition(
            "close",
            _l("Remove from control"),
            "answered",
            "closed",
            permission=P.CONTROL,
            roles=[R.CONTROLLER],
            condition=_has_approved_answer,
        ),
        # R-CTRL-2: poor answers go back for rework.
        transition(
            "rework",
            _l("Send back for rework"),
            "answered",
            "in_work",
            permission=P.CONTROL,
            comment_required=True,
        ),
        # R-DEADLINE-2: the term extended (the operation checks the caps and records the extension).
        transition(
            "extend",
            _l("Extend the term"),
            ["distributed", "in_work", "answer_review"],
            None,
            condition=_may_extend,
            comment_required=True,
            params=[Param("new_due", _l("New due date")), Param("basis", _l("Basis"))],
        ),
        # R-ROUTE-2: out of competence, wholly or in part.
        transition(
            "forward",
            _l("Forward to another body"),
            ["registered", "distributed"],
            "forwarded",
            permission=P.DISTRIBUTE,
            params=[Param("body", _l("Body"))],
        ),
        transition(
            "forward_part",
            _l("Forward a part to another body"),
            ["registered", "distributed", "in_work"],
            None,
            permission=P.DISTRIBUTE,
            params=[Param("body", _l("Body"))],
        ),
        transition(
            "terminate",
            _l("Terminate consideration (repeat appeal)"),
            ["registered", "distributed", "in_work"],
            "terminated",
            permission=P.CONTROL,
            comment_required=True,
            condition=_repeat_with_decision,
        ),
    ],
)


# --- R-REG-8: withdrawal in writing until the decision (АППК art. 64(9)) -------------------------

# Before the decision: every routing state up to the approval of the final answer. After it
# (``answered`` with the final answer approved, ``closed``) and in the other final states
# (forwarded, terminated) the appeal can no longer be withdrawn.
WITHDRAWABLE = ["distributed", "in_work", "answer_review", "answered"]


def _before_decision(ctx):
    from docflow.routing.operations import current_answer

    if ctx.obj.state == "answered":
        answer = current_answer(ctx.obj)
        if answer is not None and answer.status == "approved" and answer.final:
            return _l(
                "The final answer is already approved: after the decision the appeal can no longer be withdrawn (R-REG-8)."
            )
    return True


def _widen_withdraw() -> None:
    base = INCOMING.transitions["withdraw"]
    own = base.condition

    def condition(ctx):
        verdict = own(ctx) if own is not None else True
        return _before_decision(ctx) if verdict in (None, True) else verdict

    # The applicant's written statement stays required: the comment refers to it.
    INCOMING.transitions["withdraw"] = dataclasses.replace(
        base, source=base.source | frozenset(WITHDRAWABLE), condition=condition
    )


_widen_withdraw()


def _withdrawn_message(user, item) -> str:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _(
            "%(number)s was withdrawn by the applicant: your assignment has ended.",
            number=item.reg_number,
        )


def _end_assignments_on_withdrawal(sender, *, obj, transition, **_kw) -> None:
    """R-REG-8: a withdrawn appeal is no longer anyone's work; each executor is told."""
    if transition.id != "withdraw":
        return
    from docflow.routing.models import ExecutorAssignment, Notification

    now = dt.datetime.now(dt.UTC)
    told = set()
    for a in db.session.scalars(
        select(ExecutorAssignment).where(
            ExecutorAssignment.item_id == obj.id, ExecutorAssignment.active.is_(True)
        )
    ):
        a.active, a.ended_at = False, now
        if a.user_id not in told:
            told.add(a.user_id)
            db.session.add(
                Notification(
                    user_id=a.user_id,
                    item_id=obj.id,
                    kind="withdrawn",
                    key="withdraw",  # final: it happens once
                    message=_withdrawn_message(a.user, obj),
                )
            )


after_transition.connect(_end_assignments_on_withdrawal, sender=INCOMING)


# --- the answer: its own small workflow, moved by the item's transitions -----------------------
# The item's transition (approve_answer, return_answer, rework, release_executor) checks who may
# act; the answer's transition follows it in the same operation and records it in the history.
ANSWER_STATES = ["submitted", "approved", "returned", "rework"]

ANSWER = register(
    Workflow(
        "answer",
        _l("Answer"),
        states=[
            state("submitted", _l("Sent for approval")),
            state("approved", _l("Approved")),
            state("returned", _l("Returned to the executor")),
            state("rework", _l("Sent back for rework")),
        ],
        transitions=[
            transition("approve", _l("Approve the answer"), "submitted", "approved"),
            transition(
                "return", _l("Return the answer to the executor"), ANSWER_STATES, "returned"
            ),
            transition("rework", _l("Send back for rework"), ANSWER_STATES, "rework"),
            # R-ROUTE-4: the responsible executor was released; the answer goes back with them.
            transition("release", _l("Return the answer to the executor"), "submitted", "returned"),
        ],
        initial="submitted",
    )
)
