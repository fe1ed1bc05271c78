"""The public verification page of a signed letter (``/v/<id>/<hash>``, the QR code's address)
and the applicant's rating form on it (R-ANS-3). No login; the form has CSRF protection.

The address is a capability: the page is not cached, not indexed and sends no referrer.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from docflow.core.views import run_write
from docflow.outgoing import public
from docflow.outgoing.dispatch_models import CHANNELS  # noqa: F401  (the models, for metadata)
from docflow.outgoing.public_models import SCORES, rating_of

bp = Blueprint("verification", __name__)
LANGS = ("kk", "ru", "en")


class RatingForm(FlaskForm):
    score = RadioField(
        _l("Your rating of the answer"),
        choices=[SelectChoice(str(s), str(s)) for s in SCORES],
        validators=[DataRequired(_l("Choose a rating from 1 to 5."))],
    )
    comment = TextAreaField(
        _l("Comment (optional)"), validators=[Optional(), Length(max=public.MAX_COMMENT)]
    )


def _lang() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS) or "kk"


def _letter(public_id: str, digest: str):
    letter = public.letter_for_qr(public_id, digest)
    if letter is None:
        abort(404)
    return letter


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(letter, digest: str, lang: str, form: RatingForm | None = None, status: int = 200):
    with force_locale(lang):
        body = render_template(
            "outgoing/public_letter.html",
            lang=lang,
            letter=letter,
            digest=digest,
            v=public.verification(letter, lang),
            rating=rating_of(letter),
            form=(form or RatingForm()) if public.may_be_rated(letter) else None,
        )
    response = make_response(body, status)
    response.headers["Content-Language"] = lang
    return _private(response)


@bp.route("/v/<public_id>/<digest>")
def letter(public_id: str, digest: str):
    return _page(_letter(public_id, digest), digest, _lang())


@bp.route("/v/<public_id>/<digest>/rating", methods=["POST"])
def rate(public_id: str, digest: str):
    found = _letter(public_id, digest)
    lang = _lang()
    form = RatingForm()
    if not form.validate_on_submit():
        return _page(found, digest, lang, form, 422)
    back = url_for("verification.letter", public_id=public_id, digest=digest, lang=lang)
    with force_locale(lang):
        return run_write(
            lambda: public.rate_on_web(found, form.score.data, form.comment.data),
            success=_("Thank you: your rating is recorded."),
            back=back,
        )
