"""Registration and item forms."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from docflow.registry.operations import LINK_KINDS, ApplicantData
from docflow.registry.vocab import APPLICANT_TYPES, CHANNELS, KINDS, LANGUAGES


def choices(mapping, any_label=None) -> list[SelectChoice]:
    """Select options from a {value: title} mapping; ``any_label`` adds an empty first option."""
    out = [SelectChoice("", any_label)] if any_label is not None else []
    return out + [SelectChoice(k, v) for k, v in mapping.items()]


class ApplicantForm(Form):
    type = SelectField(_l("Applicant"), choices=choices(APPLICANT_TYPES), default="individual")
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=300)])
    iin = StringField(_l("IIN"), validators=[Optional(), Length(max=20)])
    organisation_name = StringField(_l("Organisation"), validators=[Optional(), Length(max=300)])
    bin = StringField(_l("BIN"), validators=[Optional(), Length(max=20)])
    representative = StringField(_l("Representative"), validators=[Optional(), Length(max=300)])
    authority_document = StringField(
        _l("Proof of authority"), validators=[Optional(), Length(max=300)]
    )
    address = StringField(_l("Postal address"), validators=[Optional(), Length(max=500)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    country = StringField(_l("Citizenship (foreigners)"), validators=[Optional(), Length(max=100)])
    needs_interpreter = BooleanField(_l("Needs an interpreter"))


class RegistrationForm(FlaskForm):
    token = HiddenField(default=lambda: uuid.uuid4().hex)  # a double submission registers once
    kind = SelectField(_l("Kind"), choices=choices(KINDS), default="statement")
    channel = SelectField(_l("Arrived"), choices=choices(CHANNELS), default="post")
    language = SelectField(_l("Language"), choices=choices(LANGUAGES), default="kk")
    arrived_at = DateTimeLocalField(
        _l("Arrival date and time"), validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    applicants = FieldList(FormField(ApplicantForm), min_entries=1, max_entries=50)
    anonymous = BooleanField(_l("Anonymous"))
    addressee = StringField(_l("Addressee"), validators=[Optional(), Length(max=300)])
    summary = TextAreaField(
        _l("Summary (essence of the question)"), validators=[Optional(), Length(max=20000)]
    )
    external_number = StringField(_l("Sender's number"), validators=[Optional(), Length(max=100)])
    external_date = DateField(_l("Sender's date"), validators=[Optional()])
    page_count = IntegerField(_l("Pages"), validators=[Optional(), NumberRange(min=0, max=10000)])
    signed = BooleanField(_l("Signed by the applicant"), default=True)
    from_reception = BooleanField(_l("From personal reception"))
    from_meeting = BooleanField(_l("From a reporting meeting"))
    link_to = HiddenField()
    link_kind = SelectField(_l("Link kind"), choices=choices(LINK_KINDS), default="repeat")
    files = MultipleFileField(_l("Scans and files"))
    # Issue 14: why an earlier arrival is registered only now (registry.arrival); the files kept
    # from a submission that came back with an error (registry.staged_uploads); registering
    # although a likely duplicate was found (registry.duplicates).
    arrival_reason = StringField(
        _l("Why it is registered only now"), validators=[Optional(), Length(max=1000)]
    )
    staged = HiddenField()
    confirm_duplicate = BooleanField(_l("Register anyway: it is another document"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from docflow.routing.kind_terms import registrable_kinds

        self.kind.choices = choices(registrable_kinds())  # R-KIND-2: every kind of the profile


class UploadForm(FlaskForm):
    files = MultipleFileField(_l("Files"), validators=[DataRequired()])


class TransitionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class LinkForm(FlaskForm):
    reg_number = StringField(
        _l("Registration number of the earlier case"), validators=[DataRequired(), Length(max=64)]
    )
    kind = SelectField(_l("Link kind"), choices=choices(LINK_KINDS), default="repeat")
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])


class AnnotateForm(FlaskForm):
    field = SelectField(
        _l("Detail"),
        choices=choices(
            {
                "summary": _l("Summary"),
                "addressee": _l("Addressee"),
                "external_number": _l("Sender's number"),
                "page_count": _l("Pages"),
            }
        ),
    )
    value = StringField(_l("New value"), validators=[Optional(), Length(max=20000)])
    reason = StringField(
        _l("Reason for the correction"), validators=[DataRequired(), Length(max=1000)]
    )


class SupplyForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=300)])
    address = StringField(_l("Postal address"), validators=[Optional(), Length(max=500)])
    organisation_name = StringField(_l("Organisation"), validators=[Optional(), Length(max=300)])
    bin = StringField(_l("BIN"), validators=[Optional(), Length(max=20)])
    authority_document = StringField(
        _l("Proof of authority"), validators=[Optional(), Length(max=300)]
    )
    addressee = StringField(_l("Addressee"), validators=[Optional(), Length(max=300)])
    summary = TextAreaField(
        _l("Summary (essence of the question)"), validators=[Optional(), Length(max=20000)]
    )
    signed = BooleanField(_l("Signed by the applicant"))
    reason = StringField(
        _l("How the details arrived"), validators=[DataRequired(), Length(max=1000)]
    )


class JournalFilterForm(Form):
    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=choices(KINDS, _l("Any")), default="")
    channel = SelectField(_l("Arrived"), choices=choices(CHANNELS, _l("Any")), default="")
    state = SelectField(_l("State"), choices=choices({}, _l("Any")), default="")
    subdivision = SelectField(_l("Subdivision"), choices=choices({}, _l("Any")), default="")
    date_from = DateField(_l("Registered from"), validators=[Optional()])
    date_to = DateField(_l("Registered to"), validators=[Optional()])
    overdue = BooleanField(_l("Overdue only"))
    from_reception = BooleanField(_l("From personal reception only"))


def applicant_data(a) -> ApplicantData:
    """What an applicant sub-form (``ApplicantForm``) says, as the registration takes it."""
    return ApplicantData(
        type=a.type.data,
        full_name=a.full_name.data,
        iin=(a.iin.data or "").strip() or None,
        organisation_name=a.organisation_name.data,
        bin=(a.bin.data or "").strip() or None,
        representative=a.representative.data,
        authority_document=a.authority_document.data,
        address=a.address.data,
        phone=a.phone.data,
        email=a.email.data,
        country=a.country.data,
        needs_interpreter=bool(a.needs_interpreter.data),
    )
