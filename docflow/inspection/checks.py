"""The automatic checks of an inspection (R-AUDIT-1; ``../shared/domain/inspection.md``).

``run_checks(date_from=…, date_to=…, as_of=…, subdivisions=…, districts=…)`` judges every case
registered in the period (native and imported alike, through :mod:`docflow.inspection.history`)
on what had happened by the as-of date (default: the period's last day), each with the check
settings in force on the day it arrived (:mod:`docflow.inspection.history_settings`). The codes,
their rules and default severities are :data:`CHECKS`; a severity is a setting per code
(``inspection.severity``). A check that cannot tell reports nothing for the case and counts it
in ``not_judged``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core.settings import get_setting
from docflow.exchange.bulk import few_collections
from docflow.extensions import db
from docflow.inspection import checks_rules as reg
from docflow.inspection import checks_rules_answers as ans
from docflow.inspection.checks_case import NOT_JUDGED, Case, Earlier, Hit
from docflow.inspection.history import CHUNK, CaseHistory, HistoryLoader, Person
from docflow.inspection.history_settings import SettingsHistory
from docflow.org.models import Subdivision
from docflow.registry.models import IncomingItem

SEVERITIES = ("high", "medium", "low")
SETTING_KEY = "inspection"  # {"severity": {CODE: "high" | "medium" | "low"}}


@dataclass(frozen=True)
class CheckSpec:
    code: str
    rule: str  # rule ids joined by ", "
    severity: str  # the default
    title: Any


CHECKS: dict[str, CheckSpec] = {
    spec.code: spec
    for spec in (
        CheckSpec("REG_LATE", "R-REG-3", "medium", _l("Registered after the lawful date")),
        CheckSpec("FORWARD_LATE", "R-ROUTE-2", "medium", _l("Forwarded later than 3 working days")),
        CheckSpec(
            "FORWARD_NO_NOTICE",
            "R-ROUTE-2",
            "medium",
            _l("Forwarded without a notice to the applicant in 3 working days"),
        ),
        CheckSpec(
            "ANSWER_LATE",
            "R-DEADLINE-1, R-KIND-2",
            "high",
            _l("Final answer after the due date"),
        ),
        CheckSpec("OVERDUE_OPEN", "R-DEADLINE-1", "high", _l("Overdue without a final answer")),
        CheckSpec(
            "EXTENSION_OVER_CAP", "R-DEADLINE-2", "medium", _l("Extended beyond the lawful limit")
        ),
        CheckSpec(
            "EXTENSION_NO_NOTICE",
            "R-DEADLINE-2",
            "medium",
            _l("Extended without a notice to the applicant in 3 working days"),
        ),
        CheckSpec(
            "EXTENSION_AFTER_DUE", "R-DEADLINE-2", "medium", _l("Extended after the due date")
        ),
        CheckSpec(
            "CONTROL_REMOVED_NO_ANSWER",
            "R-CTRL-1",
            "high",
            _l("Removed from control without a final answer"),
        ),
        CheckSpec(
            "REPEAT_HANDLER",
            "R-ROUTE-4",
            "high",
            _l("Given to a person who handled the earlier case"),
        ),
        CheckSpec(
            "RECEPTION_SCAN_LATE",
            "R-REG-7",
            "medium",
            _l("Personal-reception appeal scanned late or not at all"),
        ),
        CheckSpec(
            "ANSWER_SIGNER",
            "R-ANS-2",
            "high",
            _l("Answer signed by neither the head nor the head's substitute"),
        ),
        CheckSpec(
            "ANSWER_LANGUAGE",
            "R-ANS-1, R-RECV-10",
            "medium",
            _l("Answer in neither the appeal's language nor the state language"),
        ),
        CheckSpec(
            "SIGNATURE_INVALID", "R-ANS-2", "high", _l("The answer's signature does not verify")
        ),
        CheckSpec(
            "TERMINATION_NO_NOTICE",
            "R-ROUTE-5",
            "medium",
            _l("Terminated without a notice in 3 working days"),
        ),
        CheckSpec(
            "TERMINATION_WITHOUT_DECISION",
            "R-ROUTE-5",
            "medium",
            _l("Terminated as a repeat of a case with no decision"),
        ),
        CheckSpec(
            "RETURN_WITHOUT_REQUEST",
            "R-REG-5",
            "medium",
            _l("Returned without a correction request or before its term"),
        ),
        CheckSpec(
            "SIGNUP_NOTICE_LATE",
            "R-RECV-11",
            "medium",
            _l("Reception sign-up notice late or not sent"),
        ),
        CheckSpec(
            "REFUSAL_NO_HEARING",
            "R-RECV-12",
            "high",
            _l("Reception refused without the hearing on a draft"),
        ),
    )
}
# The function that judges each code, in the order of inspection.md.
RULES: dict[str, Callable[[Case], Any]] = {
    "REG_LATE": reg.reg_late,
    "FORWARD_LATE": reg.forward_late,
    "FORWARD_NO_NOTICE": reg.forward_no_notice,
    "ANSWER_LATE": reg.answer_late,
    "OVERDUE_OPEN": reg.overdue_open,
    "EXTENSION_OVER_CAP": reg.extension_over_cap,
    "EXTENSION_NO_NOTICE": reg.extension_no_notice,
    "EXTENSION_AFTER_DUE": reg.extension_after_due,
    "CONTROL_REMOVED_NO_ANSWER": reg.control_removed_no_answer,
    "REPEAT_HANDLER": ans.repeat_handler,
    "RECEPTION_SCAN_LATE": ans.reception_scan_late,
    "ANSWER_SIGNER": ans.answer_signer,
    "ANSWER_LANGUAGE": ans.answer_language,
    "SIGNATURE_INVALID": ans.signature_invalid,
    "TERMINATION_NO_NOTICE": ans.termination_no_notice,
    "TERMINATION_WITHOUT_DECISION": ans.termination_without_decision,
    "RETURN_WITHOUT_REQUEST": ans.return_without_request,
    "SIGNUP_NOTICE_LATE": ans.signup_notice_late,
    "REFUSAL_NO_HEARING": ans.refusal_no_hearing,
}
assert list(CHECKS) == list(RULES)


def severity(code: str) -> str:
    """The severity of a code: the office's setting, else the default of inspection.md."""
    configured = ((get_setting(SETTING_KEY) or {}).get("severity") or {}).get(code)
    return configured if configured in SEVERITIES else CHECKS[code].severity


