"""The checks of handlers, scans, answers and signatures, termination, return and reception
(inspection.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l

from docflow.inspection.checks_case import (
    HEARING_DAYS,
    NOT_JUDGED,
    SCAN_DAYS,
    Case,
    Hit,
    _d,
    _who,
)
from docflow.inspection.history import Event


def repeat_handler(c: Case) -> Hit | Any | None:
    """R-ROUTE-4: an executor of this case executed or signed in an earlier case it refers to."""
    executors = [e for e in c.h.of("assigned") if e.person is not None and e.person.known]
    if not executors:
        return None
    seen: set[int] = {c.h.item_id}
    queue = [*c.h.duplicate_of, *c.h.parents]
    unresolved = bool(c.h.unresolved)
    while queue:
        target = queue.pop(0)
        if target in seen:
            continue
        seen.add(target)
        earlier = c.earlier(target)
        if earlier is None:
            unresolved = True
            continue
        for assigned in executors:
            for person, role in earlier.handlers:
                if assigned.person.same(person):
                    roles = {"executor": _l("executor"), "signer": _l("signer of the answer")}
                    return Hit(
                        _l(
                            "%(person)s was made executor on %(assigned)s; in the earlier case %(earlier)s they were the %(role)s."
                        ),
                        {
                            "person": assigned.person.label(),
                            "assigned": _d(assigned.day),
                            "earlier": earlier.reg_number,
                            "role": roles[role],
                        },
                        {
                            "person": assigned.person,
                            "assigned_on": assigned.day,
                            "earlier_case": earlier.reg_number,
                            "earlier_item_id": earlier.item_id,
                            "role": role,
                        },
                    )
        queue += earlier.duplicate_of + earlier.parents
    return NOT_JUDGED if unresolved else None


def reception_scan_late(c: Case) -> Hit | None:
    """R-REG-7: a personal-reception appeal scanned and attached within 3 WD of registration."""
    if not c.h.from_reception:
        return None
    last = c.within(c.lawful, SCAN_DAYS)
    scans = c.h.of("scan_attached")
    if scans and scans[0].day <= last:
        return None
    if not scans and not c.ended(last):
        return None
    return Hit(
        _l(
            "A personal-reception appeal registered %(lawful)s; the scan was due by %(last)s, attached: %(scanned)s."
        ),
        {"lawful": _d(c.lawful), "last": _d(last), "scanned": _d(scans[0].day) if scans else "—"},
        {"lawful_date": c.lawful, "term_end": last, "scanned_on": scans[0].day if scans else None},
    )


def answer_signer(c: Case) -> Hit | Any | None:
    """R-ANS-2: signed by the responsible subdivision's head on record or the day's substitute."""
    finals = c.h.final_answers()
    if not finals:
        return None
    judged = False
    for answer in finals:
        signer = answer.person
        if signer is None or not signer.known or c.h.subdivision_id is None:
            continue
        heads = c.heads_on(c.h.subdivision_id, answer.day)
        if not heads:
            continue  # no record of who headed the subdivision that day
        judged = True
        if not any(signer.same(h) for h in heads):
            return Hit(
                _l(
                    "The final answer of %(answered)s was signed by %(signer)s; the head of %(subdivision)s that day on record: %(heads)s."
                ),
                {
                    "answered": _d(answer.day),
                    "signer": signer.label(),
                    "subdivision": c.h.subdivision_code or "—",
                    "heads": ", ".join(h.label() for h in heads),
                },
                {"answered_on": answer.day, "signed_by": signer, "heads": heads},
            )
    return None if judged else NOT_JUDGED


def answer_language(c: Case) -> Hit | Any | None:
    """R-ANS-1, R-RECV-10: the answer is in the appeal's language or the state language (kk)."""
    finals = c.h.final_answers()
    if not finals:
        return None
    judged = False
    for answer in finals:
        lang = answer.data.get("language")
        if lang is None or (c.h.language is None and lang != "kk"):
            continue
        judged = True
        if lang not in ("kk", c.h.language):
            return Hit(
                _l(
                    "The appeal is in %(appeal)s; the final answer of %(answered)s is in %(answer)s."
                ),
                {"appeal": c.h.language, "answered": _d(answer.day), "answer": lang},
                {
                    "appeal_language": c.h.language,
                    "answer_language": lang,
                    "answered_on": answer.day,
                },
            )
    return NOT_JUDGED if finals and not judged else None if judged else NOT_JUDGED


def signature_invalid(c: Case) -> Hit | Any | None:
    """R-ANS-2: the signed final answer's signature verifies (native letters only)."""
    finals = c.h.final_answers()
    letters = [a for a in finals if a.data.get("letter_id")]
    judged = False
    for answer in letters:
        verdict = c.verify(answer.data["letter_id"])  # None: no signed PDF kept
        judged = judged or verdict is not None
        if verdict is False:
            return Hit(
                _l(
                    "The final answer %(number)s signed by %(signer)s on %(answered)s: its signature does not verify."
                ),
                {
                    "number": answer.data.get("number") or "—",
                    "signer": _who(answer.person),
                    "answered": _d(answer.day),
                },
                {
                    "letter_id": answer.data["letter_id"],
                    "signed_by": answer.person,
                    "answered_on": answer.day,
                },
            )
    return NOT_JUDGED if finals and not judged else None


