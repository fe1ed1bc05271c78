"""The requests of the access matrix (tests/org/test_access_matrix.py): for each row, the objects
it needs in a state where the action is possible, and the valid request a user would send.

Objects come from the operations (as the app makes them), each item with its own applicant and
question, so repeat detection (R-ROUTE-4) never ties one row's objects to another's. Paths are
templates filled from the row's objects; data given as a function is built per request (files).
"""

from __future__ import annotations

import base64
import datetime as dt
import inspect
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from docflow.api import issue_token
from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.org.models import Official, user_by_username
from docflow.outgoing.models import OutgoingNotice
from docflow.protocols import minutes_ops, schedules
from docflow.protocols import operations as reception
from docflow.protocols.models import ReceptionSession, SignUp
from docflow.protocols.workflow import SESSION
from docflow.registry import operations as registry
from docflow.registry import repeats
from docflow.registry.models import ScanBatch, UnmatchedScan
from docflow.routing import operations as routing
from docflow.routing.models import Notification

PASSWORD = "docflow-demo"
MINUTES = Path(__file__).resolve().parents[1] / "protocols" / "data" / "minutes-ru-table.docx"


@dataclass
class Req:
    path: str
    data: dict[str, Any] | None = None
    json: Any = None
    api: bool = False
    fresh: bool = False  # a client of its own (the login, logout and password rows)
    logged_in: bool = True  # … logged in as the user first


@dataclass
class Case:
    setup: Callable[..., dict[str, Any]]
    request: Callable[[World, dict[str, Any], str], Req]
    after: Callable[[World, dict[str, Any], str], None] | None = None
    per_user: bool = False  # setup(world, user): the objects are the user's own


class World:
    """The module's app: users, their logged-in clients and tokens, and object factories."""

    def __init__(self, app, roles) -> None:
        self.app, self.n = app, 0
        self.ids = {name: user_by_username(name).id for name in roles}
        self.tokens = {name: issue_token(user_by_username(name)) for name in roles}
        db.session.commit()
        self._clients: dict[str, Any] = {}
        self._objects: dict[str, dict[str, Any]] = {}

    def fresh_client(self, username: str | None):
        c = self.app.test_client()
        if username:
            r = c.post("/login", data={"username": username, "password": PASSWORD})
            assert r.status_code == 302, username
        return c

    def client(self, username: str):
        if username not in self._clients:
            self._clients[username] = self.fresh_client(username)
        return self._clients[username]

    def objects(self, key: str, case: Case, role: str) -> dict[str, Any]:
        """The row's objects: reused while requests are refused, new after one was accepted."""
        if case.per_user:
            return case.setup(self, role)
        if key not in self._objects:
            self._objects[key] = case.setup(self)
        return self._objects[key]

    def consumed(self, key: str) -> None:
        self._objects.pop(key, None)

    def user(self, name: str):
        return user_by_username(name)

    def next(self) -> int:
        self.n += 1
        return self.n

    def item(self, state: str = "registered", *, kind: str = "statement", **kw):
        """A new item of its own applicant, walked to ``state`` (sent to ENERGY, exec.energy)."""
        n = self.next()
        applicant = registry.ApplicantData(
            full_name=kw.pop("full_name", f"Матрица Тексеруші {n}-ұлы"),
            address=kw.pop("address", f"Алматы қ., Тексеру к-сі {n}"),
        )
        summary = kw.pop("summary", f"Рұқсат тексерісі {n}: өтініш мәтіні {n * 7919}")
        data = registry.RegistrationData(
            kind=kind,
            channel="post",
            applicants=[applicant],
            addressee="Алматы қаласының әкімі",
            summary=summary,
            **kw,
        )
        item = registry.register(data, self.user("clerk"))
        walk = ["distributed", "in_work", "answer_review", "answered", "closed"]
        for step in walk[: walk.index(state) + 1] if state in walk else []:
            self._step(item, step)
        return item

    def _step(self, item, step: str) -> None:
        user = self.user
        if step == "distributed":
            routing.distribute(item, user("controller"), ["ENERGY"])
        elif step == "in_work":
            routing.assign_executors(item, user("head.energy"), [self.ids["exec.energy"]])
        elif step == "answer_review":
            answer = io.BytesIO(b"%PDF-1.4 answer")
            routing.submit_answer(
                item, user("exec.energy"), summary="Жауап.", filename="a.pdf", stream=answer
            )
        elif step == "answered":
            routing.approve_answer(item, user("head.energy"))
        else:
            routing.close(item, user("controller"))

    def session(self) -> ReceptionSession:
        cal, controller = get_calendar(), self.user("controller")
        s = ReceptionSession(
            official_id=self.official("AKIM").id,
            # one a day: unique per official
            date=cal.add_working_days(cal.local_now().date(), 5 + self.next()),
            start=dt.time(10, 0),
            end=dt.time(12, 0),
            slot_minutes=15,
        )
        db.session.add(s)
        SESSION.initialize(s, controller)
        db.session.flush()
        return s

    def signup(self, state: str = "pending") -> tuple[SignUp, ReceptionSession]:
        controller = self.user("controller")
        request = self.item(kind="reception_request")
        s = reception.create_signup(request, self.official("AKIM"), controller)
        session = self.session()
        if state in ("proposed", "included"):
            reception.propose_date(s, session, controller, "Күн ұсынылды")
        if state == "included":
            reception.distribute_list(session, controller)
        if state == "hearing":
            reception.propose_refusal(s, controller, ground="out_of_competence", note="Құзырет")
            s.decision_on = today()  # R-RECV-12: the day of the decision has come
        return s, session

    def official(self, code: str) -> Official:
        return db.session.scalar(select(Official).where(Official.code == code))


