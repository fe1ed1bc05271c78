"""Workflows of personal reception: the session, and the sign-up with its hearing (R-RECV-*)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from docflow.core.calendar import get_calendar
from docflow.core.security import Permission, Role
from docflow.core.workflow import Param, Workflow, register, state, transition
from docflow.i18n import format_date
from docflow.registry.workflow import INCOMING
from docflow.registry.workflow import READERS as ITEM_READERS

R, P = Role, Permission
READERS = [R.CONTROLLER, R.OFFICIAL, R.INSPECTOR, R.ADMIN, R.REGISTRAR]


def _decision_day_reached(ctx):
    # R-RECV-12: the preliminary decision went out ≥ 3 working days before, and the 2 working
    # days for an objection have passed.
    s = ctx.obj
    today = get_calendar().local_now().date()
    if s.decision_on is None or today < s.decision_on:
        return _l(
            "The refusal can be decided on %(date)s at the earliest (hearing, R-RECV-12).",
            date=format_date(s.decision_on) if s.decision_on else "—",
        )
    return True


def _session_day_reached(ctx):
    # A reception is marked held on its day or later, never in advance.
    s = ctx.obj
    if get_calendar().local_now().date() < s.date:
        return _l(
            "The reception can be marked as held on %(date)s at the earliest.",
            date=format_date(s.date),
        )
    return True


SESSION = register(
    Workflow(
        "reception",
        _l("Reception"),
        states=[
            state("planned", _l("Planned"), view=READERS),
            state("held", _l("Held"), final=True, view=READERS),
            state("cancelled", _l("Cancelled"), final=True, view=READERS),
        ],
        transitions=[
            transition(
                "hold",
                _l("Mark as held"),
                "planned",
                "held",
                permission=P.MANAGE_RECEPTION,
                condition=_session_day_reached,
            ),
            # R-RECV-8: the official cannot hold it; applicants are told.
            transition(
                "cancel",
                _l("Cancel the reception"),
                "planned",
                "cancelled",
                permission=P.MANAGE_RECEPTION,
                comment_required=True,
            ),
        ],
        initial="planned",
    )
)

SIGNUP = register(
    Workflow(
        "signup",
        _l("Sign-up for reception"),
        states=[
            state("pending", _l("Preliminary consideration"), view=READERS),
            state("proposed", _l("Date proposed"), view=READERS),
            state("hearing", _l("Refusal proposed: hearing"), view=READERS),
            state("included", _l("Included in the list"), view=READERS),
            state("refused", _l("Refused"), final=True, view=READERS),
            state("received", _l("Received"), final=True, view=READERS),
            state("no_show", _l("Did not come"), final=True, view=READERS),
        ],
        transitions=[
            transition(
                "propose_date",
                _l("Propose a date"),
                ["pending", "hearing"],
                "proposed",
                permission=P.MANAGE_RECEPTION,
                params=[Param("session", _l("Reception"), convert=int)],
            ),
            transition(
                "propose_refusal",
                _l("Propose a refusal"),
                "pending",
                "hearing",
                permission=P.MANAGE_RECEPTION,
                params=[Param("ground", _l("Ground"))],
            ),
            transition(
                "record_objection",
                _l("Record the applicant's objection"),
                "hearing",
                None,
                permission=P.MANAGE_RECEPTION,
                comment_required=True,
            ),
            transition(
                "refuse",
                _l("Refuse the reception"),
                "hearing",
                "refused",
                permission=P.MANAGE_RECEPTION,
                condition=_decision_day_reached,
            ),
            transition(
                "include",
                _l("Include in the list"),
                "proposed",
                "included",
                permission=P.MANAGE_RECEPTION,
            ),
            transition(
                "reschedule",
                _l("Back to scheduling"),
                ["proposed", "included"],
                "pending",
                permission=P.MANAGE_RECEPTION,
                comment_required=True,
            ),
            transition(
                "receive", _l("Received"), "included", "received", permission=P.MANAGE_RECEPTION
            ),
            transition(
                "no_show", _l("Did not come"), "included", "no_show", permission=P.MANAGE_RECEPTION
            ),
        ],
        initial="pending",
    )
)


# R-PROT-1: minutes are a draft until the controller confirms their assignments.
MINUTES = register(
    Workflow(
        "minutes",
        _l("Minutes"),
        states=[
            state("draft", _l("Draft")),
            state("confirmed", _l("Confirmed"), final=True),
        ],
        transitions=[
            transition(
                "confirm",
                _l("Confirm the assignments"),
                "draft",
                "confirmed",
                permission=P.MANAGE_RECEPTION,
            ),
        ],
        initial="draft",
    )
)


# The request for personal reception is settled by the visit: a decision with executors routes
# it (routing's own transitions); explained on the spot, or the applicant did not come, it leaves
# "awaiting distribution" for this final state.
def _is_reception_request(ctx):
    if ctx.obj.kind != "reception_request":
        return _l("Only a request for personal reception is settled at the reception.")
    return True


SETTLED = "reception_settled"
if SETTLED not in INCOMING.states:
    INCOMING.extend(
        states=[
            state(
                SETTLED,
                _l("Settled at the reception"),
                final=True,
                view=ITEM_READERS,
                modify=[],
            )
        ],
        transitions=[
            transition(
                "settle_explained",
                _l("Explained at the reception"),
                "registered",
                SETTLED,
                permission=P.MANAGE_RECEPTION,
                condition=_is_reception_request,
            ),
            transition(
                "settle_no_show",
                _l("The applicant did not come to the reception"),
                "registered",
                SETTLED,
                permission=P.MANAGE_RECEPTION,
                condition=_is_reception_request,
            ),
        ],
    )
