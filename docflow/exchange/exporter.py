"""``cases export``: native and imported cases as JSON Lines, in the same shape.

Imported cases go out as they came in (their fields and events as recorded). docflow's own
cases are written from their rows: distributions, executors, forwardings, extensions, approved
answers and the workflow history; their state is mapped to e-Otinish's staff-side status
(R-KIND-4). Cases are ordered by registration date, then as registered, and read in batches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.core.workflow import WorkflowHistory
from docflow.exchange import records
from docflow.exchange.models import ImportedCase, ImportedEvent
from docflow.extensions import db
from docflow.org.models import Subdivision, User
from docflow.registry.models import IncomingItem, ItemLink
from docflow.routing.models import Answer, Distribution, ExecutorAssignment, Extension, Forwarding

BATCH = 500
CHANNEL_OUT = {"by_hand": "hand"}
# docflow's states → e-Otinish's staff-side statuses (R-KIND-4); the reverse is the importer's.
STATUS_OF_STATE = {
    "registered": "В работе",
    "awaiting_correction": "В работе",
    "distributed": "В работе",
    "in_work": "В работе",
    "answer_review": "В работе",
    "answered": "В работе",
    "closed": "Исполнено",
    "forwarded": "Переадресовано",
    "terminated": "Прекращено",
    "withdrawn": "Отозвано",
    "returned": "Приведено в соответствие",
    "left_without_consideration": "Оставлено без рассмотрения",
    "reception_settled": "Исполнено",  # settled at the personal reception (explained, no-show)
}
PARENT_KINDS = ("complaint_about_answer", "reception_same_question", "related")
# Workflow transitions that are events of the format (the rest come from their own rows).
HISTORY_EVENTS = {
    "close": "removed_from_control",
    "rework": "sent_back",
    "terminate": "terminated",
    "withdraw": "withdrawn",
    "request_correction": "correction_requested",
    "correction_received": "corrected",
    "return_to_applicant": "returned",
}


def status_of(item: IncomingItem, partly_forwarded: bool = False) -> str | None:
    if partly_forwarded and item.state in ("registered", "distributed", "in_work"):
        return "Переадресовано в части"
    return STATUS_OF_STATE.get(item.state)


class _Writer:
    def __init__(self) -> None:
        self.tz = get_calendar().tz
        self.logins = dict(db.session.execute(select(User.id, User.username)).all())
        self.codes = dict(db.session.execute(select(Subdivision.id, Subdivision.code)).all())

    def time(self, moment: dt.datetime | None) -> str | None:
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(self.tz).isoformat(timespec="seconds")

    def person(self, user_id: int | None) -> dict[str, str] | None:
        return {"login": self.logins[user_id]} if user_id in self.logins else None

    # --- imported ---

    def imported(self, item: IncomingItem, case: ImportedCase) -> dict[str, Any]:
        events = db.session.scalars(
            select(ImportedEvent.data)
            .where(ImportedEvent.item_id == item.id)
            .order_by(ImportedEvent.position)
        )
        return {**case.record, "events": list(events)}

    # --- native ---

    def native(self, item: IncomingItem) -> dict[str, Any]:
        extensions = list(
            db.session.scalars(
                select(Extension).where(Extension.item_id == item.id).order_by(Extension.id)
            )
        )
        forwardings = list(
            db.session.scalars(
                select(Forwarding).where(Forwarding.item_id == item.id).order_by(Forwarding.id)
            )
        )
        events = self._events(item, extensions, forwardings)
        first_due = extensions[0].old_due if extensions else item.due_date
        links = db.session.execute(
            select(ItemLink.kind, IncomingItem.reg_number)
            .join(IncomingItem, IncomingItem.id == ItemLink.target_id)
            .where(ItemLink.item_id == item.id)
            .order_by(ItemLink.id)
        ).all()
        repeat = next((n for k, n in links if k == "repeat"), None)
        parent = next((n for k, n in links if k in PARENT_KINDS), None)
        return {
            "reg_number": item.reg_number,
            "kind": item.kind,
            "channel": CHANNEL_OUT.get(item.channel, item.channel),
            "language": item.language,
            "received_at": self.time(item.arrived_at),
            "registered_at": self.time(item.registered_at),
            "start_date": item.registration_date.isoformat(),
            "deadline": first_due.isoformat() if first_due else None,
            "applicants": [self._applicant(a) for a in item.applicants],
            "collective": item.collective,
            "summary": item.summary,
            "district": None,
            "topic": None,
            "from_reception": item.from_reception,
            "is_duplicate_of": repeat,
            "parent_id": parent,
            "has_been_hearing": False,
            "prolong_count": len(extensions),
            "prolong_days": sum((e.new_due - e.old_due).days for e in extensions),
            "rating": _rating(item.id),
            "status": status_of(item, any(f.partial for f in forwardings)),
            "events": events,
        }

    @staticmethod
    def _applicant(a: Any) -> dict[str, Any]:
        if a.type == "legal":
            return {
                "type": "legal",
                "bin": a.bin,
                "organisation_name": a.organisation_name,
                "address": a.address,
            }
        return {"type": "individual", "iin": a.iin, "full_name": a.full_name, "address": a.address}

    def _events(
        self, item: IncomingItem, extensions: list[Extension], forwardings: list[Forwarding]
    ) -> list[dict[str, Any]]:
        out: list[tuple[dt.datetime, int, dict[str, Any]]] = []

        def add(at: dt.datetime | None, event: dict[str, Any]) -> None:
            if at is not None:
                out.append((at, len(out), {"at": self.time(at), **event}))

        for d in db.session.scalars(
            select(Distribution).where(Distribution.item_id == item.id).order_by(Distribution.id)
        ):
            add(
                d.created_at,
                {
                    "type": "distributed",
                    "subdivision": self.codes.get(d.subdivision_id),
                    "responsible": d.responsible,
                    "by": self.person(d.created_by_id),
                },
            )
        for a in db.session.scalars(
            select(ExecutorAssignment)
            .where(ExecutorAssignment.item_id == item.id)
            .order_by(ExecutorAssignment.id)
        ):
            add(
                a.assigned_at,
                {
                    "type": "assigned",
                    "person": self.person(a.user_id),
                    "subdivision": self.codes.get(a.subdivision_id),
                    "responsible": a.responsible,
                    "by": self.person(a.assigned_by_id),
                },
            )
            if a.ended_at is not None:
                add(a.ended_at, {"type": "unassigned", "person": self.person(a.user_id)})
        for f in forwardings:
            add(
                f.forwarded_at,
                {
                    "type": "forwarded",
                    "body": f.body,
                    "partial": f.partial,
                    "by": self.person(f.forwarded_by_id),
                },
            )
        for e in extensions:
            add(
                e.decided_at,
                {
                    "type": "extended",
                    "basis": e.basis,
                    "old_due": e.old_due.isoformat(),
                    "new_due": e.new_due.isoformat(),
                    "by": self.person(e.decided_by_id),
                    "reason": e.reason,
                },
            )
        for ans in db.session.scalars(
            select(Answer)
            .where(Answer.item_id == item.id, Answer.approved_at.is_not(None))
            .order_by(Answer.id)
        ):
            add(
                ans.approved_at,
                {
                    "type": "answered",
                    "final": ans.final,
                    "signed_by": self.person(ans.approved_by_id),
                    "language": item.language,
                },
            )
        for event_at, event in _letter_events(item.id, self.person):
            add(event_at, event)
        for h in db.session.scalars(
            select(WorkflowHistory)
            .where(
                WorkflowHistory.object_type == IncomingItem.__tablename__,
                WorkflowHistory.object_id == str(item.id),
                WorkflowHistory.transition.in_(HISTORY_EVENTS),
            )
            .order_by(WorkflowHistory.id)
        ):
            add(h.at, self._history_event(item, h))
        out.sort(key=lambda row: (row[0], row[1]))
        return [_drop_none(event) for _, _, event in out]

    def _history_event(self, item: IncomingItem, h: WorkflowHistory) -> dict[str, Any]:
        kind = HISTORY_EVENTS[h.transition]
        event: dict[str, Any] = {"type": kind}
        if kind in ("removed_from_control", "sent_back"):
            event["by"] = self.person(h.actor_id)
        if kind in ("sent_back", "terminated"):
            event["reason"] = h.comment
        if kind == "correction_requested":
            event["missing"] = list(item.missing_details or [])
            event["term"] = item.correction_due.isoformat() if item.correction_due else None
        return event


def _drop_none(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if v is not None}


def export_case(item: IncomingItem) -> dict[str, Any]:
    """One case's record, as a line of the export has it (e.g. for an e-Otinish package)."""
    case = db.session.scalar(select(ImportedCase).where(ImportedCase.item_id == item.id))
    writer = _Writer()
    return writer.imported(item, case) if case is not None else writer.native(item)