def pdf(name: str = "scan.pdf") -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"%PDF-1.4 matrix"), name


def today() -> dt.date:
    return get_calendar().local_now().date()


# --- building the rows ----------------------------------------------------------------------

CASES: dict[str, Case] = {}


def case(key: str, setup=None, request=None, *, after=None, per_user=False) -> None:
    CASES[key] = Case(setup or (lambda w: {}), request, after, per_user)


def web(path: str, data=None, **kw):
    """A form post; ``data`` a dict, or ``data(world, objects)``."""
    return lambda w, o, role: Req(path.format(**o), data(w, o) if callable(data) else data, **kw)


def api(path: str, body=None):
    """A JSON post with the user's bearer token."""
    return lambda w, o, role: Req(
        "/api/v1" + path.format(**o), json=body(w, o) if callable(body) else body or {}, api=True
    )


def api_form(path: str, data):
    return lambda w, o, role: Req("/api/v1" + path.format(**o), data(w, o), api=True)


def item_of(state: str, **kw):
    return lambda w: {"id": w.item(state, **kw).public_id}


def two(state: str, other: str = "public_id"):
    return lambda w: {"id": w.item(state).public_id, "other": getattr(w.item(), other)}


# account and language: the sessions and password are put back after each request


def _accounts(w: World) -> dict[str, Any]:
    users = {name: w.user(name) for name in w.ids}
    return {"accounts": {n: (u.password_hash, u.session_token) for n, u in users.items()}}


def _restore(w: World, o: dict[str, Any], role: str) -> None:
    user = w.user(role)
    user.password_hash, user.session_token = o["accounts"][role]


NEW = "matrix-password-2026"
login = {"password": PASSWORD}
case("org.login", None, lambda w, o, role: Req("/login", login | {"username": role}, fresh=True, logged_in=False))  # fmt: skip
case("org.logout", _accounts, web("/logout", {}, fresh=True), after=_restore)
case("org.change_password", _accounts, web("/account/password", {"current": PASSWORD, "new": NEW, "confirm": NEW}, fresh=True), after=_restore)  # fmt: skip


def _new_substitution(w: World, o: dict[str, Any]) -> dict[str, Any]:
    start = today() + dt.timedelta(days=400)  # far from every other row's dates
    ids = w.ids
    return {"head": ids["head.energy"], "substitute": ids["exec2.energy"], "subdivision": 0, "date_from": start.isoformat(), "date_to": start.isoformat()}  # fmt: skip


def _substitution(w: World) -> dict[str, Any]:
    from docflow.org.substitutes import add_substitution

    start = today() + dt.timedelta(days=500)
    return {"id": add_substitution(w.user("head.energy"), w.user("exec2.energy"), start, start).id}  # fmt: skip


case("org.add_substitute", None, web("/org/substitutes", _new_substitution))
case("org.end_substitute", _substitution, web("/org/substitutes/{id}/end", {}))


# the admin pages (docflow/org/admin_views.py, admin_settings_views.py): each row its own objects


def _admin_user(w: World, *grants, active: bool = True) -> Any:
    from docflow.org import admin_ops

    user, _ = admin_ops.create_account(f"matrix.u{w.next()}", "Матрица Пайдаланушы", password=NEW, grants=grants)  # fmt: skip
    if not active:
        admin_ops.deactivate(user)
    return user


def _admin_subdivision(w: World) -> Any:
    from docflow.org.models import Subdivision, subdivision_by_code

    n = w.next()
    sub = Subdivision(organisation_id=subdivision_by_code("ENERGY").organisation_id, code=f"MATRIX{n}", kind="other", names={"kk": f"Бөлім {n}", "ru": f"Отдел {n}"})  # fmt: skip
    db.session.add(sub)
    db.session.flush()
    return sub


def _energy() -> Any:
    from docflow.org.models import subdivision_by_code

    return subdivision_by_code("ENERGY")


def _with_head(w: World) -> dict[str, Any]:
    sub = _admin_subdivision(w)
    return {"code": sub.code, "user": _admin_user(w, ("head", sub)).id}


def _granted(w: World) -> dict[str, Any]:
    user = _admin_user(w, ("registrar", None))
    return {"id": user.id, "grant": user.grants[0].id}


def _pending_change(w: World) -> dict[str, Any]:
    from docflow.org import admin_ops

    return {"id": admin_ops.change_term("statement", 9, "working", today() + dt.timedelta(days=700)).id}  # fmt: skip


def _new_account(w: World, o: dict[str, Any]) -> dict[str, Any]:
    return {"username": f"matrix.new{w.next()}", "full_name": "Жаңа Пайдаланушы", "password": NEW, "local_role": "executor", "local_subdivision": _energy().id}  # fmt: skip


def _far_day(w: World, o: dict[str, Any]) -> dict[str, Any]:
    start = today() + dt.timedelta(days=600 + w.next())
    return {"day": (start + dt.timedelta(days=1)).isoformat(), "kind": "off", "effective_from": start.isoformat()}  # fmt: skip


def _fresh_iin(w: World, o: dict[str, Any]) -> dict[str, Any]:
    from tests.conftest import fake_iin

    return {"iin": fake_iin(7000 + w.next())}


