"""The administrator's pages (issue 14): the index and the users — list with filters, create,
roles global and local, IIN, deactivate / reactivate, reset password.

Routes on the ``org`` blueprint under ``/admin`` (imported before it is registered). Every page
needs MANAGE_USERS or MANAGE_ORG (the admin role); each write loads, checks and calls one
operation of :mod:`docflow.org.admin_ops` through ``run_write``. A temporary password is shown
once, in the answer to the request that made it (never flashed into the session cookie).
"""

from __future__ import annotations

from flask import abort, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from docflow.core.security import LOCAL_ROLES, ROLE_TITLES, Permission, Role
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.org import admin_ops
from docflow.org.blueprint import bp
from docflow.org.models import RoleGrant, Subdivision, User

GLOBAL_ROLES = [r for r in Role if r not in LOCAL_ROLES]


@bp.before_app_request
def _apply_due_changes() -> None:
    # Terms and calendar days scheduled for today take effect before the day's first request.
    admin_ops.apply_due_changes_now()


def role_title(role: str) -> str:
    try:
        return str(ROLE_TITLES[Role(role)])
    except ValueError:
        return role


def _subdivision_choices(blank: str | None = None) -> list[tuple[int, str]]:
    subs = db.session.scalars(select(Subdivision).order_by(Subdivision.kind, Subdivision.code))
    first = [(0, blank)] if blank is not None else []
    return first + [(s.id, f"{s.code} — {s.name}") for s in subs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=200)])
    password = PasswordField(
        _l("Password (empty: a temporary one is made and shown once)"),
        validators=[Optional(), Length(min=10, max=200)],
    )
    global_roles = MultiCheckboxField(_l("Roles in the whole office"))
    local_role = SelectField(_l("Role in a subdivision"))
    local_subdivision = SelectField(_l("Subdivision"), coerce=int, default=0)


class GrantForm(FlaskForm):
    role = SelectField(_l("Role"))
    subdivision = SelectField(_l("Subdivision (for a head or an executor)"), coerce=int, default=0)


class IinForm(FlaskForm):
    iin = StringField(_l("IIN"), validators=[DataRequired(), Length(max=20)])


class EmptyForm(FlaskForm):
    pass


def _new_user_form() -> NewUserForm:
    form = NewUserForm()
    form.global_roles.choices = [(r.value, str(ROLE_TITLES[r])) for r in GLOBAL_ROLES]
    form.local_role.choices = [("", _("none"))] + [
        (r.value, str(ROLE_TITLES[r])) for r in Role if r in LOCAL_ROLES
    ]
    form.local_subdivision.choices = _subdivision_choices("—")
    return form


def _grant_form() -> GrantForm:
    form = GrantForm()
    form.role.choices = [(r.value, str(ROLE_TITLES[r])) for r in Role]
    form.subdivision.choices = _subdivision_choices(_("the whole office"))
    return form


def _require_admin() -> None:
    require(Permission.MANAGE_USERS)


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


# --- pages ---------------------------------------------------------------------------------


@bp.route("/admin/")
@login_required
def admin_index():
    require(Permission.MANAGE_ORG)
    return render_template("org/admin_index.html")


@bp.route("/admin/users")
@login_required
def admin_users():
    """Users, filtered by a word of the name or username, role, subdivision and status."""
    _require_admin()
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    sub_id = request.args.get("subdivision", type=int) or 0
    status = request.args.get("status") or "active"
    query = select(User).order_by(User.full_name, User.username)
    if q:
        like = f"%{q}%"
        query = query.where(or_(User.username.ilike(like), User.full_name.ilike(like)))
    if role or sub_id:
        conds = []
        if role:
            conds.append(RoleGrant.role == role)
        if sub_id:
            conds.append(RoleGrant.subdivision_id == sub_id)
        query = query.where(User.id.in_(select(RoleGrant.user_id).where(*conds)))
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    people = list(db.session.scalars(query.limit(500)))
    return render_template(
        "org/admin_users.html",
        people=people,
        q=q,
        role=role,
        sub_id=sub_id,
        status=status,
        roles=[(r.value, ROLE_TITLES[r]) for r in Role],
        subdivisions=_subdivision_choices(),
        role_title=role_title,
    )


def _new_page(form: NewUserForm, status: int = 200):
    return render_template("org/admin_user_new.html", form=form), status


@bp.route("/admin/users/new")
@login_required
def admin_new_user():
    _require_admin()
    return _new_page(_new_user_form())


