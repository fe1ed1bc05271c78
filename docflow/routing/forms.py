"""Routing forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class DistributeForm(FlaskForm):
    responsible = SelectField(_l("Responsible subdivision"), validators=[DataRequired()])
    co_executors = SelectMultipleField(_l("Co-executor subdivisions"), validators=[Optional()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class AssignForm(FlaskForm):
    executors = SelectMultipleField(_l("Executors (the first chosen is responsible)"), coerce=int)
    kind = SelectField(_l("Action"), default="assign")
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    # the head's resolution for the executors (docflow.routing.resolution), both optional
    instruction = TextAreaField(
        _l("Resolution: what the executors are to do"), validators=[Optional(), Length(max=1000)]
    )
    term = DateField(_l("Executors' term"), validators=[Optional()])


class AnswerForm(FlaskForm):
    summary = TextAreaField(
        _l("Answer in brief (the motivated conclusion)"),
        validators=[DataRequired(), Length(max=5000)],
    )
    file = FileField(_l("Answer document"), validators=[DataRequired()])
    final = BooleanField(_l("Final answer to the applicant"), default=True)


class CommentForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class ExtendForm(FlaskForm):
    basis = SelectField(
        _l("Basis"),
        choices=[
            SelectChoice("letter", _l("Letter to the applicant (up to 30 days)")),
            SelectChoice(
                "decision", _l("Motivated decision of the head (up to 2 months in total)")
            ),
        ],
    )
    new_due = DateField(_l("New due date"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ForwardForm(FlaskForm):
    body = StringField(_l("Body to forward to"), validators=[DataRequired(), Length(max=300)])
    partial = BooleanField(_l("Only a part of the questions"))
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