_sub = {"name_kk": "Бөлім", "name_ru": "Отдел", "name_en": "Unit", "kind": "other", "active": "y"}
_term = lambda w, o: {"t-complaint-days": 12, "t-complaint-unit": "working", "t-complaint-effective_from": (today() + dt.timedelta(days=650)).isoformat()}  # fmt: skip  # noqa: E731
_journal = {"j-correspondence-name_kk": "Кіріс хат-хабар", "j-correspondence-name_ru": "Входящая корреспонденция", "j-correspondence-prefix": "КХ"}  # fmt: skip
case("org.admin_create_user", None, web("/admin/users/new", _new_account))
case("org.admin_add_role", lambda w: {"id": _admin_user(w).id}, web("/admin/users/{id}/roles", {"role": "registrar", "subdivision": 0}))  # fmt: skip
case("org.admin_remove_role", _granted, web("/admin/users/{id}/roles/{grant}/remove", {}))
case("org.admin_set_iin", lambda w: {"id": _admin_user(w, ("executor", _energy())).id}, web("/admin/users/{id}/iin", _fresh_iin))  # fmt: skip
case("org.admin_deactivate", lambda w: {"id": _admin_user(w, ("registrar", None)).id}, web("/admin/users/{id}/deactivate", {}))  # fmt: skip
case("org.admin_reactivate", lambda w: {"id": _admin_user(w, ("registrar", None), active=False).id}, web("/admin/users/{id}/reactivate", {}))  # fmt: skip
case("org.admin_reset_password", lambda w: {"id": _admin_user(w, ("registrar", None)).id}, web("/admin/users/{id}/password", {}))  # fmt: skip
case("org.admin_issue_token", lambda w: {"id": _admin_user(w, ("registrar", None)).id}, web("/admin/users/{id}/token", {}))  # fmt: skip
case("org.admin_edit_subdivision", lambda w: {"code": _admin_subdivision(w).code}, web("/admin/subdivisions/{code}", _sub))  # fmt: skip
case("org.admin_add_head", lambda w: {"code": _admin_subdivision(w).code}, web("/admin/subdivisions/{code}/heads", lambda w, o: {"user": _admin_user(w).id}))  # fmt: skip
case("org.admin_remove_head", _with_head, web("/admin/subdivisions/{code}/heads/{user}/remove", {}))  # fmt: skip
case("org.admin_calendar_change", None, web("/admin/calendar", _far_day))
case("org.admin_cancel_change", _pending_change, web("/admin/changes/{id}/cancel", {}))
case("org.admin_term_change", None, web("/admin/terms/complaint", _term))
case("org.admin_journal_edit", None, web("/admin/journals/correspondence", _journal))


def _demo_profile(w: World, o: dict[str, Any]) -> dict[str, Any]:
    from docflow.org.profile import DEMO_PROFILE

    return {
        "file": (io.BytesIO(DEMO_PROFILE.read_bytes()), "profile.json")
    }  # a re-load: idempotent


case("org.admin_load_profile", None, web("/admin/profile", _demo_profile))
case("main.set_language", None, web("/lang/en", {}))

# registry


def _registration(w: World, o: dict[str, Any]) -> dict[str, Any]:
    n = w.next()
    return {
        "token": f"matrix-{n}",
        "kind": "statement",
        "channel": "post",
        "language": "kk",
        "applicants-0-type": "individual",
        "applicants-0-full_name": f"Тіркеу Тексеруші {n}",
        "applicants-0-address": f"Алматы, Тіркеу к-сі {n}",
        "addressee": "Алматы қаласының әкімі",
        "summary": f"Тіркеу тексерісі {n}",
        "signed": "y",
    }


def _unmatched(w: World) -> dict[str, Any]:
    att = registry.attach(None, "page.pdf", io.BytesIO(b"%PDF-1.4 page"), w.user("clerk"))
    batch = ScanBatch(filename="b.pdf", storage_key=att.storage_key, sha256=att.sha256)
    db.session.add(batch)
    db.session.flush()
    scan = UnmatchedScan(batch_id=batch.id, attachment_id=att.id, pages=[0])
    db.session.add(scan)
    db.session.flush()
    return {"scan": scan.id, "number": w.item().reg_number}


def _overdue_correction(w: World) -> dict[str, Any]:
    item = w.item("awaiting_correction", address=None)
    item.correction_due = today() - dt.timedelta(days=1)
    return {"id": item.public_id}


def _request_without_essence(w: World) -> dict[str, Any]:
    # Registered without the essence it is left at once (R-REG-6); here the essence is struck out.
    item = w.item(kind="reception_request")
    registry.annotate(item, "summary", "", "Мәні қате жазылған", w.user("clerk"))
    return {"id": item.public_id}


def _notice(w: World) -> dict[str, Any]:
    item = w.item("awaiting_correction", address=None)  # R-REG-5: its notice is registered
    notice = db.session.scalar(select(OutgoingNotice).where(OutgoingNotice.item_id == item.id))
    return {"notice": notice.public_id}


