"""Repeat appeals: earlier cases of the same applicant on a similar question (R-ROUTE-4, R-ROUTE-5).

Every registration path goes through ``operations.register``, which calls ``detect``: the
earlier cases of the same applicant (IIN/BIN; without one, name and address) whose question is
similar become ``RepeatCandidate`` rows of the new item. The controller (at distribution) and the
head (at assignment) decide them: *link* (the same case) or *dismiss* (another question, with a
reason). While a candidate is undecided, routing counts the earlier case's handlers as prior
handlers of the new item (the safe default of R-ROUTE-4).

"Similar question" is the largest of three signals, each in [0, 1]:

* wording — a soft Dice overlap of the content words, two words matching when they are forms of
  one stem, so Kazakh and Russian endings do not matter («құбыры» / «құбырын», «горячей воды» /
  «горячую воду»); function words, letter formulas, addresses, dates and names are not content
  (one applicant's letters all share them);
* subject — the subject providers registered by other domains (routing: the office's
  competence map) give each text's shares per subdivision; their overlap catches the same
  question in other words and in the other language;
* the applicant says it is a repeat («повторно», «қайта жүгінемін», «тағы да» …).

``SIMILAR`` is chosen on generated paraphrases (tests/registry/test_repeat_detection.py measures
it on a held-out split of questions).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import lazyload

from docflow.core import audit
from docflow.core.errors import DomainError
from docflow.extensions import db
from docflow.registry.models import Applicant, IncomingItem, ItemLink, RepeatCandidate
from docflow.registry.similarity import (  # noqa: F401  (the detector's public names)
    REPEAT_MARKER,
    SIMILAR,
    TOPIC_PROVIDERS,
    content_words,
    question_similarity,
    says_repeat,
    similarity,
    subject_similarity,
    wording_similarity,
)

# Case hooks: called with (item, actor) when the item's earlier cases change (a link or a
# decision), so routing can end an assignment the change makes unlawful.
CASE_HOOKS: list[Callable[[IncomingItem, Any], None]] = []

# What the applicant match and the similar signal mean, for the pages and the API.
REASON_TITLES = {
    "iin": _l("same IIN"),
    "bin": _l("same BIN"),
    "name_address": _l("same name and address"),
    "wording": _l("similar wording"),
    "subject": _l("same subject"),
    "marker": _l("the applicant says it is a repeat"),
}
LINK_KIND_OF_DECISION = {
    "repeat": "repeat",
    "complaint": "complaint_about_answer",
    "reception": "reception_same_question",
}


class RepeatDecisionError(DomainError, ValueError):
    """A decision that cannot be taken as asked (``status`` 409 wrong state, 422 invalid)."""

    def __init__(self, message: Any, status: int = 422) -> None:
        code = {404: "not_found", 409: "conflict"}.get(status, "invalid")
        super().__init__(message, status=status, code=code)


@dataclass(frozen=True)
class Candidate:
    item: IncomingItem
    score: float
    reason: str  # "<who>:<why>": who = iin | bin | name_address; why = wording | subject | marker

    @property
    def similar(self) -> bool:
        return self.score >= SIMILAR


def reason_text(reason: str) -> str:
    return "; ".join(str(REASON_TITLES.get(part, part)) for part in (reason or "").split(":"))


# --- the same applicant ---------------------------------------------------------------------


def _norm(value: str | None) -> str:
    return re.sub(r"[\s.,]+", " ", (value or "").lower()).strip()


def name_key(name: str | None, address: str | None) -> str | None:
    """The key that finds the same applicant without an identifier: name and address."""
    name, address = _norm(name), _norm(address)
    return f"{name}|{address}"[:400] if name and address else None


def _applicant_conditions(applicants: Iterable[Any]) -> list[Any]:
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
    return conditions


def _who(applicants: list[Any], earlier: IncomingItem) -> str:
    iins = {getattr(a, "iin", None) for a in applicants} - {None}
    bins = {getattr(a, "bin", None) for a in applicants} - {None}
    if any(x.iin and x.iin in iins for x in earlier.applicants):
        return "iin"
    if any(x.bin and x.bin in bins for x in earlier.applicants):
        return "bin"
    return "name_address"


def find_candidates(
    applicants: list[Any],
    summary: str,
    exclude_id: int | None = None,
    limit: int = 10,
    *,
    before: Any = None,
    newer_than: int | None = None,
) -> list[Candidate]:
    """Earlier items of the same applicant, most similar first (``similar`` tells which count).

    ``before``: only cases that arrived before this item (imported historical ones included;
    anything with ``arrived_at`` and ``id``); ``newer_than``: only items with a greater id.
    """
    conditions = _applicant_conditions(applicants)
    if not conditions:
        return []
    query = (
        select(IncomingItem)
        .join(Applicant, Applicant.item_id == IncomingItem.id)
        .options(lazyload(IncomingItem.attachments))  # their files are not looked at
        .where(or_(*conditions))
        .order_by(IncomingItem.registration_date.desc(), IncomingItem.id.desc())
        .limit(200)
    )
    if exclude_id is not None:
        query = query.where(IncomingItem.id != exclude_id)
    if newer_than is not None:
        query = query.where(IncomingItem.id > newer_than)
    if before is not None and before.arrived_at is not None:
        query = query.where(
            or_(
                IncomingItem.arrived_at < before.arrived_at,
                and_(IncomingItem.arrived_at == before.arrived_at, IncomingItem.id < before.id),
                IncomingItem.imported.is_(True),
            )
        )
    seen: dict[int, Candidate] = {}
    for item in db.session.scalars(query).unique():
        score, why = question_similarity(summary, item.summary)
        seen[item.id] = Candidate(item, score, f"{_who(applicants, item)}:{why}")
    return sorted(seen.values(), key=lambda c: (-c.score, -c.item.id))[:limit]


# --- candidates of a registered item ---------------------------------------------------------


def candidates_of(item: IncomingItem) -> list[RepeatCandidate]:
    if item.id is None:
        return []
    return list(
        db.session.scalars(
            select(RepeatCandidate)
            .where(RepeatCandidate.item_id == item.id)
            .order_by(RepeatCandidate.similarity.desc(), RepeatCandidate.id)
        )
    )


def undecided_ids(item_ids: Iterable[int]) -> set[int]:
    """Earlier cases still undecided as candidates of any of these items."""
    ids = list(item_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(RepeatCandidate.candidate_id).where(
                RepeatCandidate.item_id.in_(ids), RepeatCandidate.decision.is_(None)
            )
        )
    )


def _linked(item: IncomingItem, other: IncomingItem) -> str | None:
    return db.session.scalar(
        select(ItemLink.kind).where(
            or_(
                and_(ItemLink.item_id == item.id, ItemLink.target_id == other.id),
                and_(ItemLink.item_id == other.id, ItemLink.target_id == item.id),
            )
        )
    )


def detect(
    item: IncomingItem, actor: Any = None, *, new: bool = False, ahead: Any = None
) -> list[RepeatCandidate]:
    """Find and keep the item's repeat candidates (every registration path calls this).

    Imported historical cases are earlier cases for new items but get no candidates of their
    own. Run again when the applicant's identity changes, and by the assignment door; existing
    decisions are kept. ``new``: the item is being registered (it has no candidates yet);
    ``ahead``: its candidates were looked for before the write lock (``registry.read_ahead``).
    """
    if item.id is None or item.imported:
        return []
    if ahead is not None:
        found_all = ahead.candidates_of(item)
    else:
        found_all = find_candidates(item.applicants, item.summary, exclude_id=item.id, before=item)
    similar = [found for found in found_all if found.similar]
    if not similar:
        return []  # (most registrations: no earlier case, so no rows of its own to look at)
    existing = {} if new else {c.candidate_id: c for c in candidates_of(item)}
    added = []
    for found in similar:
        row = existing.get(found.item.id)
        if row is not None:
            if row.decision is None:
                row.similarity, row.reason = round(found.score, 3), found.reason
            continue
        link = _linked(item, found.item)
        row = RepeatCandidate(
            item_id=item.id,
            candidate_id=found.item.id,
            similarity=round(found.score, 3),
            reason=found.reason,
            decision="linked" if link else None,
            link_kind=link,
            decided_at=dt.datetime.now(dt.UTC) if link else None,
        )
        db.session.add(row)
        added.append(row)
    if added:
        db.session.flush()
        audit.record(
            "repeat_candidates_found",
            item,
            summary={
                "candidates": [
                    {"item": r.candidate.reg_number, "similarity": r.similarity, "reason": r.reason}
                    for r in added
                ]
            },
        )
        case_changed(item, actor)
    return added


def case_changed(item: IncomingItem, actor: Any) -> None:
    for hook in CASE_HOOKS:
        hook(item, actor)


def mark_linked(item: IncomingItem, target: IncomingItem, kind: str, actor: Any) -> None:
    """A link made by hand decides the candidate it matches."""
    for row in db.session.scalars(
        select(RepeatCandidate).where(
            or_(
                and_(RepeatCandidate.item_id == item.id, RepeatCandidate.candidate_id == target.id),
                and_(RepeatCandidate.item_id == target.id, RepeatCandidate.candidate_id == item.id),
            )
        )
    ):
        row.decision, row.link_kind = "linked", kind
        row.decided_by_id, row.decided_at = getattr(actor, "id", None), dt.datetime.now(dt.UTC)


def candidate_row(item: IncomingItem, earlier: IncomingItem) -> RepeatCandidate | None:
    return db.session.scalar(
        select(RepeatCandidate).where(
            RepeatCandidate.item_id == item.id, RepeatCandidate.candidate_id == earlier.id
        )
    )


def dismiss(item: IncomingItem, earlier: IncomingItem, actor: Any, reason: str) -> RepeatCandidate:
    """Another question: the earlier case stops counting for R-ROUTE-4 (audited, with a reason)."""
    row = candidate_row(item, earlier)
    if row is None:
        raise RepeatDecisionError(_l("This case is not a repeat candidate of the item."), 404)
    if row.decision == "linked":
        raise RepeatDecisionError(
            _l("The cases are already linked; a link is not undone by dismissing."), 409
        )
    reason = (reason or "").strip()
    if not reason:
        raise RepeatDecisionError(_l("Say why it is another question."))
    row.decision, row.dismiss_reason = "dismissed", reason[:2000]
    row.decided_by_id, row.decided_at = getattr(actor, "id", None), dt.datetime.now(dt.UTC)
    audit.record(
        "repeat_candidate_dismissed",
        item,
        summary={"item": earlier.reg_number, "reason": row.dismiss_reason},
    )
    db.session.flush()
    return row


def serialise(row: RepeatCandidate) -> dict[str, Any]:
    return {
        "item": row.candidate.public_id,
        "reg_number": row.candidate.reg_number,
        "similarity": row.similarity,
        "reason": row.reason,
        "reason_text": reason_text(row.reason),
        "decision": row.decision,
        "link_kind": row.link_kind,
        "dismiss_reason": row.dismiss_reason,
    }
