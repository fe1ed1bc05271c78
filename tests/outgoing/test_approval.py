"""The approval sheet of a letter (лист согласования): executor → approvers (sequential or
parallel, per the profile's ``letters.approval``) → the signer (R-ANS-2), return for revision
with a comment, the printed sheet, and approvers as handlers of the case (R-ROUTE-4)."""

from __future__ import annotations

import pytest
from flask import render_template

from docflow.core.security import Role
from docflow.core.settings import set_setting
from docflow.core.workflow import history
from docflow.extensions import db
from docflow.org.models import RoleGrant
from docflow.outgoing import approval
from docflow.outgoing.letter_models import letter_by_public_id
from docflow.registry import operations as registry
from docflow.routing import operations as routing_ops
from docflow.routing.handlers import prior_handlers
from tests.outgoing.letter_helpers import (
    ANSWER,
    PASSPHRASE,
    Api,
    approved_letter,
    make_letter_pki,
    setup_signer,
)

LAWYER = {"role": "lawyer", "user": "exec.edu"}


@pytest.fixture
def api(app, users):
    return Api(app, users)


def sheet_of(approvers, mode: str = "sequential", **extra) -> None:
    set_setting("letters", {"approval": {"approvers": approvers, "mode": mode, **extra}})
    db.session.commit()


def co_executed(routed, users):
    """An item in work with exec.energy responsible and exec2.energy as co-executor."""
    item = routed("in_work")
    routing_ops.assign_executors(item, users["head.energy"], [users["exec2.energy"].id], kind="add")  # fmt: skip
    db.session.commit()
    return item


def submitted(api, item) -> str:
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER).get_json()["id"]
    r = api.post("exec.energy", f"/letters/{lid}/submit")
    assert r.status_code == 200, r.get_json()
    return lid


def decisions(api, lid: str) -> list[tuple[str | None, str]]:
    body = api.get("head.energy", f"/letters/{lid}").get_json()
    return [(r["approver"], r["decision"]) for r in body["approval_sheet"] if r["kind"] != "author"]


def test_without_the_setting_the_head_approves_as_before(api, routed):
    lid = approved_letter(api, routed("in_work"))
    assert decisions(api, lid) == [("head.energy", "approved")]  # only the signer's row


def test_sequential_sheet_one_after_another_then_the_head(api, users, routed):
    sheet_of(["co-executors", LAWYER])
    lid = submitted(api, co_executed(routed, users))
    assert decisions(api, lid) == [
        ("exec2.energy", "pending"),
        ("exec.edu", "pending"),
        (None, "pending"),
    ]
    head = api.post("head.energy", f"/letters/{lid}/approve")
    assert head.status_code == 422 and "not complete" in head.get_json()["message"]
    # the lawyer's turn comes after the co-executor's
    assert api.post("exec.edu", f"/letters/{lid}/approve").status_code == 403
    assert api.post("exec2.energy", f"/letters/{lid}/approve", {"comment": "Келісемін"}).status_code == 200  # fmt: skip
    assert api.post("exec2.energy", f"/letters/{lid}/approve").status_code == 403  # decided
    lawyer = api.post("exec.edu", f"/letters/{lid}/approve")  # of another subdivision: sees it
    assert lawyer.status_code == 200, lawyer.get_json()
    assert lawyer.get_json()["state"] == "submitted"  # now the head's turn
    assert api.post("head.energy", f"/letters/{lid}/approve").get_json()["state"] == "approved"
    assert decisions(api, lid) == [
        ("exec2.energy", "approved"),
        ("exec.edu", "approved"),
        ("head.energy", "approved"),
    ]
    letter = letter_by_public_id(lid)
    moves = [h.transition for h in history(letter)]
    assert moves == ["create", "submit", "endorse", "endorse", "approve"]
    assert approval.rows(letter)[0].comment == "Келісемін"


def test_parallel_sheet_all_at_once(api, users, routed):
    sheet_of(["co-executors", LAWYER], mode="parallel")
    lid = submitted(api, co_executed(routed, users))
    assert api.post("exec.edu", f"/letters/{lid}/approve").status_code == 200  # no waiting
    assert api.post("head.energy", f"/letters/{lid}/approve").status_code == 422
    assert api.post("exec2.energy", f"/letters/{lid}/approve").status_code == 200
    assert api.post("head.energy", f"/letters/{lid}/approve").status_code == 200


