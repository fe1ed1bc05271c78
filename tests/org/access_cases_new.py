"""The access matrix's requests for the routes of issue 14 (imported by access_cases.py, which
holds the machinery): oral appeals, files and applicants' versions, the public status page, and
the reception's rules and next steps. As there: real objects in a state where the action is
possible, valid input, so a refusal is the permission and nothing else.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.protocols import operations as reception
from docflow.protocols.models import ReceptionSession, SignUp
from docflow.protocols.workflow import SESSION
from docflow.registry import operations as registry
from tests.org.access_cases import (
    Req,
    World,
    _api_registration,
    _dispatched,
    _signup,
    api,
    case,
    pdf,
    today,
    web,
)

# --- oral and phone appeals (docflow/registry/oral_views.py, R-REG-2): the records office


def _oral(w: World, o: dict[str, Any]) -> dict[str, Any]:
    n = w.next()
    return {
        "token": f"matrix-oral-{n}",
        "channel": "oral",
        "kind": "statement",
        "language": "kk",
        "applicant-type": "individual",
        "applicant-full_name": f"Ауызша Өтініш Беруші {n}",
        "applicant-address": f"Алматы, Ауызша к-сі {n}",
        "addressee": "Алматы қаласының әкімі",
        "words": f"Ауызша өтініш {n}: аулада жарық жоқ",
    }


def _api_oral(w: World, o: dict[str, Any]) -> dict[str, Any]:
    words = {"words": "Қоңырау: аулада жарық жоқ", "caller_phone": "+7 701 000 00 00"}
    return _api_registration(w, o) | {"channel": "phone"} | words


case("registry.oral_appeal", None, web("/registry/oral", _oral))
case("api.register_oral_item", None, api("/items/oral", _api_oral))

# --- files and applicants as new versions (docflow/registry/file_views.py, R-AUDIT-3)


def _with_file(w: World) -> dict[str, Any]:
    item = w.item("registered")
    att = registry.attach(item, "scan.pdf", io.BytesIO(b"%PDF-1.4 first"), w.user("clerk"))
    return {"id": item.public_id, "file": att.public_id}


def _applicant(w: World) -> dict[str, Any]:
    item = w.item("registered")
    return {"id": item.public_id, "full_name": item.applicants[0].full_name}


def _correction(w: World, o: dict[str, Any]) -> dict[str, Any]:
    n = w.next()
    address = f"Алматы, Түзетілген к-сі {n}"
    return {"full_name": o["full_name"], "iin": "", "address": address, "reason": "Қате жазылған"}


REPLACE = lambda w, o: {"file": pdf("scan-2.pdf"), "reason": "Анығырақ көшірме"}  # noqa: E731
FILE = "/registry/{id}/files/{file}/"
case("registry.replace_file", _with_file, web(FILE + "replace", REPLACE))
case("registry.remove_file", _with_file, web(FILE + "remove", {"reason": "Қате тіркелген"}))
case("registry.correct_applicant", _applicant, web("/registry/{id}/applicants/1/correct", _correction))  # fmt: skip

# --- the public status page (docflow/registry/public_status_views.py): no login, the number and
# the slip's code. Only failures count for the throttle per address; every request here succeeds.


def _status_of(w: World) -> dict[str, Any]:
    item = w.item("registered")
    return {"number": item.reg_number, "code": item.status_code}


def _answered(w: World) -> dict[str, Any]:
    from docflow.outgoing.letter_models import letter_by_public_id

    o = _dispatched("hand")(w)  # signed and handed over: the answer is the applicant's
    item = letter_by_public_id(o["letter"]).item
    return o | {"number": item.reg_number, "code": item.status_code}


def public(path: str):
    """A form post by someone with no account (a client of its own, not logged in)."""
    return lambda w, o, role: Req(
        path.format(**o), {"number": o["number"], "code": o["code"]}, fresh=True, logged_in=False
    )


case("public.status_lookup", _status_of, public("/public/status"))
case("public.status_answer", _answered, public("/public/status/answer/{letter}"))

# --- the reception's rules (docflow/protocols/signup_rules_views.py) and next steps
# (flow_views.py): the office that manages receptions


def _extendable(w: World) -> dict[str, Any]:
    """A pending sign-up and, per basis, the latest working day its inclusion term may reach."""
    from docflow.protocols import signup_rules as rules
    from docflow.registry.models import IncomingItem

    o = _signup("pending")(w)
    s = db.session.get(SignUp, o["signup"])
    item = db.session.get(IncomingItem, s.item_id)
    cal = get_calendar()
    for basis in ("letter", "decision"):
        day = rules.extension_cap(item, basis)
        while not cal.is_working_day(day):
            day -= dt.timedelta(days=1)
        assert day > rules.inclusion_due(item), basis
        o[basis] = day.isoformat()
    return o


def _extend(basis: str):
    return lambda w, o: {"basis": basis, "new_due": o[basis], "reason": "Күрделі мәселе"}


def _due_session(w: World) -> dict[str, Any]:
    """A planned reception whose day has come (a reception is marked held on its day or later)."""
    controller, akim = w.user("controller"), w.official("AKIM")
    s = ReceptionSession(
        official_id=akim.id,
        date=today() - dt.timedelta(days=400 + w.next()),  # one a day: unique per official
        start=dt.time(10, 0),
        end=dt.time(12, 0),
        slot_minutes=15,
    )
    with db.session.no_autoflush:  # the state is set by the workflow before the row is written
        db.session.add(s)
        SESSION.initialize(s, controller)
    db.session.flush()
    return {"session": s.id}


def _received(w: World) -> dict[str, Any]:
    """A reception with one applicant received (explained on the spot): its minutes can be made."""
    s, session = w.signup("included")
    reception.record_visit(s, w.user("controller"), came=True, explained=True, identity_document="Жеке куәлік", outcome="Түсіндірілді")  # fmt: skip
    return {"signup": s.id, "session": session.id}


def _restrictions_lifted(w: World, o: dict[str, Any], role: str) -> None:
    from docflow.core.settings import get_setting, set_setting

    # the mode is office-wide: lifted again, so no other row meets video-only receptions
    set_setting("reception", dict(get_setting("reception") or {}) | {"restrictions_mode": False})


SIGNUP = "/reception/signups/{signup}/"
SESSION_PAGE = "/reception/sessions/{session}/"
PARTICIPANT = {"body": "prosecutor", "name": "Ахметов А.", "position": "Прокурор", "present": "yes"}
RESTRICTIONS = {"on": "1", "reason": "Бас санитарлық дәрігердің қаулысы"}
case("protocols.video_consent", _signup("pending"), web(SIGNUP + "video-consent", {"source": "written", "note": "Жазбаша келісім"}))  # fmt: skip
case("protocols.extend_signup[letter]", _extendable, web(SIGNUP + "extend", _extend("letter")))
case("protocols.extend_signup[decision]", _extendable, web(SIGNUP + "extend", _extend("decision")))  # fmt: skip
case("protocols.record_participant", lambda w: {"session": w.session().id}, web(SESSION_PAGE + "participant", PARTICIPANT))  # fmt: skip
case("protocols.restrictions", None, web("/reception/rules/restrictions", RESTRICTIONS), after=_restrictions_lifted)  # fmt: skip
case("protocols.hold_session", _due_session, web(SESSION_PAGE + "hold", {}))
case("protocols.session_minutes", _received, web(SESSION_PAGE + "minutes", {"lang": "ru"}))
