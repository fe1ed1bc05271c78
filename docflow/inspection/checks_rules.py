"""The checks of registration, forwarding, terms, extensions and control (inspection.md)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from docflow.core.calendar import add_months
from docflow.inspection.checks_case import (
    DECISION_CAP_MONTHS,
    FORWARD_DAYS,
    LETTER_CAP_DAYS,
    Case,
    Hit,
    _d,
    _who,
)

BASES = {"letter": _l("by letter"), "decision": _l("by decision")}

# --- the checks -----------------------------------------------------------------------------


def reg_late(c: Case) -> Hit | None:
    """R-REG-3: registered after the lawful registration date."""
    registered = c.s.calendar.to_local(c.h.registered_at).date()
    if registered <= c.lawful:
        return None
    arrived = c.s.calendar.to_local(c.h.received_at)
    return Hit(
        _l(
            "Arrived %(arrived)s; the lawful registration date was %(lawful)s, but it was registered on %(registered)s."
        ),
        {
            "arrived": arrived.strftime("%Y-%m-%d %H:%M"),
            "lawful": _d(c.lawful),
            "registered": _d(registered),
        },
        {"arrived_at": arrived.isoformat(), "lawful_date": c.lawful, "registered_on": registered},
    )


def forward_late(c: Case) -> Hit | None:
    """R-ROUTE-2: forwarded later than 3 WD from registration."""
    last = c.within(c.lawful, FORWARD_DAYS)
    for fwd in c.h.of("forwarded"):
        if fwd.day > last:
            return Hit(
                _l(
                    "Registered %(lawful)s; forwarded on %(forwarded)s by %(by)s, after the 3-working-day term that ended %(last)s."
                ),
                {
                    "lawful": _d(c.lawful),
                    "forwarded": _d(fwd.day),
                    "by": _who(fwd.person),
                    "last": _d(last),
                },
                {
                    "lawful_date": c.lawful,
                    "forwarded_on": fwd.day,
                    "term_end": last,
                    "by": fwd.person,
                },
            )
    return None


def forward_no_notice(c: Case) -> Hit | None:
    """R-ROUTE-2: no ``forwarding`` notice within 3 WD of the forwarding."""
    for fwd in c.h.of("forwarded"):
        notice, last = c.notice_within("forwarding", fwd)
        if notice is None and c.ended(last):
            sent = [n.day for n in c.h.notices("forwarding")]
            return Hit(
                _l(
                    "Forwarded on %(forwarded)s; no forwarding notice went to the applicant by %(last)s (notices sent: %(sent)s)."
                ),
                {
                    "forwarded": _d(fwd.day),
                    "last": _d(last),
                    "sent": ", ".join(map(_d, sent)) or "—",
                },
                {"forwarded_on": fwd.day, "term_end": last, "notices_sent": sent},
            )
    return None


def answer_late(c: Case) -> Hit | None:
    """R-DEADLINE-1, R-KIND-2: the first final answer went out after the due date."""
    finals = c.h.final_answers()
    if not finals:
        return None
    first = finals[0]
    due = c.due_before(first)
    if first.day <= due:
        return None
    return Hit(
        _l(
            "Registered %(lawful)s, due %(due)s; the first final answer went out on %(answered)s (signed by %(signer)s)."
        ),
        {
            "lawful": _d(c.lawful),
            "due": _d(due),
            "answered": _d(first.day),
            "signer": _who(first.person),
        },
        {
            "lawful_date": c.lawful,
            "due_date": due,
            "answered_on": first.day,
            "signed_by": first.person,
        },
    )


def overdue_open(c: Case) -> Hit | None:
    """R-DEADLINE-1: no final answer by the as-of date, the due date passed, not ended otherwise."""
    if c.h.final_answers() or c.ending() is not None:
        return None
    due = c.due
    if not c.as_of > due:
        return None
    executors = [e.person for e in c.h.of("assigned") if e.person]
    return Hit(
        _l(
            "Registered %(lawful)s, due %(due)s; no final answer by %(as_of)s (executors: %(executors)s)."
        ),
        {
            "lawful": _d(c.lawful),
            "due": _d(due),
            "as_of": _d(c.as_of),
            "executors": ", ".join(p.label() for p in executors) or "—",
        },
        {"lawful_date": c.lawful, "due_date": due, "as_of": c.as_of, "executors": executors},
    )


def extension_over_cap(c: Case) -> Hit | None:
    """R-DEADLINE-2: by letter up to 30 calendar days from registration; in all, two months."""
    letter_cap = c.lawful + dt.timedelta(days=LETTER_CAP_DAYS)
    total_cap = add_months(c.lawful, DECISION_CAP_MONTHS)
    for ext in c.extensions:
        new_due, basis = ext.data.get("new_due"), ext.data.get("basis")
        if new_due is None:
            continue
        cap = letter_cap if basis == "letter" and new_due > letter_cap else total_cap
        if new_due > cap:
            return Hit(
                _l(
                    "Registered %(lawful)s; extended on %(decided)s by %(by)s (%(basis)s) to %(new_due)s, beyond the limit %(cap)s."
                ),
                {
                    "lawful": _d(c.lawful),
                    "decided": _d(ext.day),
                    "by": _who(ext.person),
                    "basis": BASES.get(basis, basis or "—"),
                    "new_due": _d(new_due),
                    "cap": _d(cap),
                },
                {
                    "lawful_date": c.lawful,
                    "decided_on": ext.day,
                    "basis": basis,
                    "new_due": new_due,
                    "cap": cap,
                    "by": ext.person,
                },
            )
    return None


def extension_no_notice(c: Case) -> Hit | None:
    """R-DEADLINE-2: the applicant told of the extension within 3 WD (``notice_sent``)."""
    for ext in c.extensions:
        notice, last = c.notice_within("extension", ext)
        if notice is None and c.ended(last):
            return Hit(
                _l(
                    "Extended on %(decided)s to %(new_due)s; no extension notice went to the applicant by %(last)s."
                ),
                {"decided": _d(ext.day), "new_due": _d(ext.data.get("new_due")), "last": _d(last)},
                {"decided_on": ext.day, "new_due": ext.data.get("new_due"), "term_end": last},
            )
    return None


def extension_after_due(c: Case) -> Hit | None:
    """R-DEADLINE-2: the extension was decided after the due date it extends."""
    for ext in c.extensions:
        due = c.due_before(ext)
        if ext.day > due:
            return Hit(
                _l(
                    "The term ended %(due)s; the extension to %(new_due)s was decided on %(decided)s by %(by)s."
                ),
                {
                    "due": _d(due),
                    "new_due": _d(ext.data.get("new_due")),
                    "decided": _d(ext.day),
                    "by": _who(ext.person),
                },
                {
                    "due_date": due,
                    "decided_on": ext.day,
                    "new_due": ext.data.get("new_due"),
                    "by": ext.person,
                },
            )
    return None


def control_removed_no_answer(c: Case) -> Hit | None:
    """R-CTRL-1: removed from control without a final answer before (and not ended otherwise)."""
    removals = c.h.of("removed_from_control")
    if not removals:
        return None
    removal = removals[0]
    if any(a.not_after(removal) for a in c.h.final_answers()) or c.ending(removal):
        return None
    return Hit(
        _l("Removed from control on %(removed)s by %(by)s with no final answer before it."),
        {"removed": _d(removal.day), "by": _who(removal.person)},
        {"removed_on": removal.day, "by": removal.person},
    )
