"""Forms of the dispatch page: send a signed letter, record the post's tracking number and the
delivery, record the applicant's rating given by phone (R-ANS-3)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from docflow.outgoing.dispatch_models import CHANNELS
from docflow.outgoing.public_models import SCORES


class DispatchForm(FlaskForm):
    channel = SelectField(
        _l("How it goes out"),
        choices=[SelectChoice(k, v) for k, v in CHANNELS.items()],
        validators=[DataRequired()],
    )
    to = StringField(
        _l("E-mail (empty: the applicant's)"), validators=[Optional(), Length(max=254)]
    )
    recipient = StringField(
        _l("Recipient on the envelope (empty: the applicant)"),
        validators=[Optional(), Length(max=300)],
    )
    address = StringField(
        _l("Postal address (empty: the applicant's)"), validators=[Optional(), Length(max=300)]
    )
    tracking = StringField(
        _l("Tracking number (empty: not handed to the post yet)"),
        validators=[Optional(), Length(max=40)],
    )
    received_by = StringField(_l("Received by (by hand)"), validators=[Optional(), Length(max=300)])


class PostedForm(FlaskForm):
    tracking = StringField(_l("Tracking number"), validators=[DataRequired(), Length(max=40)])


class DeliveredForm(FlaskForm):
    received_by = StringField(_l("Received by"), validators=[Optional(), Length(max=300)])
    note = StringField(
        _l("How it is known (e.g. the post's delivery notice)"),
        validators=[Optional(), Length(max=1000)],
    )


class CallRatingForm(FlaskForm):
    score = RadioField(
        _l("Rating given by phone"),
        choices=[SelectChoice(str(s), str(s)) for s in SCORES],
        validators=[DataRequired(_l("Choose a rating from 1 to 5."))],
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=1000)])