@bp.route("/admin/users/new", methods=["POST"])
@login_required
def admin_create_user():
    _require_admin()
    form = _new_user_form()
    if not form.validate():
        return _new_page(form, 422)
    grants: list[tuple[str, Subdivision | None]] = [(r, None) for r in form.global_roles.data]
    if form.local_role.data:
        grants.append(
            (form.local_role.data, db.session.get(Subdivision, form.local_subdivision.data))
        )
    return run_write(
        lambda: admin_ops.create_account(
            form.username.data,
            form.full_name.data,
            email=form.email.data,
            password=form.password.data,
            grants=grants,
        ),
        success=lambda result: _("User %(username)s created.", username=result[0].username),
        back=lambda result: _after_password(result[0], result[1]),
        failure=lambda _exc: _new_page(form, 422),
    )


def _after_password(user: User, password: str | None, *, token: bool = False):
    if password is None:
        return url_for("org.admin_user", user_id=user.id)
    # a response, not a URL: the password is in this answer only
    return make_response(
        render_template("org/admin_password.html", user=user, password=password, token=token)
    )


def _user_page(user: User, status: int = 200, *, grant_form=None, iin_form=None):
    return (
        render_template(
            "org/admin_user.html",
            user=user,
            grant_form=grant_form or _grant_form(),
            iin_form=iin_form or IinForm(),
            form=EmptyForm(),
            role_title=role_title,
        ),
        status,
    )


@bp.route("/admin/users/<int:user_id>")
@login_required
def admin_user(user_id: int):
    _require_admin()
    return _user_page(_user_or_404(user_id))


@bp.route("/admin/users/<int:user_id>/roles", methods=["POST"])
@login_required
def admin_add_role(user_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    form = _grant_form()
    if not form.validate():
        return _user_page(user, 422, grant_form=form)
    sub = db.session.get(Subdivision, form.subdivision.data) if form.subdivision.data else None
    return run_write(
        lambda: admin_ops.add_grant(user, form.role.data, sub),
        success=lambda grant: _(
            "%(username)s is now %(role)s.", username=user.username, role=role_title(grant.role)
        ),
        back=url_for("org.admin_user", user_id=user.id),
        failure=lambda _exc: _user_page(user, 422, grant_form=form),
    )


@bp.route("/admin/users/<int:user_id>/roles/<int:grant_id>/remove", methods=["POST"])
@login_required
def admin_remove_role(user_id: int, grant_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.user_id != user.id:
        abort(404)
    return run_write(
        lambda: admin_ops.remove_grant(user, grant),
        success=_("The role is taken away."),
        back=url_for("org.admin_user", user_id=user.id),
        failure=lambda _exc: _user_page(user, 422),
    )


@bp.route("/admin/users/<int:user_id>/iin", methods=["POST"])
@login_required
def admin_set_iin(user_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    form = IinForm()
    if not form.validate():
        return _user_page(user, 422, iin_form=form)
    return run_write(
        lambda: admin_ops.set_iin(user, form.iin.data),
        success=_("The IIN of %(username)s is recorded.", username=user.username),
        back=url_for("org.admin_user", user_id=user.id),
        failure=lambda _exc: _user_page(user, 422, iin_form=form),
    )


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@login_required
def admin_deactivate(user_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    return run_write(
        lambda: admin_ops.deactivate(user),
        success=lambda changed: (
            _(
                "%(username)s can no longer log in; their sessions have ended.",
                username=user.username,
            )
            if changed
            else _("%(username)s was already deactivated.", username=user.username)
        ),
        back=url_for("org.admin_user", user_id=user.id),
        failure=lambda _exc: _user_page(user, 422),
    )


@bp.route("/admin/users/<int:user_id>/reactivate", methods=["POST"])
@login_required
def admin_reactivate(user_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    return run_write(
        lambda: admin_ops.reactivate(user),
        success=lambda changed: (
            _("%(username)s can log in again.", username=user.username)
            if changed
            else _("%(username)s was already active.", username=user.username)
        ),
        back=url_for("org.admin_user", user_id=user.id),
    )


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@login_required
def admin_reset_password(user_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    return run_write(
        lambda: admin_ops.reset_password(user),
        success=_("A temporary password is set for %(username)s.", username=user.username),
        back=lambda password: _after_password(user, password),
        failure=lambda _exc: _user_page(user, 422),
    )


@bp.route("/admin/users/<int:user_id>/token", methods=["POST"])
@login_required
def admin_issue_token(user_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    return run_write(
        lambda: admin_ops.issue_api_token(user),
        success=_("A new API token is issued for %(username)s.", username=user.username),
        back=lambda token: _after_password(user, token, token=True),
        failure=lambda _exc: _user_page(user, 422),
    )
