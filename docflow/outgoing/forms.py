"""Outgoing-notice forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from docflow.outgoing.models import CHANNELS, KINDS


class MarkSentForm(FlaskForm):
    channel = SelectField(
        _l("How it was sent"),
        choices=[SelectChoice(k, v) for k, v in CHANNELS.items()],
        validators=[DataRequired()],
    )
    sent_on = DateField(_l("Sent on (empty: today)"), validators=[Optional()])


class JournalFilterForm(Form):
    """The journal's search (GET, no CSRF)."""

    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice("", _l("Any"))] + [SelectChoice(k, v) for k, v in KINDS.items()],
        default="",
    )
    not_sent = BooleanField(_l("Not sent only"))
    overdue = BooleanField(_l("Overdue only"))
