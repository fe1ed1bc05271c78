"""One case of the exchange format: parsing, validation, canonical form (case-exchange.md).

``parse_line`` turns a line into a record or raises ``RecordError(field, reason)`` for the first
thing wrong with it; the importer adds the line number. People named by ``login`` must be
accounts of this office (``People`` knows them); subdivisions and districts must be the office's.
The canonical form (fixed field order, then any other field sorted) is what the digest is taken
of and what the export writes, so that export → import → export gives the same file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from docflow.core.errors import DomainError

FIELDS = (
    "reg_number",
    "kind",
    "channel",
    "language",
    "received_at",
    "registered_at",
    "start_date",
    "deadline",
    "applicants",
    "collective",
    "summary",
    "district",
    "topic",
    "from_reception",
    "is_duplicate_of",
    "parent_id",
    "has_been_hearing",
    "prolong_count",
    "prolong_days",
    "rating",
    "status",
    "events",
)
REQUIRED = ("reg_number", "kind", "received_at", "registered_at")
BASE_KINDS = (
    "statement",
    "complaint",
    "request",
    "proposal",
    "response",
    "report",
    "petition",
    "reception_request",
    "correspondence",
    "assignment",
)
CHANNELS = ("post", "hand", "egov", "eotinish", "email", "oral", "phone", "reception")
NOTICES = (
    "correction",
    "forwarding",
    "extension",
    "termination",
    "return",
    "signup_inclusion",
    "signup_time",
    "hearing_draft",
    "reception_cancelled",
)
CHARACTERS = ("explained", "satisfied", "partly", "refused")
PERSON_KEYS = ("login", "iin", "full_name")
APPLICANT_KEYS = ("type", "iin", "full_name", "bin", "organisation_name", "address")

# Event type → its fields in the order the format lists them: (name, check).
_B, _S, _D, _P = "bool", "str", "date", "person"
EVENT_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "distributed": (("subdivision", "subdivision"), ("responsible", _B), ("by", _P)),
    "assigned": (("person", _P), ("subdivision", "subdivision"), ("responsible", _B), ("by", _P)),
    "unassigned": (("person", _P), ("by", _P)),
    "forwarded": (("body", _S), ("partial", _B), ("by", _P)),
    "notice_sent": (("notice", "notice"), ("channel", _S)),
    "correction_requested": (("missing", "list"), ("term", _D)),
    "corrected": (),
    "returned": (),
    "extended": (
        ("basis", "basis"),
        ("old_due", _D),
        ("new_due", _D),
        ("by", _P),
        ("reason", _S),
    ),
    "answered": (
        ("final", _B),
        ("signed_by", _P),
        ("outgoing_number", _S),
        ("character", "character"),
        ("language", "language"),
    ),
    "sent_back": (("by", _P), ("reason", _S)),
    "removed_from_control": (("by", _P),),
    "terminated": (("reason", _S),),
    "withdrawn": (),
    "hearing_draft_sent": (),
    "scan_attached": (),
    "rated": (("rating", "rating"),),
}
EVENT_REQUIRED = {
    "distributed": ("subdivision",),
    "assigned": ("person",),
    "unassigned": ("person",),
    "forwarded": ("body",),
    "notice_sent": ("notice",),
    "extended": ("old_due", "new_due"),
    "rated": ("rating",),
}
_IIN = re.compile(r"\d{12}")


class RecordError(DomainError):
    """What is wrong with a record: the field (dotted path) and the reason."""

    status = 422
    code = "bad_record"

    def __init__(self, field: str, reason: Any) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


class People:
    """Who the persons of a file are: logins of this office, IINs of employees (cached)."""

    def __init__(
        self,
        logins: dict[str, int],
        employee_iins: dict[str, tuple[int, int | None]],
        subdivisions: set[str],
        districts: set[str],
        kinds: set[str],
    ) -> None:
        self.logins, self.employee_iins = logins, employee_iins
        self.subdivisions, self.districts, self.kinds = subdivisions, districts, kinds


# --- canonical form ---------------------------------------------------------------------------


def _ordered(obj: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    out = {k: obj[k] for k in order if k in obj}
    out.update({k: obj[k] for k in sorted(obj) if k not in out})
    return out


def canonical_event(event: dict[str, Any]) -> dict[str, Any]:
    names = ("type", "at", *tuple(n for n, _ in EVENT_FIELDS.get(event.get("type"), ())))
    out = _ordered(event, names)
    for key, value in out.items():
        if isinstance(value, dict):
            out[key] = _ordered(value, PERSON_KEYS)
    return out


def canonical(record: dict[str, Any]) -> dict[str, Any]:
    out = _ordered(record, FIELDS)
    if isinstance(out.get("applicants"), list):
        out["applicants"] = [_ordered(a, APPLICANT_KEYS) for a in out["applicants"]]
    if isinstance(out.get("events"), list):
        out["events"] = [canonical_event(e) for e in out["events"]]
    return out


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(canonical(record), ensure_ascii=False, separators=(", ", ": "))


def digest(record: dict[str, Any]) -> str:
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Top-level fields (and event positions) whose values differ."""
    out = []
    for key in _ordered({**old, **new}, FIELDS):
        if key == "events" and isinstance(old.get(key), list) and isinstance(new.get(key), list):
            a, b = old[key], new[key]
            out += [
                f"events[{i}]" for i in range(max(len(a), len(b))) if a[i : i + 1] != b[i : i + 1]
            ]
        elif old.get(key) != new.get(key) or (key in old) != (key in new):
            out.append(key)
    return out


