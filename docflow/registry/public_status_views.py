"""The public status page (``/public/status``, no login): the number and the slip's code in, the
item's state, term and answer out (:mod:`docflow.registry.public_status`).

The lookup is a POST: the code never goes into a URL, a server log or the browser's history.
The slip's QR code opens ``/public/status?number=…#code=…``; ``static/js/public_status.js``
moves the code from the fragment into the form (and out of the address bar). Pages are in
kk, ru or en (``?lang=``, else the browser's choice), not cached, not indexed, no referrer.
"""

from __future__ import annotations

import io

from flask import make_response, render_template, request, send_file
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from docflow.extensions import db
from docflow.org.models import Organisation
from docflow.protocols.blueprint import public_bp
from docflow.registry import public_status

LANGS = ("kk", "ru", "en")


class StatusForm(FlaskForm):
    number = StringField(
        _l("Registration number"),
        validators=[DataRequired(_l("Enter the registration number.")), Length(max=64)],
    )
    code = StringField(
        _l("Code from the receipt slip"),
        validators=[DataRequired(_l("Enter the code from the receipt slip.")), Length(max=32)],
    )


class AnswerForm(FlaskForm):
    number = HiddenField(validators=[DataRequired(), Length(max=64)])
    code = HiddenField(validators=[DataRequired(), Length(max=32)])


def _lang() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS) or "kk"


def _private(response, lang: str):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return response


def _page(lang: str, status: int = 200, **ctx):
    org = db.session.scalar(db.select(Organisation).order_by(Organisation.id)) or None
    org = (org.names if org is not None else None) or {}
    with force_locale(lang):
        body = render_template(
            "registry/public_status.html",
            lang=lang,
            org_name=org.get(lang) or org.get("ru") or org.get("kk") or "",
            **ctx,
        )
    return _private(make_response(body, status), lang)


@public_bp.route("/status", methods=["GET"])
def status():
    lang = _lang()
    form = StatusForm(formdata=None)
    form.number.data = public_status.normalise_number(request.args.get("number"))
    return _page(lang, form=form)


@public_bp.route("/status", methods=["POST"])
def status_lookup():
    lang = _lang()
    form = StatusForm()
    if not form.validate():
        return _page(lang, 400, form=form)
    with force_locale(lang):
        found = public_status.look_up(form.number.data, form.code.data, request.remote_addr)
        db.session.commit()  # the failure is counted even when the page says "not found"
        if found.item is None:
            form.code.data = ""
            return _page(lang, found.refusal.status, form=form, refusal=found.refusal.message)
        result = public_status.public_status(found.item)
    again = AnswerForm(formdata=None, number=found.item.reg_number, code=form.code.data)
    return _page(lang, result=result, again=again)


@public_bp.route("/status/answer/<letter_id>", methods=["POST"])
def status_answer(letter_id: str):
    """The signed PDF of a sent answer: the number and code again (the same throttle)."""
    lang = _lang()
    form = AnswerForm()
    if not form.validate():
        return _page(lang, 400, form=StatusForm(formdata=None))
    with force_locale(lang):
        found = public_status.look_up(form.number.data, form.code.data, request.remote_addr)
        db.session.commit()
        pdf = public_status.answer_pdf(found.item, letter_id) if found.item else None
        if pdf is None:
            refusal = found.refusal or public_status.StatusNotFound()
            again = StatusForm(formdata=None, number=form.number.data)
            return _page(lang, refusal.status, form=again, refusal=refusal.message)
    name, data = pdf
    response = send_file(
        io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name
    )
    return _private(response, lang)
