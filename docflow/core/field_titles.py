"""Readable names of stored fields that several domains share, for the audit trail's sentences.

The audit trail (``docflow.main.history``) describes a row's create/update by its fields; a
field no domain names read as its raw key ("reg_seq", "legal_basis") — English under kk and ru
(issue 14: one language at a time). These are the keys of registrations, applicants, letters
and the reception's sessions and sign-ups that the trail shows; a domain's own
``register_field_titles`` (registered after these) names a key more precisely.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIELD_TITLES = {
    "reg_year": _l("registration year"),
    "reg_seq": _l("number in the journal"),
    "reg_journal": _l("journal"),
    "registered_on": _l("registered on"),
    "language": _l("language"),
    "prefix": _l("number prefix"),
    "body": _l("text"),
    "complaint": _l("right to complain"),
    "legal_basis": _l("legal basis"),
    "decision": _l("decision"),
    "final": _l("final"),
    "approved_at": _l("approved at"),
    "return_comment": _l("reason for return"),
    "reference_note": _l("reference note"),
    "slot_time": _l("time of the slot"),
    "slot_minutes": _l("minutes per applicant"),
    "start": _l("start"),
    "end": _l("end"),
    "place": _l("place"),
    "video": _l("by video conference"),
    "video_link": _l("video conference link"),
    "time_notice_due": _l("notice of the time due"),
    "inclusion_notice_due": _l("notice of inclusion due"),
    "queue_position": _l("place in the queue"),
    "preliminary_sent_on": _l("preliminary decision sent on"),
    "refusal_ground": _l("ground for refusal"),
    "objection": _l("objection"),
    "objection_due": _l("objection due"),
    "participants": _l("participants"),
    "outcome": _l("outcome"),
    "oral_questions": _l("questions asked orally"),
    "needs_interpreter": _l("needs an interpreter"),
    "minutes_number": _l("number of the minutes"),
    "instruction": _l("instruction"),
    "decision_on": _l("decision date"),
    "decision_executors": _l("executors of the decision"),
    "cancel_reason": _l("reason for cancelling"),
    "came": _l("came"),
    "session_id": _l("reception session"),
    "priority": _l("priority"),
    "position": _l("order"),
    "date": _l("date"),
    "name": _l("name"),
    "organisation_name": _l("organisation"),
    "representative": _l("representative"),
    "authority_document": _l("document of authority"),
    "applicants": _l("applicants"),
    "country": _l("country"),
    "kk": _l("in Kazakh"),
    "ru": _l("in Russian"),
    "en": _l("in English"),
}


def register() -> None:
    from docflow.core import history_text as ht

    ht.register_field_titles(FIELD_TITLES)
