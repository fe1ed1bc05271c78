"""Letters: drafting and versions, the workflow, R-ANS-1, R-ROUTE-4, a signed letter never
changes, the QR's verification address, and the ``pki`` / ``users set`` commands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from docflow.core.workflow import history
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.outgoing import letters
from docflow.outgoing.letter_models import (
    SignedLetterChanged,
    SignerKeystore,
    TrustedRoot,
    letter_by_public_id,
)
from docflow.outgoing.letter_pdf import render_letter
from docflow.registry import operations as registry
from docflow.routing.handlers import prior_handlers
from tests.outgoing.letter_helpers import (
    ANSWER,
    HEAD_IIN,
    PASSPHRASE,
    Api,
    approved_letter,
    make_letter_pki,
    setup_signer,
)


@pytest.fixture
def letter_pki():
    return make_letter_pki()


@pytest.fixture
def api(app, users):
    return Api(app, users)


def test_created_letter_is_a_draft_with_the_complaint_paragraph(api, routed):
    item = routed("in_work")
    r = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["state"] == "draft" and body["id"] and body["versions"] == 1
    # R-ANS-1: filled in from the profile, in the letter's language
    assert "Вы вправе обжаловать" in body["complaint"]
    assert api.get("exec.energy", f"/letters/{body['id']}").get_json()["id"] == body["id"]


@pytest.mark.parametrize("missing", ["decision", "legal_basis", "complaint"])
def test_r_ans_1_final_answer_without_decision_basis_or_complaint_is_refused(api, routed, missing):
    item = routed("in_work")
    data = ANSWER | {missing: ""}
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", data).get_json()["id"]
    r = api.post("exec.energy", f"/letters/{lid}/submit")
    assert r.status_code == 422, r.get_json()
    assert "R-ANS-1" in r.get_json()["message"]
    assert letter_by_public_id(lid).state == "draft"


def test_r_ans_1_interim_letter_needs_no_decision(api, routed):
    item = routed("in_work")
    data = {"kind": "answer", "final": False, "language": "kk", "body": "Аралық жауап."}
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", data).get_json()["id"]
    assert api.post("exec.energy", f"/letters/{lid}/submit").status_code == 200


def test_every_version_of_the_body_is_kept(api, users, routed):
    item = routed("in_work")
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER | {"legal_basis": ""}).get_json()["id"]  # fmt: skip
    letter = letter_by_public_id(lid)
    letters.edit_letter(letter, users["exec.energy"], body="Второй вариант.", legal_basis="АППК, ст. 91")  # fmt: skip
    letters.edit_letter(letter, users["exec.energy"], body="Третий вариант.")
    db.session.commit()
    kept = [v.body for v in letters.versions(letter)]
    assert kept == [ANSWER["body"], "Второй вариант.", "Третий вариант."]
    assert api.post("exec.energy", f"/letters/{lid}/submit").status_code == 200  # now complete


def test_return_for_revision_needs_a_comment_and_goes_back_to_draft(api, routed):
    item = routed("in_work")
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER).get_json()["id"]
    api.post("exec.energy", f"/letters/{lid}/submit")
    assert api.post("head.energy", f"/letters/{lid}/return").status_code == 422
    r = api.post("head.energy", f"/letters/{lid}/return", {"comment": "Уточните сроки."})
    assert r.status_code == 200 and r.get_json()["state"] == "draft"
    assert r.get_json()["return_comment"] == "Уточните сроки."
    letter = letter_by_public_id(lid)
    assert [h.transition for h in history(letter)] == ["create", "submit", "return"]


def test_only_the_subdivisions_people_write_and_approve(api, routed):
    item = routed("in_work")
    assert api.post("exec.edu", f"/items/{item.public_id}/letters", ANSWER).status_code == 403
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER).get_json()["id"]
    api.post("exec.energy", f"/letters/{lid}/submit")
    for who in ("head.edu", "exec.energy", "inspector"):
        assert api.post(who, f"/letters/{lid}/approve").status_code == 403, who


def test_r_route_4_letter_author_and_signer_are_prior_handlers(api, users, routed, letter_pki, make_item):  # fmt: skip
    setup_signer(users, letter_pki)
    earlier = routed("in_work")
    lid = approved_letter(api, earlier)
    assert api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    later = make_item()
    registry.link_items(later, earlier, "repeat", users["controller"])
    handlers = prior_handlers(later)
    # the head approved no paper answer here: only the letter makes them a handler
    assert handlers[users["head.energy"].id].role == "signed"
    assert handlers[users["exec.energy"].id].role in ("executed", "answered")


def test_signed_letter_never_changes(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    assert api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    letter = letter_by_public_id(lid)
    with pytest.raises(letters.LetterError):
        letters.edit_letter(letter, users["exec.energy"], body="Подправим.")
    letter.body = "Подделка."
    with pytest.raises(SignedLetterChanged):
        db.session.flush()
    db.session.rollback()
    assert api.post("head.energy", f"/letters/{lid}/return", {"comment": "ещё раз"}).status_code == 409  # fmt: skip


def test_qr_address_has_the_public_id_and_hash_no_personal_data(app, api, routed):
    item = routed("in_work")
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER).get_json()["id"]
    letter = letter_by_public_id(lid)
    app.config["PUBLIC_URL"] = "https://docflow.example.kz"
    pdf, digest = render_letter(letter, reg_number="ИХ-2026-000009", reg_date=item.registration_date)  # fmt: skip
    import pypdfium2 as pdfium
    import segno

    url = f"https://docflow.example.kz/v/{lid}/{digest[:16]}"
    assert len(digest) == 64
    # the QR drawn is exactly this address: one filled square per dark module, nothing else drawn
    modules = sum(sum(row) for row in segno.make(url, error="m").matrix_iter(scale=1, border=2))
    page = pdfium.PdfDocument(pdf)[0]
    paths = [o for o in page.get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_PATH]
    assert len(paths) == modules
    # no applicant name or address in the address
    for applicant in item.applicants:
        assert applicant.display_name not in url
    # another text, another hash
    letter.body = "Другой текст."
    assert render_letter(letter, reg_number="ИХ-2026-000009", reg_date=item.registration_date)[1] != digest  # fmt: skip


# --- the commands ----------------------------------------------------------------------------------


def test_users_set_iin(app, runner):
    r = runner.invoke(args=["users", "set", "head.edu", "--iin", HEAD_IIN])
    assert r.exit_code == 0, r.output
    assert user_by_username("head.edu").employee.iin == HEAD_IIN
    bad = runner.invoke(args=["users", "set", "head.edu", "--iin", "123"])
    assert bad.exit_code != 0


def test_pki_trust_and_import_key(app, runner, tmp_path, letter_pki):
    pem = tmp_path / "roots.pem"
    pem.write_bytes(letter_pki.root.cert_pem + letter_pki.ca.cert_pem)
    assert runner.invoke(args=["pki", "trust", str(pem)]).exit_code == 0
    assert runner.invoke(args=["pki", "trust", str(pem)]).exit_code == 0  # idempotent
    assert len(db.session.scalars(select(TrustedRoot)).all()) == 2
    p12 = tmp_path / "head.p12"
    p12.write_bytes(letter_pki.head.pkcs12(PASSPHRASE))
    wrong = runner.invoke(args=["pki", "import-key", "head.energy", str(p12)], input="nope\n")
    assert wrong.exit_code != 0
    r = runner.invoke(args=["pki", "import-key", "head.energy", str(p12)], input=PASSPHRASE + "\n")
    assert r.exit_code == 0, r.output
    row = db.session.scalar(select(SignerKeystore))
    assert row.pkcs12 == p12.read_bytes()  # stored as given, encrypted by its passphrase
    assert PASSPHRASE.encode() not in row.pkcs12


def test_pki_demo_lets_a_demo_head_sign(app, runner, api, routed):
    r = runner.invoke(args=["pki", "demo"])
    assert r.exit_code == 0, r.output
    head = user_by_username("head.energy")
    assert head.employee.iin
    lid = approved_letter(api, routed("in_work"))
    signed = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": "docflow-demo"})
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["state"] == "signed"


def test_r_ans_1_complaint_paragraph_comes_from_the_profile_and_can_be_edited(api, routed):
    from docflow.core.settings import set_setting

    set_setting("letters", {"complaint": {"body": {"ru": "в акимат области"}, "term": {"ru": "в течение месяца"}}})  # fmt: skip
    db.session.commit()
    item = routed("in_work")
    made = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER).get_json()
    assert "в акимат области" in made["complaint"] and "в течение месяца" in made["complaint"]
    own = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER | {"complaint": "Свой абзац."})  # fmt: skip
    assert own.get_json()["complaint"] == "Свой абзац."


def test_draft_pdf_is_marked_unsigned_and_has_no_number(api, routed):
    import pypdfium2 as pdfium

    item = routed("in_work")
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER).get_json()["id"]
    r = api.get("exec.energy", f"/letters/{lid}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = " ".join(pdfium.PdfDocument(r.data)[0].get_textpage().get_text_range().split())
    assert "ПРОЕКТ — не подписан" in text and "Исх. №" not in text
    assert item.reg_number in text  # the incoming number it answers