FILES = lambda w, o: {"files": pdf()}  # noqa: E731
ANNOTATE = {"field": "summary", "value": "Түзетілген мазмұн", "reason": "Қате жазылған"}
SUPPLY = {"address": "Алматы, Сәтбаев 5", "reason": "Хатпен келді"}
case("registry.register", None, web("/registry/new", _registration))
case("registry.repeats", None, lambda w, o, role: Req("/registry/repeats", json={"full_name": "Біреу", "address": "Алматы", "summary": "Су"}))  # fmt: skip
case("registry.search", None, web("/registry/search", {"q": "Алматы"}))
case("registry.scans", None, web("/registry/scans", FILES))
case("registry.resolve_scan", _unmatched, web("/registry/scans/unmatched/{scan}", lambda w, o: {"reg_number": o["number"]}))  # fmt: skip
case("registry.upload", item_of("registered"), web("/registry/{id}/files", FILES))
case("registry.annotate", item_of("registered"), web("/registry/{id}/annotate", ANNOTATE))
case("registry.supply", item_of("awaiting_correction", address=None), web("/registry/{id}/supply", SUPPLY))  # fmt: skip
case("registry.link", two("distributed", "reg_number"), web("/registry/{id}/link", lambda w, o: {"reg_number": o["other"], "kind": "related"}))  # fmt: skip
WRITTEN = {"comment": "Өтініш беруші жазбаша хабарлады"}
for _name, _setup in {
    "withdraw": item_of("registered"),
    "return_to_applicant": _overdue_correction,
    "leave_without_consideration": _request_without_essence,
}.items():
    case(f"registry.transition[{_name}]", _setup, web(f"/registry/{{id}}/do/{_name}", WRITTEN))
    case(f"api.fire_transition[{_name}]", _setup, api(f"/items/{{id}}/transitions/{_name}", WRITTEN))  # fmt: skip
case("outgoing.mark_sent", _notice, web("/outgoing/{notice}/sent", {"channel": "post"}))


def _api_registration(w: World, o: dict[str, Any]) -> dict[str, Any]:
    n = w.next()
    return {
        "kind": "statement",
        "channel": "eotinish",
        "applicants": [{"full_name": f"Интеграция {n}", "address": f"Алматы, API к-сі {n}"}],
        "addressee": "Алматы қаласының әкімі",
        "summary": f"API тексерісі {n}",
    }


def _candidate(w: World) -> dict[str, Any]:
    """An item sent to ENERGY with an undecided repeat candidate (same applicant, same question)."""
    n = w.next()
    same = {"full_name": f"Қайталаушы {n}", "address": f"Алматы, Қайталау к-сі {n}"}
    same["summary"] = f"Аулада жарық жоқ, шам жанбайды {n}"
    earlier, item = w.item("closed", **same), w.item("distributed", **same)
    assert repeats.candidate_row(item, earlier) is not None, "no repeat candidate"
    return {"id": item.public_id, "other": earlier.public_id}


DISMISS = {"decision": "dismiss", "reason": "Басқа мәселе"}
case("api.register_item", None, api("/items", _api_registration))
case("api.add_attachments", item_of("registered"), api_form("/items/{id}/attachments", FILES))
case("api.search_items", None, api("/items/search", {"q": "Алматы"}))
case("api.link_item", two("distributed"), api("/items/{id}/links", lambda w, o: {"item": o["other"], "kind": "related"}))  # fmt: skip
case("api.decide_repeat_candidate", _candidate, api("/items/{id}/repeat-candidates/{other}", DISMISS))  # fmt: skip

# routing: each web action and its API twin


def _executors(kind: str):
    return lambda w, o: {"executors": [str(w.ids["exec2.energy"])], "kind": kind, "reason": "Кезек"}


def _api_executors(kind: str):
    extra = {} if kind == "assign" else {"kind": kind}
    return {"executors": ["exec2.energy"], "reason": "Кезек"} | extra


def _repeat_of_closed(w: World) -> dict[str, Any]:
    earlier, item = w.item("closed"), w.item()
    registry.link_items(item, earlier, "repeat", w.user("clerk"))
    return {"id": item.public_id}


def _in_work_with_caps(w: World) -> dict[str, Any]:
    item = w.item("in_work")
    caps = {basis: routing.extension_cap(item, basis).isoformat() for basis in ("letter", "decision")}  # fmt: skip
    return {"id": item.public_id, **caps}


def _extend(basis: str):
    return lambda w, o: {"basis": basis, "new_due": o[basis], "reason": "Күрделі мәселе"}


def _extension(w: World) -> dict[str, Any]:
    from docflow.core.settings import set_setting

    # the route's gate on a notice registered at once (the head-signed default: tests/outgoing)
    set_setting("letters", {"signature_required": ["final_answer", "refusal"]})
    item = w.item("in_work")
    cap = routing.extension_cap(item, "letter")
    ext = routing.extend(item, w.user("head.energy"), basis="letter", new_due=cap, reason="Хат")
    return {"kind": "extension", "record": ext.id}


def _forwarding(w: World) -> dict[str, Any]:
    fwd = routing.forward(w.item(), w.user("controller"), body="Облыс әкімдігі", partial=False)
    return {"kind": "forwarding", "record": fwd.id}


def _own_notification(w: World, role: str) -> dict[str, Any]:
    n = Notification(user_id=w.ids[role], kind="reminder", key=f"matrix-{w.next()}", message="…")
    db.session.add(n)
    db.session.flush()
    return {"notification": n.id}


def _two_distributed(w: World) -> dict[str, Any]:
    return {"items": [w.item("distributed").public_id, w.item("distributed").public_id]}


