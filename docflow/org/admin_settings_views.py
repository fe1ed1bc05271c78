"""The administrator's pages of the organisation and the office settings (issue 14):
subdivisions (names kk/ru/en, kind, in use), their heads, the working calendar (days off and
working Saturdays, from a date), the answer terms per kind (from a date) and the journals.

Routes on the ``org`` blueprint under ``/admin`` (MANAGE_ORG); each write calls one operation
of :mod:`docflow.org.admin_ops` through ``run_write``.
"""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from docflow.core.calendar import get_calendar
from docflow.core.security import Permission
from docflow.core.settings import get_setting
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.i18n import KIND_TITLES
from docflow.org import admin_ops
from docflow.org.admin_models import ScheduledChange
from docflow.org.blueprint import bp
from docflow.org.models import SUBDIVISION_KINDS, Subdivision, User
from docflow.registry.vocab import KINDS as ITEM_KINDS


class SubdivisionForm(FlaskForm):
    name_kk = StringField(_l("Name in Kazakh"), validators=[DataRequired(), Length(max=300)])
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=300)])
    kind = SelectField(_l("Kind"))
    active = BooleanField(_l("In use"))


class HeadForm(FlaskForm):
    user = SelectField(_l("New head"), coerce=int)


class EmptyForm(FlaskForm):
    pass


class CalendarForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    kind = SelectField(
        _l("The day becomes"),
        choices=[("off", _l("a day off")), ("working", _l("a working day"))],
    )
    note = StringField(_l("Why (e.g. the decree)"), validators=[Optional(), Length(max=200)])
    effective_from = DateField(_l("For terms counted from"), validators=[DataRequired()])


class TermForm(FlaskForm):
    days = IntegerField(
        _l("Number of days"),
        validators=[DataRequired(), NumberRange(min=1, max=admin_ops.MAX_TERM_DAYS)],
    )
    unit = SelectField(
        _l("Counted in"),
        choices=[("working", _l("working days")), ("calendar", _l("calendar days"))],
    )
    effective_from = DateField(_l("From"), validators=[DataRequired()])


class JournalForm(FlaskForm):
    name_kk = StringField(_l("Name in Kazakh"), validators=[DataRequired(), Length(max=300)])
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=300)])
    prefix = StringField(_l("Number prefix"), validators=[DataRequired(), Length(max=8)])


class ProfileForm(FlaskForm):
    file = FileField(_l("Profile (JSON)"), validators=[FileRequired()])


KIND_NAMES = KIND_TITLES  # the subdivisions' kinds, as the organisation page names them


def _sub_or_404(code: str) -> Subdivision:
    return db.session.scalar(select(Subdivision).where(Subdivision.code == code)) or abort(404)


# --- subdivisions and heads ----------------------------------------------------------------------


@bp.route("/admin/subdivisions")
@login_required
def admin_subdivisions():
    require_org()
    subs = list(
        db.session.scalars(select(Subdivision).order_by(Subdivision.kind, Subdivision.code))
    )
    heads = {s.id: admin_ops.heads_of(s) for s in subs}
    return render_template(
        "org/admin_subdivisions.html", subs=subs, heads=heads, kind_names=KIND_NAMES
    )


def require_org() -> None:
    require(Permission.MANAGE_ORG)


def _subdivision_form(sub: Subdivision, formdata=True) -> SubdivisionForm:
    names = sub.names or {}
    form = SubdivisionForm(
        formdata=request.form if formdata and request.method == "POST" else None,
        data={
            "name_kk": names.get("kk", ""),
            "name_ru": names.get("ru", ""),
            "name_en": names.get("en", ""),
            "kind": sub.kind,
            "active": sub.active,
        },
    )
    form.kind.choices = [(k, str(KIND_NAMES[k])) for k in SUBDIVISION_KINDS]
    return form


def _head_form(sub: Subdivision) -> HeadForm:
    form = HeadForm()
    people = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name))
    form.user.choices = [(u.id, f"{u.display_name} ({u.username})") for u in people]
    return form


def _subdivision_page(sub: Subdivision, form=None, status: int = 200):
    return (
        render_template(
            "org/admin_subdivision.html",
            sub=sub,
            form=form or _subdivision_form(sub, formdata=False),
            head_form=_head_form(sub),
            heads=admin_ops.heads_of(sub),
            empty=EmptyForm(),
        ),
        status,
    )


