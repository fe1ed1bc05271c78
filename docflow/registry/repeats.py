"""Repeat appeals (R-ROUTE-5): earlier items of the same applicant with a similar subject."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from docflow.extensions import db
from docflow.registry.models import Applicant, IncomingItem

SIMILAR = 0.25
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Candidate:
    item: IncomingItem
    score: float
    reason: str

    @property
    def similar(self) -> bool:
        return self.score >= SIMILAR


def stems(value: str) -> set[str]:
    # Crude stemming that works for both Kazakh and Russian inflection: the first 5 letters of
    # every word of 4+ letters ("құбыры", "құбырын" → "құбыр"; "водоснабжения" → "водос").
    return {w[:5] for w in _WORD.findall((value or "").lower()) if len(w) >= 4 and not w.isdigit()}


def similarity(a: str, b: str) -> float:
    sa, sb = stems(a), stems(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def _norm(value: str | None) -> str:
    return re.sub(r"[\s.,]+", " ", (value or "").lower()).strip()


def name_key(name: str | None, address: str | None) -> str | None:
    """The key that finds the same applicant without an identifier: name and address."""
    name, address = _norm(name), _norm(address)
    return f"{name}|{address}"[:400] if name and address else None


def find_candidates(
    applicants: list[Any], summary: str, exclude_id: int | None = None, limit: int = 10
) -> list[Candidate]:
    """Earlier items of the same applicant (IIN/BIN, or name and address), most similar first."""
    conditions = []
    for a in applicants:
        if getattr(a, "iin", None):
            conditions.append(Applicant.iin == a.iin)
        if getattr(a, "bin", None):
            conditions.append(Applicant.bin == a.bin)
        key = name_key(
            getattr(a, "full_name", None) or getattr(a, "organisation_name", None),
            getattr(a, "address", None),
        )
        if key:
            conditions.append(Applicant.name_key == key)
    if not conditions:
        return []
    query = (
        select(IncomingItem)
        .join(Applicant, Applicant.item_id == IncomingItem.id)
        .where(or_(*conditions))
        .order_by(IncomingItem.registration_date.desc(), IncomingItem.id.desc())
        .limit(200)
    )
    if exclude_id is not None:
        query = query.where(IncomingItem.id != exclude_id)
    seen: dict[int, Candidate] = {}
    identifiers = {getattr(a, "iin", None) for a in applicants} | {
        getattr(a, "bin", None) for a in applicants
    }
    identifiers.discard(None)
    for item in db.session.scalars(query).unique():
        by_id = any(x.iin in identifiers or x.bin in identifiers for x in item.applicants)
        reason = "same IIN/BIN" if by_id else "same name and address"
        seen[item.id] = Candidate(item, similarity(summary, item.summary), reason)
    return sorted(seen.values(), key=lambda c: (-c.score, -c.item.id))[:limit]