ROUTING = "/items/{id}/routing/"
COMMENT = {"comment": "Толықтыру керек, себебі көрсетілді"}
FORWARD = {"body": "Алматы облысының әкімдігі", "reason": "Құзыретінен тыс"}
ANSWER = lambda w, o: {"summary": "Жауап дайын.", "file": pdf("answer.pdf"), "final": "y"}  # noqa: E731
API_ANSWER = lambda w, o: {"data": json.dumps({"summary": "Жауап дайын."}), "file": pdf("a.pdf")}  # noqa: E731
case("routing.distribute", item_of("registered"), web("/routing/{id}/distribute", {"responsible": "ENERGY"}))  # fmt: skip
case("api.routing_action[distribute]", item_of("registered"), api(ROUTING + "distribute", {"subdivisions": ["ENERGY"]}))  # fmt: skip
case("routing.distribute[redistribute]", item_of("distributed"), web("/routing/{id}/distribute", {"responsible": "EDU", "comment": "Құзыреті бойынша"}))  # fmt: skip
for _kind, _state in (("assign", "distributed"), ("reassign", "in_work"), ("add", "in_work"), ("delegate", "in_work")):  # fmt: skip
    case(f"routing.assign[{_kind}]", item_of(_state), web("/routing/{id}/assign", _executors(_kind)))  # fmt: skip
    _key = "assign" if _kind == "assign" else f"assign/{_kind}"
    case(f"api.routing_action[{_key}]", item_of(_state), api(ROUTING + "assign", _api_executors(_kind)))  # fmt: skip
case("routing.answer", item_of("in_work"), web("/routing/{id}/answer", ANSWER))
case("api.routing_action[answer]", item_of("in_work"), api_form(ROUTING + "answer", API_ANSWER))
for _action, _setup, _comment in (
    ("approve", item_of("answer_review"), {}),
    ("return", item_of("answer_review"), COMMENT),
    ("close", item_of("answered"), {}),
    ("rework", item_of("answered"), COMMENT),
    ("terminate", _repeat_of_closed, COMMENT),
):
    case(f"routing.act[{_action}]", _setup, web(f"/routing/{{id}}/do/{_action}", _comment))
    case(f"api.routing_action[{_action}]", _setup, api(ROUTING + _action, _comment))
case("routing.extend[letter]", _in_work_with_caps, web("/routing/{id}/extend", _extend("letter")))  # fmt: skip
case("routing.extend[decision]", _in_work_with_caps, web("/routing/{id}/extend", _extend("decision")))  # fmt: skip
case("api.routing_action[extend]", _in_work_with_caps, api(ROUTING + "extend", _extend("letter")))  # fmt: skip
case("routing.forward", item_of("registered"), web("/routing/{id}/forward", FORWARD))
case("api.routing_action[forward]", item_of("registered"), api(ROUTING + "forward", FORWARD))
case("routing.bulk_assign", _two_distributed, web("/routing/bulk-assign", lambda w, o: {"items": o["items"], "executors": [str(w.ids["exec2.energy"])]}))  # fmt: skip
case("api.bulk_assign", _two_distributed, api("/routing/bulk-assign", lambda w, o: {"items": o["items"], "executors": ["exec2.energy"]}))  # fmt: skip
case("routing.notice_sent[extension]", _extension, web("/routing/notice/{kind}/{record}", {}))
case("routing.notice_sent[forwarding]", _forwarding, web("/routing/notice/{kind}/{record}", {}))
case("routing.read_notification", _own_notification, web("/routing/notifications/{notification}/read", {}), per_user=True)  # fmt: skip
case("routing.decide_repeat", _candidate, web("/routing/{id}/repeat/{other}", DISMISS))
case("routing.assign_outside", item_of("distributed"), web("/routing/{id}/assign-outside", {"user": "exec.edu", "reason": "Бақылаушының келісімі"}))  # fmt: skip

# outgoing letters (docflow/outgoing/letters_api.py): signed with the test PKI of tests/outgoing


def _letter(state: str):
    def setup(w: World) -> dict[str, Any]:
        from docflow.outgoing import letters
        from tests.outgoing.letter_helpers import ANSWER, make_letter_pki, setup_signer

        if not getattr(w, "signer_ready", False):
            setup_signer({"head.energy": w.user("head.energy")}, make_letter_pki())
            w.signer_ready = True
        item = w.item("in_work")
        data = {k: v for k, v in ANSWER.items() if k != "kind"}
        letter = letters.create_letter(item, w.user("exec.energy"), **data)
        if state in ("submitted", "approved"):
            letters.submit(letter, w.user("exec.energy"))
        if state == "approved":
            letters.approve(letter, w.user("head.energy"))
        return {"id": item.public_id, "letter": letter.public_id}

    return setup


def _ncalayer_return(w: World, o: dict[str, Any], role: str) -> Req:
    # NCALayer's CMS over a session the head has just started (the number is still free)
    from docflow.outgoing import letter_signing
    from docflow.outgoing.letter_models import letter_by_public_id
    from docflow.signing.pki import ncalayer_cms
    from tests.outgoing.letter_helpers import b64, make_letter_pki

    letter = letter_by_public_id(o["letter"])
    s = letter_signing.start_signing(letter, w.user("head.energy"))
    cms = ncalayer_cms(base64.b64decode(s["digest"]), make_letter_pki().head)
    return Req(f"/api/v1/letters/{o['letter']}/signing/{s['session']}", json={"cms": b64(cms)}, api=True)  # fmt: skip


