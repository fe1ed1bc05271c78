"""Letter pages with the Flask client: drafting from the item page, editing (every version kept),
submit / approve / return with a comment, signing on the server (one letter, and several at
once from the "To sign" queue), NCALayer's page-level JSON steps, and refusals (R-ANS-1,
R-ROUTE-4, a refused signature) shown as readable messages with a 4xx, never a 500."""

from __future__ import annotations

import base64
import re

import pytest

from docflow.extensions import db
from docflow.outgoing import letter_signing, letters
from docflow.outgoing.letter_models import Letter, letter_by_public_id, letters_for_item
from docflow.registry.operations import link_items
from docflow.signing.pki import ncalayer_cms
from tests.fixtures import page
from tests.outgoing.letter_helpers import (
    HEAD_IIN,
    PASSPHRASE,
    Api,
    approved_letter,
    b64,
    make_letter_pki,
    setup_signer,
)

FORM = {
    "kind": "answer",
    "final": "y",
    "language": "ru",
    "decision": "explained",
    "body": "Уважаемый заявитель!\nПодача тепла восстановлена.",
    "legal_basis": "Закон РК «О теплоэнергетике», ст. 15",
}


@pytest.fixture
def letter_pki():
    return make_letter_pki()


@pytest.fixture
def api(app, users):
    return Api(app, users)


def _draft(web, item, **changes) -> Letter:
    r = web("exec.energy").post(f"/letters/item/{item.public_id}", data=FORM | changes)
    assert r.status_code == 303, page(r)
    db.session.expire_all()
    return letters_for_item(item.id)[-1]


def _state(public_id: str) -> str:
    db.session.expire_all()
    return letter_by_public_id(public_id).state


# --- drafting and editing --------------------------------------------------------------------------


def test_item_page_drafts_a_letter_with_the_complaint_paragraph_prefilled(web, routed):
    item = routed("in_work")
    c = web("exec.energy")
    body = page(c.get(f"/registry/{item.public_id}"))
    assert "Draft a letter" in body
    kk = letters.complaint_paragraph("kk")
    assert kk in body  # R-ANS-1: pre-filled (the item's language is the state language)
    # left as it was, the paragraph is written in the letter's language (ru here)
    r = c.post(f"/letters/item/{item.public_id}", data=FORM | {"complaint": kk})
    assert r.status_code == 303
    letter = letters_for_item(item.id)[-1]
    assert r.headers["Location"].endswith(f"/letters/{letter.public_id}")
    assert (letter.state, letter.language, letter.final) == ("draft", "ru", True)
    assert letter.complaint == letters.complaint_paragraph("ru")
    body = page(c.get(f"/registry/{item.public_id}"))
    assert f"/letters/{letter.public_id}" in body and "Draft" in body
    # edited, the paragraph is kept as written
    own = _draft(web, item, complaint="Вы вправе обжаловать в суд.")
    assert own.complaint == "Вы вправе обжаловать в суд."


def test_no_draft_form_for_those_who_do_not_write_the_answer(web, routed):
    item = routed("in_work")
    for who in ("exec2.energy", "controller", "inspector"):
        assert "Draft a letter" not in page(web(who).get(f"/registry/{item.public_id}")), who
    r = web("exec2.energy").post(f"/letters/item/{item.public_id}", data=FORM)
    assert r.status_code == 403
    assert letters_for_item(item.id) == []


