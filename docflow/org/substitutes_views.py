"""The administrator's page of heads' substitutes (R-ANS-2): list, add, end.

Routes on the ``org`` blueprint (imported before it is registered). Thin: form → one operation
of :mod:`docflow.org.substitutes` → flash → redirect.
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from docflow.core.security import Permission, Role
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.org import substitutes
from docflow.org.blueprint import bp
from docflow.org.models import RoleGrant, Subdivision, User


class SubstitutionForm(FlaskForm):
    head = SelectField(_l("Head"), coerce=int)
    substitute = SelectField(_l("Substitute"), coerce=int)
    subdivision = SelectField(_l("Subdivision"), coerce=int, default=0)
    date_from = DateField(_l("First day"), validators=[DataRequired()])
    date_to = DateField(_l("Last day (included)"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class EndForm(FlaskForm):
    comment = StringField(_l("Comment"), validators=[Optional(), Length(max=500)])


def _choices(form: SubstitutionForm) -> SubstitutionForm:
    people = list(
        db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name))
    )
    heads = list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.HEAD.value, RoleGrant.subdivision_id.is_not(None))
            .order_by(User.full_name)
        ).unique()
    )
    subdivisions = db.session.scalars(
        select(Subdivision)
        .join(RoleGrant, RoleGrant.subdivision_id == Subdivision.id)
        .where(RoleGrant.role == Role.HEAD.value)
        .order_by(Subdivision.code)
    ).unique()
    form.head.choices = [(u.id, f"{u.display_name} ({u.username})") for u in heads]
    form.substitute.choices = [(u.id, f"{u.display_name} ({u.username})") for u in people]
    form.subdivision.choices = [(0, _("All the head's subdivisions"))] + [
        (s.id, f"{s.code} — {s.name}") for s in subdivisions
    ]
    return form


def _page(form: SubstitutionForm | None = None, status: int = 200):
    show_all = request.args.get("all") == "1"
    rows = substitutes.substitutions(current_only=not show_all)
    today = substitutes.office_today()
    return (
        render_template(
            "org/substitutes.html",
            rows=rows,
            today=today,
            show_all=show_all,
            form=form or _choices(SubstitutionForm()),
            end_form=EndForm(),
        ),
        status,
    )


@bp.route("/org/substitutes")
@login_required
def substitutes_page():
    require(Permission.MANAGE_ORG)
    return _page()


@bp.route("/org/substitutes", methods=["POST"])
@login_required
def add_substitute():
    require(Permission.MANAGE_ORG)
    form = _choices(SubstitutionForm())
    if not form.validate():
        return _page(form, 422)
    head = db.session.get(User, form.head.data)
    substitute = db.session.get(User, form.substitute.data)
    subdivision = (
        db.session.get(Subdivision, form.subdivision.data) if form.subdivision.data else None
    )
    return run_write(
        lambda: substitutes.add_substitution(
            head,
            substitute,
            form.date_from.data,
            form.date_to.data,
            current_user,
            subdivision=subdivision,
            reason=form.reason.data,
        ),
        success=lambda row: _(
            "%(substitute)s acts as the head for %(head)s from %(start)s to %(end)s.",
            substitute=row.substitute.display_name,
            head=row.head.display_name,
            start=format_date(row.date_from),
            end=format_date(row.date_to),
        ),
        back=url_for("org.substitutes_page"),
        failure=lambda _exc: _page(form, 422),
    )


@bp.route("/org/substitutes/<int:row_id>/end", methods=["POST"])
@login_required
def end_substitute(row_id: int):
    require(Permission.MANAGE_ORG)
    row = substitutes.substitution_by_id(row_id) or abort(404)
    form = EndForm()
    if not form.validate():
        abort(400)
    return run_write(
        lambda: substitutes.end_substitution(row, current_user, comment=form.comment.data),
        success=_("The substitution is ended."),
        back=url_for("org.substitutes_page"),
    )