LETTER_BODY = {"kind": "answer", "final": False, "language": "kk", "body": "Аралық жауап."}
case("api.create_letter", item_of("in_work"), api("/items/{id}/letters", LETTER_BODY))
case("api.submit_letter", _letter("draft"), api("/letters/{letter}/submit"))
case("api.approve_letter", _letter("submitted"), api("/letters/{letter}/approve"))
case("api.return_letter", _letter("submitted"), api("/letters/{letter}/return", COMMENT))
case("api.start_signing", _letter("approved"), api("/letters/{letter}/signing"))
case("api.finish_signing", _letter("approved"), _ncalayer_return)
case("api.sign_letter", _letter("approved"), api("/letters/{letter}/sign", {"passphrase": "Qwerty12"}))  # fmt: skip

# the letter pages (docflow/outgoing/letter_views.py, letter_page_api.py)


def _ncalayer_page_return(w: World, o: dict[str, Any], role: str) -> Req:
    api_req = _ncalayer_return(w, o, role)  # the same CMS, posted by the page (session, CSRF)
    return Req(api_req.path.removeprefix("/api/v1"), json=api_req.json)


LETTER_PAGE = "/letters/{letter}/"
case("letters.create", item_of("in_work"), web("/letters/item/{id}", {"kind": "answer", "language": "kk", "body": "Аралық жауап."}))  # fmt: skip
case("letters.edit", _letter("draft"), web(LETTER_PAGE + "edit", {"body": "Екінші нұсқа."}))
case("letters.act[submit]", _letter("draft"), web(LETTER_PAGE + "do/submit", {}))
case("letters.act[approve]", _letter("submitted"), web(LETTER_PAGE + "do/approve", {}))
case("letters.act[return]", _letter("submitted"), web(LETTER_PAGE + "do/return", COMMENT))
case("letters.sign", _letter("approved"), web(LETTER_PAGE + "sign", {"passphrase": "Qwerty12"}))
case("letters.start_signing", _letter("approved"), lambda w, o, role: Req(f"/letters/{o['letter']}/signing", json={}))  # fmt: skip
case("letters.finish_signing", _letter("approved"), _ncalayer_page_return)
case("letters.sign_selected", _letter("approved"), web("/letters/to-sign", lambda w, o: {"letters": [o["letter"]], "passphrase": "Qwerty12"}))  # fmt: skip

# letter templates (docflow/outgoing/template_views.py): administrators only


def _template_file(w: World, o: dict[str, Any]) -> dict[str, Any]:
    from docflow.outgoing.docx_templates import default_template

    return {"file": (io.BytesIO(default_template("notice", "kk")), "notice-kk.docx")}


def _own_template(w: World) -> dict[str, Any]:
    from docflow.outgoing.docx_templates import default_template, store_template

    store_template("notice", "ru", default_template("notice", "ru"), "own.docx", w.user("admin"))
    return {}


case("letter_templates.upload", None, web("/admin/letter-templates/notice/kk", _template_file))
case("letter_templates.reset", _own_template, web("/admin/letter-templates/notice/ru/reset", {}))

# the districts' map of the analytics dashboard (docflow/analytics/views.py): administrators


def _geojson(w: World, o: dict[str, Any]) -> dict[str, Any]:
    ring = [[76.9, 43.2], [77.0, 43.2], [77.0, 43.3], [76.9, 43.2]]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    feature = {"type": "Feature", "properties": {"code": "MEDEU"}, "geometry": polygon}
    doc = {"type": "FeatureCollection", "features": [feature]}
    return {"geojson": (io.BytesIO(json.dumps(doc).encode()), "districts.geojson")}


case("analytics.district_map", None, web("/analytics/map", _geojson))

# dispatch and ratings (docflow/outgoing/dispatch_api.py, public_views.py)


def _dispatched(how: str | None):
    """A signed letter (signed on the server), then: None, "hand" (sent), "post" (queued in the
    register), "tracked" (sent by post)."""

    def setup(w: World) -> dict[str, Any]:
        from docflow.outgoing import dispatch, letter_signing
        from docflow.outgoing.letter_models import letter_by_public_id

        o = _letter("approved")(w)
        letter = letter_by_public_id(o["letter"])
        letter_signing.sign_on_server(letter, w.user("head.energy"), "Qwerty12")
        clerk = w.user("clerk")
        d = None
        if how == "hand":
            d = dispatch.dispatch_by_hand(letter, clerk, "Матрица Тексеруші")
        elif how in ("post", "tracked"):
            d = dispatch.dispatch_post(letter, clerk, tracking="RR000000000KZ" if how == "tracked" else None)  # fmt: skip
        return o | {"dispatch": d.public_id if d else None, "digest": letter.content_hash[:16]}

    return setup


