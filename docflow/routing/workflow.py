"""Routing and control states added to the incoming-item workflow (R-ROUTE-*, R-CTRL-*)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from docflow.core.security import Permission, Role
from docflow.core.workflow import Param, state, transition
from docflow.registry.workflow import INCOMING, READERS

R, P = Role, Permission
OFFICE = [R.REGISTRAR, R.CONTROLLER]


def _has_submitted_answer(ctx):
    from docflow.routing.operations import current_answer

    answer = current_answer(ctx.obj)
    if answer is None or answer.status != "submitted":
        return _l("Attach the answer document first.")
    return True


def _has_approved_answer(ctx):
    # R-CTRL-1: only a final motivated answer, approved by the head, removes the item from control.
    from docflow.routing.operations import current_answer

    answer = current_answer(ctx.obj)
    if answer is None or answer.status != "approved" or not answer.final:
        return _l("Only an approved final answer to the applicant removes an item from control.")
    return True


def _is_executor_or_head(ctx):
    from docflow.routing.operations import is_acting_executor

    if is_acting_executor(ctx.obj, ctx.actor):
        return True
    return _l("Only the item's executor or the head of the subdivision can do this.")


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
    return (
        True
        if ok
        else _l("Only the head (by a decision) or the controller (by a letter) extends a term.")
    )


ROUTED_PERMS = {"view": READERS, "modify": OFFICE}
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
            params=[Param("subdivisions", _l("Subdivisions"), convert=list)],
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
            condition=_has_submitted_answer,
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
