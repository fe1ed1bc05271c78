"""Signing letters through the API: on the server with the head's key file, and with NCALayer
(a CMS made outside the server over the server's digest); verification, refusals, numbering."""

from __future__ import annotations

import base64
import io

import pypdfium2 as pdfium
import pytest

from docflow.core.numbering import current_value
from docflow.extensions import db
from docflow.outgoing.letter_models import letter_by_public_id
from docflow.outgoing.operations import journal_settings
from docflow.routing import operations as routing
from docflow.signing.pki import ncalayer_cms
from docflow.signing.verify import verify_pdf
from tests.outgoing.letter_helpers import (
    ANSWER,
    HEAD_IIN,
    PASSPHRASE,
    Api,
    approved_letter,
    b64,
    make_letter_pki,
    setup_signer,
)
from tests.signing.helpers import pdfsig


@pytest.fixture
def letter_pki():
    return make_letter_pki()


@pytest.fixture
def api(app, users):
    return Api(app, users)


def _text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    text = " ".join(page.get_textpage().get_text_range() for page in doc)
    return " ".join(text.split())  # lines wrapped by the layout joined again


def _counter() -> int:
    year = db.session.scalar(db.text("select max(year) from counter")) or 0
    return current_value(journal_settings()["code"], year)


def _roots(pki) -> list[bytes]:
    return [pki.root.cert_pem + pki.ca.cert_pem]


def test_whole_api_path_with_server_signing_and_r_ctrl_1(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    item = routed("in_work")
    lid = approved_letter(api, item)
    r = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["state"] == "signed" and body["reg_number"]
    pdf = api.get("inspector", f"/letters/{lid}/pdf").data
    result = verify_pdf(pdf, _roots(letter_pki), expected_iin=HEAD_IIN)
    assert result.valid and result.intact, result.codes
    report = pdfsig(pdf)
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    text = _text(pdf)
    assert body["reg_number"] in text and "подача тепла восстановлена" in text
    # R-CTRL-1: the signed final letter puts the item on control check; once sent, it is closed
    db.session.refresh(item)
    assert item.state == "answered"
    assert api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "hand", "received_by": "А."}).status_code == 201  # fmt: skip
    closed = api.post("controller", f"/items/{item.public_id}/routing/close")
    assert closed.status_code == 200, closed.get_json()
    # a signed letter never changes: what is served is what was signed
    assert api.get("inspector", f"/letters/{lid}/pdf").data == pdf