@bp.route("/admin/subdivisions/<code>")
@login_required
def admin_subdivision(code: str):
    require_org()
    return _subdivision_page(_sub_or_404(code))


@bp.route("/admin/subdivisions/<code>", methods=["POST"])
@login_required
def admin_edit_subdivision(code: str):
    require_org()
    sub = _sub_or_404(code)
    form = _subdivision_form(sub)
    if not form.validate():
        return _subdivision_page(sub, form, 422)
    names = {"kk": form.name_kk.data, "ru": form.name_ru.data, "en": form.name_en.data}
    return run_write(
        lambda: admin_ops.update_subdivision(sub, names, form.kind.data, form.active.data),
        success=_("Subdivision %(code)s saved.", code=sub.code),
        back=url_for("org.admin_subdivision", code=sub.code),
        failure=lambda _exc: _subdivision_page(sub, form, 422),
    )


@bp.route("/admin/subdivisions/<code>/heads", methods=["POST"])
@login_required
def admin_add_head(code: str):
    require_org()
    sub = _sub_or_404(code)
    form = _head_form(sub)
    if not form.validate():
        return _subdivision_page(sub, status=422)
    user = db.session.get(User, form.user.data)
    return run_write(
        lambda: admin_ops.add_head(sub, user),
        success=_("%(name)s heads %(code)s.", name=user.display_name, code=sub.code),
        back=url_for("org.admin_subdivision", code=sub.code),
        failure=lambda _exc: _subdivision_page(sub, status=422),
    )


@bp.route("/admin/subdivisions/<code>/heads/<int:user_id>/remove", methods=["POST"])
@login_required
def admin_remove_head(code: str, user_id: int):
    require_org()
    sub = _sub_or_404(code)
    user = db.session.get(User, user_id) or abort(404)
    return run_write(
        lambda: admin_ops.remove_head(sub, user),
        success=_("%(name)s no longer heads %(code)s.", name=user.display_name, code=sub.code),
        back=url_for("org.admin_subdivision", code=sub.code),
        failure=lambda _exc: _subdivision_page(sub, status=422),
    )


@bp.route("/admin/heads")
@login_required
def admin_heads():
    """Who heads which subdivision; substitutes have their own page."""
    require_org()
    subs = list(
        db.session.scalars(select(Subdivision).order_by(Subdivision.kind, Subdivision.code))
    )
    return render_template("org/admin_heads.html", rows=[(s, admin_ops.heads_of(s)) for s in subs])


# --- calendar --------------------------------------------------------------------------------------


def _calendar_page(form: CalendarForm | None = None, status: int = 200):
    cal = get_calendar()
    today = admin_ops.office_today()
    year = request.args.get("year", type=int) or today.year
    if not 2000 <= year <= 2100:
        abort(404)
    if form is None:
        form = CalendarForm(formdata=None, data={"effective_from": today})
    return (
        render_template(
            "org/admin_calendar.html",
            form=form,
            year=year,
            days=cal.special_days(year),
            pending=admin_ops.pending_changes("calendar"),
            applied=admin_ops.recent_changes("calendar"),
            empty=EmptyForm(),
            today=today,
        ),
        status,
    )


@bp.route("/admin/calendar")
@login_required
def admin_calendar():
    require_org()
    return _calendar_page()


@bp.route("/admin/calendar", methods=["POST"])
@login_required
def admin_calendar_change():
    require_org()
    form = CalendarForm()
    if not form.validate():
        return _calendar_page(form, 422)
    return run_write(
        lambda: admin_ops.change_calendar_day(
            form.day.data,
            form.kind.data == "working",
            form.note.data,
            form.effective_from.data,
            current_user,
        ),
        success=lambda row: _changed_message(row),
        back=url_for("org.admin_calendar"),
        failure=lambda _exc: _calendar_page(form, 422),
    )


def _changed_message(row: ScheduledChange) -> str:
    if row.pending:
        return _("The change takes effect on %(day)s.", day=row.effective_from.strftime("%d.%m.%Y"))
    return _("The change is in effect from today.")


