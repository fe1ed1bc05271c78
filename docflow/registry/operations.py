"""Registry writes: register, attach, annotate, complete, withdraw (links: ``registry.links``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit, faults
from docflow.core.calendar import get_calendar
from docflow.core.identifiers import InvalidIdentifier, validate_bin, validate_iin
from docflow.core.numbering import format_number, next_number
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.settings import get_setting
from docflow.core.workflow import UnknownTransition
from docflow.extensions import db
from docflow.outgoing import notices as outgoing
from docflow.registry import arrival, duplicates, repeats, search
from docflow.registry.errors import RegistrationError
from docflow.registry.links import (  # noqa: F401  (the registry's public operations)
    LINK_KINDS,
    _add_link,
    _link_targets,
    decide_repeat,
    link_items,
    linked_cases,
    may_link,
)
from docflow.registry.models import Annotation, Applicant, IncomingItem
from docflow.registry.repeats import name_key
from docflow.registry.uploads import (  # noqa: F401  (the registry's public operations)
    Upload,
    attach,
    attach_stored,
    safe_filename,
    store_upload,
)
from docflow.registry.vocab import (
    APPLICANT_TYPES,
    CHANNELS,
    LANGUAGES,
    REQUIRED_DETAILS_KK_RU,
)
from docflow.registry.workflow import INCOMING
from docflow.routing import kind_terms

DEFAULT_TERM = {"days": 15, "unit": "working"}  # R-DEADLINE-1
DEFAULT_CORRECTION_TERM = {"days": 10, "unit": "working"}
ANNOTATABLE = {"summary", "addressee", "external_number", "external_date", "page_count", "language"}


@dataclass
class ApplicantData:
    type: str = "individual"
    full_name: str | None = None
    iin: str | None = None
    organisation_name: str | None = None
    bin: str | None = None
    representative: str | None = None
    authority_document: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    country: str | None = None
    needs_interpreter: bool = False


@dataclass
class RegistrationData:
    kind: str
    channel: str
    applicants: list[ApplicantData] = field(default_factory=list)
    addressee: str | None = None
    summary: str = ""
    language: str | None = None
    arrived_at: dt.datetime | None = None
    external_number: str | None = None
    external_date: dt.date | None = None
    page_count: int | None = None
    from_reception: bool = False
    from_meeting: bool = False  # handed in at an official's reporting meeting (R-AUDIT-2)
    anonymous: bool = False
    signed: bool = True
    idempotency_key: str | None = None
    link_to: list[tuple[str, str]] = field(default_factory=list)  # (public_id, link kind)
    # Recorded in the minutes of a personal reception: the minutes are its protocol (R-REG-2),
    # so it is not sent back for missing details.
    recorded_in_minutes: bool = False
    # A historical case brought in by an import: an earlier case for repeat detection only.
    imported: bool = False
    # Issue 14 (the form and the API ask; other paths keep the old behaviour, registry.arrival
    # and registry.duplicates): why an earlier arrival is registered only now, and a likely
    # duplicate asks before it is registered.
    arrival_reason: str | None = None
    ask_arrival_reason: bool = False
    ask_duplicate: bool = False
    confirm_duplicate: bool = False


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s+", " ", value).strip()
    return value or None


def validate(data: RegistrationData) -> None:
    errors: dict[str, Any] = {}
    if not kind_terms.is_registrable(data.kind):  # R-KIND-2: every kind of the profile
        errors["kind"] = _l("Choose the kind of document.")
    if data.channel not in CHANNELS:
        errors["channel"] = _l("Choose how the document arrived.")
    if data.language and data.language not in LANGUAGES:
        errors["language"] = _l("Unknown language.")
    if data.page_count is not None and not 0 <= data.page_count <= 10000:
        errors["page_count"] = _l("The number of pages must be between 0 and 10000.")
    if data.arrived_at is not None and data.arrived_at.tzinfo is None:
        errors["arrived_at"] = _l("The arrival time needs a time zone.")
    if data.arrived_at is not None and data.arrived_at > dt.datetime.now(dt.UTC) + dt.timedelta(
        minutes=5
    ):
        errors["arrived_at"] = _l("The arrival time is in the future.")
    if len(data.summary or "") > 20000:
        errors["summary"] = _l("The summary is too long (at most 20000 characters).")
    # Longer than the column: PostgreSQL would refuse the row (a 500); the API and imports
    # have no form to check it first.
    for name in ("addressee", "external_number", "idempotency_key"):
        _check_length(errors, name, getattr(data, name), IncomingItem.__table__.c[name])
    if not data.anonymous and kind_terms.is_appeal(data.kind) and not data.applicants:
        errors["applicants"] = _l("Add the applicant, or mark the appeal as anonymous.")
    for i, a in enumerate(data.applicants):
        prefix = f"applicants.{i}."
        if a.type not in APPLICANT_TYPES:
            errors[prefix + "type"] = _l("Unknown applicant type.")
        try:
            if a.iin:
                a.iin = validate_iin(a.iin)
            if a.bin:
                a.bin = validate_bin(a.bin)
        except InvalidIdentifier as exc:
            errors[prefix + ("bin" if a.bin and not a.iin else "iin")] = exc.message
        if a.email and "@" not in a.email:
            errors[prefix + "email"] = _l("The e-mail address is not valid.")
        for name in APPLICANT_TEXT_FIELDS:
            _check_length(errors, prefix + name, getattr(a, name), Applicant.__table__.c[name])
    if errors:
        raise RegistrationError(errors)


APPLICANT_TEXT_FIELDS = (
    "full_name",
    "organisation_name",
    "representative",
    "authority_document",
    "address",
    "phone",
    "email",
    "country",
)  # IIN and BIN are checked by their validators


def _check_length(errors: dict[str, Any], key: str, value: Any, column: Any) -> None:
    limit = column.type.length
    if value is not None and key not in errors and len(value) > limit:
        errors[key] = _l("Too long: at most %(n)d characters.", n=limit)


def pick_journal(kind: str, applicants: list[ApplicantData]) -> dict[str, Any]:
    """The journal whose ``kinds`` name the kind, else whose ``applicants`` name the type."""
    journals = get_setting("journals") or [
        {"code": "general", "prefix": "ВХ", "format": "{prefix}-{year}-{number:06d}"}
    ]
    for j in journals:
        if kind in (j.get("kinds") or []):
            return j
    applicant_type = applicants[0].type if applicants else "individual"
    for j in journals:
        if applicant_type in (j.get("applicants") or []):
            return j
    return journals[0]


def term_for(kind: str, start: dt.date | None = None) -> dict[str, Any]:
    """R-KIND-2: the profile's answer term for the kind; default 15 working days (R-DEADLINE-1),
    an internal assignment one month from ``start`` (``routing.kind_terms``)."""
    return kind_terms.term_for(kind, start)


def due_from(start: dt.date, term: dict[str, Any]) -> dt.date:
    cal = get_calendar()
    if term.get("unit") == "calendar":
        return cal.add_calendar_days(start, term["days"])
    return cal.add_working_days(start, term["days"])


def missing_details(item: IncomingItem) -> list[str]:
    """R-REG-5: required details of a written appeal that are not there."""
    if not kind_terms.is_appeal(item.kind) or item.anonymous:
        return []
    missing: list[str] = []
    for a in item.applicants:
        if a.type == "legal":
            for key, value in (("organisation_name", a.organisation_name), ("bin", a.bin)):
                if not value and key not in missing:
                    missing.append(key)
            if (
                a.representative
                and not a.authority_document
                and "authority_document" not in missing
            ):
                missing.append("authority_document")
        elif not a.full_name and "full_name" not in missing:
            missing.append("full_name")
        if not a.address and "address" not in missing:
            missing.append("address")
    if not item.addressee:
        missing.append("addressee")
    if not (item.summary or "").strip() and item.kind != "reception_request":
        missing.append("summary")
    if not item.signed and item.channel not in ("oral", "phone", "egov", "eotinish"):
        missing.append("signed")
    return missing


def notice_text(item: IncomingItem, missing: list[str], due: dt.date) -> str:
    """The notice to the applicant in kk and ru (R-REG-5): what is missing and until when."""
    kk = "; ".join(REQUIRED_DETAILS_KK_RU[m]["kk"] for m in missing)
    ru = "; ".join(REQUIRED_DETAILS_KK_RU[m]["ru"] for m in missing)
    date = due.strftime("%d.%m.%Y")
    return (
        f"Сіздің {item.reg_number} нөмірімен тіркелген өтінішіңізде мына деректер жоқ: {kk}. "
        f"Оларды {date} дейін ұсынуыңызды сұраймыз; ұсынылмаған жағдайда өтініш қайтарылады "
        f"(ҚР ӘРПК 64-бабы).\n"
        f"В вашем обращении, зарегистрированном под номером {item.reg_number}, отсутствуют: {ru}. "
        f"Просим представить их до {date}; в противном случае обращение будет возвращено "
        f"(статья 64 АППК РК)."
    )


LEFT_WITHOUT_CONSIDERATION_NOTICE = (
    "Сіздің {number} нөмірімен тіркелген жеке қабылдауға жазылу туралы өтінішіңізде мәселенің мәні "
    "көрсетілмегендіктен, ол қараусыз қалдырылды.\n"
    "Ваша заявка на личный прием, зарегистрированная под номером {number}, оставлена без "
    "рассмотрения, так как в ней не указана суть вопроса."
)


@dataclass
class RegisteredNow:
    links: list[Any]
    candidates: list[Any]


def take_registered_now(item: IncomingItem) -> RegisteredNow | None:
    """What ``register`` made of the item's links and repeat candidates (all it has, being new),
    taken once by the request that registered it; None for an item registered before."""
    return item.__dict__.pop("registered_now", None)


def register(data: RegistrationData, actor: Any, ahead: Any = None) -> IncomingItem:
    """Register an incoming item (R-REG-1..6): number, dates, completeness, all in one transaction.

    Registration is never refused for defects of the appeal itself (R-REG-1): missing details
    send it to correction; only unreadable input (unknown kind, invalid IIN) is an error.
    ``ahead``: its lookups of other items were made before the write lock
    (``registry.read_ahead.read``); they are caught up here.
    """
    if not has_permission(actor, Permission.REGISTER):
        raise AccessDenied()
    if data.idempotency_key:
        existing = db.session.scalar(
            select(IncomingItem).where(IncomingItem.idempotency_key == data.idempotency_key)
        )
        if existing is not None:
            return existing  # a double submission returns the first registration
    validate(data)
    cal = get_calendar()
    if ahead is not None:
        ahead.catch_up()
    arrived = data.arrived_at or (ahead.arrived if ahead else None) or dt.datetime.now(dt.UTC)
    dates = arrival.dates_for(cal, arrived, data)  # R-REG-3; a late one: today's journal, why
    earlier = duplicates.check(data, actor, ahead)  # a likely duplicate asks first
    reg_date = dates.registration
    journal = pick_journal(data.kind, data.applicants)
    term = term_for(data.kind, dates.term_start)  # R-KIND-2: a month counts from its start
    targets = _link_targets(data.link_to)
    # The number last: on PostgreSQL its counter row stays locked from here to the commit.
    seq = next_number(journal["code"], reg_date.year)  # R-REG-4
    number = format_number(
        journal["format"], prefix=journal["prefix"], year=reg_date.year, number=seq
    )
    item = IncomingItem(
        kind=data.kind,
        channel=data.channel,
        journal=journal["code"],
        reg_year=reg_date.year,
        reg_seq=seq,
        reg_number=number,
        arrived_at=arrived,
        registration_date=reg_date,
        due_date=due_from(dates.term_start, term),  # R-DEADLINE-1 (from arrival), R-KIND-2
        arrival_reason=dates.reason,
        term_days=term["days"],
        term_unit=term["unit"],
        registered_by_id=getattr(actor, "id", None),
        addressee=_clean(data.addressee),
        summary=(data.summary or "").strip(),
        language=data.language,
        external_number=_clean(data.external_number),
        external_date=data.external_date,
        page_count=data.page_count,
        signed=data.signed,
        from_reception=data.from_reception or data.channel == "reception",  # R-REG-2
        from_meeting=bool(data.from_meeting),
        anonymous=data.anonymous,
        collective=len(data.applicants) > 1,  # R-KIND-3
        idempotency_key=data.idempotency_key,
        imported=data.imported,
        attachments=[],  # none yet: known, not read back (each attach adds its own)
    )
    for pos, a in enumerate(data.applicants):
        item.applicants.append(
            Applicant(
                position=pos,
                type=a.type,
                full_name=_clean(a.full_name),
                iin=a.iin or None,
                organisation_name=_clean(a.organisation_name),
                bin=a.bin or None,
                representative=_clean(a.representative),
                authority_document=_clean(a.authority_document),
                address=_clean(a.address),
                phone=_clean(a.phone),
                email=_clean(a.email),
                country=_clean(a.country),
                needs_interpreter=a.needs_interpreter,
                name_key=name_key(a.full_name or a.organisation_name, a.address),
            )
        )
    db.session.add(item)
    INCOMING.initialize(item, actor, comment=number)
    audit.record(
        "register", item, summary={"reg_number": number, "kind": data.kind, "channel": data.channel}
    )
    arrival.record(item, dates)
    duplicates.record(item, earlier)
    links = [_add_link(item, target, kind, actor) for target, kind in targets]
    candidates = repeats.detect(item, actor, new=True, ahead=ahead)  # R-ROUTE-4: every path
    # What this registration made of the item's links and candidates (all it has, being new),
    # for an answer given from what was written (``registry.api.item_json``), not read back.
    item.registered_now = RegisteredNow(links=links, candidates=candidates)
    if not data.recorded_in_minutes and not data.imported:
        _completeness(item, actor)
    search.reindex_many([item], without_files=True)  # (its files are attached after)
    faults.point("registration.numbered")
    return item


def _completeness(item: IncomingItem, actor: Any) -> None:
    if item.kind == "reception_request" and not (item.summary or "").strip():
        item.notice_text = LEFT_WITHOUT_CONSIDERATION_NOTICE.format(number=item.reg_number)
        INCOMING.fire(item, "leave_without_consideration", actor, comment="R-REG-6")
        outgoing.left_without_consideration(item, actor)  # R-REG-6: registered outgoing notice
        return
    missing = missing_details(item)
    if not missing:
        return
    term = get_setting("correction_term") or DEFAULT_CORRECTION_TERM
    due = due_from(item.registration_date, term)
    item.missing_details = missing
    item.correction_due = due
    item.notice_text = notice_text(item, missing, due)
    INCOMING.fire(item, "request_correction", actor, comment="R-REG-5: " + ", ".join(missing))
    outgoing.correction_requested(item, actor)  # R-REG-5: registered outgoing notice


def annotate(
    item: IncomingItem, field_name: str, value: Any, reason: str, actor: Any
) -> Annotation:
    """Correct registration data (R-AUDIT-3): the old value is kept in an annotation, with why."""
    if not has_permission(actor, Permission.MODIFY, item):
        raise AccessDenied()
    if field_name not in ANNOTATABLE:
        raise RegistrationError({"field": _l("This detail cannot be corrected.")})
    if not (reason or "").strip():
        raise RegistrationError({"reason": _l("Say why the detail is corrected.")})
    old = getattr(item, field_name)
    note = Annotation(
        item_id=item.id,
        field=field_name,
        old_value=old.isoformat() if isinstance(old, dt.date) else old,
        new_value=value.isoformat() if isinstance(value, dt.date) else value,
        reason=reason.strip(),
        author_id=getattr(actor, "id", None),
    )
    db.session.add(note)
    setattr(item, field_name, value)
    if item.missing_details:
        item.missing_details = missing_details(item) or None
    db.session.flush()
    search.reindex(item)
    return note


def supply_missing(item: IncomingItem, actor: Any, *, reason: str, **details: Any) -> None:
    """The applicant supplied missing details (R-REG-5): record them; back to registered if complete."""
    if not has_permission(actor, Permission.MODIFY, item):
        raise AccessDenied()  # the applicant's own details too, not only the annotatable ones
    for name, value in details.items():
        if name in ANNOTATABLE:
            annotate(item, name, value, reason, actor)
        elif (
            name in ("full_name", "address", "organisation_name", "bin", "authority_document")
            and item.applicants
        ):
            applicant = item.applicants[0]
            if name == "bin" and value:
                try:
                    value = validate_bin(value)
                except InvalidIdentifier as exc:
                    raise RegistrationError({"bin": exc.message}) from None
            db.session.add(
                Annotation(
                    item_id=item.id,
                    field=f"applicant.{name}",
                    old_value=getattr(applicant, name),
                    new_value=value,
                    reason=reason,
                    author_id=getattr(actor, "id", None),
                )
            )
            setattr(applicant, name, value)
            applicant.name_key = name_key(
                applicant.full_name or applicant.organisation_name, applicant.address
            )
        elif name == "signed":
            db.session.add(
                Annotation(
                    item_id=item.id,
                    field="signed",
                    old_value=item.signed,
                    new_value=bool(value),
                    reason=reason,
                    author_id=getattr(actor, "id", None),
                )
            )
            item.signed = bool(value)
    db.session.flush()
    repeats.detect(item, actor)  # the applicant's identity may have changed: earlier cases
    item.missing_details = missing_details(item) or None
    if item.state == "awaiting_correction" and not item.missing_details:
        INCOMING.fire(item, "correction_received", actor, comment=reason)
    search.reindex(item)


def return_overdue(actor: Any) -> list[IncomingItem]:
    """Return items whose correction term passed (R-REG-5); run daily by the office."""
    today = get_calendar().local_now().date()
    items = db.session.scalars(
        select(IncomingItem).where(
            IncomingItem.state == "awaiting_correction", IncomingItem.correction_due < today
        )
    ).all()
    for item in items:
        INCOMING.fire(item, "return_to_applicant", actor, comment="R-REG-5")
    return list(items)


# The registry's own ends of consideration a user may do by hand (withdraw R-REG-8, return and
# leave without consideration R-REG-5/R-REG-6); routing actions have their own operations.
MANUAL_TRANSITIONS = ("withdraw", "return_to_applicant", "leave_without_consideration")


def withdraw(item: IncomingItem, actor: Any, comment: str | None) -> None:
    """R-REG-8: the applicant withdrew the appeal in writing before the decision."""
    end_by_hand(item, "withdraw", actor, comment=comment)


def end_by_hand(
    item: IncomingItem,
    transition_id: str,
    actor: Any,
    *,
    comment: str | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """One of ``MANUAL_TRANSITIONS`` (the workflow's guards decide who and when)."""
    if transition_id not in MANUAL_TRANSITIONS:
        raise UnknownTransition(_l("Unknown action “%(name)s”.", name=transition_id))
    INCOMING.fire(item, transition_id, actor, comment=comment, params=params or {})
    search.reindex(item)
