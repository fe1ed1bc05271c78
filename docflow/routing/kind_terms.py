"""Which kinds can be registered and the answer term each gets (R-KIND-1, R-KIND-2).

Every entry of the profile's ``terms`` is a kind the records office can register: the kinds of
``registry.vocab`` and the profile's own (an entry may carry its ``names`` {kk, ru, en} and the
``base`` kind whose rules it follows, e.g. ``"base": "complaint"``). A kind the profile gives no
term gets the default 15 working days (R-DEADLINE-1) — except an internal assignment, which
without a term of its own is to be executed within one month (АППК art. 44(5)): one calendar
month from registration, ending on the next working day when that day is not one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from docflow.core.calendar import add_months, get_calendar
from docflow.core.settings import get_setting
from docflow.registry.vocab import APPEAL_KINDS, KINDS

DEFAULT_TERM = {"days": 15, "unit": "working"}  # R-DEADLINE-1
ASSIGNMENT_KIND = "assignment"
ASSIGNMENT_MONTHS = 1  # R-KIND-2 / АППК art. 44(5): an internal assignment without a term
# The profile kinds e-Otinish uses, and whose rules they follow (their term is the profile's).
BASE_KINDS = {
    "public_service_complaint": "complaint",
    "media_request": "request",
    "lawyer_request": "request",
    "bailiff_request": "request",
    "information_request": "request",
}


def _profile_terms() -> dict[str, Any]:
    terms = get_setting("terms") or {}
    return terms if isinstance(terms, dict) else {}


def registrable_kinds() -> dict[str, Any]:
    """{kind: title} of every kind that can be registered: vocab's and every profile term's."""
    from docflow.org.models import localized

    out: dict[str, Any] = dict(KINDS)
    for kind, term in _profile_terms().items():
        if kind in out:
            continue
        names = term.get("names") if isinstance(term, dict) else None
        out[kind] = localized(names) if isinstance(names, dict) and names else kind
    return out


def is_registrable(kind: str | None) -> bool:
    """R-KIND-2: a kind of the vocabulary or one the profile gives a term."""
    return bool(kind) and (kind in KINDS or kind in _profile_terms())


def base_kind(kind: str) -> str:
    """The kind whose rules a profile kind follows (``base`` in its entry, else the table)."""
    if kind in KINDS and kind not in BASE_KINDS:
        return kind
    term = _profile_terms().get(kind)
    base = term.get("base") if isinstance(term, dict) else None
    if base in KINDS:
        return base
    return BASE_KINDS.get(kind, "statement" if kind not in KINDS else kind)


def is_appeal(kind: str) -> bool:
    """An appeal (R-KIND-1): a profile kind counts as one unless its base is correspondence."""
    return base_kind(kind) in APPEAL_KINDS


def term_for(kind: str, start: dt.date | None = None) -> dict[str, Any]:
    """R-KIND-2: the answer term of ``kind`` as {"days", "unit"}.

    The profile's entry when there is one; an internal assignment without one gets one calendar
    month from ``start`` (its length in calendar days, so the item shows and recounts it like
    any calendar term); any other kind 15 working days.
    """
    term = _profile_terms().get(kind)
    if isinstance(term, dict) and term.get("days"):
        return {"days": int(term["days"]), "unit": term.get("unit") or "working"}
    if kind == ASSIGNMENT_KIND:
        start = start or get_calendar().local_now().date()
        return {"days": (add_months(start, ASSIGNMENT_MONTHS) - start).days, "unit": "calendar"}
    return dict(DEFAULT_TERM)


def due_from(start: dt.date, term: dict[str, Any]) -> dt.date:
    """The due date of ``term`` counted from ``start`` on the office calendar (R-DEADLINE-1)."""
    cal = get_calendar()
    if term.get("unit") == "calendar":
        return cal.add_calendar_days(start, term["days"])
    return cal.add_working_days(start, term["days"])


def assignment_due(start: dt.date) -> dt.date:
    """R-KIND-2: one calendar month from ``start``, moved to the next working day."""
    return get_calendar().next_working_day(add_months(start, ASSIGNMENT_MONTHS), include_self=True)