@bp.route("/admin/changes/<int:row_id>/cancel", methods=["POST"])
@login_required
def admin_cancel_change(row_id: int):
    require_org()
    row = db.session.get(ScheduledChange, row_id) or abort(404)
    back = url_for("org.admin_calendar" if row.key == "calendar" else "org.admin_terms")
    return run_write(
        lambda: admin_ops.cancel_change(row, current_user),
        success=_("The change is cancelled."),
        back=back,
    )


# --- terms and journals ------------------------------------------------------------------------------


def _terms_page(status: int = 200, *, failed: str | None = None, form=None):
    today = admin_ops.office_today()
    terms = get_setting("terms") or {}
    forms = {
        kind: TermForm(
            formdata=None,
            prefix=f"t-{kind}",
            data={"days": t.get("days"), "unit": t.get("unit"), "effective_from": today},
        )
        for kind, t in sorted(terms.items())
    }
    if failed in forms and form is not None:
        forms[failed] = form
    journals = get_setting("journals") or []
    jforms = {}
    for j in journals:
        names = j.get("names") or {}
        jforms[j["code"]] = (
            form
            if failed == f"journal:{j['code']}" and form is not None
            else JournalForm(
                formdata=None,
                prefix=f"j-{j['code']}",
                data={
                    "name_kk": names.get("kk", ""),
                    "name_ru": names.get("ru", ""),
                    "name_en": names.get("en", ""),
                    "prefix": j.get("prefix", ""),
                },
            )
        )
    return (
        render_template(
            "org/admin_terms.html",
            terms=terms,
            forms=forms,
            journals=journals,
            jforms=jforms,
            pending=admin_ops.pending_changes("terms"),
            applied=admin_ops.recent_changes("terms"),
            empty=EmptyForm(),
            today=today,
            item_kinds=ITEM_KINDS,
        ),
        status,
    )


@bp.route("/admin/terms")
@login_required
def admin_terms():
    require_org()
    return _terms_page()


@bp.route("/admin/terms/<kind>", methods=["POST"])
@login_required
def admin_term_change(kind: str):
    require_org()
    if kind not in (get_setting("terms") or {}):
        abort(404)
    form = TermForm(prefix=f"t-{kind}")
    if not form.validate():
        return _terms_page(422, failed=kind, form=form)
    return run_write(
        lambda: admin_ops.change_term(
            kind, form.days.data, form.unit.data, form.effective_from.data, current_user
        ),
        success=lambda row: _changed_message(row),
        back=url_for("org.admin_terms"),
        failure=lambda _exc: _terms_page(422, failed=kind, form=form),
    )


@bp.route("/admin/journals/<code>", methods=["POST"])
@login_required
def admin_journal_edit(code: str):
    require_org()
    if not any(j.get("code") == code for j in get_setting("journals") or []):
        abort(404)
    form = JournalForm(prefix=f"j-{code}")
    if not form.validate():
        return _terms_page(422, failed=f"journal:{code}", form=form)
    names = {"kk": form.name_kk.data, "ru": form.name_ru.data, "en": form.name_en.data}
    return run_write(
        lambda: admin_ops.update_journal(code, names, form.prefix.data),
        success=_("Journal %(code)s saved.", code=code),
        back=url_for("org.admin_terms"),
        failure=lambda _exc: _terms_page(422, failed=f"journal:{code}", form=form),
    )


# --- the whole profile ----------------------------------------------------------------------------


def _profile_page(form: ProfileForm | None = None, status: int = 200):
    return render_template("org/admin_profile.html", form=form or ProfileForm()), status


@bp.route("/admin/profile")
@login_required
def admin_profile():
    require_org()
    return _profile_page()


@bp.route("/admin/profile", methods=["POST"])
@login_required
def admin_load_profile():
    require_org()
    form = ProfileForm()
    if not form.validate():
        return _profile_page(form, 422)
    raw = form.file.data.read(5 * 1024 * 1024 + 1)
    if len(raw) > 5 * 1024 * 1024:
        flash(_("The file is too large (at most 5 MB)."), "error")
        return _profile_page(form, 413)
    return run_write(
        lambda: admin_ops.load_profile_json(raw),
        success=lambda report: _(
            "Profile loaded: %(created)d created, %(updated)d updated.",
            created=sum(report["created"].values()),
            updated=sum(report["updated"].values()),
        ),
        back=url_for("org.admin_profile"),
        failure=lambda _exc: _profile_page(form, 422),
    )
