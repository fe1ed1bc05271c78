"""Forms of the inspection pages (R-AUDIT-1)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Form,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from docflow.inspection.models import CHECKLIST, CHECKLIST_ANSWERS, FINDING_STATUSES, SEVERITIES
from docflow.inspection.sample import MAX_SAMPLE


class InspectionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    date_from = DateField(_l("Period from"), validators=[DataRequired()])
    date_to = DateField(_l("Period to"), validators=[DataRequired()])
    as_of = DateField(_l("As of (empty: the period's last day)"), validators=[Optional()])
    subdivisions = SelectMultipleField(_l("Subdivisions"), choices=[], validate_choice=True)
    districts = SelectMultipleField(_l("Districts"), choices=[], validate_choice=True)


class ActionForm(FlaskForm):
    """A button with nothing to fill in (run, close): the CSRF token only."""


class FindingFilterForm(Form):
    """The run page's filters (GET, no CSRF)."""

    code = SelectField(_l("Check"), choices=[], default="", validate_choice=False)
    subdivision = SelectField(_l("Subdivision"), choices=[], default="", validate_choice=False)
    severity = SelectField(
        _l("Severity"),
        choices=[SelectChoice("", _l("Any"))] + [SelectChoice(k, v) for k, v in SEVERITIES.items()],
        default="",
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any"))]
        + [SelectChoice(k, v) for k, v in FINDING_STATUSES.items()],
        default="",
    )


class SampleForm(FlaskForm):
    size = IntegerField(
        _l("Number of cases"), validators=[DataRequired(), NumberRange(1, MAX_SAMPLE)], default=10
    )
    seed = IntegerField(_l("Seed (empty: a new random one)"), validators=[Optional()])


def _checklist_field(name: str) -> RadioField:
    label, rule = CHECKLIST[name]
    return RadioField(
        f"{label} ({rule})",
        choices=[SelectChoice(k, v) for k, v in CHECKLIST_ANSWERS.items()],
        validators=[DataRequired()],
    )


class ChecklistForm(FlaskForm):
    answer_motivated = _checklist_field("answer_motivated")
    legislation_cited = _checklist_field("legislation_cited")
    complaint_explained = _checklist_field("complaint_explained")
    language_ok = _checklist_field("language_ok")
    remarks = TextAreaField(_l("Remarks"), validators=[Optional(), Length(max=5000)])


class OwnFindingForm(FlaskForm):
    reg_number = StringField(_l("Case number (optional)"), validators=[Optional(), Length(max=64)])
    subdivision_code = SelectField(_l("Subdivision"), choices=[], validate_choice=False)
    rule = StringField(_l("Rule"), validators=[Optional(), Length(max=200)])
    severity = SelectField(
        _l("Severity"),
        choices=[SelectChoice(k, v) for k, v in SEVERITIES.items()],
        default="medium",
    )
    evidence = TextAreaField(_l("What was found"), validators=[DataRequired(), Length(max=5000)])


class TextsForm(FlaskForm):
    remarks = TextAreaField(_l("Remarks"), validators=[Optional(), Length(max=20000)])
    proposals = TextAreaField(
        _l("Proposals (e.g. disciplinary measures)"), validators=[Optional(), Length(max=20000)]
    )


class RemediationForm(FlaskForm):
    term = DateField(_l("Term"), validators=[DataRequired()])
    instruction = TextAreaField(_l("What is to be done"), validators=[Optional(), Length(max=5000)])


class ReportForm(FlaskForm):
    report = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=10000)])


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])