HAND = {"channel": "hand", "received_by": "Матрица Тексеруші"}
case("api.dispatch_letter", _dispatched(None), api("/letters/{letter}/dispatch", HAND))
case("api.dispatch_posted", _dispatched("post"), api("/letters/{letter}/dispatches/{dispatch}/posted", {"tracking": "RR000000001KZ"}))  # fmt: skip
case("api.dispatch_delivered", _dispatched("tracked"), api("/letters/{letter}/dispatches/{dispatch}/delivered"))  # fmt: skip
case("api.rate_letter", _dispatched("hand"), api("/letters/{letter}/rating", {"score": 4, "source": "call"}))  # fmt: skip
case("verification.rate", _dispatched("hand"), web("/v/{letter}/{digest}/rating", {"score": "4"}))
case("dispatch.send", _dispatched(None), web("/outgoing/dispatch/letter/{letter}", HAND))
case("dispatch.posted", _dispatched("post"), web("/outgoing/dispatch/{dispatch}/posted", {"tracking": "RR000000001KZ"}))  # fmt: skip
case("dispatch.delivered", _dispatched("tracked"), web("/outgoing/dispatch/{dispatch}/delivered", {}))  # fmt: skip
case("dispatch.rate", _dispatched("hand"), web("/outgoing/dispatch/letter/{letter}/rating", {"score": "4"}))  # fmt: skip

# inspections (docflow/inspection/views.py, views_remediation.py): the inspector's own records


def _inspection(state: str = "draft"):
    """An inspection of ENERGY over a period with no cases (a run is quick); ``ready``: run once;
    ``sampled``: one case of its sample; ``finding``: an own finding in ENERGY; ``sent`` /
    ``reported``: that finding's remediation task."""

    def setup(w: World) -> dict[str, Any]:
        from docflow.inspection import operations as inspections
        from docflow.inspection import remediation
        from docflow.inspection import sample as sampling
        from docflow.inspection.checks import CheckRun

        inspector, n = w.user("inspector"), w.next()
        start = dt.date(2031, 1, 1) + dt.timedelta(days=n)
        i = inspections.create_inspection(inspector, title=f"Тексеру {n}", date_from=start, date_to=start, subdivisions=["ENERGY"])  # fmt: skip
        o: dict[str, Any] = {"inspection": i.public_id}
        if state == "ready":
            inspections.run_inspection(i, inspector, runner=lambda **kw: CheckRun(start, start, start))  # fmt: skip
        if state == "sampled":
            item = w.item()
            i.date_from = i.date_to = item.registration_date
            i.subdivisions = []
            o["sample"] = sampling.draw_sample(i, inspector, size=1, seed=1)[0].id
        if state in ("finding", "sent", "reported"):
            f = inspections.add_finding(i, inspector, evidence="Журнал толық емес", subdivision_code="ENERGY")  # fmt: skip
            o["finding"] = f.public_id
        if state in ("sent", "reported"):
            t = remediation.send_for_remediation(f, inspector, term=today() + dt.timedelta(days=5))
            o["task"] = t.public_id
        if state == "reported":
            remediation.report_done(t, w.user("head.energy"), "Журнал толықтырылды")
        return o

    return setup


INSPECTION = "/inspections/{inspection}"
CHECKLIST = {"answer_motivated": "yes", "legislation_cited": "yes", "complaint_explained": "no", "language_ok": "yes"}  # fmt: skip
NEW_INSPECTION = {"title": "Матрица тексеруі", "date_from": "2031-06-01", "date_to": "2031-06-30", "subdivisions": "ENERGY"}  # fmt: skip
case("inspection.new", None, web("/inspections/new", NEW_INSPECTION))
case("inspection.run", _inspection(), web(INSPECTION + "/run", {}))
case("inspection.close", _inspection("ready"), web(INSPECTION + "/close", {}))
case("inspection.texts", _inspection(), web(INSPECTION + "/texts", {"remarks": "Ескерту", "proposals": "Сөгіс"}))  # fmt: skip
case("inspection.add_finding", _inspection(), web(INSPECTION + "/findings", {"subdivision_code": "ENERGY", "severity": "medium", "evidence": "Кешіктірілген"}))  # fmt: skip
case("inspection.sample", _inspection(), web(INSPECTION + "/sample", {"size": "5", "seed": "1"}))
case("inspection.checklist", _inspection("sampled"), web(INSPECTION + "/sample/{sample}", CHECKLIST))  # fmt: skip
case("inspection.send_remediation", _inspection("finding"), web("/inspections/findings/{finding}/remediation", lambda w, o: {"term": (today() + dt.timedelta(days=5)).isoformat()}))  # fmt: skip
case("inspection.report_task", _inspection("sent"), web("/inspections/tasks/{task}/report", {"report": "Жасалды"}))  # fmt: skip
case("inspection.accept_task", _inspection("reported"), web("/inspections/tasks/{task}/accept", {"comment": ""}))  # fmt: skip
case("inspection.return_task", _inspection("reported"), web("/inspections/tasks/{task}/return", {"comment": "Толық емес"}))  # fmt: skip

# personal reception


def _signup(state: str):
    def setup(w: World) -> dict[str, Any]:
        s, session = w.signup(state)
        return {"signup": s.id, "session": session.id}

    return setup


def _minutes(w: World) -> dict[str, Any]:
    parsed = minutes_ops.parse_upload(MINUTES)
    data = io.BytesIO(MINUTES.read_bytes())
    m = minutes_ops.store_minutes(
        w.user("controller"), filename="m.docx", stream=data, parsed=parsed
    )
    form: dict[str, Any] = {}
    for a in minutes_ops.assignments_input_from(parsed):  # what the page posts back, confirmed
        form[f"executors-{a.number}"] = a.executors
        form[f"due-{a.number}"] = a.due.isoformat() if a.due else ""
    form["overdue_confirmed"] = "1"  # the sample's terms have passed: confirmed as they are
    return {"minutes": m.id, "form": form}