def test_ncalayer_path_cms_made_outside_the_server(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    started = api.post(
        "head.energy", f"/letters/{lid}/signing", {"certificate": b64(letter_pki.head.cert_der)}
    )
    assert started.status_code == 200, started.get_json()
    s = started.get_json()
    assert s["digest_algorithm"] == "sha256"
    cms = ncalayer_cms(base64.b64decode(s["digest"]), letter_pki.head)
    done = api.post("head.energy", f"/letters/{lid}/signing/{s['session']}", {"cms": b64(cms)})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "signed" and done.get_json()["reg_number"]
    pdf = api.get("head.energy", f"/letters/{lid}/pdf").data
    assert verify_pdf(pdf, _roots(letter_pki), expected_iin=HEAD_IIN).valid
    assert "Signature Validation: Signature is Valid." in pdfsig(pdf)
    assert done.get_json()["reg_number"] in _text(pdf)  # the number prepared is the number given


@pytest.mark.parametrize(
    ("cert", "code"),
    [
        ("wrong_iin", "iin_mismatch"),
        ("auth", "wrong_purpose"),
        ("expired", "expired"),
        ("other_ca", "not_trusted"),
    ],
)
def test_refused_server_signature_leaves_the_letter_unsigned(
    api, users, routed, letter_pki, cert, code
):
    setup_signer(users, letter_pki, getattr(letter_pki, cert))
    lid = approved_letter(api, routed("in_work"))
    before = _counter()
    r = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"] == "signature_rejected" and r.get_json()["reason"] == code
    assert r.get_json()["message"]
    letter = letter_by_public_id(lid)
    db.session.refresh(letter)
    assert (letter.state, letter.reg_number, letter.signed_pdf) == ("approved", None, None)
    assert _counter() == before  # no number used up


@pytest.mark.parametrize(("cert", "code"), [("wrong_iin", "iin_mismatch"), ("auth", "wrong_purpose"), ("other_ca", "not_trusted")])  # fmt: skip
def test_refused_ncalayer_signature_leaves_the_letter_unsigned(
    api, users, routed, letter_pki, cert, code
):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    s = api.post("head.energy", f"/letters/{lid}/signing").get_json()
    cms = ncalayer_cms(base64.b64decode(s["digest"]), getattr(letter_pki, cert))
    r = api.post("head.energy", f"/letters/{lid}/signing/{s['session']}", {"cms": b64(cms)})
    assert r.status_code == 422 and r.get_json()["error"] == "signature_rejected"
    assert r.get_json()["reason"] == code
    letter = letter_by_public_id(lid)
    db.session.refresh(letter)
    assert (letter.state, letter.reg_number) == ("approved", None)


def test_refusal_says_why_in_the_readers_language(api, users, routed, letter_pki):
    from flask_babel import force_locale

    from docflow.signing.errors import message

    setup_signer(users, letter_pki, letter_pki.wrong_iin)
    lid = approved_letter(api, routed("in_work"))
    for lang in ("kk", "ru", "en"):
        headers = api._headers("head.energy") | {"Accept-Language": lang}
        r = api.client.post(f"/api/v1/letters/{lid}/sign", json={"passphrase": PASSPHRASE}, headers=headers)  # fmt: skip
        assert r.status_code == 422
        with force_locale(lang):
            assert r.get_json()["message"] == str(message("iin_mismatch"))


def test_wrong_passphrase_is_refused(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    r = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": "wrong"})
    assert r.status_code == 422 and r.get_json()["reason"] == "wrong_passphrase"


def test_outgoing_numbers_are_gapless_across_refusals(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    first, refused, second = (approved_letter(api, routed("in_work")) for _ in range(3))
    assert api.post("head.energy", f"/letters/{first}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    bad = api.post("head.energy", f"/letters/{refused}/sign", {"passphrase": "wrong"})
    assert bad.status_code == 422
    assert api.post("head.energy", f"/letters/{second}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    a, b = letter_by_public_id(first), letter_by_public_id(second)
    assert (a.reg_year, b.reg_seq - a.reg_seq) == (b.reg_year, 1)
    assert a.reg_number != b.reg_number


def test_ncalayer_number_taken_meanwhile_restarts(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    slow, fast = (approved_letter(api, routed("in_work")) for _ in range(2))
    s = api.post("head.energy", f"/letters/{slow}/signing").get_json()
    assert api.post("head.energy", f"/letters/{fast}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    cms = ncalayer_cms(base64.b64decode(s["digest"]), letter_pki.head)
    r = api.post("head.energy", f"/letters/{slow}/signing/{s['session']}", {"cms": b64(cms)})
    assert r.status_code == 422 and r.get_json()["reason"] == "number_taken"
    assert letter_by_public_id(slow).reg_number is None


def test_r_ans_2_only_the_responsible_head_signs(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    for who in ("head.edu", "exec.energy", "controller"):
        r = api.post(who, f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
        assert r.status_code == 403, (who, r.get_json())
    assert api.post("head.edu", f"/letters/{lid}/signing").status_code == 403


def test_r_ctrl_1_unsigned_final_letter_blocks_closing(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    item = routed("in_work")
    lid = approved_letter(api, item)
    # the paper answer approved too: the final letter still has to be signed

    routing.submit_answer(item, users["exec.energy"], summary="Жауап.", filename="a.pdf", stream=io.BytesIO(b"%PDF-1.4 a"))  # fmt: skip
    routing.approve_answer(item, users["head.energy"])
    db.session.commit()
    r = api.post("controller", f"/items/{item.public_id}/routing/close")
    assert r.status_code == 422, r.get_json()
    assert api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    assert api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "hand", "received_by": "А."}).status_code == 201  # fmt: skip
    assert api.post("controller", f"/items/{item.public_id}/routing/close").status_code == 200


def test_paper_answer_path_closes_as_before(api, routed):
    item = routed("answered")
    db.session.commit()
    assert api.post("controller", f"/items/{item.public_id}/routing/close").status_code == 200


def test_kazakh_letter_renders(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    kk = ANSWER | {"language": "kk", "body": "Құрметті өтініш беруші! Жылу беру қалпына келтірілді: әңгүөұқһі."}  # fmt: skip
    lid = approved_letter(api, routed("in_work"), kk)
    assert api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    text = _text(api.get("head.energy", f"/letters/{lid}/pdf").data)
    assert "Құрметті өтініш беруші" in text and "әңгүөұқһі" in text
    assert "Шығыс №" in text and "шағым жасауға құқылысыз" in text  # R-ANS-1 paragraph, in kk


def test_organisations_bin_required_when_the_profile_names_one(api, users, routed, letter_pki):
    from docflow.core.settings import set_setting

    setup_signer(users, letter_pki)  # the head's certificate carries no BIN
    set_setting("letters", {"bin": "990340001234"})
    db.session.commit()
    lid = approved_letter(api, routed("in_work"))
    r = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    assert r.status_code == 422 and r.get_json()["reason"] == "bin_mismatch"
    assert letter_by_public_id(lid).reg_number is None