@dataclass
class Finding:
    check: str
    rule: str
    severity: str
    item_id: int
    reg_number: str
    item_public_id: str
    subdivision_code: str | None
    evidence: str
    facts: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "reg_number": self.reg_number,
            "rule": self.rule,
            "severity": self.severity,
            "evidence": self.evidence,
        }


@dataclass
class CheckRun:
    date_from: dt.date
    date_to: dt.date
    as_of: dt.date
    checked: int = 0
    not_judged: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The CLI's shape (inspection.md): period, checked, not_judged, findings."""
        return {
            "period": {
                "from": self.date_from.isoformat(),
                "to": self.date_to.isoformat(),
                "as_of": self.as_of.isoformat(),
            },
            "checked": self.checked,
            "not_judged": dict(self.not_judged),
            "findings": [f.to_json() for f in self.findings],
        }


def _plain(value: Any) -> Any:
    """Facts as JSON values: dates as ISO strings, people as their account and name."""
    if isinstance(value, Person):
        return value.facts()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# --- who headed a subdivision, signatures ---------------------------------------------------


class _Heads:
    """R-ANS-2: the heads on record and the day's substitutes, from ``docflow.org.substitutes``
    (None — cannot tell — while the office keeps no such record)."""

    def __init__(self, loader: HistoryLoader) -> None:
        self.people = loader.people
        try:
            from docflow.org.substitutes import heads_on
        except ImportError:
            heads_on = None
        self.heads_on = heads_on
        self.cache: dict[tuple[int, dt.date], list[Person] | None] = {}

    def __call__(self, subdivision_id: int, day: dt.date) -> list[Person] | None:
        if self.heads_on is None:
            return None
        key = (subdivision_id, day)
        if key not in self.cache:
            found = self.heads_on(subdivision_id, day)
            self.cache[key] = [p for p in map(self._person, found or []) if p is not None] or None
        return self.cache[key]

    def _person(self, who: Any) -> Person | None:
        if isinstance(who, Person):
            return who
        if isinstance(who, int):
            return self.people.user(who)
        if isinstance(who, dict):
            who_id, iin = who.get("user_id") or who.get("id"), who.get("iin")
        else:
            who_id = getattr(who, "user_id", None)
            if who_id is None and hasattr(who, "username"):
                who_id = getattr(who, "id", None)
            iin = getattr(who, "iin", None)
        base = self.people.user(who_id)
        if base is None:
            return Person(None, iin, getattr(who, "full_name", "") or "") if iin else None
        return Person(base.user_id, base.iin or iin, base.name)


class _Signatures:
    """R-ANS-2: native signed letters verified against the office's trusted roots."""

    def __init__(self) -> None:
        self.trust = None
        self.cache: dict[int, bool | None] = {}

    def __call__(self, letter_id: int) -> bool | None:
        if letter_id not in self.cache:
            self.cache[letter_id] = self._verify(letter_id)
        return self.cache[letter_id]

    def _verify(self, letter_id: int) -> bool | None:
        from docflow.outgoing.letter_models import Letter
        from docflow.outgoing.letter_signing import trust_settings
        from docflow.signing import verify_pdf

        pdf, signed_at = db.session.execute(
            select(Letter.signed_pdf, Letter.signed_at).where(Letter.id == letter_id)
        ).one()
        if not pdf:
            return None
        if self.trust is None:
            self.trust = trust_settings()
        return bool(verify_pdf(pdf, self.trust, at=signed_at).valid)


