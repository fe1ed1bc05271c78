"""The incoming-item workflow (registration part; routing adds its states in its own module)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from docflow.core.calendar import get_calendar
from docflow.core.security import Permission, Role
from docflow.core.workflow import Workflow, register, state, transition
from docflow.i18n import format_date

R, P = Role, Permission
READERS = [R.REGISTRAR, R.CONTROLLER, R.INSPECTOR, R.ADMIN, R.HEAD, R.EXECUTOR]
OFFICE = [R.REGISTRAR, R.CONTROLLER]


def _has_missing(ctx) -> bool | str:
    if ctx.obj.missing_details:
        return True
    return _l("Nothing is missing in this item.")


def _complete(ctx) -> bool | str:
    if ctx.obj.missing_details:
        return _l("Some required details are still missing.")
    return True


def _correction_overdue(ctx) -> bool | str:
    # R-REG-5: returned only when the term given to the applicant has passed.
    due = ctx.obj.correction_due
    today = get_calendar().local_now().date()
    if due is not None and today <= due:
        return _l(
            "The applicant may still correct the appeal until %(date)s.", date=format_date(due)
        )
    return True


def _sign_up_without_essence(ctx) -> bool | str:
    # R-REG-6: only a sign-up request that does not state the essence of the question.
    if ctx.obj.kind == "reception_request" and not (ctx.obj.summary or "").strip():
        return True
    return _l(
        "Only a sign-up request without the essence of the question is left without consideration here."
    )


INCOMING = register(
    Workflow(
        "incoming",
        _l("Incoming item"),
        states=[
            state("registered", _l("Registered"), view=READERS, modify=OFFICE),
            state("awaiting_correction", _l("Awaiting correction"), view=READERS, modify=OFFICE),
            state("returned", _l("Returned to the applicant"), final=True, view=READERS, modify=[]),
            state(
                "left_without_consideration",
                _l("Left without consideration"),
                final=True,
                view=READERS,
                modify=[],
            ),
            state(
                "withdrawn", _l("Withdrawn by the applicant"), final=True, view=READERS, modify=[]
            ),
        ],
        transitions=[
            transition(
                "request_correction",
                _l("Ask the applicant to correct"),
                "registered",
                "awaiting_correction",
                permission=P.MODIFY,
                condition=_has_missing,
            ),
            transition(
                "correction_received",
                _l("Correction received"),
                "awaiting_correction",
                "registered",
                permission=P.MODIFY,
                condition=_complete,
            ),
            transition(
                "return_to_applicant",
                _l("Return to the applicant"),
                "awaiting_correction",
                "returned",
                permission=P.MODIFY,
                condition=_correction_overdue,
            ),
            transition(
                "leave_without_consideration",
                _l("Leave without consideration"),
                "registered",
                "left_without_consideration",
                permission=P.MODIFY,
                condition=_sign_up_without_essence,
            ),
            # R-REG-8: in writing (the comment refers to the applicant's statement), until the
            # decision: routing adds its states up to the final answer (docflow/routing/workflow.py).
            transition(
                "withdraw",
                _l("Withdrawn by the applicant"),
                ["registered", "awaiting_correction"],
                "withdrawn",
                permission=P.MODIFY,
                comment_required=True,
            ),
        ],
        initial="registered",
    )
)


def final_states() -> frozenset[str]:
    # Computed on use: routing adds its own final states (closed, forwarded, terminated).
    return frozenset(s.id for s in INCOMING.states.values() if s.final)


def is_active(state_id: str) -> bool:
    return state_id not in final_states()


def today() -> dt.date:
    return get_calendar().local_now().date()
