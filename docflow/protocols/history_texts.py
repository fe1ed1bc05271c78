"""Reception's and minutes' sentences in the readable history (docflow.core.history_text)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from docflow.core import history_text as ht
from docflow.extensions import db

GROUP = "reception"


def session_label(object_id: str) -> str | None:
    from docflow.i18n import format_date
    from docflow.protocols.models import ReceptionSession

    s = db.session.get(ReceptionSession, int(object_id))
    if s is None:
        return None
    return str(_l("reception of %(date)s", date=format_date(s.date)))


def minutes_label(object_id: str) -> str | None:
    from docflow.protocols.models import Minutes

    m = db.session.get(Minutes, int(object_id))
    if m is None:
        return None
    return str(_l("minutes № %(number)s", number=m.number or "—"))


def register() -> None:
    ht.register_group(GROUP, _l("Personal reception"))
    ht.register_object("reception_schedule", _l("reception schedule"), group=GROUP)
    ht.register_object("reception_session", _l("reception"), group=GROUP, label=session_label)
    ht.register_object("signup", _l("sign-up for reception"), group=GROUP)
    ht.register_object("minutes", _l("minutes"), group=GROUP, label=minutes_label)
    ht.register_object("protocol_assignment", _l("protocol assignment"), group=GROUP)
    ht.register_object("satisfaction_call", _l("satisfaction call"), group=GROUP)
    ht.register_action(
        "confirm_minutes",
        _l("%(actor)s confirmed %(object)s: %(assignments)s assignment(s) created"),
        group=GROUP,
    )
    ht.register_action(
        "reception_cancelled",
        _l("%(actor)s cancelled %(object)s; applicants notified on %(notified_on)s"),
        group=GROUP,
    )
    steps = {
        ("reception", "hold"): _l("%(actor)s marked the reception as held"),
        ("reception", "cancel"): _l("%(actor)s cancelled the reception"),
        ("signup", "propose_date"): _l("%(actor)s proposed a date"),
        ("signup", "propose_refusal"): _l("%(actor)s proposed a refusal"),
        ("signup", "record_objection"): _l("%(actor)s recorded the applicant's objection"),
        ("signup", "refuse"): _l("%(actor)s refused the reception"),
        ("signup", "include"): _l("%(actor)s included the applicant in the list"),
        ("signup", "receive"): _l("%(actor)s recorded that the applicant was received"),
        ("signup", "no_show"): _l("%(actor)s recorded that the applicant did not come"),
        ("minutes", "confirm"): _l("%(actor)s confirmed the assignments of the minutes"),
        # The request for reception settled by the visit (no assignment).
        ("incoming", "settle_explained"): _l(
            "%(actor)s recorded that the question was explained at the reception"
        ),
        ("incoming", "settle_no_show"): _l(
            "%(actor)s recorded that the applicant did not come to the reception"
        ),
    }
    for (workflow, transition), text in steps.items():
        ht.register_transition(workflow, transition, text)
    for workflow in ("reception", "signup", "minutes"):
        ht.register_workflow(workflow, group=GROUP)
    from docflow.protocols import signup_rules

    signup_rules.register_texts()  # R-RECV-6, -9, -11
