"""Dispatch pages: a letter's dispatches (send it, record the tracking number, the delivery,
the applicant's rating by phone); the post dispatch register (реестр отправки) and envelope
list for a date range, as a page or CSV; the printable receipt of a letter handed over; the
e-Otinish package to download.

Who reads them: whoever sees the letter (the letter page) or reads the outgoing journal (the
register). The recipients' names and addresses are personal data: every view is in the access
log (R-PD-1). Writes are the records office's (the operations check it: 403 otherwise).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from docflow.core import access_log
from docflow.core.calendar import get_calendar
from docflow.core.security import Permission, has_permission
from docflow.core.views import run_write
from docflow.extensions import db
from docflow.outgoing import dispatch, operations, public
from docflow.outgoing.dispatch_forms import CallRatingForm, DeliveredForm, DispatchForm, PostedForm
from docflow.outgoing.dispatch_models import CHANNELS, DISPATCH, LetterDispatch, dispatches_of
from docflow.outgoing.letter_models import Letter, letter_by_public_id
from docflow.outgoing.public_models import SOURCES, rating_of

bp = Blueprint("dispatch", __name__, url_prefix="/outgoing/dispatch")
MAX_DAYS = 366


def _require_read() -> None:
    if not operations.can_read(current_user):
        abort(403)


def _day(name: str, default: dt.date) -> dt.date:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        abort(400)


@bp.route("/register")
@login_required
def register():
    _require_read()
    today = get_calendar().local_now().date()
    day_from, day_to = _day("from", today), _day("to", today)
    if day_to < day_from or (day_to - day_from).days > MAX_DAYS:
        abort(400)
    rows = dispatch.register_rows(dispatch.post_register(day_from, day_to))
    for row in rows:
        access_log.record("view", row["dispatch"], item=row["dispatch"].letter.item)
    if request.args.get("format") == "csv":
        return _csv(rows, day_from, day_to)
    return render_template(
        "outgoing/dispatch_register.html",
        rows=rows,
        columns=dispatch.REGISTER_COLUMNS,
        day_from=day_from,
        day_to=day_to,
        envelopes=request.args.get("view") == "envelopes",
    )


def _csv(rows, day_from: dt.date, day_to: dt.date) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([str(title) for _key, title in dispatch.REGISTER_COLUMNS])
    for row in rows:
        writer.writerow([_cell(row[key]) for key, _title in dispatch.REGISTER_COLUMNS])
    name = f"dispatch-register-{day_from.isoformat()}-{day_to.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),  # the BOM: spreadsheet programs then read it as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _cell(value) -> str:
    text = str(value)
    # a cell starting like a formula is not run by a spreadsheet program
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _dispatch_or_404(public_id: str) -> LetterDispatch:
    if not public_id or len(public_id) > 32:
        abort(404)
    d = db.session.scalar(select(LetterDispatch).where(LetterDispatch.public_id == public_id))
    if d is None:
        abort(404)
    if not has_permission(current_user, Permission.VIEW, d.letter):
        abort(403)
    return d


@bp.route("/<public_id>/receipt")
@login_required
def receipt(public_id: str):
    d = _dispatch_or_404(public_id)
    if d.channel != "hand":
        abort(404)
    access_log.record("print", d, item=d.letter.item)
    return render_template(
        "outgoing/dispatch_receipt.html",
        d=d,
        letter=d.letter,
        channels=CHANNELS,
        state_title=DISPATCH.states[d.state].title,
    )


@bp.route("/<public_id>/package.zip")
@login_required
def package(public_id: str):
    d = _dispatch_or_404(public_id)
    if d.package is None:
        abort(404)
    access_log.record("print", d, item=d.letter.item)
    name = (d.letter.reg_number or d.letter.public_id).replace("/", "-")
    return Response(
        d.package,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="eotinish-{name}.zip"'},
    )


# --- a letter's dispatches --------------------------------------------------------------------


def _letter_or_404(public_id: str) -> Letter:
    letter = letter_by_public_id(public_id)
    if letter is None:
        abort(404)
    if not has_permission(current_user, Permission.VIEW, letter):
        abort(403)
    return letter


def _back(letter: Letter) -> str:
    return url_for("dispatch.letter", public_id=letter.public_id)


@bp.route("/letter/<public_id>")
@login_required
def letter(public_id: str):
    found = _letter_or_404(public_id)
    access_log.record("view", found, item=found.item)  # R-PD-1: the recipients' addresses
    office = has_permission(current_user, Permission.MODIFY, found)
    return render_template(
        "outgoing/dispatch_letter.html",
        letter=found,
        dispatches=dispatches_of(found),
        channels=CHANNELS,
        states=DISPATCH.states,
        rating=rating_of(found),
        sources=SOURCES,
        form=DispatchForm() if dispatch.may_dispatch(current_user, found) else None,
        posted_form=PostedForm() if office else None,
        delivered_form=DeliveredForm() if office else None,
        rating_form=CallRatingForm() if office and public.may_be_rated(found) else None,
    )


def _invalid(form, back: str):
    flash(_("Check the form: %(errors)s", errors=_form_errors(form)), "error")
    return redirect(back), 303


def _form_errors(form) -> str:
    return "; ".join(f"{form[name].label.text}: {' '.join(map(str, errs))}" for name, errs in form.errors.items())  # fmt: skip


@bp.route("/letter/<public_id>", methods=["POST"])
@login_required
def send(public_id: str):
    found = _letter_or_404(public_id)
    form = DispatchForm()
    if not form.validate_on_submit():
        return _invalid(form, _back(found))
    channel, actor = form.channel.data, current_user._get_current_object()
    actions = {
        "email": lambda: dispatch.dispatch_email(found, actor, to=form.to.data or None),
        "post": lambda: dispatch.dispatch_post(
            found,
            actor,
            address=form.address.data or None,
            tracking=form.tracking.data or None,
            recipient=form.recipient.data or None,
        ),
        "eotinish": lambda: dispatch.dispatch_eotinish(found, actor),
        "hand": lambda: dispatch.dispatch_by_hand(found, actor, form.received_by.data or ""),
    }
    return run_write(actions[channel], success=_sent_message, back=_back(found))


def _sent_message(d: LetterDispatch) -> str:
    if d.state == "failed":
        flash(_("The e-mail could not be sent: %(error)s", error=d.error), "error")
        return ""
    return _("Recorded: %(channel)s, %(state)s.", channel=CHANNELS[d.channel], state=DISPATCH.states[d.state].title)  # fmt: skip


@bp.route("/<public_id>/posted", methods=["POST"])
@login_required
def posted(public_id: str):
    d = _dispatch_or_404(public_id)
    form = PostedForm()
    if not form.validate_on_submit():
        return _invalid(form, _back(d.letter))
    return run_write(
        lambda: dispatch.record_posted(d, current_user, form.tracking.data),
        success=_("The tracking number is recorded: the letter is sent."),
        back=_back(d.letter),
    )


@bp.route("/<public_id>/delivered", methods=["POST"])
@login_required
def delivered(public_id: str):
    d = _dispatch_or_404(public_id)
    form = DeliveredForm()
    if not form.validate_on_submit():
        return _invalid(form, _back(d.letter))
    return run_write(
        lambda: dispatch.record_delivery(
            d, current_user, received_by=form.received_by.data, note=form.note.data
        ),
        success=_("The delivery is recorded."),
        back=_back(d.letter),
    )


@bp.route("/letter/<public_id>/rating", methods=["POST"])
@login_required
def rate(public_id: str):
    found = _letter_or_404(public_id)
    form = CallRatingForm()
    if not form.validate_on_submit():
        return _invalid(form, _back(found))
    return run_write(
        lambda: public.record_call_rating(found, current_user, form.score.data, form.comment.data),
        success=_("The rating from the call is recorded."),
        back=_back(found),
    )
