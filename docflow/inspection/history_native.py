"""The history of docflow's own cases, read from their rows into the exchange format's events.

- executors: ``ExecutorAssignment`` (``assigned``; ``unassigned`` when the row ended);
- forwarding and extensions: ``Forwarding``, ``Extension`` (by letter or decision, new due date,
  decided when);
- notices to the applicant: outgoing letters of a notice kind with their ``sent_on`` day (outgoing
  keeps the "sent" state of every notice, those of forwardings and extensions included);
- answers: signed outgoing answer letters (final?, signer, language, decision; gone out the day
  sent, or signed when no sending is recorded) and paper answers approved by the head
  (``Answer``: signer the approver, language and decision not recorded);
- control removal, termination, withdrawal, return, correction request: the workflow history;
- personal reception: the sign-up's draft refusal for the hearing (``preliminary_sent_on``) and
  its refusal (a final answer with the character ``refused``); the first scan attached.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from docflow.core.workflow import WorkflowHistory
from docflow.extensions import db
from docflow.inspection.history import CaseHistory, Event, at_noon, aware, id_in, local_day
from docflow.outgoing.letter_models import Letter
from docflow.registry.models import Attachment, IncomingItem
from docflow.routing.models import Answer, ExecutorAssignment, Extension, Forwarding

HISTORY_EVENTS = {
    "close": "removed_from_control",
    "terminate": "terminated",
    "withdraw": "withdrawn",
    "return_to_applicant": "returned",
    "request_correction": "correction_requested",
    "correction_received": "corrected",
}
SCAN_SOURCES = ("upload", "batch")  # an answer's own file is not the appeal's scan


class NativeReader:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.tz = loader.tz
        self.people = loader.people

    def event(self, case: CaseHistory, etype: str, at: Any, person: Any = None, **data) -> None:
        if at is None:
            return
        if not isinstance(at, dt.datetime):  # a day only (a notice recorded by its day)
            self.day_event(case, etype, at, **data)
            return
        at = aware(at)
        case.events.append(Event(etype, at, local_day(at, self.tz), person, data))

    def day_event(self, case: CaseHistory, etype: str, day: Any, **data) -> None:
        if day is not None:  # recorded by its day only
            case.events.append(
                Event(etype, at_noon(day, self.tz), day, None, {**data, "day_only": True})
            )

    def read(self, cases: dict[int, CaseHistory], ids: list[int], rows: dict[int, Any]) -> None:
        user = self.people.user
        for a in db.session.scalars(
            select(ExecutorAssignment).where(id_in(ExecutorAssignment.item_id, ids))
        ):
            case = cases[a.item_id]
            self.event(case, "assigned", a.assigned_at, user(a.user_id), responsible=a.responsible)
            self.event(case, "unassigned", a.ended_at, user(a.user_id))
        for f in db.session.scalars(select(Forwarding).where(id_in(Forwarding.item_id, ids))):
            case = cases[f.item_id]
            self.event(
                case, "forwarded", f.forwarded_at, user(f.forwarded_by_id), partial=f.partial
            )
        for e in db.session.scalars(select(Extension).where(id_in(Extension.item_id, ids))):
            case = cases[e.item_id]
            self.event(
                case,
                "extended",
                e.decided_at,
                user(e.decided_by_id),
                basis=e.basis,
                old_due=e.old_due,
                new_due=e.new_due,
            )
        for ans in db.session.scalars(
            select(Answer).where(id_in(Answer.item_id, ids), Answer.approved_at.is_not(None))
        ):
            # a paper answer approved (signed by hand) by the head: language not recorded
            self.event(
                cases[ans.item_id],
                "answered",
                ans.approved_at,
                user(ans.approved_by_id),
                final=ans.final,
                language=None,
                character=None,
                signed=ans.approved_by_id is not None,
            )
        self._letters(cases, ids)
        self._history(cases, ids, rows)
        self._reception(cases, ids)

    def _letters(self, cases: dict[int, CaseHistory], ids: list[int]) -> None:
        sent_on = getattr(Letter, "sent_on", None)
        columns = [
            Letter.id,
            Letter.item_id,
            Letter.kind,
            Letter.final,
            Letter.language,
            Letter.decision,
            Letter.signed_by_id,
            Letter.signed_at,
            Letter.reg_number,
        ]
        if sent_on is not None:
            columns.append(sent_on)
        for row in db.session.execute(select(*columns).where(id_in(Letter.item_id, ids))):
            case = cases[row.item_id]
            sent = getattr(row, "sent_on", None)
            if row.kind != "answer":  # a notice: what counts is the day it went out
                self.day_event(case, "notice_sent", sent, notice=row.kind, letter_id=row.id)
                continue
            if row.signed_at is None:
                continue
            signed_day = local_day(row.signed_at, self.tz)
            out_day = sent if sent is not None and sent > signed_day else signed_day
            at = aware(row.signed_at) if out_day == signed_day else at_noon(out_day, self.tz)
            case.events.append(
                Event(
                    "answered",
                    at,
                    out_day,
                    self.people.user(row.signed_by_id),
                    {
                        "final": bool(row.final),
                        "language": row.language,
                        "character": row.decision,
                        "signed": True,
                        "letter_id": row.id,
                        "number": row.reg_number,
                        "day_only": out_day != signed_day,
                    },
                )
            )

    def _history(self, cases: dict[int, CaseHistory], ids: list[int], rows: dict[int, Any]) -> None:
        by_str = {str(i): i for i in ids}
        for h in db.session.execute(
            select(
                WorkflowHistory.object_id,
                WorkflowHistory.transition,
                WorkflowHistory.actor_id,
                WorkflowHistory.comment,
                WorkflowHistory.at,
            ).where(
                WorkflowHistory.object_type == IncomingItem.__tablename__,
                WorkflowHistory.object_id.in_(list(by_str)),
                WorkflowHistory.transition.in_(list(HISTORY_EVENTS)),
            )
        ):
            item_id = by_str[h.object_id]
            etype = HISTORY_EVENTS[h.transition]
            data: dict[str, Any] = {}
            if etype == "correction_requested":
                data["term"] = rows[item_id].correction_due
            if etype == "terminated":
                data["reason"] = h.comment
            self.event(cases[item_id], etype, h.at, self.people.user(h.actor_id), **data)

    def _reception(self, cases: dict[int, CaseHistory], ids: list[int]) -> None:
        from docflow.protocols.models import SignUp

        reception = [i for i in ids if cases[i].from_reception]
        if reception:
            for item_id, first in db.session.execute(
                select(Attachment.item_id, func.min(Attachment.uploaded_at))
                .where(id_in(Attachment.item_id, reception), Attachment.source.in_(SCAN_SOURCES))
                .group_by(Attachment.item_id)
            ):
                self.event(cases[item_id], "scan_attached", first)
        requests = [i for i in ids if cases[i].kind == "reception_request"]
        if not requests:
            return
        signups = {
            s.id: s
            for s in db.session.scalars(select(SignUp).where(id_in(SignUp.item_id, requests)))
        }
        for s in signups.values():
            case = cases[s.item_id]
            self.day_event(case, "hearing_draft_sent", s.preliminary_sent_on)
            self.day_event(
                case, "notice_sent", s.inclusion_notice_sent_on, notice="signup_inclusion"
            )
        if not signups:
            return
        for object_id, actor_id, at in db.session.execute(
            select(WorkflowHistory.object_id, WorkflowHistory.actor_id, WorkflowHistory.at).where(
                WorkflowHistory.object_type == SignUp.__tablename__,
                WorkflowHistory.object_id.in_([str(i) for i in signups]),
                WorkflowHistory.transition == "refuse",
            )
        ):
            signup = signups[int(object_id)]
            # R-RECV-12: the refusal of reception is the decision on the request
            self.event(
                cases[signup.item_id],
                "answered",
                at,
                None,  # no signature recorded for it: its signer cannot be judged
                by=self.people.user(actor_id),
                final=True,
                language=None,
                character="refused",
                signed=False,
                refusal=True,
            )
