"""Reception pages' next steps: mark a reception held, make its minutes from the visits."""

from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.core.security import Permission
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.protocols import reception_flow as flow
from docflow.protocols.blueprint import bp
from docflow.protocols.models import ReceptionSession
from docflow.registry.workflow import INCOMING


def session_page_context(s: ReceptionSession) -> dict:
    """What the session page shows of the next steps: holding, employees, its minutes."""
    from docflow.org.models import Subdivision
    from docflow.routing.operations import subdivision_staff

    subdivisions = db.session.scalars(
        select(Subdivision).where(Subdivision.kind.in_(("department", "district")))
    ).all()
    return {
        "can_hold": flow.can_hold(s, current_user),
        "staff": {sub.code: subdivision_staff(sub) for sub in subdivisions},
        "session_minutes": flow.session_minutes(s),
        "item_states": {k: v.title for k, v in INCOMING.states.items()},
        "today": get_calendar().local_now().date(),
    }


def _session_or_404(session_id: int) -> ReceptionSession:
    session = db.session.get(ReceptionSession, session_id)
    if session is None:
        abort(404)
    return session


@bp.route("/sessions/<int:session_id>/hold", methods=["POST"])
@login_required
def hold_session(session_id: int):
    s = _session_or_404(session_id)
    require(Permission.MANAGE_RECEPTION)
    return run_write(
        lambda: flow.hold_session(s, current_user),
        success=_("The reception is marked as held. Record the decisions and make the minutes."),
        back=url_for("protocols.session", session_id=s.id),
    )


@bp.route("/sessions/<int:session_id>/minutes", methods=["POST"])
@login_required
def session_minutes(session_id: int):
    s = _session_or_404(session_id)
    require(Permission.MANAGE_RECEPTION)
    lang = request.form.get("lang") if request.form.get("lang") in ("kk", "ru") else "ru"
    return run_write(
        lambda: flow.minutes_from_session(s, current_user, lang),
        success=_("The minutes are made from the visits: check the assignments and confirm."),
        back=lambda m: (
            url_for("protocols.minutes", minutes_id=m.id)
            if m is not None
            else url_for("protocols.session", session_id=s.id)
        ),
    )


@bp.route("/requests/<public_id>")
@login_required
def request_signup(public_id: str):
    """From a registered request for reception to its next step: the sign-up, or signing up."""
    from flask import redirect

    from docflow.protocols.models import SignUp
    from docflow.registry.models import item_by_public_id

    require(Permission.MANAGE_RECEPTION)
    item = item_by_public_id(public_id)
    if item is None:
        abort(404)
    signup = db.session.scalar(select(SignUp).where(SignUp.item_id == item.id))
    if signup is not None:
        return redirect(url_for("protocols.signup", signup_id=signup.id))
    return redirect(url_for("protocols.overview", _anchor=f"waiting-{item.id}"))
