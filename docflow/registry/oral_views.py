"""The oral / phone appeal page and API path, on the registry blueprint (R-REG-2).

``/registry/oral``: the front office writes down the applicant's words; the appeal is registered
with its protocol attached. ``POST /api/v1/items/oral`` does the same for a call centre: the body
of ``POST /api/v1/items`` plus ``"words"`` (and ``"caller_phone"``), ``channel`` ``oral`` or
``phone``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from flask import g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from docflow.api import api_auth, json_body, text_field
from docflow.api import bp as api_bp
from docflow.core.calendar import get_calendar
from docflow.core.security import Permission
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.registry import jobs, oral
from docflow.registry.blueprint import bp
from docflow.registry.forms import ApplicantForm, applicant_data, choices
from docflow.registry.operations import RegistrationData
from docflow.registry.vocab import CHANNELS, LANGUAGES, ORAL_CHANNELS


class OralAppealForm(FlaskForm):
    token = HiddenField(default=lambda: uuid.uuid4().hex)  # a double submission registers once
    channel = SelectField(
        _l("Arrived"),
        choices=choices({k: v for k, v in CHANNELS.items() if k in ORAL_CHANNELS}),
        default="oral",
    )
    kind = SelectField(_l("Kind"), default="statement")
    language = SelectField(_l("Language"), choices=choices(LANGUAGES), default="kk")
    arrived_at = DateTimeLocalField(
        _l("Date and time of the appeal"), validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    applicant = FormField(ApplicantForm)
    caller_phone = StringField(
        _l("Phone the call came from"), validators=[Optional(), Length(max=50)]
    )
    addressee = StringField(_l("Addressee"), validators=[Optional(), Length(max=300)])
    words = TextAreaField(
        _l("The applicant's words"), validators=[Optional(), Length(max=oral.MAX_WORDS)]
    )
    summary = TextAreaField(
        _l("Summary (essence of the question)"), validators=[Optional(), Length(max=20000)]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from docflow.routing.kind_terms import registrable_kinds

        self.kind.choices = choices(registrable_kinds())


def _appeal_from(form: OralAppealForm) -> oral.OralAppeal:
    a = form.applicant.form
    applicants = []
    if any((v or "").strip() for v in (a.full_name.data, a.iin.data, a.organisation_name.data)):
        applicants.append(applicant_data(a))
    arrived = form.arrived_at.data
    data = RegistrationData(
        kind=form.kind.data,
        channel=form.channel.data,
        applicants=applicants,
        addressee=form.addressee.data,
        summary=form.summary.data or "",
        language=form.language.data,
        arrived_at=arrived.replace(tzinfo=get_calendar().tz).astimezone(dt.UTC)
        if arrived
        else None,
        idempotency_key=f"oral:{current_user.id}:{form.token.data}" if form.token.data else None,
    )
    return oral.OralAppeal(
        data=data, words=form.words.data or "", caller_phone=form.caller_phone.data
    )


def _render(form: OralAppealForm, errors: dict, status: int = 200):
    return render_template("registry/oral.html", form=form, errors=errors), status


def _registered(item):
    jobs.schedule()  # the protocol's text into the search index
    return url_for("registry.item", public_id=item.public_id, registered=1)


@bp.route("/oral", methods=["GET", "POST"])
@login_required
def oral_appeal():
    """R-REG-2: an oral or phone appeal, written into its protocol and registered."""
    require(Permission.REGISTER)
    form = OralAppealForm()
    if request.method == "GET":
        if request.args.get("channel") in ORAL_CHANNELS:
            form.channel.data = request.args["channel"]
        return _render(form, {})
    if not form.validate():
        errors = {name: "; ".join(map(str, errs)) for name, errs in form.errors.items()}
        return _render(form, errors, 422)
    appeal = _appeal_from(form)
    return run_write(
        lambda: oral.register_oral(appeal, current_user),
        success=lambda item: _("Registered under number %(number)s.", number=item.reg_number),
        back=_registered,
        failure=lambda exc: _render(form, dict(getattr(exc, "fields", None) or {}), 422),
    )


@api_bp.route("/items/oral", methods=["POST"])
@api_auth
def register_oral_item():
    """``POST /api/v1/items/oral``: the registration body plus ``words`` (R-REG-2)."""
    from docflow.registry.api import _existing, item_json, parse_registration

    payload = json_body(required=True)
    data = parse_registration(payload)
    existed = bool(data.idempotency_key) and _existing(data.idempotency_key)
    appeal = oral.OralAppeal(
        data=data,
        words=text_field(payload, "words") or "",
        caller_phone=text_field(payload, "caller_phone"),
    )
    item = oral.register_oral(appeal, g.api_user)  # a refusal: the API's DomainError handler
    db.session.commit()
    jobs.schedule()
    return jsonify(item_json(item)), 200 if existed else 201
