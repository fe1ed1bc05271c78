"""Pages of reception schedules (R-RECV-1..3, -8), the public schedule (R-RECV-2) and the
satisfaction survey (R-RECV-13). Thin views: form → operation → flash → redirect (303)."""

from __future__ import annotations

import datetime as dt
import io

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from docflow.core.calendar import get_calendar
from docflow.core.security import Permission, has_permission
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.org.models import Official, User
from docflow.protocols import satisfaction, schedule_coverage, schedule_public, schedules
from docflow.protocols.blueprint import bp, public_bp
from docflow.protocols.models import ReceptionSchedule, ReceptionSession, SignUp
from docflow.protocols.workflow import SESSION
from docflow.registry.models import item_by_number

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
UPCOMING_WEEKS = 8
COVERAGE_MONTHS = 2

WEEKDAY_TITLES = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
)
WEEK_TITLES = {
    "": _l("every week"),
    "1": _l("the 1st of the month"),
    "2": _l("the 2nd of the month"),
    "3": _l("the 3rd of the month"),
    "4": _l("the 4th of the month"),
    "5": _l("the 5th of the month"),
}
KIND_TITLES = {
    "scheduled": _l("By the schedule"),
    "one_off": _l("One-off"),
    "off_schedule": _l("Outside the schedule, on the akim's instruction"),
}


# --- forms ----------------------------------------------------------------------------------


class ScheduleForm(FlaskForm):
    official = SelectField(_l("Official"), coerce=int)
    weekday = SelectField(
        _l("Day of the week"),
        coerce=int,
        choices=[SelectChoice(i, title) for i, title in enumerate(WEEKDAY_TITLES)],
    )
    week_of_month = SelectField(
        _l("Which of the month"),
        choices=[SelectChoice(k, v) for k, v in WEEK_TITLES.items()],
        default="",
    )
    start = TimeField(_l("From"), validators=[DataRequired()])
    end = TimeField(_l("To"), validators=[DataRequired()])
    place_kk = StringField(_l("Place (in Kazakh)"), validators=[DataRequired(), Length(max=300)])
    place_ru = StringField(_l("Place (in Russian)"), validators=[DataRequired(), Length(max=300)])
    video = BooleanField(_l("By video conference"))
    slot_minutes = IntegerField(
        _l("Minutes per applicant"),
        default=15,
        validators=[DataRequired(), NumberRange(min=schedules.MIN_SLOT, max=schedules.MAX_SLOT)],
    )
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
    valid_to = DateField(_l("Valid until"), validators=[Optional()])


class GenerateForm(FlaskForm):
    weeks = IntegerField(
        _l("Weeks ahead"), default=4, validators=[DataRequired(), NumberRange(min=1, max=26)]
    )


class OneOffForm(FlaskForm):
    official = SelectField(_l("Official"), coerce=int)
    date = DateField(_l("Date"), validators=[DataRequired()])
    start = TimeField(_l("From"), validators=[DataRequired()])
    end = TimeField(_l("To"), validators=[DataRequired()])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k, KIND_TITLES[k]) for k in ("one_off", "off_schedule")],
        default="one_off",
    )
    instruction = TextAreaField(
        _l("The akim's instruction (outside the schedule)"),
        validators=[Optional(), Length(max=5000)],
    )
    video_link = StringField(
        _l("Video conference link"), validators=[Optional(), URL(), Length(max=500)]
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the official cannot hold the reception"),
        validators=[DataRequired(), Length(max=2000)],
    )