def test_editing_keeps_every_version_and_shows_the_changes(web, routed):
    item = routed("in_work")
    letter = _draft(web, item)
    c = web("exec.energy")
    assert 'name="body"' in page(c.get(f"/letters/{letter.public_id}"))
    r = c.post(f"/letters/{letter.public_id}/edit", data={"body": "Уважаемый заявитель!\r\nТепло дали 20.11.2026.", "legal_basis": FORM["legal_basis"], "decision": "satisfied", "complaint": letter.complaint})  # fmt: skip
    assert r.status_code == 303
    c.post(f"/letters/{letter.public_id}/edit", data={"body": "Третий вариант."})
    db.session.expire_all()
    kept = letters.versions(letter)
    assert [v.body for v in kept] == [FORM["body"], "Уважаемый заявитель!\nТепло дали 20.11.2026.", "Третий вариант."]  # fmt: skip
    assert kept[1].decision == "satisfied" and letter.decision == "satisfied"
    body = page(c.get(f"/letters/{letter.public_id}"))
    for v in kept:
        assert f"/letters/{letter.public_id}/versions/{v.number}" in body
    first = page(c.get(f"/letters/{letter.public_id}/versions/1"))
    assert "Подача тепла восстановлена." in first and "Changes from" not in first
    second = page(c.get(f"/letters/{letter.public_id}/versions/2"))
    assert re.search(r'class="diff-removed">− Подача тепла восстановлена\.', second)
    assert re.search(r'class="diff-added">\+ Тепло дали 20\.11\.2026\.', second)
    assert re.search(r'class="diff-same">  Уважаемый заявитель!', second)
    assert c.get(f"/letters/{letter.public_id}/versions/9").status_code == 404
    # not the item's executor: may not edit (another executor of the subdivision)
    r = web("exec2.energy").post(f"/letters/{letter.public_id}/edit", data={"body": "Чужой."})
    assert r.status_code == 403
    assert len(letters.versions(letter)) == 3