# --- the run --------------------------------------------------------------------------------


class _Earlier:
    """The earlier cases the checked ones refer to, read once each (through chains)."""

    def __init__(self, loader: HistoryLoader) -> None:
        self.loader = loader
        self.cache: dict[int, Earlier | None] = {}

    def remember(self, h: CaseHistory) -> None:
        self.cache[h.item_id] = Earlier(
            item_id=h.item_id,
            reg_number=h.reg_number,
            handlers=[(e.person, "executor") for e in h.of("assigned") if e.person]
            + [(e.person, "signer") for e in h.of("answered") if e.person],
            finals=h.final_answers(),
            duplicate_of=list(h.duplicate_of),
            parents=list(h.parents),
        )

    def prefetch(self, cases: dict[int, CaseHistory]) -> None:
        """Read the cases those of a chunk refer to (through chains); those in the chunk are
        taken as read."""
        wanted = {t for h in cases.values() for t in (*h.duplicate_of, *h.parents)}
        for item_id in wanted & set(cases):
            if item_id not in self.cache:
                self.remember(cases[item_id])
        wanted -= set(self.cache)
        while wanted:
            found = self.loader.load(sorted(wanted))
            for item_id in wanted:
                self.cache.setdefault(item_id, None)
            for h in found.values():
                self.remember(h)
            wanted = {t for h in found.values() for t in (*h.duplicate_of, *h.parents)} - set(
                self.cache
            )

    def __call__(self, item_id: int) -> Earlier | None:
        return self.cache.get(item_id)


def _scope_ids(
    date_from: dt.date,
    date_to: dt.date,
    subdivisions: list[str] | None,
    districts: list[str] | None,
) -> list[int]:
    query = (
        select(IncomingItem.id)
        .where(
            IncomingItem.registration_date >= date_from, IncomingItem.registration_date <= date_to
        )
        .order_by(IncomingItem.registration_date, IncomingItem.id)
    )
    if subdivisions and not districts:
        ids = select(Subdivision.id).where(Subdivision.code.in_(subdivisions))
        query = query.where(IncomingItem.subdivision_id.in_(ids))
    return list(db.session.scalars(query))


def _in_scope(h: CaseHistory, subdivisions: list[str] | None, districts: list[str] | None) -> bool:
    if not subdivisions and not districts:
        return True
    if subdivisions and h.subdivision_code in subdivisions:
        return True
    return bool(districts) and (h.district in districts or h.subdivision_code in districts)


def iter_cases(
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date,
    subdivisions: list[str] | None = None,
    districts: list[str] | None = None,
) -> Iterator[Case]:
    """The cases of a scope and period, each ready to be judged (read in chunks)."""
    tz = _tz()
    loader = HistoryLoader(as_of, tz)
    settings = SettingsHistory()
    earlier, heads, signatures = _Earlier(loader), _Heads(loader), _Signatures()
    ids = _scope_ids(date_from, date_to, subdivisions, districts)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = loader.load(chunk)
        earlier.prefetch(found)
        for h in (found[i] for i in chunk if i in found):
            if _in_scope(h, subdivisions, districts):
                day = h.received_at.astimezone(tz).date()
                yield Case(h, settings.on(day), as_of, earlier, heads, signatures)


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Almaty")


def run_checks(
    *,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date | None = None,
    subdivisions: list[str] | None = None,
    districts: list[str] | None = None,
) -> CheckRun:
    """Run every check of inspection.md over the cases registered from ``date_from`` to
    ``date_to``, judged on what had happened by ``as_of`` (default ``date_to``)."""
    as_of = as_of or date_to
    run = CheckRun(date_from, date_to, as_of)
    levels = {code: severity(code) for code in CHECKS}
    with few_collections():  # hundreds of thousands of histories, read and dropped
        for case in iter_cases(date_from, date_to, as_of, subdivisions, districts):
            run.checked += 1
            for code, rule in RULES.items():
                result = rule(case)
                if result is NOT_JUDGED:
                    run.not_judged[code] = run.not_judged.get(code, 0) + 1
                elif isinstance(result, Hit):
                    run.findings.append(_finding(code, levels[code], case, result))
    run.not_judged = {code: run.not_judged[code] for code in CHECKS if code in run.not_judged}
    return run


def _finding(code: str, level: str, case: Case, hit: Hit) -> Finding:
    h = case.h
    return Finding(
        check=code,
        rule=CHECKS[code].rule,
        severity=level,
        item_id=h.item_id,
        reg_number=h.reg_number,
        item_public_id=h.public_id,
        subdivision_code=h.subdivision_code,
        evidence=str(hit.message) % {k: str(v) for k, v in hit.params.items()},
        facts=_plain(hit.facts),
    )