def test_others_neither_see_nor_decide_the_sheet(api, users, routed):
    sheet_of([LAWYER])
    lid = submitted(api, routed("in_work"))
    for who in ("head.edu", "exec2.energy", "inspector"):
        assert api.post(who, f"/letters/{lid}/approve").status_code == 403, who
        assert api.post(who, f"/letters/{lid}/return", {"comment": "Жоқ"}).status_code == 403, who  # fmt: skip
    assert api.get("head.edu", f"/letters/{lid}").status_code == 403
    assert api.get("exec.edu", f"/letters/{lid}").status_code == 200  # the lawyer does


def test_return_by_an_approver_needs_a_comment_and_resets_the_sheet(api, users, routed):
    sheet_of(["co-executors", LAWYER])
    lid = submitted(api, co_executed(routed, users))
    assert api.post("exec2.energy", f"/letters/{lid}/approve").status_code == 200
    assert api.post("exec.edu", f"/letters/{lid}/return").status_code == 422  # no comment
    r = api.post("exec.edu", f"/letters/{lid}/return", {"comment": "Сошлитесь на ст. 91 АППК."})
    assert r.status_code == 200 and r.get_json()["state"] == "draft", r.get_json()
    assert r.get_json()["return_comment"] == "Сошлитесь на ст. 91 АППК."
    letter = letter_by_public_id(lid)
    returned = approval.rows(letter)
    assert [(x.decision, x.comment) for x in returned] == [
        ("approved", None),
        ("returned", "Сошлитесь на ст. 91 АППК."),
    ]
    # submitted again: a new round, everybody decides again; the old round stays on record
    assert api.post("exec.energy", f"/letters/{lid}/submit").status_code == 200
    assert [d for _u, d in decisions(api, lid)] == ["pending", "pending", "pending"]
    assert approval.current_round(letter) == 2
    assert [x.decision for x in approval.rows(letter, 1)] == ["approved", "returned"]


def test_the_heads_return_resets_the_sheet_too(api, users, routed):
    sheet_of([LAWYER])
    lid = submitted(api, routed("in_work"))
    assert api.post("exec.edu", f"/letters/{lid}/approve").status_code == 200
    assert api.post("head.energy", f"/letters/{lid}/return", {"comment": "Қысқартыңыз."}).status_code == 200  # fmt: skip
    assert api.post("exec.energy", f"/letters/{lid}/submit").status_code == 200
    assert api.post("head.energy", f"/letters/{lid}/approve").status_code == 422  # again
    assert decisions(api, lid)[0] == ("exec.edu", "pending")


def test_a_subdivision_step_is_decided_by_its_head_or_substitute(api, users, routed):
    from docflow.org import substitutes

    sheet_of([{"role": "lawyer", "subdivision": "EDU"}])
    lid = submitted(api, routed("in_work"))
    assert api.post("exec.edu", f"/letters/{lid}/approve").status_code == 403  # not its head
    today = substitutes.office_today()
    substitutes.add_substitution(users["head.edu"], users["exec.edu"], today, today)
    db.session.commit()
    r = api.post("exec.edu", f"/letters/{lid}/approve")  # the head's substitute today
    assert r.status_code == 200, r.get_json()
    assert decisions(api, lid)[0] == ("exec.edu", "approved")


def test_a_wrong_profile_sheet_is_refused_clearly(api, routed):
    sheet_of([{"role": "lawyer", "user": "nobody"}])
    item = routed("in_work")
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER).get_json()["id"]
    r = api.post("exec.energy", f"/letters/{lid}/submit")
    assert r.status_code == 422 and "letters.approval" in r.get_json()["message"]
    assert letter_by_public_id(lid).state == "draft"


def test_the_sheet_applies_to_the_kinds_named(api, routed):
    sheet_of([LAWYER], kinds=["signup_time"])
    lid = submitted(api, routed("in_work"))
    assert api.post("head.energy", f"/letters/{lid}/approve").status_code == 200


# --- R-ANS-2: who signs -------------------------------------------------------------------------


