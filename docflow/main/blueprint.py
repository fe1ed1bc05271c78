from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
)
from flask_login import current_user, login_required
from sqlalchemy import func, select, update

from docflow.core import (
    access_log,
    audit,
    history_text_models,  # noqa: F401  (audit_hidden in the metadata)
)
from docflow.core.calendar import get_calendar
from docflow.core.security import ROLE_TITLES, Permission, Role, has_permission
from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.org.blueprint import _safe_next
from docflow.org.models import Subdivision, User

bp = Blueprint("main", __name__)


@bp.app_template_filter("rule_words")
def rule_words_filter(text):
    """Rule ids a user reads ("R-REG-5") → the law's article in words, the id in a tooltip."""
    from docflow.core.rules_text import rule_words

    return rule_words(text)


@bp.app_context_processor
def _history_helpers() -> dict:
    def history_sentences(rows):
        from docflow.main.history import item_history

        return item_history(list(rows))

    return {"history_sentences": history_sentences}


@bp.route("/")
@login_required
def home():
    cal = get_calendar()
    today = cal.local_now().date()
    grants = []
    for role, code in current_user.role_grants():
        sub = (
            db.session.scalar(select(Subdivision).where(Subdivision.code == code)) if code else None
        )
        grants.append({"title": ROLE_TITLES.get(Role(role), role), "subdivision": sub})
    panels = {
        "org": has_permission(current_user, Permission.MANAGE_ORG),
        "audit": has_permission(current_user, Permission.READ_AUDIT),
        "register": has_permission(current_user, Permission.REGISTER),
        "control": has_permission(current_user, Permission.DISTRIBUTE),
        "work": any(r in ("head", "executor") for r, _c in current_user.role_grants()),
        "reception": has_permission(current_user, Permission.HOLD_RECEPTION)
        or has_permission(current_user, Permission.MANAGE_RECEPTION),
    }
    counts: dict = {}
    if panels["register"] or panels["control"] or panels["work"]:
        from docflow.routing.dashboards import work_counts

        counts.update(work_counts(current_user, today))
    if panels["org"]:
        counts["subdivisions"] = db.session.scalar(select(func.count()).select_from(Subdivision))
        counts["users"] = db.session.scalar(select(func.count()).select_from(User))
    terms = get_setting("terms", {}) or {}
    term = terms.get("statement", {"days": 15, "unit": "working"})
    registered = cal.registration_date(cal.local_now())
    if panels["reception"]:
        from docflow.protocols.models import ReceptionSchedule, ReceptionSession

        counts["upcoming_receptions"] = db.session.scalar(
            select(func.count())
            .select_from(ReceptionSession)
            .where(ReceptionSession.date >= today, ReceptionSession.state == "planned")
        )
        counts["schedules_to_approve"] = db.session.scalar(
            select(func.count())
            .select_from(ReceptionSchedule)
            .where(ReceptionSchedule.approved_at.is_(None))
        )
    from docflow.main.queues import summaries

    return render_template(
        "main/home.html",
        queues=summaries(current_user, today),
        grants=grants,
        panels=panels,
        counts=counts,
        today=today,
        is_working_day=cal.is_working_day(today),
        registration_date=registered,
        standard_due=cal.add_working_days(registered, term["days"]),
        standard_days=term["days"],
        profile=get_setting("profile", {}) or {},
    )


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated and current_user.locale != code:
        # A language switch is not business history: remembered on the user without an audit
        # entry (a statement, not a tracked change), logged in the access log instead.
        db.session.execute(update(User).where(User.id == current_user.id).values(locale=code))
        access_log.record("language", current_user)
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/audit")
@login_required
def audit_log():
    """The audit trail as readable sentences, with filters (who, what, when, item)."""
    if not has_permission(current_user, Permission.READ_AUDIT):
        abort(403)
    from docflow.core import history_text
    from docflow.main import history

    filters = history.Filters.from_args(request.args)
    lines = history.lines(filters)
    verified = audit.verify() if request.args.get("verify") else None
    return render_template(
        "main/audit.html",
        lines=lines,
        filters=filters,
        groups=history_text.groups(),
        people=history.people(),
        verified=verified,
        page_size=history.PAGE_SIZE,
    )


@bp.route("/calendar")
@bp.route("/calendar/<int:year>")
@login_required
def calendar(year: int | None = None):
    cal = get_calendar()
    year = year or cal.local_now().year
    if not 2000 <= year <= 2100:
        abort(404)
    days = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        if (not cal.is_working_day(day) and day.weekday() < 5) or (
            cal.is_working_day(day) and day.weekday() >= 5
        ):
            days.append(
                {"date": day, "working": cal.is_working_day(day), "name": cal.is_holiday(day)}
            )
        day += dt.timedelta(days=1)
    return render_template("main/calendar.html", year=year, days=days)


@bp.route("/healthz")
def health():
    db.session.execute(select(1))
    return {"status": "ok"}