class CallForm(FlaskForm):
    reason = SelectField(
        _l("Applicant"), choices=[SelectChoice(k, v) for k, v in satisfaction.REASONS.items()]
    )
    result = SelectField(
        _l("Result"), choices=[SelectChoice(k, v) for k, v in satisfaction.RESULTS.items()]
    )
    reg_number = StringField(
        _l("Registration number of the request"), validators=[Optional(), Length(max=64)]
    )
    called_on = DateField(_l("Called on"), validators=[Optional()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


# --- helpers --------------------------------------------------------------------------------


def _today() -> dt.date:
    return get_calendar().local_now().date()


def _officials() -> list[Official]:
    return list(db.session.scalars(select(Official).order_by(Official.id)))


def _official_choices() -> list[SelectChoice]:
    return [SelectChoice(o.id, f"{o.full_name} — {o.position}") for o in _officials()]


def _form_errors(form: FlaskForm) -> str:
    return "; ".join(
        f"{getattr(form, name).label.text}: {' '.join(map(str, errs))}"
        for name, errs in form.errors.items()
        if name != "csrf_token"
    ) or _("The form has expired. Reload the page and try again.")


def _back(endpoint: str = "protocols.schedules_page", **values):
    return redirect(url_for(endpoint, **values)), 303


@bp.app_template_filter("reception_time")
def _reception_time(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


@bp.app_template_filter("reception_date")
def _reception_date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


# --- schedules ------------------------------------------------------------------------------


def _render_schedules(
    schedule_form: ScheduleForm | None = None,
    one_off_form: OneOffForm | None = None,
    status: int = 200,
):
    today = _today()
    can_manage = has_permission(current_user, Permission.MANAGE_RECEPTION)
    choices = _official_choices()
    if can_manage:
        schedule_form = schedule_form or ScheduleForm(formdata=None, valid_from=today)
        one_off_form = one_off_form or OneOffForm(formdata=None)
        schedule_form.official.choices = choices
        one_off_form.official.choices = choices
    sessions = schedules.upcoming_sessions(today, today + dt.timedelta(weeks=UPCOMING_WEEKS))
    all_schedules = schedules.schedules()
    approver_ids = {s.approved_by_id for s in all_schedules if s.approved_by_id}
    approvers = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(approver_ids)))}
    return render_template(
        "protocols/schedules.html",
        schedules=all_schedules,
        officials={o.id: o for o in _officials()},
        approvers=approvers,
        sessions=sessions,
        session_states=SESSION.states,
        problems=schedule_coverage.monthly_coverage_problems(today, months=COVERAGE_MONTHS),
        can_manage=can_manage,
        can_approve=has_permission(current_user, Permission.APPROVE_SCHEDULE),
        schedule_form=schedule_form,
        one_off_form=one_off_form,
        generate_form=GenerateForm(formdata=None) if can_manage else None,
        cancel_form=CancelForm(formdata=None) if can_manage else None,
        weekday_titles=WEEKDAY_TITLES,
        week_titles=WEEK_TITLES,
        kind_titles=KIND_TITLES,
        today=today,
    ), status


@bp.route("/schedules")
@login_required
def schedules_page():
    require(Permission.VIEW)
    return _render_schedules()


@bp.route("/schedules", methods=["POST"])
@login_required
def schedule_create():
    require(Permission.MANAGE_RECEPTION)
    form = ScheduleForm()
    form.official.choices = _official_choices()
    if not form.validate():
        return _render_schedules(schedule_form=form, status=422)
    official = db.session.get(Official, form.official.data)
    return run_write(
        lambda: schedules.create_schedule(
            official,
            current_user,
            weekday=form.weekday.data,
            week_of_month=int(form.week_of_month.data) if form.week_of_month.data else None,
            start=form.start.data,
            end=form.end.data,
            place={"kk": form.place_kk.data, "ru": form.place_ru.data},
            video=bool(form.video.data),
            slot_minutes=form.slot_minutes.data,
            valid_from=form.valid_from.data,
            valid_to=form.valid_to.data,
        ),
        success=_(
            "The schedule of %(name)s is saved. It is published after the approval.",
            name=official.full_name,
        ),
        back=lambda schedule: url_for(
            "protocols.schedules_page", _anchor=f"schedule-{schedule.id}"
        ),
        failure=lambda _exc: _render_schedules(schedule_form=form, status=422),
    )


@bp.route("/schedules/<int:schedule_id>/approve", methods=["POST"])
@login_required
def schedule_approve(schedule_id: int):
    require(Permission.APPROVE_SCHEDULE)
    schedule = db.session.get(ReceptionSchedule, schedule_id) or abort(404)
    return run_write(
        lambda: schedules.approve_schedule(schedule, current_user),
        success=_("The schedule is approved and published."),
        back=url_for("protocols.schedules_page"),
    )