# --- values -----------------------------------------------------------------------------------


def parse_time(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, str):
        raise RecordError(field, _l("A time is required (ISO 8601 with an offset)."))
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(field, _l("Not a time in ISO 8601: %(value)s", value=value)) from None
    if moment.tzinfo is None:
        raise RecordError(field, _l("The time has no offset: %(value)s", value=value))
    return moment


def parse_date(value: Any, field: str) -> dt.date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise RecordError(field, _l("A date YYYY-MM-DD is required."))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RecordError(field, _l("Not a date: %(value)s", value=value)) from None


def _check(kind: str, value: Any, field: str, people: People) -> None:
    if value is None:
        return
    if kind == _B and not isinstance(value, bool):
        raise RecordError(field, _l("true or false is required."))
    if kind == _S and not isinstance(value, str):
        raise RecordError(field, _l("A string is required."))
    if kind == _D:
        parse_date(value, field)
    if kind == "list" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise RecordError(field, _l("A list of strings is required."))
    if kind == _P:
        check_person(value, field, people)
    if kind == "subdivision" and value not in people.subdivisions:
        raise RecordError(field, _l("Unknown subdivision code: %(value)s", value=value))
    choices = {
        "notice": NOTICES,
        "character": CHARACTERS,
        "basis": ("letter", "decision"),
        "language": ("kk", "ru"),
    }.get(kind)
    if choices is not None and value not in choices:
        raise RecordError(field, _l("Unknown value: %(value)s", value=value))
    if kind == "rating" and not (isinstance(value, int) and not isinstance(value, bool)):
        raise RecordError(field, _l("A rating from 1 to 5 is required."))
    if kind == "rating" and not 1 <= value <= 5:
        raise RecordError(field, _l("A rating from 1 to 5 is required."))


def check_person(value: Any, field: str, people: People) -> None:
    if not isinstance(value, dict):
        raise RecordError(field, _l('A person is {"login"} or {"iin", "full_name"}.'))
    if "login" in value:
        if value["login"] not in people.logins:
            raise RecordError(
                field, _l("No account %(login)s in this office.", login=value["login"])
            )
        return
    iin, name = value.get("iin"), value.get("full_name")
    if not (isinstance(iin, str) and _IIN.fullmatch(iin)):
        raise RecordError(field, _l('A person is {"login"} or {"iin", "full_name"}.'))
    if not (isinstance(name, str) and name.strip()):
        raise RecordError(field + ".full_name", _l("The full name is required."))


# --- a record ---------------------------------------------------------------------------------


# The reasons checked on every record, made once (lazy: translated when shown).
_BOOL, _STRING = _l("true or false is required."), _l("A string is required.")
_WHOLE = _l("A whole number of at least 0 is required.")


