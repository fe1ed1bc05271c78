"""Login, logout, own account, and the organisation pages. Thin: forms in, operations out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from docflow.core import audit
from docflow.core.security import Permission, has_permission
from docflow.extensions import db
from docflow.org import operations
from docflow.org.forms import LoginForm, PasswordChangeForm
from docflow.org.models import Official, Subdivision

bp = Blueprint("org", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: no open redirect through ?next=.
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username = form.username.data.strip()
        if operations.is_throttled(username, request.remote_addr):
            audit.record(
                "login",
                object_type="user_account",
                summary={"username": username[:64]},
                outcome="throttled",
            )
            db.session.commit()
            flash(_("Too many failed attempts. Wait a few minutes and try again."), "error")
            status = 429
        else:
            user = operations.authenticate(username, form.password.data, request.remote_addr)
            db.session.commit()
            if user is not None:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            flash(_("Wrong username or password."), "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("org/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    operations.logout(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("org.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            operations.change_password(user, form.current.data, form.new.data)
        except operations.AccountError as exc:
            flash(str(exc), "error")
            return render_template("org/password.html", form=form), 400
        db.session.commit()
        logout_user()  # every session of the user ended with the password change
        flash(_("Your password has been changed. Log in with the new password."), "info")
        return redirect(url_for("org.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("org/password.html", form=form), status


@bp.route("/org")
@login_required
def organisation():
    subdivisions = db.session.scalars(
        select(Subdivision).order_by(Subdivision.kind, Subdivision.code)
    )
    officials = db.session.scalars(select(Official).order_by(Official.id))
    return render_template(
        "org/organisation.html", subdivisions=list(subdivisions), officials=list(officials)
    )


@bp.route("/org/<code>")
@login_required
def subdivision(code: str):
    sub = db.session.scalar(select(Subdivision).where(Subdivision.code == code))
    if sub is None:
        abort(404)
    show_people = has_permission(current_user, Permission.VIEW_REGISTRY) or any(
        s == sub.code for _r, s in current_user.role_grants()
    )
    return render_template("org/subdivision.html", sub=sub, show_people=show_people)
