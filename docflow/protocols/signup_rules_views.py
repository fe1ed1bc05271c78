"""Pages of the reception rules (``signup_rules``), on the protocols blueprint.

The sign-up page shows the video consent (R-RECV-6) and the term's extensions (R-RECV-11), the
session page the bodies the reception requires (R-RECV-9) — each with its form; ``/reception/rules``
shows the restrictions mode with its switch, the terms in force and what is watched.
"""

from __future__ import annotations

import datetime as dt

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from docflow.core.security import Permission, has_permission
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.protocols import signup_rules as rules
from docflow.protocols.blueprint import bp
from docflow.protocols.models import ReceptionSession, SignUp
from docflow.registry.models import IncomingItem


@bp.app_context_processor
def _rules_helpers() -> dict:
    def signup_rules_panel(s: SignUp) -> dict:
        item = db.session.get(IncomingItem, s.item_id)
        note_due = rules.reference_note_due(s) if rules.note_awaited(s) else None
        return {
            "consent": rules.video_consent(s),
            "sources": rules.CONSENT_SOURCES,
            "extensions": rules.extensions(s),
            "can_extend": s.state in ("pending", "proposed", "hearing"),
            "can_consent": s.state in rules.OPEN_STATES,
            "letter_cap": rules.extension_cap(item, "letter"),
            "decision_cap": rules.extension_cap(item, "decision"),
            "note_due": note_due,
            "note_overdue": note_due is not None
            and note_due < rules.get_calendar().local_now().date(),
            "registered_late": rules.registered_late(item),
            "registration_due": rules.registration_due(item),
            "restrictions": rules.restrictions_mode(),
        }

    def session_rules_panel(s: ReceptionSession) -> dict:
        return {
            "required": rules.required_bodies(s),
            "missing": rules.missing_participants(s),
            "recorded": rules.participants(s),
            "bodies": rules.BODIES,
            "video": rules.is_video_session(s),
            "restrictions": rules.restrictions_mode(),
        }

    return {"signup_rules_panel": signup_rules_panel, "session_rules_panel": session_rules_panel}


def _signup(signup_id: int) -> SignUp:
    from docflow.protocols.reception_views import _signup_or_404

    return _signup_or_404(signup_id)


def _session(session_id: int) -> ReceptionSession:
    from docflow.protocols.reception_views import _session_or_404

    return _session_or_404(session_id)


@bp.route("/signups/<int:signup_id>/video-consent", methods=["POST"])
@login_required
def video_consent(signup_id: int):
    """R-RECV-6: the applicant's consent to a video reception, recorded."""
    s = _signup(signup_id)
    require(Permission.MANAGE_RECEPTION)
    return run_write(
        lambda: rules.record_video_consent(
            s, current_user, source=request.form.get("source", ""), note=request.form.get("note")
        ),
        success=_("The consent is recorded."),
        back=url_for("protocols.signup", signup_id=s.id),
    )


@bp.route("/signups/<int:signup_id>/extend", methods=["POST"])
@login_required
def extend_signup(signup_id: int):
    """R-RECV-11: the inclusion term of a complex sign-up extended."""
    s = _signup(signup_id)
    require(Permission.MANAGE_RECEPTION)
    back = url_for("protocols.signup", signup_id=s.id)
    try:
        new_due = dt.date.fromisoformat(request.form.get("new_due", ""))
    except ValueError:
        new_due = None

    def extend():
        if new_due is None:
            raise rules.ReceptionRuleError(_("Give the new due date."))
        return rules.extend_inclusion(
            s,
            current_user,
            basis=request.form.get("basis", ""),
            new_due=new_due,
            reason=request.form.get("reason", ""),
        )

    return run_write(extend, success=_("The term is extended; the applicant is told."), back=back)


@bp.route("/sessions/<int:session_id>/participant", methods=["POST"])
@login_required
def record_participant(session_id: int):
    """R-RECV-9: a representative of a body at the reception, or the body's refusal."""
    s = _session(session_id)
    require(Permission.MANAGE_RECEPTION)
    present = request.form.get("present", "yes") == "yes"
    return run_write(
        lambda: rules.record_participant(
            s,
            current_user,
            body=request.form.get("body", ""),
            name=request.form.get("name"),
            position=request.form.get("position"),
            present=present,
            note=request.form.get("note"),
        ),
        success=_("The participants are recorded."),
        back=url_for("protocols.session", session_id=s.id) + "#participants-required",
    )


@bp.route("/rules")
@login_required
def reception_rules():
    """The restrictions mode, the terms in force and what the reception staff must see."""
    require(Permission.MANAGE_RECEPTION)
    watched = rules.watch()
    items = {
        i.id: i
        for i in db.session.scalars(
            db.select(IncomingItem).where(
                IncomingItem.id.in_([w.signup.item_id for w in watched] or [0])
            )
        )
    }
    return render_template(
        "protocols/rules.html",
        restrictions=rules.restrictions_mode(),
        restrictions_reason=rules.setting_or_none("restrictions_reason"),
        registration_days=rules.registration_days(),
        inclusion=(rules.setting("inclusion_notice_days"), rules.setting("inclusion_notice_unit")),
        watched=watched,
        items=items,
        held_without=rules.held_without_participants(),
        bodies=rules.BODIES,
        can_switch=has_permission(current_user, Permission.MANAGE_RECEPTION),
    )


@bp.route("/rules/restrictions", methods=["POST"])
@login_required
def restrictions():
    """R-RECV-6: restrictions in force (video conference only) or lifted."""
    require(Permission.MANAGE_RECEPTION)
    on = request.form.get("on") == "1"
    return run_write(
        lambda: rules.set_restrictions_mode(current_user, on, request.form.get("reason")),
        success=_("Restrictions are in force: receptions only by video conference.")
        if on
        else _("The restrictions are lifted."),
        back=url_for("protocols.reception_rules"),
    )