def export_cases(date_from: dt.date | None = None, date_to: dt.date | None = None) -> Iterator[str]:
    """The lines of the export (no newline), cases registered from ``date_from`` to ``date_to``."""
    writer = _Writer()
    query = select(IncomingItem.id).order_by(IncomingItem.registration_date, IncomingItem.id)
    if date_from is not None:
        query = query.where(IncomingItem.registration_date >= date_from)
    if date_to is not None:
        query = query.where(IncomingItem.registration_date <= date_to)
    ids = list(db.session.scalars(query))  # ids only: the cases are read in batches
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        items = {
            i.id: i
            for i in db.session.scalars(select(IncomingItem).where(IncomingItem.id.in_(chunk)))
        }
        cases = {
            c.item_id: c
            for c in db.session.scalars(select(ImportedCase).where(ImportedCase.item_id.in_(chunk)))
        }
        for item_id in chunk:
            item = items[item_id]
            case = cases.get(item_id)
            record = writer.imported(item, case) if case is not None else writer.native(item)
            yield records.dumps(record)


def _rating(item_id: int) -> int | None:
    """The applicant's rating of the case's answer (R-ANS-3), from the verification page or a call."""
    from docflow.outgoing.public_models import rating_of_item

    return rating_of_item(item_id)


def _letter_events(item_id: int, person) -> list[tuple[dt.datetime, dict[str, Any]]]:
    """Signed answer letters as ``answered`` events (with their outgoing numbers), and the
    applicant's rating as a ``rated`` event."""
    from docflow.outgoing.letter_models import Letter
    from docflow.outgoing.public_models import AnswerRating

    out: list[tuple[dt.datetime, dict[str, Any]]] = []
    letters = db.session.scalars(
        select(Letter)
        .where(Letter.item_id == item_id, Letter.kind == "answer", Letter.signed_at.is_not(None))
        .order_by(Letter.id)
    )
    for letter in letters:
        out.append(
            (
                letter.signed_at,
                {
                    "type": "answered",
                    "final": letter.final,
                    "signed_by": person(letter.signed_by_id),
                    "outgoing_number": letter.reg_number,
                    "character": letter.decision,
                    "language": letter.language,
                },
            )
        )
        rating = db.session.scalar(select(AnswerRating).where(AnswerRating.letter_id == letter.id))
        if rating is not None:
            out.append((rating.at, {"type": "rated", "rating": rating.score}))
    return out