def _draft_schedule(w: World) -> dict[str, Any]:
    start = dt.date(2031, 1, 1) + dt.timedelta(days=10 * w.next())  # periods never overlap
    s = schedules.create_schedule(
        w.official("HEAD-APP"),
        w.user("controller"),
        weekday=start.weekday() % 5,
        start=dt.time(9, 0),
        end=dt.time(11, 0),
        place={"kk": PLACE["place_kk"], "ru": PLACE["place_ru"]},
        valid_from=start,
        valid_to=start + dt.timedelta(days=5),
    )
    return {"schedule": s.id}


def _schedule(w: World, o: dict[str, Any]) -> dict[str, Any]:
    hours = {"start": "15:00", "end": "17:00", "valid_from": "2026-01-01"}
    return {"official": w.official("DEP2").id, "weekday": 1, "week_of_month": ""} | PLACE | hours


def _one_off(w: World, o: dict[str, Any]) -> dict[str, Any]:
    day = get_calendar().add_working_days(today(), 30 + w.next())
    hours = {"start": "15:00", "end": "16:00", "kind": "one_off"}
    return {"official": w.official("DEP2").id, "date": day.isoformat()} | hours


PLACE = {"place_kk": "Әкімдік, 105-бөлме", "place_ru": "Акимат, каб. 105"}
SESSION_OF = lambda w: {"session": w.session().id}  # noqa: E731
MINUTES_FILE = lambda w, o: {"file": (io.BytesIO(MINUTES.read_bytes()), "m.docx")}  # noqa: E731
SIGNUP = "/reception/signups/{signup}/"
case("protocols.create_signup", lambda w: {"item": w.item(kind="reception_request").public_id}, web("/reception/signups", lambda w, o: {"item": o["item"], "official": "AKIM"}))  # fmt: skip
case("protocols.signup_action[propose_date]", _signup("pending"), web(SIGNUP + "propose_date", lambda w, o: {"session": o["session"], "note": "Күн"}))  # fmt: skip
case("protocols.signup_action[propose_refusal]", _signup("pending"), web(SIGNUP + "propose_refusal", {"ground": "out_of_competence", "note": "Құзыреттен тыс"}))  # fmt: skip
case("protocols.signup_action[objection]", _signup("hearing"), web(SIGNUP + "objection", {"note": "Қарсымын"}))  # fmt: skip
case("protocols.signup_action[refuse]", _signup("hearing"), web(SIGNUP + "refuse", {}))
case("protocols.signup_action[reschedule]", _signup("proposed"), web(SIGNUP + "reschedule", {"note": "Басқа күн"}))  # fmt: skip
case("protocols.participants", SESSION_OF, web("/reception/sessions/{session}/participants", {"participants": "Прокуратура — Ахметов А."}))  # fmt: skip
case("protocols.distribute_list", _signup("proposed"), web("/reception/sessions/{session}/list", {}))  # fmt: skip
# The gate does not depend on what there is to list.
case("protocols.distribute_list[no_one_proposed]", SESSION_OF, web("/reception/sessions/{session}/list", {}))  # fmt: skip
case("protocols.visit", _signup("included"), web("/reception/sessions/{session}/visit/{signup}", {"came": "0"}))  # fmt: skip
case("protocols.minutes_upload", None, web("/reception/minutes/upload", MINUTES_FILE))
case("protocols.minutes", _minutes, web("/reception/minutes/{minutes}", lambda w, o: o["form"]))
case("protocols.schedule_create", None, web("/reception/schedules", _schedule))
case("protocols.schedule_approve", _draft_schedule, web("/reception/schedules/{schedule}/approve", {}))  # fmt: skip
case("protocols.schedule_generate", None, web("/reception/schedules/generate", {"weeks": "1"}))
case("protocols.schedule_one_off", None, web("/reception/sessions/new", _one_off))
case("protocols.schedule_cancel_session", SESSION_OF, web("/reception/sessions/{session}/cancel", {"reason": "Іссапар"}))  # fmt: skip
case("protocols.satisfaction_record", None, web("/reception/satisfaction", {"reason": "consultation", "result": "satisfied"}))  # fmt: skip


# --- the actions a route with an action in its URL knows (each needs its row) -------------------


def _source_keys(func, pattern: str) -> set[str]:
    return set(re.findall(pattern, inspect.getsource(func), re.M))


def _variants() -> dict[str, Callable[[], set[str]]]:
    from docflow.outgoing import letter_views
    from docflow.protocols import reception_views
    from docflow.registry import api as registry_api
    from docflow.registry import blueprint as registry_bp
    from docflow.routing import api as routing_api
    from docflow.routing import blueprint as routing_bp

    return {
        "registry.transition": lambda: set(registry_bp.MANUAL_TRANSITIONS),
        "api.fire_transition": lambda: set(registry_api.REGISTRY_TRANSITIONS),
        "routing.act": lambda: set(routing_bp.ACTIONS),
        "letters.act": lambda: set(letter_views.ACTIONS),
        "routing.notice_sent": lambda: _source_keys(routing_bp.notice_sent, r'"(\w+)": \w+[,}]'),
        "api.routing_action": lambda: _source_keys(
            routing_api.routing_action, r'^\s+"(\w+)": lambda'
        ),
        "protocols.signup_action": lambda: _source_keys(
            reception_views.signup_action, r'action == "(\w+)"'
        ),
    }


VARIANTS = _variants()


# the rows of issue 14's routes: their own module, on the machinery above
from tests.org import access_cases_new  # noqa: E402, F401
