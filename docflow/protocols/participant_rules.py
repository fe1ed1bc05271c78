"""R-RECV-9: the representatives of other bodies a reception requires, recorded and checked.

``required_participants`` (profile ``reception``) names, per official, the bodies that take part
in that official's reception; the akim's: prosecutors, police, anti-corruption, courts (seed 004
p.19). Each is recorded present or declined (a refusal to take part is reported, p.22) — here,
or on the session page's participants' lines. A reception held without one of them is on
record as such; with ``participants_block_hold`` it cannot be marked held until they are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.db import atomic
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.workflow import after_transition
from docflow.extensions import db
from docflow.protocols.models import ReceptionSession
from docflow.protocols.rules_settings import ReceptionRuleError, add_condition, setting
from docflow.protocols.signup_rules_models import ReceptionParticipant
from docflow.protocols.workflow import SESSION

BODIES = {
    "prosecutor": _l("Prosecutor's office"),
    "police": _l("Police (Ministry of Internal Affairs)"),
    "anti_corruption": _l("Anti-Corruption Agency"),
    "court": _l("Department for ensuring the activity of courts"),
    "other": _l("Another interested body"),
}


def required_bodies(session: ReceptionSession) -> list[str]:
    """The bodies whose representatives ``session``'s official's reception requires."""
    required = setting("required_participants") or {}
    official = session.official
    return [b for b in (required.get(official.code) or []) if b in BODIES]


def participants(session: ReceptionSession) -> list[ReceptionParticipant]:
    return list(
        db.session.scalars(
            select(ReceptionParticipant)
            .where(ReceptionParticipant.session_id == session.id)
            .order_by(ReceptionParticipant.id)
        )
    )


# The participants' lines of the session page ("body — name", ``operations.set_participants``)
# name the body in Kazakh, Russian or English: recognised by these stems.
BODY_WORDS = {
    "prosecutor": ("прокур", "prosecut"),
    "police": ("полиц", " дп ", "ішкі істер", "внутренних дел", "police", "мвд"),
    "anti_corruption": ("коррупц", "сыбайлас", "corruption", "антикор"),
    "court": ("суд", "сот ", "соттар", "court"),
}


def bodies_in_lines(lines: list[str] | None) -> set[str]:
    """The bodies named by the free participants' lines of a session."""
    found = set()
    for line in lines or []:
        text = f" {str(line).lower()} "
        for body, words in BODY_WORDS.items():
            if any(w in text for w in words):
                found.add(body)
    return found


def missing_participants(session: ReceptionSession) -> list[str]:
    """R-RECV-9: required bodies with no record (neither present nor declined): recorded here
    (``record_participant``) or written on the session's participants' lines."""
    recorded = {p.body for p in participants(session)} | bodies_in_lines(session.participants)
    return [b for b in required_bodies(session) if b not in recorded]


def declined(session: ReceptionSession) -> list[ReceptionParticipant]:
    """Bodies that refused to take part: reported within 2 working days (seed 004 p.22)."""
    return [p for p in participants(session) if not p.present]


@atomic
def record_participant(
    session: ReceptionSession,
    actor: Any,
    *,
    body: str,
    name: str | None = None,
    position: str | None = None,
    present: bool = True,
    note: str | None = None,
) -> ReceptionParticipant:
    """R-RECV-9: a representative of ``body`` at the reception — or the body's refusal."""
    if not has_permission(actor, Permission.MANAGE_RECEPTION):
        raise AccessDenied()
    if body not in BODIES:
        raise ReceptionRuleError(_l("Choose the body the representative comes from."))
    name = (name or "").strip()[:200] or None
    note = (note or "").strip()[:2000] or None
    if present and not name:
        raise ReceptionRuleError(_l("Give the representative's name."))
    if not present and not note:
        raise ReceptionRuleError(_l("Say why the body does not take part."))
    if session.state != "planned":
        raise ReceptionRuleError(_l("That reception is not planned any more."))
    entry = ReceptionParticipant(
        session_id=session.id,
        body=body,
        name=name,
        position=(position or "").strip()[:300] or None,
        present=present,
        note=note,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(entry)
    if present:  # the minutes list the participants (R-PROT-1)
        line = " — ".join(x for x in (str(BODIES[body]), entry.position, name) if x)
        session.participants = [*(session.participants or []), line[:300]]
    db.session.flush()
    audit.record(
        "reception_participant",
        session,
        summary={"body": body, "present": present},
    )
    return entry


def _participants_guard(ctx) -> Any:
    # Refused only where the profile says so; otherwise the hold records what was missing.
    missing = missing_participants(ctx.obj) if setting("participants_block_hold") else []
    if missing:
        return _l(
            "Record the representatives this reception requires, or their refusal (R-RECV-9): "
            "%(bodies)s.",
            bodies=", ".join(str(BODIES[b]) for b in missing),
        )
    return True


def _record_missing_on_hold(sender, obj=None, transition=None, **_kw) -> None:
    # R-RECV-9: a reception held without a required body is on record as such (audited), for
    # the office's own checks and the report to the appeals-control department (seed 004 p.22).
    if sender is not SESSION or transition is None or transition.id != "hold":
        return
    missing = missing_participants(obj)
    if missing:
        audit.record(
            "reception_participants_missing", obj, summary={"bodies": missing}, outcome="warning"
        )


def held_without_participants(
    date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[tuple[ReceptionSession, list[str]]]:
    """Held receptions whose required participants are not all on record (R-RECV-9)."""
    query = select(ReceptionSession).where(ReceptionSession.state == "held")
    if date_from is not None:
        query = query.where(ReceptionSession.date >= date_from)
    if date_to is not None:
        query = query.where(ReceptionSession.date <= date_to)
    out = []
    for session in db.session.scalars(query.order_by(ReceptionSession.date)):
        missing = missing_participants(session)
        if missing:
            out.append((session, missing))
    return out


add_condition(SESSION, "hold", _participants_guard)
after_transition.connect(_record_missing_on_hold, sender=SESSION)