def test_draft_pdf_is_downloaded_from_the_page(web, routed):
    letter = _draft(web, routed("in_work"))
    r = web("inspector").get(f"/letters/{letter.public_id}/letter.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert "draft-" in r.headers["Content-Disposition"]


# --- the workflow on the page ----------------------------------------------------------------------


def test_r_ans_1_submit_refused_with_a_readable_422(web, routed):
    letter = _draft(web, routed("in_work"), legal_basis="")
    c = web("exec.energy")
    body = page(c.get(f"/letters/{letter.public_id}"))
    assert "A final answer needs (R-ANS-1): Legal basis." in body
    r = c.post(f"/letters/{letter.public_id}/do/submit", data={})
    assert r.status_code == 422
    assert "R-ANS-1" in page(r) and "flash-error" in page(r)
    assert _state(letter.public_id) == "draft"


def test_submit_return_with_a_comment_and_approve(web, routed):
    letter = _draft(web, routed("in_work"))
    lid = letter.public_id
    ex, head = web("exec.energy"), web("head.energy")
    assert ex.post(f"/letters/{lid}/do/submit", data={}).status_code == 303
    assert _state(lid) == "submitted"
    body = page(head.get(f"/letters/{lid}"))
    assert 'data-action="approve"' in body and 'data-action="return"' in body
    assert 'data-action="approve"' not in page(ex.get(f"/letters/{lid}"))
    # a return needs a comment: refused readably, nothing changed
    r = head.post(f"/letters/{lid}/do/return", data={"comment": " "})
    assert r.status_code == 422 and "A comment is required" in page(r)
    assert _state(lid) == "submitted"
    r = head.post(f"/letters/{lid}/do/return", data={"comment": "Уточните дату."})
    assert r.status_code == 303 and _state(lid) == "draft"
    body = page(ex.get(f"/letters/{lid}"))
    assert "Returned for revision: Уточните дату." in body and 'name="body"' in body
    assert ex.post(f"/letters/{lid}/do/submit", data={}).status_code == 303
    assert ex.post(f"/letters/{lid}/do/approve", data={}).status_code == 403  # not the head's
    assert head.post(f"/letters/{lid}/do/approve", data={}).status_code == 303
    assert _state(lid) == "approved"
    assert head.post(f"/letters/{lid}/do/sideways", data={}).status_code == 404


def test_approver_of_the_sheet_approves_their_step_on_the_page(web, routed):
    from docflow.core.settings import set_setting

    set_setting("letters", {"approval": {"approvers": [{"role": "lawyer", "user": "exec.edu"}]}})
    db.session.commit()
    letter = _draft(web, routed("in_work"))
    lid = letter.public_id
    assert web("exec.energy").post(f"/letters/{lid}/do/submit", data={}).status_code == 303
    lawyer, head = web("exec.edu"), web("head.energy")
    body = page(lawyer.get(f"/letters/{lid}"))  # another subdivision's: they see it to approve
    assert 'id="approval-sheet"' in body and 'data-action="approve"' in body
    assert "Approve your step of the approval sheet" in body
    assert 'data-action="approve"' not in page(head.get(f"/letters/{lid}"))  # the sheet first
    r = head.post(f"/letters/{lid}/do/approve", data={})
    assert r.status_code == 422 and _state(lid) == "submitted"
    assert lawyer.post(f"/letters/{lid}/do/approve", data={"comment": "Келісемін."}).status_code == 303  # fmt: skip
    assert _state(lid) == "submitted"
    assert head.post(f"/letters/{lid}/do/approve", data={}).status_code == 303
    assert _state(lid) == "approved"


def test_r_route_4_refusal_is_readable_on_the_page(web, users, routed, make_item):
    from docflow.routing import operations as routing

    earlier = routed("closed")  # head.energy approved its answer
    later = make_item()
    link_items(later, earlier, "repeat", users["clerk"])
    routing.distribute(later, users["controller"], ["ENERGY"])
    db.session.commit()
    c = web("head.energy")
    body = page(c.get(f"/registry/{later.public_id}"))
    assert 'id="letter-refusal"' in body and "Draft the letter" not in body
    r = c.post(f"/letters/item/{later.public_id}", data=FORM)
    assert r.status_code == 422
    assert "R-ROUTE-4" in page(r) and letters_for_item(later.id) == []


# --- signing ---------------------------------------------------------------------------------------


def test_server_signing_on_the_page_and_the_signature_check(web, api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    head = web("head.energy")
    body = page(head.get(f"/letters/{lid}"))
    assert 'id="server-sign-form"' in body and f'data-signer-iin="{HEAD_IIN}"' in body
    assert 'data-ncalayer-url="wss://127.0.0.1:13579"' in body
    csp = head.get(f"/letters/{lid}").headers["Content-Security-Policy"]
    assert "connect-src 'self' wss://127.0.0.1:13579" in csp
    assert 'id="server-sign-form"' not in page(web("exec.energy").get(f"/letters/{lid}"))
    r = head.post(f"/letters/{lid}/sign", data={"passphrase": "wrong"})
    assert r.status_code == 422 and "flash-error" in page(r)
    assert _state(lid) == "approved"
    r = head.post(f"/letters/{lid}/sign", data={"passphrase": PASSPHRASE})
    assert r.status_code == 303
    letter = letter_by_public_id(lid)
    assert letter.state == "signed" and letter.reg_number
    body = page(web("controller").get(f"/letters/{lid}"))
    assert letter.reg_number in body
    check = re.search(r'id="signature-check" data-valid="(\w+)"', body)
    assert check and check.group(1) == "yes"
    assert "The signature is valid." in body and HEAD_IIN in body  # staff see the IIN here
    assert "ҚАСЫМОВ БАҚЫТЖАН" in body
    pdf = web("inspector").get(f"/letters/{lid}/letter.pdf")
    assert pdf.data == letter.signed_pdf
    assert 'id="signing"' not in page(head.get(f"/letters/{lid}"))


def test_refused_server_signature_is_readable_and_changes_nothing(web, api, users, routed, letter_pki):  # fmt: skip
    setup_signer(users, letter_pki, letter_pki.wrong_iin)
    lid = approved_letter(api, routed("in_work"))
    r = web("head.energy").post(f"/letters/{lid}/sign", data={"passphrase": PASSPHRASE})
    assert r.status_code == 422
    assert "IIN" in page(r) and "flash-error" in page(r)
    letter = letter_by_public_id(lid)
    db.session.refresh(letter)
    assert (letter.state, letter.reg_number) == ("approved", None)


def test_r_ans_2_only_the_head_signs_on_the_page(web, api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    for who in ("exec.energy", "head.edu", "controller"):
        r = web(who).post(f"/letters/{lid}/sign", data={"passphrase": PASSPHRASE})
        assert r.status_code == 403, who
    assert _state(lid) == "approved"


def test_ncalayer_page_steps_are_session_json(web, api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    ok, bad = (approved_letter(api, routed("in_work")) for _ in range(2))
    head = web("head.energy")
    assert web("exec.energy").post(f"/letters/{ok}/signing", json={}).status_code == 403
    s = head.post(f"/letters/{bad}/signing", json={}).get_json()
    cms = ncalayer_cms(base64.b64decode(s["digest"]), letter_pki.wrong_iin)
    r = head.post(f"/letters/{bad}/signing/{s['session']}", json={"cms": b64(cms)})
    assert r.status_code == 422
    assert (
        r.get_json()["error"] == "signature_rejected" and r.get_json()["reason"] == "iin_mismatch"
    )
    assert r.get_json()["message"] and _state(bad) == "approved"
    r = head.post(f"/letters/{ok}/signing/whatever", json={"cms": "not base64!"})
    assert r.status_code == 422 and r.get_json()["message"]
    s = head.post(f"/letters/{ok}/signing", json={}).get_json()
    assert s["digest_algorithm"] == "sha256"
    cms = ncalayer_cms(base64.b64decode(s["digest"]), letter_pki.head)
    r = head.post(f"/letters/{ok}/signing/{s['session']}", json={"cms": b64(cms)})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["state"] == "signed" and body["reg_number"] in body["message"]
    assert letter_by_public_id(ok).reg_number == body["reg_number"]


# --- several letters at once -----------------------------------------------------------------------


def test_queue_lists_the_letters_the_user_signs(web, api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    body = page(web("head.energy").get("/letters/to-sign"))
    assert f'data-letter="{lid}"' in body and "data-ncalayer-queue" in body
    assert f'data-letter="{lid}"' not in page(web("head.edu").get("/letters/to-sign"))
    assert web("exec.energy").get("/letters/to-sign").status_code == 403
    assert web("exec.energy").post("/letters/to-sign", data={"letters": [lid]}).status_code == 403
    # another head's letter is not theirs to sign: nothing chosen, nothing signed
    r = web("head.edu").post("/letters/to-sign", data={"letters": [lid], "passphrase": PASSPHRASE})
    assert r.status_code == 422 and "Choose the letters to sign." in page(r)
    assert _state(lid) == "approved"


def test_batch_signing_each_its_own_transaction(web, api, users, routed, letter_pki, monkeypatch):
    setup_signer(users, letter_pki)
    first, refused, third = (approved_letter(api, routed("in_work")) for _ in range(3))
    # the second signature comes out with another person's key: verification refuses it
    real, calls = letter_signing.sign_pdf, []
    wrong = letter_signing.load_pkcs12(letter_pki.wrong_iin.pkcs12(PASSPHRASE), PASSPHRASE)

    def sign_pdf(pdf, keystore, options):
        calls.append(1)
        return real(pdf, wrong if len(calls) == 2 else keystore, options)

    monkeypatch.setattr(letter_signing, "sign_pdf", sign_pdf)
    r = web("head.energy").post("/letters/to-sign", data={"letters": [first, refused, third], "passphrase": PASSPHRASE})  # fmt: skip
    assert r.status_code == 200
    body = page(r)
    assert "Signed: 2 of 3." in body and "Not signed: 1" in body
    db.session.expire_all()
    a, b, c = (letter_by_public_id(x) for x in (first, refused, third))
    assert (a.state, b.state, c.state) == ("signed", "approved", "signed")
    assert b.reg_number is None and c.reg_seq == a.reg_seq + 1  # gapless across the refusal
    assert re.search(rf'class="refused" data-letter="{refused}"', body)
    assert a.reg_number in body and c.reg_number in body
    # a wrong passphrase refuses each, signs none
    more = approved_letter(api, routed("in_work"))
    r = web("head.energy").post("/letters/to-sign", data={"letters": [more], "passphrase": "nope"})
    assert r.status_code == 422 and _state(more) == "approved"


def test_letter_page_access(web, routed, app):
    letter = _draft(web, routed("in_work"))
    assert web("exec.edu").get(f"/letters/{letter.public_id}").status_code == 403
    assert web("clerk").get("/letters/0123456789abcdef0123").status_code == 404
    body = page(web("inspector").get(f"/letters/{letter.public_id}"))
    assert letter.body.splitlines()[-1] in body
    assert "<form" not in body.split('id="main"', 1)[1]  # reads, changes nothing
