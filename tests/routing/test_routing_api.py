"""Routing over the REST API: the full path, 403 / 409 / 422 / 400, and R-ROUTE-4 on the API path."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from docflow.api import issue_token
from docflow.core.calendar import get_calendar
from docflow.core.workflow import history
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.models import item_by_public_id
from docflow.registry.operations import link_items
from docflow.routing import operations as ops

ROLES = ("clerk", "controller", "head.energy", "exec.energy", "exec2.energy", "head.edu")


@pytest.fixture
def api(app):
    """``api("controller").post(url, ...)``: requests with that user's bearer token, in English."""
    tokens = {name: issue_token(user_by_username(name)) for name in ROLES}
    db.session.commit()
    c = app.test_client()

    class As:
        def __init__(self, name: str) -> None:
            self.headers = {"Authorization": f"Bearer {tokens[name]}", "Accept-Language": "en"}

        def get(self, url, **kw):
            return c.get(url, headers=self.headers, **kw)

        def post(self, url, **kw):
            return c.post(url, headers=self.headers, **kw)

        def act(self, item, action: str, **kw):
            return self.post(f"/api/v1/items/{public_id(item)}/routing/{action}", **kw)

    return As


def public_id(item) -> str:
    return item if isinstance(item, str) else item.public_id


def ok(r) -> dict:
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/json"
    body = r.get_json()
    assert body["message"]
    if code is not None:
        assert body["error"] == code, body
    return body


def answer_upload(summary: str = "Жылу берілді, акт қоса беріледі.", **extra) -> dict:
    return {
        "data": json.dumps({"summary": summary, **extra}),
        "file": (io.BytesIO(b"%PDF-1.4 answer"), "answer.pdf"),
    }


def fresh(item):
    db.session.expire_all()
    return item


@pytest.fixture
def committed(make_item, routed):
    def make(until: str | None = None, **kw):
        item = routed(until, **kw) if until else make_item()
        db.session.commit()
        return item

    return make