def termination_no_notice(c: Case) -> Hit | None:
    """R-ROUTE-5: the applicant told of the termination within 3 WD."""
    ended = c.h.of("terminated")
    if not ended:
        return None
    notice, last = c.notice_within("termination", ended[0])
    if notice is not None or not c.ended(last):
        return None
    return Hit(
        _l("Terminated on %(terminated)s; no termination notice went out by %(last)s."),
        {"terminated": _d(ended[0].day), "last": _d(last)},
        {"terminated_on": ended[0].day, "term_end": last},
    )


def termination_without_decision(c: Case) -> Hit | Any | None:
    """R-ROUTE-5: terminated as a repeat, but the case it repeats had no final answer before."""
    ended = c.h.of("terminated")
    if not ended or not (c.h.duplicate_of or c.h.refs.get("is_duplicate_of")):
        return None
    termination = ended[0]
    seen: set[int] = {c.h.item_id}
    queue, names, unresolved = list(c.h.duplicate_of), [], not c.h.duplicate_of
    while queue:
        target = queue.pop(0)
        if target in seen:
            continue
        seen.add(target)
        earlier = c.earlier(target)
        if earlier is None:
            unresolved = True
            continue
        names.append(earlier.reg_number)
        if any(a.not_after(termination) for a in earlier.finals):
            return None
        queue += earlier.duplicate_of
    if unresolved and not names:
        return NOT_JUDGED
    return Hit(
        _l(
            "Terminated on %(terminated)s as a repeat of %(earlier)s, which had no final answer by then."
        ),
        {"terminated": _d(termination.day), "earlier": ", ".join(names)},
        {"terminated_on": termination.day, "earlier_cases": names},
    )


def return_without_request(c: Case) -> Hit | Any | None:
    """R-REG-5: returned only after a correction request whose term had ended."""
    returns = c.h.of("returned")
    if not returns:
        return None
    returned = returns[0]
    requests = [r for r in c.h.of("correction_requested") if r.not_after(returned)]
    if not requests:
        return Hit(
            _l("Returned to the applicant on %(returned)s without a correction request before."),
            {"returned": _d(returned.day)},
            {"returned_on": returned.day},
        )
    term = requests[-1].data.get("term")
    if term is None:
        return NOT_JUDGED
    if returned.day > term:
        return None
    return Hit(
        _l(
            "Correction requested on %(requested)s with a term to %(term)s; returned on %(returned)s, before the term ended."
        ),
        {"requested": _d(requests[-1].day), "term": _d(term), "returned": _d(returned.day)},
        {"requested_on": requests[-1].day, "term": term, "returned_on": returned.day},
    )


def _refusals(c: Case) -> list[Event]:
    return [a for a in c.h.final_answers() if a.data.get("character") == "refused"]


def signup_notice_late(c: Case) -> Hit | None:
    """R-RECV-11: the ``signup_inclusion`` notice within the profile's term of registration."""
    if c.h.kind != "reception_request" or _refusals(c):
        return None
    last = c.within(c.lawful, c.s.inclusion_days)
    notices = c.h.notices("signup_inclusion")
    if notices and notices[0].day <= last:
        return None
    if not notices and not c.ended(last):
        return None
    return Hit(
        _l(
            "A request for personal reception registered %(lawful)s; the inclusion notice was due by %(last)s, sent: %(sent)s."
        ),
        {"lawful": _d(c.lawful), "last": _d(last), "sent": _d(notices[0].day) if notices else "—"},
        {"lawful_date": c.lawful, "term_end": last, "sent_on": notices[0].day if notices else None},
    )


def third_working_day_after(c: Case, day: dt.date) -> dt.date:
    """The 3rd working day after ``day``, ``day`` itself not counted (R-RECV-12)."""
    for _ in range(HEARING_DAYS):
        day = c.s.calendar.next_working_day(day)
    return day


def refusal_no_hearing(c: Case) -> Hit | None:
    """R-RECV-12: the draft refusal went for the hearing at least 3 WD before the refusal."""
    if c.h.kind != "reception_request":
        return None
    refusals = _refusals(c)
    if not refusals:
        return None
    refusal = refusals[0]
    drafts = c.h.of("hearing_draft_sent") + c.h.notices("hearing_draft")
    drafts = [d for d in drafts if d.day <= refusal.day]
    if any(refusal.day >= third_working_day_after(c, d.day) for d in drafts):
        return None
    first = min((d.day for d in drafts), default=None)
    return Hit(
        _l(
            "Refused on %(refused)s; the draft refusal for the hearing went out: %(draft)s (it must be at least 3 working days before)."
        ),
        {"refused": _d(refusal.day), "draft": _d(first)},
        {"refused_on": refusal.day, "draft_sent_on": first},
    )