def test_r_ans_2_sign_condition_refuses_anyone_but_the_head_or_todays_substitute(api, users, routed):  # fmt: skip
    """A head role held outside the subdivision (a global grant) passes the permission, not
    R-ANS-2: the sign condition asks who the subdivision's heads and substitutes are today."""
    pki = make_letter_pki()
    setup_signer(users, pki)
    lid = approved_letter(api, routed("in_work"))
    stranger = users["head.edu"]
    stranger.grants.append(RoleGrant(role=Role.HEAD.value, subdivision=None))
    stranger.employee.iin = users["head.energy"].employee.iin
    users["head.energy"].employee.iin = None
    db.session.flush()
    from docflow.outgoing.letter_models import SignerKeystore

    keystore = db.session.scalar(
        db.select(SignerKeystore).where(SignerKeystore.user_id == users["head.energy"].id)
    )
    keystore.user_id = stranger.id
    db.session.commit()
    letter = letter_by_public_id(lid)
    assert approval.signer_refusal(letter, stranger) is not None
    assert approval.signer_refusal(letter, users["head.energy"]) is None
    r = api.post("head.edu", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    assert r.status_code == 422 and "R-ANS-2" in r.get_json()["message"], r.get_json()
    assert letter_by_public_id(lid).state == "approved" and letter.reg_number is None


def test_the_approved_sheet_goes_to_the_signer(api, users, routed):
    pki = make_letter_pki()
    setup_signer(users, pki)
    sheet_of([LAWYER])
    lid = submitted(api, routed("in_work"))
    assert api.post("exec.edu", f"/letters/{lid}/approve").status_code == 200
    assert api.post("head.energy", f"/letters/{lid}/approve").status_code == 200
    signed = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    assert signed.status_code == 200, signed.get_json()
    assert decisions(api, lid) == [("exec.edu", "approved"), ("head.energy", "signed")]


# --- what the page, the PDF and R-ROUTE-4 get ------------------------------------------------------


def test_printed_sheet_rows_in_kazakh_and_russian(api, users, routed):
    sheet_of(["co-executors", {"role": "lawyer", "user": "exec.edu", "title": {"kk": "Заң бөлімінің маманы", "ru": "Специалист юридического отдела"}}])  # fmt: skip
    lid = submitted(api, co_executed(routed, users))
    api.post("exec2.energy", f"/letters/{lid}/approve")
    letter = letter_by_public_id(lid)
    assert approval.approval_sheet_header("ru") == ("Должность", "Ф.И.О.", "Решение", "Дата")
    author, co, lawyer, head = approval.approval_sheet_rows(letter, "ru")
    assert author[:3] == ("Главный специалист", users["exec.energy"].display_name, "Подготовил")
    assert co[:3] == ("Ведущий специалист", users["exec2.energy"].display_name, "Согласовано")
    assert co[3].count(".") == 2 and len(co[3]) == 10  # dd.mm.yyyy
    assert lawyer[2:] == ("Ожидает", "")
    assert head[0] == "Руководитель подразделения" and head[2:] == ("Ожидает", "")
    kk = approval.approval_sheet_rows(letter, "kk")
    assert kk[0][2] == "Дайындады" and kk[1][:3] == ("Жетекші маман", users["exec2.energy"].display_name, "Келісілді")  # fmt: skip
    api.post("exec.edu", f"/letters/{lid}/return", {"comment": "Толықтырыңыз"})
    author, _co, lawyer, _head = approval.approval_sheet_rows(letter, "ru")
    # the employee's own position wins over the profile's title; exec.edu has one
    assert lawyer[1:3] == (users["exec.edu"].display_name, "Возвращено на доработку: Толықтырыңыз")
    assert author[2] == "Ожидает"  # a draft again: the executor's turn
    assert approval.approval_sheet_rows(letter, "kk")[2][2].startswith("Пысықтауға қайтарылды")


def test_sheet_partial_renders_the_rows(app, api, users, routed):
    sheet_of([LAWYER])
    lid = submitted(api, routed("in_work"))
    letter = letter_by_public_id(lid)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template("outgoing/_approval_sheet.html", approval_rows=approval.sheet(letter))  # fmt: skip
    assert "Approval sheet" in html and users["exec.edu"].display_name in html
    assert "Awaiting" in html and 'aria-current="step"' in html


def test_r_route_4_approvers_of_the_earlier_case_are_prior_handlers(api, users, routed, make_item):
    sheet_of([LAWYER])
    earlier = routed("in_work")
    lid = submitted(api, earlier)
    assert api.post("exec.edu", f"/letters/{lid}/approve").status_code == 200
    later = make_item()
    registry.link_items(later, earlier, "repeat", users["controller"])
    handlers = prior_handlers(later)
    assert users["exec.edu"].id in handlers
    assert handlers[users["exec.edu"].id].role == "answered"


def test_awaiting_is_each_approvers_queue_in_turn(api, users, routed):
    sheet_of(["co-executors", LAWYER])
    lid = submitted(api, co_executed(routed, users))
    letter = letter_by_public_id(lid)
    assert approval.awaiting(users["exec2.energy"]) == [letter]
    assert approval.awaiting(users["exec.edu"]) == []  # not yet their turn
    api.post("exec2.energy", f"/letters/{lid}/approve")
    db.session.expire_all()
    assert approval.awaiting(users["exec2.energy"]) == []
    assert approval.awaiting(users["exec.edu"]) == [letter]