def test_full_path_over_the_api_r_route_1_3_r_ans_2_r_ctrl_1(api, make_item):
    # Registered through the API, as e-Otinish would.
    r = api("clerk").post(
        "/api/v1/items",
        json={
            "kind": "statement",
            "channel": "eotinish",  # arrived now (an earlier arrival needs a reason)
            "applicants": [
                {
                    "full_name": "Жұмабаева Айнұр Серікқызы",
                    "iin": "920704404563",
                    "address": "Алматы қ., Абай даңғ. 1",
                }
            ],
            "addressee": "Алматы қаласының әкімі",
            "summary": "Жылу жоқ",
        },
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    pid = r.get_json()["id"]

    routing = ok(api("controller").get(f"/api/v1/items/{pid}/routing"))
    assert routing["state"] == "registered" and routing["subdivisions"] == []

    body = ok(api("controller").act(pid, "distribute", json={"subdivisions": ["ENERGY", "ALMALY"]}))
    assert body["state"] == "distributed" and body["id"] == pid
    assert body["routing"]["subdivisions"] == [
        {"code": "ENERGY", "responsible": True},
        {"code": "ALMALY", "responsible": False},
    ]

    body = ok(api("head.energy").act(pid, "assign", json={"executors": ["exec.energy"]}))
    assert body["state"] == "in_work"
    assert [
        (e["username"], e["responsible"], e["subdivision"]) for e in body["routing"]["executors"]
    ] == [("exec.energy", True, "ENERGY")]

    body = ok(
        api("exec.energy").act(
            pid, "answer", data=answer_upload(), content_type="multipart/form-data"
        )
    )
    assert body["state"] == "answer_review"
    assert body["routing"]["answer"] == {
        "summary": "Жылу берілді, акт қоса беріледі.",
        "status": "submitted",
        "final": True,
        "reg_number": None,  # the outgoing number comes with the head's approval
    }

    body = ok(api("head.energy").act(pid, "approve", json={"comment": "Келісілді"}))
    assert body["state"] == "answered" and body["routing"]["answer"]["status"] == "approved"
    assert body["routing"]["answer"]["reg_number"]  # registered in the outgoing journal

    body = ok(api("controller").act(pid, "close", json={}))
    assert body["state"] == "closed"

    item = fresh(item_by_public_id(pid))
    assert item.state == "closed"
    answer = ops.current_answer(item)
    assert answer.author_id == user_by_username("exec.energy").id
    assert answer.approved_by_id == user_by_username("head.energy").id  # R-ANS-2
    assert [h.transition for h in history(item)] == [
        "create",
        "distribute",
        "assign",
        "submit_answer",
        "approve_answer",
        "close",
    ]
    assert ok(api("controller").get(f"/api/v1/items/{pid}/routing"))["state"] == "closed"


# --- refusals -------------------------------------------------------------------------------


def test_403_head_of_another_subdivision_cannot_assign(api, committed, users):
    item = committed("distributed")
    error(api("head.edu").act(item, "assign", json={"executors": ["exec.edu"]}), 403, "forbidden")
    error(api("head.edu").get(f"/api/v1/items/{item.public_id}/routing"), 403, "forbidden")
    fresh(item)
    assert item.state == "distributed" and ops.active_executors(item) == []


def test_403_executor_cannot_distribute(api, committed, users):
    registered = committed()
    error(api("exec.energy").act(registered, "distribute", json={"subdivisions": ["ENERGY"]}), 403)
    # Even on an item he executes (and so may read), sending it elsewhere is the controller's act.
    mine = committed("in_work")
    assert (
        ok(api("exec.energy").get(f"/api/v1/items/{mine.public_id}/routing"))["state"] == "in_work"
    )
    error(
        api("exec.energy").act(mine, "distribute", json={"subdivisions": ["EDU"]}),
        403,
        "forbidden",
    )
    fresh(registered)
    assert registered.state == "registered" and ops.distributions(registered) == []
    assert mine.state == "in_work" and [d.subdivision.code for d in ops.distributions(mine)] == [
        "ENERGY"
    ]


def test_409_r_ctrl_1_close_on_an_item_in_work(api, committed):
    item = committed("in_work")
    error(api("controller").act(item, "close", json={}), 409, "wrong_state")
    assert fresh(item).state == "in_work"


def test_r_route_4_api_path_refused_with_the_earlier_case(api, committed, make_item, users):
    earlier = committed("closed")
    new = make_item(summary="Жылу әлі жоқ, қайта жүгінемін")
    link_items(new, earlier, "repeat", users["clerk"])
    ops.distribute(new, users["controller"], ["ENERGY"])
    db.session.commit()

    for name in ("exec.energy", "head.energy"):  # the executor and the signer of the earlier case
        body = error(
            api("head.energy").act(new, "assign", json={"executors": [name]}), 422, "rule_violation"
        )
        assert earlier.reg_number in body["message"] and "R-ROUTE-4" in body["message"]
    # Mixed with an allowed colleague: still refused as a whole.
    error(
        api("head.energy").act(new, "assign", json={"executors": ["exec2.energy", "exec.energy"]}),
        422,
        "rule_violation",
    )
    fresh(new)
    assert new.state == "distributed" and ops.active_executors(new) == []

    body = ok(api("head.energy").act(new, "assign", json={"executors": ["exec2.energy"]}))
    assert [e["username"] for e in body["routing"]["executors"]] == ["exec2.energy"]
    # Reassignment over the API is the same door.
    body = error(
        api("head.energy").act(
            new,
            "assign",
            json={"executors": ["exec.energy"], "kind": "reassign", "reason": "отпуск"},
        ),
        422,
        "rule_violation",
    )
    assert earlier.reg_number in body["message"]
    assert [a.user_id for a in ops.active_executors(fresh(new))] == [users["exec2.energy"].id]


def test_r_deadline_2_422_extension_beyond_the_letter_cap(api, committed):
    item = committed("in_work")
    old_due = item.due_date
    cap = item.registration_date + dt.timedelta(days=30)
    body = error(
        api("controller").act(
            item,
            "extend",
            json={
                "basis": "letter",
                "new_due": (cap + dt.timedelta(days=1)).isoformat(),
                "reason": "сложный вопрос",
            },
        ),
        422,
        "rule_violation",
    )
    cap_words = f"{cap.day} {cap.strftime('%b')} {cap.year}"  # one date format per locale (en)
    assert "30 calendar days" in body["message"] and cap_words in body["message"]
    fresh(item)
    assert item.due_date == old_due and ops.extensions(item) == []

    body = ok(
        api("controller").act(
            item,
            "extend",
            json={"basis": "letter", "new_due": cap.isoformat(), "reason": "сложный вопрос"},
        )
    )
    # R-DEADLINE-3: the cap (16 December) is Independence Day, the next working day passes
    # it, so the term ends on the working day before.
    real = get_calendar().adjust_term(cap, cap).day
    assert body["due_date"] == real.isoformat() and body["state"] == "in_work"
    (ext,) = body["routing"]["extensions"]
    assert (ext["old_due"], ext["new_due"], ext["notice_sent"]) == (
        old_due.isoformat(),
        real.isoformat(),
        False,
    )


def test_400_unknown_action(api, committed):
    item = committed("in_work")
    body = error(api("controller").act(item, "teleport", json={}), 400, "unknown_action")
    assert "teleport" in body["message"]
    assert fresh(item).state == "in_work"


def test_422_unknown_username(api, committed):
    item = committed("distributed")
    body = error(
        api("head.energy").act(item, "assign", json={"executors": ["no.such.user"]}), 422, "invalid"
    )
    assert "no.such.user" in body["fields"]["executors"]
    error(api("head.energy").act(item, "assign", json={"executors": "exec.energy"}), 422, "invalid")
    fresh(item)
    assert item.state == "distributed" and ops.active_executors(item) == []


def test_422_answer_without_a_file(api, committed):
    item = committed("in_work")
    body = error(
        api("exec.energy").act(
            item,
            "answer",
            data={"data": json.dumps({"summary": "Ответ"})},
            content_type="multipart/form-data",
        ),
        422,
        "invalid",
    )
    assert "file" in body["fields"]
    assert fresh(item).state == "in_work" and ops.current_answer(item) is None