def _typed(record: dict[str, Any], field: str, test: Callable[[Any], bool], reason: Any) -> None:
    if record.get(field) is not None and not test(record[field]):
        raise RecordError(field, reason)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def validate(record: Any, people: People) -> dict[str, Any]:
    """The first thing wrong with the record (RecordError), or the record."""
    if not isinstance(record, dict):
        raise RecordError("-", _l("A line must be a JSON object."))
    for name in REQUIRED:
        if record.get(name) in (None, ""):
            raise RecordError(name, _l("This field is required."))
    if not isinstance(record["reg_number"], str) or len(record["reg_number"]) > 64:
        raise RecordError("reg_number", _l("A string of at most 64 characters is required."))
    if record["kind"] not in people.kinds:
        raise RecordError("kind", _l("Unknown kind: %(value)s", value=record["kind"]))
    if record.get("channel") is not None and record["channel"] not in CHANNELS:
        raise RecordError("channel", _l("Unknown channel: %(value)s", value=record["channel"]))
    if record.get("language") is not None and record["language"] not in ("kk", "ru"):
        raise RecordError("language", _l("The language is kk or ru."))
    parse_time(record["received_at"], "received_at")
    parse_time(record["registered_at"], "registered_at")
    for name in ("start_date", "deadline"):
        if record.get(name) is not None:
            parse_date(record[name], name)
    for name in ("collective", "from_reception", "has_been_hearing"):
        _typed(record, name, lambda v: isinstance(v, bool), _BOOL)
    for name in ("summary", "topic", "status", "is_duplicate_of", "parent_id", "district"):
        _typed(record, name, lambda v: isinstance(v, str), _STRING)
    if record.get("district") is not None and record["district"] not in people.districts:
        raise RecordError(
            "district", _l("Unknown district code: %(value)s", value=record["district"])
        )
    for name in ("is_duplicate_of", "parent_id"):
        if record.get(name) == record["reg_number"]:
            raise RecordError(name, _l("A case cannot refer to itself."))
    for name in ("prolong_count", "prolong_days"):
        _typed(record, name, _int, _WHOLE)
    if record.get("rating") is not None:
        _check("rating", record["rating"], "rating", people)
    _applicants(record.get("applicants"))
    _events(record, people)
    return record


def _applicants(applicants: Any) -> None:
    if applicants is None:
        return
    if not isinstance(applicants, list):
        raise RecordError("applicants", _l("A list is required."))
    for i, a in enumerate(applicants):
        field = f"applicants[{i}]"
        if not isinstance(a, dict) or a.get("type") not in ("individual", "legal"):
            raise RecordError(field + ".type", _l("The type is individual or legal."))
        key = "iin" if a["type"] == "individual" else "bin"
        if a.get(key) is not None and not (isinstance(a[key], str) and _IIN.fullmatch(a[key])):
            raise RecordError(f"{field}.{key}", _l("Twelve digits are required."))
        for name in ("full_name", "organisation_name", "address"):
            if a.get(name) is not None and not isinstance(a[name], str):
                raise RecordError(f"{field}.{name}", _l("A string is required."))


def _events(record: dict[str, Any], people: People) -> None:
    events = record.get("events")
    if events is None:
        return
    if not isinstance(events, list):
        raise RecordError("events", _l("A list is required."))
    last: dt.datetime | None = None
    count, days = 0, 0
    for i, event in enumerate(events):
        field = f"events[{i}]"
        if not isinstance(event, dict) or event.get("type") not in EVENT_FIELDS:
            kind = event.get("type") if isinstance(event, dict) else None
            raise RecordError(field + ".type", _l("Unknown event type: %(value)s", value=kind))
        at = parse_time(event.get("at"), field + ".at")
        if last is not None and at < last:
            raise RecordError(field + ".at", _l("The events are not in time order."))
        last = at
        for name in EVENT_REQUIRED.get(event["type"], ()):
            if event.get(name) in (None, ""):
                raise RecordError(f"{field}.{name}", _l("This field is required."))
        for name, kind in EVENT_FIELDS[event["type"]]:
            _check(kind, event.get(name), f"{field}.{name}", people)
        if event["type"] == "extended":
            old = parse_date(event["old_due"], field + ".old_due")
            new = parse_date(event["new_due"], field + ".new_due")
            if new <= old:
                raise RecordError(field + ".new_due", _l("The new term is not after the old one."))
            count, days = count + 1, days + (new - old).days
    if record.get("prolong_count") is not None and record["prolong_count"] != count:
        raise RecordError("prolong_count", _l("%(count)s extension(s) in the events.", count=count))
    if record.get("prolong_days") is not None and record["prolong_days"] != days:
        raise RecordError(
            "prolong_days", _l("%(days)s day(s) of extension in the events.", days=days)
        )


def parse_line(line: str, people: People) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RecordError("-", _l("Not valid JSON: %(error)s", error=exc.msg)) from None
    return validate(record, people)