@bp.route("/schedules/generate", methods=["POST"])
@login_required
def schedule_generate():
    require(Permission.MANAGE_RECEPTION)
    form = GenerateForm()
    if not form.validate():
        flash(_form_errors(form), "error")
        return _back()
    today = _today()
    return run_write(
        lambda: schedules.generate_sessions(
            current_user, today, today + dt.timedelta(weeks=form.weeks.data, days=-1)
        ),
        success=lambda created: (
            _("%(n)d reception(s) planned on working days.", n=len(created))
            if created
            else _("Nothing new to plan: the receptions of the period are already planned.")
        ),
        back=lambda created: url_for(
            "protocols.schedules_page", **({"_anchor": "sessions"} if created is not None else {})
        ),
    )


@bp.route("/sessions/new", methods=["POST"])
@login_required
def schedule_one_off():
    require(Permission.MANAGE_RECEPTION)
    form = OneOffForm()
    form.official.choices = _official_choices()
    if not form.validate():
        return _render_schedules(one_off_form=form, status=422)
    official = db.session.get(Official, form.official.data)
    return run_write(
        lambda: schedules.create_one_off(
            official,
            current_user,
            form.date.data,
            form.start.data,
            form.end.data,
            kind=form.kind.data,
            instruction=form.instruction.data,
            video_link=form.video_link.data,
        ),
        success=lambda session: _(
            "Reception of %(name)s planned on %(date)s.",
            name=official.full_name,
            date=format_date(session.date),
        ),
        back=url_for("protocols.schedules_page", _anchor="sessions"),
        failure=lambda _exc: _render_schedules(one_off_form=form, status=422),
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@login_required
def schedule_cancel_session(session_id: int):
    require(Permission.MANAGE_RECEPTION)
    session = db.session.get(ReceptionSession, session_id) or abort(404)
    form = CancelForm()
    if not form.validate():
        flash(_("Give the reason why the reception cannot be held."), "error")
        return _back(_anchor="sessions")
    return run_write(
        lambda: schedules.cancel_session(session, current_user, form.reason.data),
        success=lambda result: _cancelled_messages(session, result),
        back=lambda result: (
            url_for("protocols.schedule_cancel_notices", session_id=session.id)
            if result is not None
            else url_for("protocols.schedules_page", _anchor="sessions")
        ),
    )


def _cancelled_messages(session: ReceptionSession, result) -> None:
    flash(
        _(
            "The reception of %(date)s is cancelled; %(n)d applicant(s) to notify.",
            date=format_date(session.date),
            n=len(result.notices),
        ),
        "info",
    )
    if result.late:
        flash(
            _(
                "Late notice: the official notified %(n)d working day(s) before the reception; R-RECV-8 asks for at least 2, or on the day.",
                n=result.working_days_before,
            ),
            "error",
        )


@bp.route("/sessions/<int:session_id>/notices")
@login_required
def schedule_cancel_notices(session_id: int):
    require(Permission.MANAGE_RECEPTION)
    session = db.session.get(ReceptionSession, session_id) or abort(404)
    cancellation = schedules.cancellation_of(session)
    if cancellation is None:
        abort(404)
    return render_template(
        "protocols/cancel_notices.html",
        session=session,
        cancellation=cancellation,
        official=db.session.get(Official, session.official_id),
    )


# --- the public schedule (R-RECV-2) ---------------------------------------------------------


def _public_lang() -> str:
    asked = request.args.get("lang")
    if asked in schedules.LANGS:
        return asked
    return request.accept_languages.best_match(schedules.LANGS) or "kk"


def _public_headers(response, lang: str):
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return response


@public_bp.route("/reception")
def reception():
    lang = _public_lang()
    today = _today()
    org = schedule_public.organisation_names()
    with force_locale(lang):
        body = render_template(
            "protocols/public_reception.html",
            lang=lang,
            text=schedule_public.PUBLIC_TEXT[lang],
            officials=schedule_public.published_schedule(today),
            org_name=org.get(lang) or org.get("ru") or org.get("kk") or "",
            today=today,
        )
    return _public_headers(make_response(body), lang)


@public_bp.route("/reception.docx")
def reception_docx():
    from docflow.protocols.schedule_print import schedule_docx

    lang = _public_lang()
    response = send_file(
        io.BytesIO(schedule_docx(lang)),
        mimetype=DOCX_MIME,
        as_attachment=True,
        download_name=f"reception-schedule-{lang}.docx",
    )
    return _public_headers(response, lang)


@public_bp.route("/reception.pdf")
def reception_pdf():
    from docflow.protocols.schedule_print import schedule_pdf

    lang = _public_lang()
    response = send_file(
        io.BytesIO(schedule_pdf(lang)),
        mimetype="application/pdf",
        download_name=f"reception-schedule-{lang}.pdf",
    )
    return _public_headers(response, lang)


# --- satisfaction survey (R-RECV-13) --------------------------------------------------------


def _may_read_satisfaction() -> bool:
    return has_permission(current_user, Permission.MANAGE_RECEPTION) or has_permission(
        current_user, Permission.READ_AUDIT
    )


def _render_satisfaction(form: CallForm | None = None, status: int = 200):
    today = _today()
    year, quarter = satisfaction.quarter_of(today)
    calls = satisfaction.recent_calls()
    item_ids = {c.item_id for c in calls if c.item_id}
    from docflow.registry.models import IncomingItem

    items = (
        {
            i.id: i
            for i in db.session.scalars(select(IncomingItem).where(IncomingItem.id.in_(item_ids)))
        }
        if item_ids
        else {}
    )
    can_record = has_permission(current_user, Permission.MANAGE_RECEPTION)
    return render_template(
        "protocols/satisfaction.html",
        form=(form or CallForm(formdata=None, called_on=today)) if can_record else None,
        can_record=can_record,
        calls=calls,
        items=items,
        stats=satisfaction.quarter_stats(year, quarter),
        reasons=satisfaction.REASONS,
        results=satisfaction.RESULTS,
        year=year,
        quarter=quarter,
        years=list(range(today.year - 3, today.year + 1)),
    ), status


@bp.route("/satisfaction")
@login_required
def satisfaction_page():
    if not _may_read_satisfaction():
        abort(403)
    return _render_satisfaction()


@bp.route("/satisfaction", methods=["POST"])
@login_required
def satisfaction_record():
    require(Permission.MANAGE_RECEPTION)
    form = CallForm()
    if not form.validate():
        return _render_satisfaction(form, status=422)
    item = signup = None
    number = (form.reg_number.data or "").strip()
    if number:
        item = item_by_number(number)
        if item is None:
            flash(_("No registered item with that number."), "error")
            return _render_satisfaction(form, status=422)
        signup = db.session.scalar(select(SignUp).where(SignUp.item_id == item.id))
    return run_write(
        lambda: satisfaction.record_call(
            current_user,
            reason=form.reason.data,
            result=form.result.data,
            signup=signup,
            item=item,
            comment=form.comment.data,
            called_on=form.called_on.data,
        ),
        success=_("The call is recorded."),
        back=url_for("protocols.satisfaction_page"),
        failure=lambda _exc: _render_satisfaction(form, status=422),
    )


@bp.route("/satisfaction/report.docx")
@login_required
def satisfaction_report():
    if not _may_read_satisfaction():
        abort(403)
    year = request.args.get("year", type=int)
    quarter = request.args.get("quarter", type=int)
    lang = request.args.get("lang", "ru")
    if year is None or not 2000 <= year <= 2100 or quarter not in (1, 2, 3, 4):
        abort(400)
    if lang not in schedules.LANGS:
        abort(400)
    data = satisfaction.quarterly_report_docx(year, quarter, lang)
    return send_file(
        io.BytesIO(data),
        mimetype=DOCX_MIME,
        as_attachment=True,
        download_name=f"satisfaction-{year}-q{quarter}-{lang}.docx",
    )
